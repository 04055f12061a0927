"""What every action module shares: the store, the conversation's language, the procedure in
context, sending replies, and the base classes of actions that answer from the knowledge store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Iterable, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clarification import asked_intent, bundle_differs, options_again, pending_choice
from actions.formatting import answers
from actions.formatting.common import Reply
from knowledge.names import Slot
from knowledge.store import KnowledgeStore, open_store
from knowledge.text import detect_language
from knowledge.types import Procedure


def knowledge_store() -> KnowledgeStore:
    """The process-wide store (DATABASE_URL, or the default SQLite file)."""
    return open_store()


def language_of(tracker: Tracker) -> str:
    """The conversation's language: the slot, else what the latest message looks like, else Vietnamese."""
    language = tracker.get_slot(Slot.LANGUAGE)
    if language in ("vi", "en"):
        return language
    return detect_language(tracker.latest_message.get("text") or "") or "vi"


def procedure_in_context(tracker: Tracker, store: KnowledgeStore) -> Optional[Procedure]:
    """The procedure in the `procedure` slot.

    The NLU component bot/nlu/conversation_slots.py has already switched the slot when the
    latest question named another procedure, so follow-ups and switches both land here.
    """
    procedure_id = tracker.get_slot(Slot.PROCEDURE)
    return store.get_procedure(procedure_id) if procedure_id else None


def send(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)


# What ProcedureAnswerAction.answer returns: the replies, and the extra events.
Answered = tuple[list[Reply], list[EventType]]


class KnowledgeAction(Action, ABC):
    """An action that answers from the knowledge store in the conversation's language."""

    @abstractmethod
    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        """Sends the replies; returns the events."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return await self.respond(dispatcher, tracker, knowledge_store(), language_of(tracker))


class ProcedureAnswerAction(KnowledgeAction):
    """Answers about the procedure in context; without one, answers within the choice just offered
    (actions/clarification.py), else asks which procedure the citizen means."""

    # An information question, answerable for the simpler option of a bundle offer; an action that
    # starts something (a form, a walkthrough) sets False and repeats the options instead.
    answers_for_simpler_option = True

    @abstractmethod
    def answer(self, procedure: Procedure, language: str, tracker: Tracker, store: KnowledgeStore) -> Answered:
        """The replies and extra events for this question."""

    def events_without_procedure(self) -> list[EventType]:
        """The events when there is no procedure in context (after asking which one)."""
        return []

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, language: str) -> list[EventType]:
        procedure = procedure_in_context(tracker, store)
        if procedure is None:
            choice = pending_choice(tracker, store)
            simpler = choice.answer_for() if choice is not None else None
            if simpler is not None and self.answers_for_simpler_option:
                single, bundle = simpler
                replies, events = self.answer(single, language, tracker, store)
                if bundle is not None:
                    replies.append(bundle_differs(bundle, single, asked_intent(tracker), language, store))
                send(dispatcher, replies)
                return events
            reply = options_again(choice, asked_intent(tracker), language) if choice else answers.ask_procedure(language)
            send(dispatcher, [reply])
            return self.events_without_procedure()
        replies, events = self.answer(procedure, language, tracker, store)
        send(dispatcher, replies)
        # A button of the pending choice (a payload: the NLU component never saw it) ends the choice.
        if tracker.get_slot(Slot.PROCEDURE_CHOICES):
            events = [*events, SlotSet(Slot.PROCEDURE_CHOICES, None)]
        return events
