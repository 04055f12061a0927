"""Dossier status lookup: the form that collects the code and the phone, and the check itself.

The phone number is only used inside `action_check_dossier` and cleared in the same turn;
bot/tracker_store.py masks the message that carried it before it is persisted. Nothing here
logs a phone number or a dossier's contents.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dossier_messages as messages
from actions.common import knowledge_store, language_of
from knowledge.dossier_lookup import DossierLookupService, LookupOutcome, lookup_service
from knowledge.names import Slot
from knowledge.personal_data import PhoneProof, canonical_dossier_code, find_dossier_code, parse_phone_proof
from knowledge.store import KnowledgeStore

logger = logging.getLogger(__name__)

FORM_SLOTS = (Slot.DOSSIER_CODE, Slot.DOSSIER_PHONE)


def _as_text(value: Any) -> Optional[str]:
    """Slot values from entities can be lists when a message holds several matches."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str)), None)
    return value if isinstance(value, str) else None


def client_of(tracker: Tracker) -> Optional[str]:
    """The opaque client key the socket.io channel put in the message's metadata after checking
    the web server's signature (bot/channels/client_address.py); None when unknown."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    client = metadata.get("client") if isinstance(metadata, dict) else None
    return client if isinstance(client, str) and 0 < len(client) <= 128 else None


def validated_form(tracker: Tracker) -> tuple[Optional[str], Optional[PhoneProof]]:
    """The code and the phone proof as the form's validation left them (canonical code, digits):
    read, not parsed again. Anything else in the slots counts as missing."""
    code = _as_text(tracker.get_slot(Slot.DOSSIER_CODE))
    digits = _as_text(tracker.get_slot(Slot.DOSSIER_PHONE)) or ""
    proof = None
    if digits.isascii() and digits.isdigit() and len(digits) in (4, 10):  # validate_dossier_phone's digits
        proof = PhoneProof(digits, is_last4=len(digits) == 4)
    return (code if code and code == canonical_dossier_code(code) else None), proof


def _clear_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ValidateDossierLookupForm(FormValidationAction):
    """Checks the shape of the code and the phone; the ownership check runs after the form."""

    def __init__(self, service_factory: Callable[[], DossierLookupService] = lookup_service) -> None:
        self.service_factory = service_factory

    def name(self) -> str:
        return "validate_dossier_lookup_form"

    def validate_dossier_code(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        code = find_dossier_code(_as_text(slot_value))
        if code is None:
            dispatcher.utter_message(response="utter_invalid_dossier_code")
            return {"dossier_code": None}
        if tracker.slots_to_validate().get(Slot.DOSSIER_PHONE):
            # A phone came in the same message: the check runs this turn and answers a lockout itself
            # (or, if the phone is malformed, the next turn's check does).
            return {"dossier_code": code}
        locked_until = self.service_factory().locked_until(code, tracker.sender_id, client_of(tracker))
        if locked_until:
            # Last-4 proofs are refused for now; the full registered number is still checked.
            dispatcher.utter_message(text=messages.full_number_only_message(language_of(tracker), locked_until, datetime.now(timezone.utc)))
        return {"dossier_code": code}

    def validate_dossier_phone(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        proof = parse_phone_proof(_as_text(slot_value))
        if proof is None:
            dispatcher.utter_message(response="utter_invalid_dossier_phone")
            return {"dossier_phone": None}
        return {"dossier_phone": proof.digits}


class ActionCheckDossier(Action):
    """Runs the ownership-checked lookup and answers in the citizen's language."""

    def __init__(
        self,
        service_factory: Callable[[], DossierLookupService] = lookup_service,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        store_factory: Callable[[], KnowledgeStore] = knowledge_store,
    ) -> None:
        self.service_factory = service_factory
        self.clock = clock
        self.store_factory = store_factory

    def name(self) -> str:
        return "action_check_dossier"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = language_of(tracker)
        service = self.service_factory()
        code, proof = validated_form(tracker)
        if code is None:
            dispatcher.utter_message(response="utter_invalid_dossier_code")
            return _clear_form()
        if proof is None:
            # The form ended without a phone: explain a lockout if there is one, else ask for the phone.
            locked_until = service.locked_until(code, tracker.sender_id, client_of(tracker))
            if locked_until:
                dispatcher.utter_message(
                    text=messages.locked_message(lang, locked_until, self.clock()),
                    buttons=messages.retry_buttons(lang)[1:],
                )
            else:
                dispatcher.utter_message(response="utter_invalid_dossier_phone")
            return _clear_form()

        result = await service.check(code, proof, tracker.sender_id, client_of(tracker))
        logger.info("dossier check: %s", result.outcome.value)  # outcome only: no code, no phone
        events = _clear_form()
        if result.outcome is LookupOutcome.FOUND and result.dossier is not None:
            dossier = result.dossier
            # The procedure's name comes from the knowledge store, like every procedure fact.
            procedure = self.store_factory().get_procedure(dossier.procedure_id) if dossier.procedure_id else None
            today = messages.local_date(self.clock())
            dispatcher.utter_message(
                text=messages.status_message(dossier, lang, today, procedure.names.in_(lang) if procedure else None),
                buttons=messages.result_buttons(lang, procedure.id if procedure else None),
                dossier_outcome=result.outcome.value,  # in the reply's metadata: the console counts outcomes
            )
            if procedure:
                events.append(SlotSet(Slot.PROCEDURE, procedure.id))
        elif result.outcome is LookupOutcome.NOT_VERIFIED:
            dispatcher.utter_message(
                text=messages.not_verified_message(lang, result.attempts_left),
                buttons=messages.retry_buttons(lang),
                dossier_outcome=result.outcome.value,
            )
        elif result.outcome is LookupOutcome.LOCKED and result.locked_until is not None:
            dispatcher.utter_message(
                text=messages.locked_message(lang, result.locked_until, self.clock()),
                buttons=messages.retry_buttons(lang)[1:],
                dossier_outcome=result.outcome.value,
            )
        else:
            dispatcher.utter_message(response="utter_dossier_service_unavailable", dossier_outcome=result.outcome.value)
        return events


class ActionCancelDossierLookup(Action):
    """The citizen stops the check ("thôi", "stop"): leave the form and forget what was typed."""

    def name(self) -> str:
        return "action_cancel_dossier_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_dossier_lookup_cancelled")
        return [ActiveLoop(None), SlotSet(Slot.REQUESTED_SLOT, None), *_clear_form()]
