"""Ownership-checked dossier lookup, with its lockout, in front of a local or remote source.

A dossier status is personal data: it is shown only to someone who proves ownership with the
phone number registered on the dossier (the full number or its last 4 digits). An unknown code
and a wrong phone give the same `LookupOutcome.NOT_VERIFIED`, and repeated failures lock the
code and the conversation out for a while. The service owns its lockout: callers ask
`locked_until`, never the attempt table (kept in the database so several action-server
processes agree).
"""
from __future__ import annotations

import enum
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Optional, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.db import create_db_engine, database_url
from knowledge.dossier_store import DossierStore
from knowledge.models import LookupAttemptRow
from knowledge.onestop_client import OneStopClient, OneStopSettings, OneStopUnavailable
from knowledge.personal_data import PhoneProof
from knowledge.phone_hash import keyed_hash, proof_matches
from knowledge.timestamps import parse_timestamp, utcnow
from knowledge.types import DOSSIER_STATUSES, Dossier, StatusChange

logger = logging.getLogger(__name__)

MAX_FAILED_CHECKS = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)


# --------------------------------------------------------------------------- lookup attempts (lockout)

def _conversation_key(conversation_id: str) -> str:
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()


class LookupAttempts:
    """Failed checks per code and per conversation, shared by every process through the database."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def locked_until(self, code: str, conversation_id: str) -> Optional[datetime]:
        """When the lockout on this code or conversation ends, or None when checks are allowed."""
        now = self.clock()
        with Session(self.engine) as session:
            ends = [
                self._lock_end(session, LookupAttemptRow.code == code, now),
                self._lock_end(session, LookupAttemptRow.conversation == _conversation_key(conversation_id), now),
            ]
        future = [end for end in ends if end is not None and end > now]
        return max(future) if future else None

    def failures_left(self, code: str, conversation_id: str) -> int:
        """How many more failed checks are allowed before the lockout starts."""
        since = self.clock() - LOCKOUT_WINDOW
        with Session(self.engine) as session:
            counts = [
                session.scalar(
                    select(func.count()).select_from(LookupAttemptRow).where(
                        condition, LookupAttemptRow.succeeded.is_(False), LookupAttemptRow.at > since
                    )
                ) or 0
                for condition in (
                    LookupAttemptRow.code == code,
                    LookupAttemptRow.conversation == _conversation_key(conversation_id),
                )
            ]
        return max(0, MAX_FAILED_CHECKS - max(counts))

    def record(self, code: str, conversation_id: str, succeeded: bool) -> None:
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            session.add(
                LookupAttemptRow(
                    code=code[:64], conversation=_conversation_key(conversation_id), at=now, succeeded=succeeded
                )
            )
            # Attempts only matter for half an hour; keep the table small.
            session.execute(delete(LookupAttemptRow).where(LookupAttemptRow.at < now - timedelta(days=1)))

    @staticmethod
    def _lock_end(session: Session, condition: Any, now: datetime) -> Optional[datetime]:
        """End of the latest lockout: 5 failures within 15 minutes lock for 15 minutes after the 5th."""
        since = now - LOCKOUT_WINDOW - LOCKOUT_DURATION
        failures = session.scalars(
            select(LookupAttemptRow.at)
            .where(condition, LookupAttemptRow.succeeded.is_(False), LookupAttemptRow.at > since)
            .order_by(LookupAttemptRow.at)
        ).all()
        end = None
        for index in range(MAX_FAILED_CHECKS - 1, len(failures)):
            if failures[index] - failures[index - MAX_FAILED_CHECKS + 1] <= LOCKOUT_WINDOW:
                end = failures[index] + LOCKOUT_DURATION
        return end


# --------------------------------------------------------------------------- sources

class LookupUnavailable(Exception):
    """The dossier source cannot answer right now (remote API down, slow or failing)."""


class LookupOutcome(enum.Enum):
    FOUND = "found"
    NOT_VERIFIED = "not_verified"  # unknown code OR wrong phone: deliberately indistinguishable
    LOCKED = "locked"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class LookupResult:
    outcome: LookupOutcome
    dossier: Optional[Dossier] = None
    history: tuple[StatusChange, ...] = ()
    locked_until: Optional[datetime] = None
    attempts_left: Optional[int] = None


Found = tuple[Dossier, tuple[StatusChange, ...]]


class DossierSource(Protocol):
    async def fetch(self, code: str, proof: PhoneProof) -> Optional[Found]:
        """The dossier and its history when it exists AND the proof matches; None otherwise."""


class LocalDossierSource:
    """Dossiers imported into the knowledge database.

    `read_history=False` skips the status-history query: the citizen's answer shows the current
    status only, so the action server's source does not read what it never shows.
    """

    def __init__(self, dossiers: DossierStore, read_history: bool = True) -> None:
        self.dossiers = dossiers
        self.read_history = read_history

    async def fetch(self, code: str, proof: PhoneProof) -> Optional[Found]:
        dossier = self.dossiers.get_dossier(code)
        if dossier is None:
            # Spend the same HMAC work as a real check, so timing does not tell codes apart.
            keyed_hash("phone", code, proof.digits)
            return None
        if not proof_matches(dossier, proof):
            return None
        return dossier, tuple(self.dossiers.dossier_history(code)) if self.read_history else ()


class RemoteDossierSource:
    """A one-stop / LGSP API that checks ownership itself (see knowledge.onestop_client)."""

    def __init__(self, client: OneStopClient) -> None:
        self.client = client

    async def fetch(self, code: str, proof: PhoneProof) -> Optional[Found]:
        try:
            if proof.is_last4:
                payload = await self.client.lookup(code, phone_last4=proof.digits)
            else:
                payload = await self.client.lookup(code, phone=proof.digits)
        except OneStopUnavailable as error:
            raise LookupUnavailable(str(error)) from error
        if payload is None:
            return None
        return dossier_from_remote(code, payload)


def dossier_from_remote(code: str, payload: dict) -> Found:
    """The remote JSON (an import line without the phone) as domain objects."""

    def when(name: str, data: dict = payload) -> Optional[datetime]:
        try:
            return parse_timestamp(data.get(name)) if data.get(name) else None
        except ValueError:
            return None

    def text(name: str) -> Optional[str]:
        value = payload.get(name)
        return value if isinstance(value, str) else None

    status = payload.get("status")
    if status not in DOSSIER_STATUSES:
        raise LookupUnavailable(f"unknown status from the remote API: {str(status)[:40]!r}")
    missing = payload.get("missing_documents") or []
    dossier = Dossier(
        code=code,
        procedure_id=text("procedure_id"),
        status=status,
        applicant_phone_hash=None,
        phone_last4_hash=None,
        received_at=when("received_at"),
        due_at=when("due_at"),
        updated_at=when("updated_at"),
        agency=text("agency"),
        missing_documents=tuple(str(item) for item in missing if isinstance(item, str)),
        note=text("note"),
    )
    history = tuple(
        StatusChange(status=entry["status"], at=at, note=entry.get("note"))
        for entry in payload.get("history") or []
        if isinstance(entry, dict) and entry.get("status") in DOSSIER_STATUSES and (at := when("at", entry))
    )
    return dossier, history


# --------------------------------------------------------------------------- the service

class DossierLookupService:
    """Ownership-checked lookup with lockout, in front of a local or remote source."""

    def __init__(self, source: DossierSource, attempts: LookupAttempts) -> None:
        self.source = source
        self._attempts = attempts

    def locked_until(self, code: str, conversation_id: str) -> Optional[datetime]:
        """When checks for this code or conversation are allowed again; None when they are now."""
        return self._attempts.locked_until(code, conversation_id)

    async def check(self, code: str, proof: PhoneProof, conversation_id: str) -> LookupResult:
        locked_until = self._attempts.locked_until(code, conversation_id)
        if locked_until is not None:
            return LookupResult(LookupOutcome.LOCKED, locked_until=locked_until)
        try:
            found = await self.source.fetch(code, proof)
        except LookupUnavailable as error:
            logger.warning("dossier lookup unavailable: %s", error)
            return LookupResult(LookupOutcome.UNAVAILABLE)
        self._attempts.record(code, conversation_id, succeeded=found is not None)
        if found is None:
            return LookupResult(
                LookupOutcome.NOT_VERIFIED, attempts_left=self._attempts.failures_left(code, conversation_id)
            )
        dossier, history = found
        return LookupResult(LookupOutcome.FOUND, dossier=dossier, history=history)


_services: dict[tuple[str, str], DossierLookupService] = {}


def lookup_service() -> DossierLookupService:
    """One service per process, from the environment: ONESTOP_API_URL selects the remote API,
    otherwise the dossiers imported into the knowledge database (DATABASE_URL)."""
    url = database_url()
    settings = OneStopSettings.from_env()
    key = (url, settings.base_url if settings else "")
    if key not in _services:
        engine = create_db_engine(url)  # the lockout table lives in the knowledge database in both cases
        source: DossierSource = (
            RemoteDossierSource(OneStopClient(settings)) if settings
            else LocalDossierSource(DossierStore(engine), read_history=False)
        )
        _services[key] = DossierLookupService(source, LookupAttempts(engine))
    return _services[key]
