"""Ownership-checked dossier lookup, with its lockout, in front of a local or remote source.

A dossier status is personal data: it is shown only to someone who proves ownership with the
phone number registered on the dossier (the full number or its last 4 digits). An unknown code
and a wrong phone give the same `LookupOutcome.NOT_VERIFIED`. Repeated failures on a code, in a
conversation or from one client address, or too many failures overall, refuse last-4 proofs for a
while; the full registered number is always checked, so the owner is never locked out. The service owns its lockout: callers ask
`locked_until`, never the attempt table (kept in the database so several action-server
processes agree).
"""

from __future__ import annotations

import enum
import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Optional, Protocol

from sqlalchemy import delete, func, select, update
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

MAX_FAILED_CHECKS = 5  # per code and per conversation
CLIENT_MAX_FAILED_CHECKS = 20  # per client address: several citizens may share one (an office, a NAT)
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)
# Failed checks across all codes and clients within OVERALL_BUDGET_WINDOW (DOSSIER_FAILURE_BUDGET); checks
# still in flight count as failures until they succeed, so keep it well above the most checks ever in flight at once.
OVERALL_FAILURE_BUDGET = 100
OVERALL_BUDGET_WINDOW = timedelta(minutes=15)


# --------------------------------------------------------------------------- lookup attempts (lockout)


def _anonymous_key(value: str) -> str:
    """A conversation id or client key as the attempt table stores it: hashed, never in clear."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Admission:
    """An attempt already counted in the database (as a failure until `record` says otherwise),
    with what the other attempts say about it.

    `locked_until`: the end of a lockout on the code, the conversation or the client: last-4 proofs
    are refused, the full registered number is still checked (it cannot be guessed), so the owner
    is never locked out. `budget_until`: the overall failure budget is spent, last-4 proofs are
    refused until then.
    """

    attempt_id: int
    locked_until: Optional[datetime] = None
    budget_until: Optional[datetime] = None
    # Failed checks still allowed before the lockout starts, counting this one as failed: what a
    # wrong proof is told, read with the lockout so the table is asked once per check.
    failures_left: int = MAX_FAILED_CHECKS

    def refuses(self, proof: PhoneProof) -> Optional[datetime]:
        """When the refusal of this proof ends, or None when it may be checked."""
        if not proof.is_last4:
            return None
        ends = [end for end in (self.locked_until, self.budget_until) if end is not None]
        return max(ends) if ends else None


class LookupAttempts:
    """Failed checks per code, conversation and client, and overall, shared by every process
    through the database.

    The check is atomic: `admit` writes the attempt (as a failure) and commits BEFORE it counts
    the others, so of two concurrent checks (in one process or on two action servers) the later
    commit always sees the earlier one; an attempt that is refused or cannot be checked is
    deleted again by `discard`, so refusals never extend a lockout.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = utcnow,
        overall_budget: int = OVERALL_FAILURE_BUDGET,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.overall_budget = overall_budget

    def _conditions(self, code: str, conversation_id: str, client: Optional[str]) -> list[tuple[Any, int]]:
        conditions: list[tuple[Any, int]] = [
            (LookupAttemptRow.code == code[:64], MAX_FAILED_CHECKS),
            (LookupAttemptRow.conversation == _anonymous_key(conversation_id), MAX_FAILED_CHECKS),
        ]
        if client:
            conditions.append((LookupAttemptRow.client == _anonymous_key(client), CLIENT_MAX_FAILED_CHECKS))
        return conditions

    def locked_until(self, code: str, conversation_id: str, client: Optional[str] = None) -> Optional[datetime]:
        """When the lockout on this code, conversation or client ends, or None when there is none."""
        now = self.clock()
        with Session(self.engine) as session:
            ends = [self._lock_end(session, condition, limit, now)[0] for condition, limit in self._conditions(code, conversation_id, client)]
        future = [end for end in ends if end is not None and end > now]
        return max(future) if future else None

    def admit(self, code: str, conversation_id: str, client: Optional[str] = None) -> Admission:
        """Count this attempt first (committed), then see whether the others lock it out."""
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            row = LookupAttemptRow(
                code=code[:64],
                conversation=_anonymous_key(conversation_id),
                client=_anonymous_key(client) if client else None,
                at=now,
                succeeded=False,
            )
            session.add(row)
            session.flush()
            attempt_id = int(row.id)
        with Session(self.engine) as session:
            conditions = self._conditions(code, conversation_id, client)
            found = [self._lock_end(session, condition, limit, now, exclude=attempt_id) for condition, limit in conditions]
            budget_until = self._budget_end(session, now, exclude=attempt_id)
        future = [end for end, _ in found if end is not None and end > now]
        # This attempt counts as failed until `record` says otherwise.
        left = max(0, min(limit - recent - 1 for (_, limit), (_, recent) in zip(conditions, found)))
        return Admission(attempt_id, max(future) if future else None, budget_until, left)

    def discard(self, admission: Admission) -> None:
        """Forget an attempt that was refused or could not be checked: it is not a failed check."""
        with Session(self.engine) as session, session.begin():
            session.execute(delete(LookupAttemptRow).where(LookupAttemptRow.id == admission.attempt_id))

    def record(self, admission: Admission, succeeded: bool) -> None:
        """The verdict of an admitted attempt (it already counts as a failure)."""
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            if succeeded:
                session.execute(update(LookupAttemptRow).where(LookupAttemptRow.id == admission.attempt_id).values(succeeded=True))
            # Attempts only matter for half an hour; keep the table small.
            session.execute(delete(LookupAttemptRow).where(LookupAttemptRow.at < now - timedelta(days=1)))

    def failures_left(self, code: str, conversation_id: str, client: Optional[str] = None) -> int:
        """How many more failed checks are allowed before the lockout starts."""
        since = self.clock() - LOCKOUT_WINDOW
        with Session(self.engine) as session:
            left = [
                limit
                - (
                    session.scalar(
                        select(func.count())
                        .select_from(LookupAttemptRow)
                        .where(condition, LookupAttemptRow.succeeded.is_(False), LookupAttemptRow.at > since)
                    )
                    or 0
                )
                for condition, limit in self._conditions(code, conversation_id, client)
            ]
        return max(0, min(left))

    @staticmethod
    def _lock_end(session: Session, condition: Any, limit: int, now: datetime, exclude: Optional[int] = None) -> tuple[Optional[datetime], int]:
        """End of the latest lockout (`limit` failures within 15 minutes lock for 15 minutes after the
        last), and how many failures fall within the last 15 minutes."""
        since = now - LOCKOUT_WINDOW - LOCKOUT_DURATION
        query = select(LookupAttemptRow.at).where(condition, LookupAttemptRow.succeeded.is_(False), LookupAttemptRow.at > since)
        if exclude is not None:
            query = query.where(LookupAttemptRow.id != exclude)
        failures = session.scalars(query.order_by(LookupAttemptRow.at)).all()
        end = None
        for index in range(limit - 1, len(failures)):
            if failures[index] - failures[index - limit + 1] <= LOCKOUT_WINDOW:
                end = failures[index] + LOCKOUT_DURATION
        return end, sum(at > now - LOCKOUT_WINDOW for at in failures)

    def _budget_end(self, session: Session, now: datetime, exclude: int) -> Optional[datetime]:
        """While the failures of the last window reach the overall budget: when they fall below it.

        A sliding window is its own backoff: the refusal lasts until enough old failures age out.
        """
        failures = session.scalars(
            select(LookupAttemptRow.at)
            .where(
                LookupAttemptRow.succeeded.is_(False),
                LookupAttemptRow.at > now - OVERALL_BUDGET_WINDOW,
                LookupAttemptRow.id != exclude,
            )
            .order_by(LookupAttemptRow.at)
        ).all()
        if len(failures) < self.overall_budget:
            return None
        # Below the budget again once all but budget - 1 of these failures have left the window.
        return failures[len(failures) - self.overall_budget] + OVERALL_BUDGET_WINDOW


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

    def locked_until(self, code: str, conversation_id: str, client: Optional[str] = None) -> Optional[datetime]:
        """When last-4 checks for this code, conversation or client are allowed again; None when they
        are now. The full registered number is checked even then."""
        return self._attempts.locked_until(code, conversation_id, client)

    async def check(self, code: str, proof: PhoneProof, conversation_id: str, client: Optional[str] = None) -> LookupResult:
        """`client`: the citizen's address as the web server saw it (see bot/channels/client_address.py)."""
        admission = self._attempts.admit(code, conversation_id, client)
        refused_until = admission.refuses(proof)
        if refused_until is not None:
            self._attempts.discard(admission)
            if admission.budget_until is not None:
                # For the operator's alert: no code, no phone, no conversation.
                logger.warning(
                    "dossier lookup: overall failure budget spent (at least %d failed checks in %d minutes); last-4 checks refused until %s",
                    self._attempts.overall_budget,
                    OVERALL_BUDGET_WINDOW.total_seconds() // 60,
                    admission.budget_until.isoformat(timespec="seconds"),
                )
            return LookupResult(LookupOutcome.LOCKED, locked_until=refused_until)
        try:
            found = await self.source.fetch(code, proof)
        except LookupUnavailable as error:
            self._attempts.discard(admission)
            logger.warning("dossier lookup unavailable: %s", error)
            return LookupResult(LookupOutcome.UNAVAILABLE)
        self._attempts.record(admission, succeeded=found is not None)
        if found is None:
            return LookupResult(LookupOutcome.NOT_VERIFIED, attempts_left=admission.failures_left)
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
            RemoteDossierSource(OneStopClient(settings)) if settings else LocalDossierSource(DossierStore(engine), read_history=False)
        )
        budget = int(os.environ.get("DOSSIER_FAILURE_BUDGET") or OVERALL_FAILURE_BUDGET)
        _services[key] = DossierLookupService(source, LookupAttempts(engine, overall_budget=budget))
    return _services[key]
