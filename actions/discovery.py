"""Service discovery: the summary of the procedure the citizen means, or a clarifying question.

Which procedure a message is about is decided once per message by the NLU component
(bot/nlu/procedure_resolver.py, logic in knowledge.resolution); this module reads that decision.
"""

from __future__ import annotations

import json
from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KnowledgeAction
from actions.formatting import wording
from actions.formatting.answers import TOPIC_PAYLOADS
from actions.formatting.common import button, naming, payload
from knowledge.names import Intent, Slot
from knowledge.resolution import (  # noqa: F401  (re-exported for the actions and their tests)
    BUNDLE_LIFE_EVENTS,
    MAX_CHOICES,
    PROCEDURE_INTENTS,
    Identification,
    identify,
    keyword_ranking,
    outside_public_services,
    resolution_of,
)
from knowledge.resolution import (
    fallback_guess as _fallback_guess,
)
from knowledge.store import KnowledgeStore
from knowledge.uncovered_subjects import offered_on_decline

# What the summary offers to ask next, in this order.
SUMMARY_TOPICS = ("documents", "fee", "processing_time", "where_to_submit", "online")

# Offered when nothing in the message points anywhere: the most asked-for procedures.
POPULAR_PROCEDURES = ("id-card", "birth-registration", "temporary-residence", "passport", "driving-licence-renewal", "marriage-registration")


def payload_procedure(payload_text: str) -> str:
    """The procedure id in a button payload made by `payload`."""
    return str(json.loads(payload_text[payload_text.index("{") :])["procedure"])


def _choices_event(tracker: Tracker, offered: list[str]) -> list[EventType]:
    """Sets the pending choice (actions/clarification.py) when it changes."""
    current = tracker.get_slot(Slot.PROCEDURE_CHOICES) or []
    return [SlotSet(Slot.PROCEDURE_CHOICES, offered or None)] if list(current) != offered else []


def procedure_button(procedure, language: str) -> dict:
    """A button named after the procedure that opens its summary."""
    return button(procedure.names.in_(language), payload("find_procedure", naming(procedure.id)))


def _bundles_containing(procedure_id: str, store) -> list:
    return [p for p in store.list_procedures() if procedure_id in p.bundle_of]


def summary_message(procedure, language: str, store) -> dict:
    """One paragraph about the procedure and buttons for the next questions."""
    words = wording(language)
    text = f"{procedure.names.in_(language)}: {procedure.summary.in_(language)}"
    if procedure.deadline is not None:
        text += "\n" + words.summary_deadline(procedure.deadline.text.in_(language))
    entities = naming(procedure.id)
    buttons = [button(words.TOPIC_BUTTONS[topic], payload(TOPIC_PAYLOADS[topic][1:], entities)) for topic in SUMMARY_TOPICS]
    for bundle in _bundles_containing(procedure.id, store):
        buttons.append(procedure_button(bundle, language))
    return {"text": text, "buttons": buttons}


def choice_message(ids: list[str], language: str, store, life_event: Optional[str] = None) -> dict:
    """A clarifying question with one readable button per candidate procedure."""
    procedures = [p for p in (store.get_procedure(i) for i in ids[:MAX_CHOICES]) if p is not None]
    buttons = [procedure_button(p, language) for p in procedures]
    words = wording(language)
    text = words.CHOOSE_FOR_LIFE_EVENT if life_event else words.CHOOSE_PROCEDURE
    bundles = [p for p in procedures if p.is_bundle]
    if life_event in BUNDLE_LIFE_EVENTS and bundles:
        bundle = bundles[0]
        parts = [store.get_procedure(i) for i in bundle.bundle_of]
        single = next((p for p in procedures if not p.is_bundle), None)
        if single is not None:
            text = words.bundle_offer(
                parts=", ".join(p.names.in_(language).lower() for p in parts if p is not None),
                single=single.names.in_(language).lower(),
            )
    return {"text": text, "buttons": buttons}


def also_asked_message(found: Identification, procedure, language: str, store) -> Optional[dict]:
    """A message naming two procedures: the summary answers the one the resolver settled on, this
    offers the others it named (a bundle's own parts excepted) instead of dropping them."""
    others = [
        p for p in (store.get_procedure(i) for i in found.candidates if i != procedure.id) if p is not None and p.id not in procedure.bundle_of
    ][:2]
    if not others:
        return None
    names = ", ".join(p.names.in_(language) for p in others)
    return {
        "text": wording(language).also_asked(names),
        "buttons": [procedure_button(p, language) for p in others],
    }


# Intents worth confirming even when the message names no procedure ("Did you mean: talking to a person?").
CONVERSATION_INTENTS = frozenset(
    {
        Intent.REQUEST_HUMAN,
        Intent.SWITCH_LANGUAGE,
        Intent.BOT_CHALLENGE,
        Intent.CHECK_DOSSIER_STATUS,
    }
)


def fallback_guess(message: dict) -> str:
    """The intent the fallback question proposes: the best guess when it is worth confirming
    (not small talk), else a search for a procedure."""
    # Both languages' wording names the same intents.
    return _fallback_guess(message, wording("en").INTENT_TOPICS)


def fallback_declines(message: dict, found: Identification, guess: Optional[str]) -> bool:
    """At low confidence, decline instead of asking "Did you mean …?" when that would be a blind
    guess: no procedure, life event or paperwork word, and no conversational intent in sight."""
    return guess not in CONVERSATION_INTENTS and outside_public_services(message, found)


class ActionDiscoverProcedure(KnowledgeAction):
    """Summary of the procedure the citizen means, or a clarifying question."""

    def name(self) -> str:
        return "action_discover_procedure"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        resolution = resolution_of(tracker.latest_message, store)
        found = resolution.decide()
        procedure = store.get_procedure(found.procedure_id) if found.procedure_id else None

        if procedure is not None:
            dispatcher.utter_message(**summary_message(procedure, language, store))
            also = also_asked_message(found, procedure, language, store)
            if also is not None:
                dispatcher.utter_message(**also)
            events = [SlotSet(Slot.PROCEDURE, procedure.id)] if tracker.get_slot(Slot.PROCEDURE) != procedure.id else []
            return events + _choices_event(tracker, [])

        if resolution.outside_public_services(found):
            dispatcher.utter_message(response="utter_out_of_scope")
            return ([SlotSet(Slot.PROCEDURE, None)] if tracker.get_slot(Slot.PROCEDURE) else []) + _choices_event(tracker, [])

        message = choice_message(found.candidates or list(POPULAR_PROCEDURES), language, store, found.life_event)
        if found.candidates:
            dispatcher.utter_message(**message)
        else:
            dispatcher.utter_message(response="utter_ask_which_procedure", buttons=message["buttons"])
        # The offered procedures stay pending so a follow-up question is answered within them.
        offered = [payload_procedure(b["payload"]) for b in message["buttons"]]
        events = [SlotSet(Slot.PROCEDURE, None)] if tracker.get_slot(Slot.PROCEDURE) else []
        return events + _choices_event(tracker, offered)


class ActionDeclineOutOfScope(KnowledgeAction):
    """The polite decline with its pointer; below it, the procedures the message names, one tap away.
    The intent classifier declines some long stories that do ask for a procedure by name, and a
    question about the law around a procedure is declined on purpose: either way the citizen sees
    where the procedure itself is instead of a dead end."""

    def name(self) -> str:
        return "action_decline_out_of_scope"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        dispatcher.utter_message(response="utter_out_of_scope")
        procedures = [p for p in (store.get_procedure(pid) for pid in offered_on_decline(tracker.latest_message or {})) if p is not None]
        if procedures:
            names = ", ".join(p.names.in_(language) for p in procedures)
            buttons = [procedure_button(p, language) for p in procedures]
            dispatcher.utter_message(text=wording(language).offer_after_decline(names), buttons=buttons)
        # A follow-up question is then answered within the procedures offered.
        return _choices_event(tracker, [p.id for p in procedures])


class ActionDefaultAskAffirmation(KnowledgeAction):
    """First stage of the fallback: "Did you mean …?" with readable, translated buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        message = tracker.latest_message or {}
        guess = fallback_guess(message)
        found = identify(message, store, search_text=guess in PROCEDURE_INTENTS)
        procedure = store.get_procedure(found.procedure_id) if found.procedure_id else None
        if procedure is None and fallback_declines(message, found, guess):
            dispatcher.utter_message(response="utter_out_of_scope")
            return []

        words = wording(language)
        with_name, without_name = words.INTENT_TOPICS[guess]
        if procedure is not None and with_name:
            topic = with_name.format(name=procedure.names.in_(language))
        else:
            topic = without_name

        entities = naming(procedure.id) if procedure is not None and with_name else None
        dispatcher.utter_message(
            text=words.did_you_mean(topic),
            buttons=[button(words.AFFIRM_YES, payload(guess, entities)), button(words.AFFIRM_NO, "/out_of_scope")],
        )
        # The procedure proposed is the pending choice: a question instead of "yes" is about it.
        return _choices_event(tracker, [procedure.id] if procedure is not None and entities else [])
