"""The pending choice: what a follow-up question means right after a clarifying question.

When the assistant has just offered procedures as buttons (a newborn: the bundle or the birth
registration only; "làm lại giấy tờ": ID card or passport), the `procedure_choices` slot keeps
them. A question asked instead of a click ("cần giấy tờ gì", "how long does it take") is then
answered within that choice, never with the generic "which procedure?":

- a bundle offered with its single procedure: answered for the single (simpler) procedure, with
  a line on how the bundle differs and a button that asks the same question about the bundle
  (one procedure proposed by the fallback's "did you mean": answered for it);
- any other choice: the same options again, each button asking the question itself, so one click
  answers it.

The NLU component bot/nlu/conversation_slots.py keeps the slot only across such follow-ups and
clears it as soon as a typed message chooses a procedure or moves on (rules in
knowledge/conversation_slots.py); the "no" of "did you mean …?" clears it in actions/language.py.
A click on an option sets the procedure, and the choice is only consulted while none is in context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from rasa_sdk import Tracker

from actions.formatting import wording
from actions.formatting.common import Reply, button, naming, payload
from knowledge.conversation_slots import FOLLOW_UP_INTENTS
from knowledge.names import Intent, Slot
from knowledge.store import KnowledgeStore
from knowledge.types import Procedure


@dataclass
class PendingChoice:
    """The procedures of the clarifying question still open, in button order."""

    procedures: list[Procedure]

    def answer_for(self) -> Optional[tuple[Procedure, Optional[Procedure]]]:
        """(the procedure an information question is answered for, the bundle to say how it differs):
        the one procedure proposed, or the single procedure of a bundle offer; None for a real choice."""
        if len(self.procedures) == 1:
            return self.procedures[0], None
        offer = self.bundle_and_single
        return (offer[1], offer[0]) if offer else None

    @property
    def bundle_and_single(self) -> Optional[tuple[Procedure, Procedure]]:
        """(bundle, its single procedure) when the choice is exactly a bundle offer."""
        if len(self.procedures) != 2:
            return None
        bundles = [p for p in self.procedures if p.is_bundle]
        singles = [p for p in self.procedures if not p.is_bundle]
        if len(bundles) == 1 and len(singles) == 1 and singles[0].id in bundles[0].bundle_of:
            return bundles[0], singles[0]
        return None


def pending_choice(tracker: Tracker, store: KnowledgeStore) -> Optional[PendingChoice]:
    ids = tracker.get_slot(Slot.PROCEDURE_CHOICES) or []
    procedures = [p for p in (store.get_procedure(str(i)) for i in ids) if p is not None]
    return PendingChoice(procedures) if procedures else None


def question_payload(intent: str, procedure_id: str) -> str:
    """The button payload that asks `intent` about one procedure."""
    return payload(intent, naming(procedure_id))


def asked_intent(tracker: Tracker) -> str:
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return intent if intent in FOLLOW_UP_INTENTS else Intent.FIND_PROCEDURE


def options_again(choice: PendingChoice, intent: str, language: str) -> Reply:
    """The same options, each button asking the citizen's question about that procedure."""
    return Reply(wording(language).CHOOSE_FOR_QUESTION, [button(p.names.in_(language), question_payload(intent, p.id)) for p in choice.procedures])


def bundle_differs(bundle: Procedure, single: Procedure, intent: str, language: str, store: KnowledgeStore) -> Reply:
    """After an answer for the single procedure: how the bundle differs, and the same question about it."""
    parts = [store.get_procedure(i) for i in bundle.bundle_of]
    text = wording(language).bundle_differs(
        single=single.names.in_(language),
        parts=", ".join(p.names.in_(language).lower() for p in parts if p is not None),
    )
    return Reply(text, [button(bundle.names.in_(language), question_payload(intent, bundle.id))])
