"""Answers about the procedure in context: documents, fee, time, agency, where to submit,
online channels, steps and legal basis.

Follow-up questions ("còn lệ phí thì sao?", "how long?") use the procedure in the `procedure`
slot; a question that names another procedure switches the slot to it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clarification import bundle_differs, options_again, pending_choice
from actions.common import Answered, KnowledgeAction, ProcedureAnswerAction, procedure_in_context, send
from actions.formatting import answers, wording
from actions.formatting.common import Reply
from knowledge.names import COMMUNE_LEVELS, Entity, Intent, Slot
from knowledge.store import KnowledgeStore
from knowledge.text import fold, nfc
from knowledge.types import Procedure, UnitMatch


class ActionAnswerDocuments(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_documents"

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        return [answers.documents(procedure, language)], []


class ActionAnswerFee(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_fee"

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        return [answers.fee(procedure, language, date.today())], []


class ActionAnswerProcessingTime(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_processing_time"

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        return [answers.processing_time(procedure, language)], []


class ActionAnswerAgency(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_agency"

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        return [answers.agency(procedure, language)], []


class ActionAnswerOnline(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_online"

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        return [answers.online(procedure, language)], []


class ActionAnswerSteps(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_steps"

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        return [answers.steps_overview(procedure, procedure.steps, language)], []


class ActionAnswerLegalBasis(ProcedureAnswerAction):
    def name(self) -> str:
        return "action_answer_legal_basis"

    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        return [answers.legal_basis(procedure, language)], []


def units_for_place(store, tracker: Tracker) -> tuple[str | None, list]:
    """(the place as the citizen named it, the distinct unit matches) from the latest message.

    The whole message is searched, not only the entity's span: in "huyện Ninh Phước cũ" the
    lookup entity is just "Ninh Phước", a current commune, while the citizen means the district.
    """
    value = next(tracker.get_latest_entity_values(Entity.LOCATION), None)
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/"):  # a button payload: the entity value is the place
        text = value or ""
    elif value is None and tracker.get_intent_of_latest_message() != Intent.INFORM_LOCATION:
        return None, []
    matches = store.find_units(text) if text else []
    if not matches:
        unit = store.get_unit(value) if value else None
        if unit is not None:
            return unit.name, [UnitMatch(unit, unit.name, former_name=False)]
        return (value or text or None), []
    # Only the best-ranked name counts: "huyện Ninh Phước" beats the "Ninh Phước" inside it.
    best_name = fold(matches[0].matched_name)
    distinct: dict[str, Any] = {}
    for match in matches:
        if fold(match.matched_name) == best_name:
            distinct.setdefault(match.unit.id, match)
    # A current unit of that name beats the former district of the same name, unless the citizen says "cũ".
    current = [match for match in distinct.values() if not match.former_name]
    if len(current) == 1 and not _says_former(text):
        return current[0].matched_name, current
    return matches[0].matched_name, list(distinct.values())


def _says_former(text: str) -> bool:
    """ "Ninh Phước cũ", "old Ninh Phuoc district": the citizen means the former unit."""
    words = nfc(text).lower().split()
    return bool({"cũ", "former", "old", "district"} & set(words)) or fold(text).endswith(" cu")


def office_in_unit(procedure, unit, language: str) -> str:
    """'UBND xã Ninh Phước', 'Công an phường Đô Vinh', ... for commune-level agencies."""
    template = wording(language).UNIT_BODIES[procedure.agency.level]
    return template.format(unit=unit.full_name.in_(language))


class ActionAnswerWhereToSubmit(KnowledgeAction):
    """Where to submit, for the place the citizen lives in (current or pre-2025 name)."""

    def name(self) -> str:
        return "action_answer_where_to_submit"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        procedure = procedure_in_context(tracker, store)
        choice = pending_choice(tracker, store) if procedure is None else None
        differs: list[Reply] = []  # after an answer for the simpler option of a bundle offer
        simpler = choice.answer_for() if choice is not None else None
        if simpler is not None:
            procedure, bundle = simpler
            if bundle is not None:
                differs = [bundle_differs(bundle, procedure, Intent.ASK_WHERE_TO_SUBMIT, language, store)]
        spoken, matches = units_for_place(store, tracker)
        events: list[EventType] = []
        unit = None
        former = False
        if len(matches) == 1:
            unit, former = matches[0].unit, matches[0].former_name
            events.append(SlotSet(Slot.UNIT_ID, unit.id))
        elif len(matches) > 1:
            names = [match.unit.full_name.in_(language) for match in matches]
            send(dispatcher, [answers.which_unit(language, spoken or "", names)])
            return events
        elif spoken:
            send(dispatcher, [answers.unknown_unit(language, spoken)])
            return []
        elif tracker.get_slot(Slot.UNIT_ID):
            unit = store.get_unit(tracker.get_slot(Slot.UNIT_ID))

        if procedure is None:
            reply = options_again(choice, Intent.ASK_WHERE_TO_SUBMIT, language) if choice else answers.ask_procedure(language)
            if unit is not None and former:
                reply = answers.place_only(language, spoken or "", unit.full_name.in_(language))
            send(dispatcher, [reply])
            return events
        if procedure.agency.level not in COMMUNE_LEVELS:
            place = (spoken, unit.full_name.in_(language)) if unit is not None and former else (None, None)
            send(dispatcher, [answers.fixed_office(procedure, language, *place), *differs])
        elif unit is None:
            send(dispatcher, [answers.ask_location(procedure, language), *differs])
        else:
            body = office_in_unit(procedure, unit, language)
            send(dispatcher, [answers.where_to_submit(procedure, language, body, unit.full_name.in_(language), spoken, former), *differs])
        return events
