"""Personalised checklist (the `checklist_form`) and "what am I missing?".

The form has one required slot, `checklist_answer`, asked once per situational question.
The questions, their `ask_when` conditions and the documents' `when` conditions all come
from the procedure's knowledge data, so a new procedure with its own questions needs no code.
Answers live in `checklist_answers` as {"procedure": id, "answers": {question id: value}}.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    Answered,
    KnowledgeAction,
    ProcedureAnswerAction,
    knowledge_store,
    language_of,
    procedure_in_context,
    send,
)
from actions.formatting import answers, wording
from knowledge.names import Entity, Slot
from knowledge.store import KnowledgeStore
from knowledge.text import fold, nfc
from knowledge.types import Procedure

# Free-text answers to yes/no questions, folded (no diacritics, abbreviations expanded: ko -> khong).
NO_WORDS = frozenset({"khong", "chua", "no", "not", "nope", "nah", "sai", "never"})
YES_WORDS = frozenset({"co", "yes", "y", "yeah", "yep", "dung", "vang", "u", "ok", "phai", "correct", "right", "sure"})
# Politeness and filler words around a bare yes or no ("dạ có ạ", "có rồi", "no thanks").
FILLER_WORDS = frozenset({"a", "da", "roi", "nhe", "nha", "oi", "thanks", "thank", "you", "please", "i", "it", "is"})
# Longer messages are questions or remarks, not answers to a checklist question.
MAX_WORDS_IN_REPLY = 6
# "thôi", "hủy", "stop": leave the checklist (compared accented: unaccented "dung" is also "đúng").
STOP_WORDS = frozenset({"thôi", "thoi", "hủy", "huỷ", "huy", "dừng", "stop", "cancel", "quit"})


def saved_answers(tracker: Tracker, procedure_id: str | None) -> dict[str, str]:
    """The checklist answers given for this procedure (answers for another procedure do not count)."""
    saved = tracker.get_slot(Slot.CHECKLIST_ANSWERS) or {}
    if procedure_id and saved.get("procedure") == procedure_id:
        return dict(saved.get("answers") or {})
    return {}


def next_question(procedure, answered: dict[str, str]):
    """The first question not answered yet whose `ask_when` matches the answers so far."""
    for question in procedure.checklist:
        if question.id not in answered and question.should_ask(answered):
            return question
    return None


def _yes_or_no(question, words: set[str]) -> Optional[str]:
    values = {answer.value.lower(): answer.value for answer in question.answers}
    if "no" in values and words & NO_WORDS:
        return values["no"]
    if "yes" in values and words & YES_WORDS:
        return values["yes"]
    return None


def match_answer(question, text: str) -> Optional[str]:
    """The answer value meant by a button payload or free text in either language, or None."""
    said = fold(text)
    if not said:
        return None
    for answer in question.answers:
        if said == fold(answer.value) or said in (fold(answer.label.vi), fold(answer.label.en)):
            return answer.value
    # A long message with a "có" somewhere ("tôi có ảnh và tờ khai rồi, còn thiếu gì") is not an
    # answer: the question is asked again.
    if len(said.split()) > MAX_WORDS_IN_REPLY:
        return None
    words = set(said.split())
    # A bare "có", "ko", "dạ không ạ", "yes": the yes/no answer, whatever the labels say.
    if words <= YES_WORDS | NO_WORDS | FILLER_WORDS:
        return _yes_or_no(question, words)
    # "xe máy ạ", "a car": the one answer whose label (or its part before a comma) appears in the text;
    # "bị mất", "đã từng có": words that only one answer's label contains.
    for found in (
        {
            answer.value
            for answer in question.answers
            for label in (answer.label.vi, answer.label.en, answer.value)
            if (head := fold(label.split(",")[0])) and f" {head} " in f" {said} "
        },
        {answer.value for answer in question.answers for label in (answer.label.vi, answer.label.en) if f" {said} " in f" {fold(label)} "},
    ):
        if len(found) == 1:
            return found.pop()
    # "không, nó vẫn còn": a short reply led by yes or no.
    return _yes_or_no(question, words)


def wants_to_stop(text: str) -> bool:
    words = nfc(text).lower().replace(",", " ").split()
    return bool(words) and len(words) <= 3 and bool(STOP_WORDS & set(words))


def current_procedure(tracker: Tracker, store):
    """The procedure this checklist is about: the one the answers were started for."""
    saved = tracker.get_slot(Slot.CHECKLIST_ANSWERS) or {}
    if saved.get("procedure"):
        return store.get_procedure(saved["procedure"])
    return procedure_in_context(tracker, store)


class ActionStartChecklist(ProcedureAnswerAction):
    """Resets the answers for the procedure in context; says whether the form has anything to ask."""

    def name(self) -> str:
        return "action_start_checklist"

    answers_for_simpler_option = False

    def events_without_procedure(self) -> list[EventType]:
        return [SlotSet(Slot.CHECKLIST_ANSWERS, None), SlotSet(Slot.CHECKLIST_HAS_QUESTIONS, False)]

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        return [], [
            SlotSet(Slot.CHECKLIST_ANSWERS, {"procedure": procedure.id, "answers": {}}),
            SlotSet(Slot.CHECKLIST_ANSWER, None),
            SlotSet(Slot.CHECKLIST_QUESTION, None),
            SlotSet(Slot.CHECKLIST_HAS_QUESTIONS, next_question(procedure, {}) is not None),
        ]


class ActionAskChecklistAnswer(KnowledgeAction):
    """Asks the next situational question, with one button per answer."""

    def name(self) -> str:
        return "action_ask_checklist_answer"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        procedure = current_procedure(tracker, store)
        question = next_question(procedure, saved_answers(tracker, procedure.id)) if procedure else None
        if question is None:
            return []
        send(dispatcher, [answers.checklist_question(question, language)])
        return [SlotSet(Slot.CHECKLIST_QUESTION, question.id)]


class ValidateChecklistForm(FormValidationAction):
    """Maps each answer to a value, stores it and keeps the form open while questions remain."""

    def name(self) -> str:
        return "validate_checklist_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[str]:
        procedure = current_procedure(tracker, knowledge_store())
        if procedure is None or next_question(procedure, saved_answers(tracker, procedure.id)) is None:
            return []
        return domain_slots

    def validate_checklist_answer(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        procedure = current_procedure(tracker, knowledge_store())
        if procedure is None or not slot_value:
            # At activation the slot is only being reset by action_start_checklist: nothing to judge.
            return {"checklist_answer": None}
        if wants_to_stop(str(slot_value)):
            # Ends the form; action_show_checklist then lists every document.
            return {"checklist_answer": None, "requested_slot": None}
        answered = saved_answers(tracker, procedure.id)
        asked_id = tracker.get_slot(Slot.CHECKLIST_QUESTION)
        question = next((q for q in procedure.checklist if q.id == asked_id and q.id not in answered), None)
        question = question or next_question(procedure, answered)
        if question is None:
            return {"checklist_answer": None}
        value = match_answer(question, str(slot_value or ""))
        if value is None:
            dispatcher.utter_message(text=wording(language_of(tracker)).NOT_UNDERSTOOD_ANSWER)
            return {"checklist_answer": None}
        answered[question.id] = value
        # Cleared again so the form asks the next question through the same slot.
        return {"checklist_answer": None, "checklist_answers": {"procedure": procedure.id, "answers": answered}}


class ActionShowChecklist(KnowledgeAction):
    """The documents that fit the citizen's answers."""

    def name(self) -> str:
        return "action_show_checklist"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        procedure = current_procedure(tracker, store)
        if procedure is None:
            return []
        answered = saved_answers(tracker, procedure.id)
        if next_question(procedure, answered) is not None:
            # Left before the last question: the full list, situational documents marked as such.
            reply = answers.documents(procedure, language)
        else:
            reply = answers.checklist(procedure, language, procedure.documents_for(answered))
        send(dispatcher, [reply])
        # A form answer may have looked like a new search and cleared the slot: the checklist's
        # procedure is the one in context for the follow-up questions.
        return [SlotSet(Slot.CHECKLIST_QUESTION, None), SlotSet(Slot.PROCEDURE, procedure.id)]


def documents_mentioned(procedure, tracker: Tracker) -> list:
    """The procedure's documents the citizen says they have: `document` entities, then aliases in the text."""
    by_id = {document.id: document for document in procedure.documents}
    found: dict[str, Any] = {}
    for value in tracker.get_latest_entity_values(Entity.DOCUMENT):
        if value in by_id:
            found[value] = by_id[value]
    said = f" {fold(tracker.latest_message.get('text') or '')} "
    for document in procedure.documents:
        names = (document.name.vi, document.name.en, *document.aliases_vi, *document.aliases_en)
        if any((alias := fold(name)) and f" {alias} " in said for name in names):
            found.setdefault(document.id, document)
    return [document for document in procedure.documents if document.id in found]


class ActionCheckMissingDocuments(ProcedureAnswerAction):
    """ "Tôi có giấy chứng sinh và căn cước" -> what is still missing for the procedure in context."""

    def name(self) -> str:
        return "action_check_missing_documents"

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        answered = saved_answers(tracker, procedure.id)
        needed = procedure.documents_for(answered) if answered else procedure.documents
        have = documents_mentioned(procedure, tracker)
        have_ids = {document.id for document in have}
        # Without checklist answers, situational documents are not counted as missing.
        still_missing = [d for d in needed if d.id not in have_ids and d.required and (answered or not d.when)]
        situation_unknown = not answered and any(d.when for d in procedure.documents)
        return [answers.missing(procedure, language, have, still_missing, situation_unknown)], []
