"""Answers about the procedure in context: documents, fee, time, agency, where to submit,
online channels, steps and legal basis.

Follow-up questions ("còn lệ phí thì sao?", "how long?") use the procedure in the `procedure`
slot; a question that names another procedure switches the slot to it.
"""
from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from typing import Any, Iterable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.formatting import answers, wording
from actions.formatting.common import Reply
from knowledge.store import open_store
from knowledge.text import detect_language, fold

# A procedure found only by searching the message text must match at least this well.
TEXT_MATCH_MIN_SCORE = 0.5

# Agency levels whose office depends on the citizen's commune or ward.
COMMUNE_LEVELS = frozenset({"commune-committee", "commune-police", "any-commune-police", "business-registration"})


@lru_cache(maxsize=4)
def _store_for(url: str | None):
    return open_store(url)


def knowledge_store():
    """One store per database URL (DATABASE_URL, or the default SQLite file)."""
    return _store_for(os.environ.get("DATABASE_URL"))


def language_of(tracker: Tracker) -> str:
    """The conversation's language: the slot, else what the latest message looks like, else Vietnamese."""
    language = tracker.get_slot("language")
    if language in ("vi", "en"):
        return language
    return detect_language(tracker.latest_message.get("text") or "") or "vi"


def entity_text(tracker: Tracker, entity: str) -> str | None:
    """What the citizen actually wrote for an entity (the value may be a synonym-mapped id)."""
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    for found in message.get("entities") or []:
        if found.get("entity") != entity:
            continue
        start, end = found.get("start"), found.get("end")
        if start is not None and end is not None and text[start:end]:
            return text[start:end]
        return str(found.get("value"))
    return None


def resolve_procedure(store, value: str | None):
    """A catalogue id, or a name/alias that the store can match."""
    if not value:
        return None
    procedure = store.get_procedure(value)
    if procedure is None:
        matches = store.find_procedures(value, limit=1)
        if matches:
            procedure = store.get_procedure(matches[0].procedure_id)
    return procedure


def procedure_in_context(tracker: Tracker, store):
    """The procedure named in the latest message, else the one in the slot, else one the text names."""
    procedure = resolve_procedure(store, next(tracker.get_latest_entity_values("procedure"), None))
    if procedure is None and tracker.get_slot("procedure"):
        procedure = store.get_procedure(tracker.get_slot("procedure"))
    if procedure is None:
        matches = store.find_procedures(tracker.latest_message.get("text") or "", limit=1)
        if matches and matches[0].score >= TEXT_MATCH_MIN_SCORE:
            procedure = store.get_procedure(matches[0].procedure_id)
    return procedure


def context_events(tracker: Tracker, procedure) -> list[EventType]:
    """Switch the `procedure` slot when the question moved to another procedure."""
    if procedure is not None and tracker.get_slot("procedure") != procedure.id:
        return [SlotSet("procedure", procedure.id)]
    return []


def send(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)


class ProcedureAnswerAction(Action):
    """Finds the procedure in context and answers one kind of question about it."""

    def answer(self, procedure, language: str, tracker: Tracker, store) -> tuple[list[Reply], list[EventType]]:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        store = knowledge_store()
        language = language_of(tracker)
        procedure = procedure_in_context(tracker, store)
        if procedure is None:
            send(dispatcher, [answers.ask_procedure(language)])
            return []
        replies, events = self.answer(procedure, language, tracker, store)
        send(dispatcher, replies)
        return context_events(tracker, procedure) + events


class ActionAnswerDocuments(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_documents"

    def answer(self, procedure, language, tracker, store):
        return [answers.documents(procedure, language)], []


class ActionAnswerFee(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_fee"

    def answer(self, procedure, language, tracker, store):
        return [answers.fee(procedure, language, date.today())], []


class ActionAnswerProcessingTime(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_processing_time"

    def answer(self, procedure, language, tracker, store):
        return [answers.processing_time(procedure, language)], []


class ActionAnswerAgency(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_agency"

    def answer(self, procedure, language, tracker, store):
        return [answers.agency(procedure, language)], []


class ActionAnswerOnline(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_online"

    def answer(self, procedure, language, tracker, store):
        return [answers.online(procedure, language)], []


class ActionAnswerSteps(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_steps"

    def answer(self, procedure, language, tracker, store):
        return [answers.steps_overview(procedure, procedure.steps, language)], []


class ActionAnswerLegalBasis(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_legal_basis"

    def answer(self, procedure, language, tracker, store):
        return [answers.legal_basis(procedure, language)], []


def units_for_place(store, tracker: Tracker) -> tuple[str | None, list]:
    """(what the citizen called the place, the distinct unit matches) from the latest message."""
    spoken = entity_text(tracker, "location")
    value = next(tracker.get_latest_entity_values("location"), None)
    if spoken is None and tracker.get_intent_of_latest_message() == "inform_location":
        spoken = tracker.latest_message.get("text")
    if not spoken:
        return None, []
    matches = store.find_units(spoken)
    if not matches and value:
        unit = store.get_unit(value)
        if unit is not None:
            return spoken, [_ExactUnit(unit)]
    distinct = {}
    for match in matches:
        distinct.setdefault(match.unit.id, match)
    # A current unit named exactly as written beats units that only contain a former place of that name.
    exact = [m for m in distinct.values() if not m.former_name and fold(m.unit.name) in fold(spoken)]
    if len(exact) == 1 and len(distinct) > 1 and not _says_former(spoken):
        return spoken, exact
    return spoken, list(distinct.values())


def _says_former(spoken: str) -> bool:
    """'huyện Ninh Phước cũ', 'thị trấn ...': the citizen means the old unit, not the new namesake."""
    words = set(fold(spoken).split())
    return bool(words & {"cu", "huyen", "thi", "tran"})


class _ExactUnit:
    """A unit found by its id (a synonym-mapped entity value) rather than by name."""

    def __init__(self, unit):
        self.unit = unit
        self.matched_name = unit.name
        self.former_name = False


def office_in_unit(procedure, unit, language: str) -> str:
    """'UBND xã Ninh Phước', 'Công an phường Đô Vinh', ... for commune-level agencies."""
    template = wording(language).UNIT_BODIES[procedure.agency.level]
    return template.format(unit=unit.full_name.in_(language))


class ActionAnswerWhereToSubmit(Action):
    """Where to submit, for the place the citizen lives in (current or pre-2025 name)."""

    def name(self) -> str:
        return "action_answer_where_to_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        store = knowledge_store()
        language = language_of(tracker)
        procedure = procedure_in_context(tracker, store)
        spoken, matches = units_for_place(store, tracker)
        events: list[EventType] = []
        unit = None
        former = False
        if len(matches) == 1:
            unit, former = matches[0].unit, matches[0].former_name
            events.append(SlotSet("unit_id", unit.id))
        elif len(matches) > 1:
            names = [match.unit.full_name.in_(language) for match in matches]
            send(dispatcher, [answers.which_unit(language, spoken, names)])
            return context_events(tracker, procedure) + events
        elif spoken:
            send(dispatcher, [answers.unknown_unit(language, spoken)])
            return context_events(tracker, procedure)
        elif tracker.get_slot("unit_id"):
            unit = store.get_unit(tracker.get_slot("unit_id"))

        if procedure is None:
            reply = answers.ask_procedure(language)
            if unit is not None and former:
                reply = answers.place_only(language, spoken, unit.full_name.in_(language))
            send(dispatcher, [reply])
            return events
        if procedure.agency.level not in COMMUNE_LEVELS:
            send(dispatcher, [answers.fixed_office(procedure, language)])
        elif unit is None:
            send(dispatcher, [answers.ask_location(procedure, language)])
        else:
            body = office_in_unit(procedure, unit, language)
            send(dispatcher, [answers.where_to_submit(
                procedure, language, body, unit.full_name.in_(language), spoken, former)])
        return context_events(tracker, procedure) + events
