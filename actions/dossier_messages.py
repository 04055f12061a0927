"""Layout of the dossier-status answers (built from dossier data); the sentences are in the
per-language wording modules (actions/formatting/vi.py, en.py), like every other answer.

Static prompts (ask for the code, ask for the phone, invalid input, service down) are domain
responses in domain/dossier.yml; what is here depends on the dossier or the lockout time.
Plain words for a chat window: what the status means for the citizen and what to do next.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from actions.formatting import wording
from actions.formatting.common import button, naming, payload
from actions.formatting.shared import support_phone
from knowledge.timestamps import VIETNAM_TZ
from knowledge.types import Dossier

# Statuses whose due date still matters to the citizen.
OPEN_STATUSES = ("received", "processing", "additional_documents_required")


def local_date(moment: datetime) -> date:
    """The calendar date in Vietnam of a stored (UTC) time."""
    return moment.astimezone(VIETNAM_TZ).date()


def format_date(moment: datetime) -> str:
    return local_date(moment).strftime("%d/%m/%Y")


def due_line(dossier: Dossier, today: date, lang: str) -> Optional[str]:
    """Due date with days left or days overdue, for dossiers still open."""
    if dossier.due_at is None or dossier.status not in OPEN_STATUSES:
        return None
    days = (local_date(dossier.due_at) - today).days
    return wording(lang).due_line(format_date(dossier.due_at), days, support_phone())


def status_message(dossier: Dossier, lang: str, today: date, procedure_name: Optional[str] = None) -> str:
    """The whole answer for a verified dossier."""
    words = wording(lang)
    lines = [
        words.DOSSIER + dossier.code + (f" ({procedure_name})" if procedure_name else "") + f": {words.DOSSIER_STATUS_LABELS[dossier.status]}.",
        words.DOSSIER_STATUS_MEANINGS[dossier.status],
    ]
    if dossier.agency:
        lines.append(words.DOSSIER_AGENCY + dossier.agency + ".")
    if dossier.received_at:
        lines.append(words.DOSSIER_RECEIVED_ON + format_date(dossier.received_at) + ".")
    due = due_line(dossier, today, lang)
    if due:
        lines.append(due)

    if dossier.status == "additional_documents_required":
        lines.append(words.DOCUMENTS_TO_ADD + "".join(f"\n- {item}" for item in dossier.missing_documents))
        if dossier.note:
            lines.append(dossier.note)
        lines.append(words.HOW_TO_ADD_DOCUMENTS)
    elif dossier.status == "result_ready":
        lines.append(words.HOW_TO_COLLECT + (dossier.note or words.HOW_TO_COLLECT_DEFAULT))
    elif dossier.status == "refused":
        lines.append(words.REFUSAL_REASON + (dossier.note or words.REFUSAL_REASON_MISSING))
        lines.append(words.refused_help(support_phone()))
    elif dossier.note:
        lines.append(words.DOSSIER_NOTE + dossier.note)
    if words.QUOTED_FROM_RECORD and (dossier.agency or dossier.note or dossier.missing_documents):
        lines.append(words.QUOTED_FROM_RECORD)
    return "\n".join(lines)


def result_buttons(lang: str, procedure_id: Optional[str]) -> list[dict]:
    """Check another dossier, ask about the procedure (when known), talk to a person."""
    words = wording(lang)
    buttons = [button(words.CHECK_ANOTHER_DOSSIER, "/check_dossier_status")]
    if procedure_id:
        buttons.append(button(words.ASK_ABOUT_PROCEDURE, payload("ask_documents", naming(procedure_id))))
    buttons.append(button(words.TALK_TO_PERSON, "/request_human"))
    return buttons


def retry_buttons(lang: str) -> list[dict]:
    words = wording(lang)
    return [
        button(words.TRY_AGAIN, "/check_dossier_status"),
        button(words.TALK_TO_PERSON, "/request_human"),
    ]


def not_verified_message(lang: str, attempts_left: Optional[int]) -> str:
    """The one reply for an unknown code AND a wrong phone: it must not tell them apart."""
    return wording(lang).dossier_not_verified(attempts_left, support_phone())


def locked_message(lang: str, until: datetime, now: datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    at = until.astimezone(VIETNAM_TZ).strftime("%H:%M")
    return wording(lang).dossier_locked(at, minutes, support_phone())


def full_number_only_message(lang: str, until: datetime, now: datetime) -> str:
    """Asked for a code whose last-4 checks are paused: the full registered number still works."""
    minutes = max(1, round((until - now).total_seconds() / 60))
    at = until.astimezone(VIETNAM_TZ).strftime("%H:%M")
    return wording(lang).dossier_full_number_only(at, minutes)
