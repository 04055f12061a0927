"""Dossiers (hồ sơ): import from one-stop exports, phone hashing, ownership-checked lookup, lockout.

A dossier status is personal data. It is shown only to someone who proves ownership with the
phone number registered on the dossier (the full number or its last 4 digits). Phones are
stored only as keyed HMACs bound to the dossier code, so they can be checked but not read back.
An unknown code and a wrong phone give the same `LookupOutcome.NOT_VERIFIED`, and repeated
failures lock the code and the conversation out for a while (attempts are kept in the database
so several action-server processes agree).

CLI:
    python -m knowledge.dossiers import FILE.jsonl     # validate every line, then upsert all or nothing
    python -m knowledge.dossiers seed-demo             # load tests/fixtures/dossiers/demo.jsonl
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge.catalogue import CATALOGUE_IDS
from knowledge.db import create_db_engine, database_url, migrate
from knowledge.models import LookupAttemptRow
from knowledge.onestop_client import OneStopClient, OneStopSettings, OneStopUnavailable
from knowledge.store import KnowledgeStore, open_store
from knowledge.personal_data import CODE_PATTERN, DIGIT_RUN, PHONE_PATTERN, citizen_input, nfkc, search_input
from knowledge.types import DOSSIER_STATUSES, Dossier, StatusChange

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DEMO_FILE = ROOT / "tests" / "fixtures" / "dossiers" / "demo.jsonl"

# Vietnam has no daylight saving time: a fixed offset is exact.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")
SUPPORT_LINE = "18001096"

MAX_FAILED_CHECKS = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_DURATION = timedelta(minutes=15)

# --------------------------------------------------------------------------- codes and phones

def find_dossier_code(text: str | None) -> str | None:
    """The canonical code (upper case, no spaces) found in `text`, or None."""
    match = search_input(CODE_PATTERN, text)
    if not match:
        return None
    agency, z, y, m, received, sequence = match.groups()
    if not _is_date(received):
        return None
    return f"{agency}.{z}.{y}.{m}-{received}-{sequence}".upper()


def _is_date(yymmdd: str) -> bool:
    try:
        datetime.strptime(yymmdd, "%y%m%d")
    except ValueError:
        return False
    return True


def normalise_phone(text: str | None) -> str | None:
    """'+84 912 345 678' / '0912.345.678' -> '0912345678'; None when it is not a mobile number."""
    match = search_input(PHONE_PATTERN, text)
    if not match:
        return None
    digits = "".join(ch for ch in match.group(0) if ch.isdigit())
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) != 10 or digits[1] == "0":
        return None
    return digits


@dataclass(frozen=True)
class PhoneProof:
    """What the citizen gave to prove ownership: the full number or its last 4 digits."""

    digits: str
    is_last4: bool

    def __repr__(self) -> str:  # never print the digits, even in a traceback
        return f"PhoneProof(last4={self.is_last4}, digits=<hidden>)"


def parse_phone_proof(text: str | None) -> PhoneProof | None:
    """A full mobile number, or exactly one group of 4 digits (the last 4); None otherwise."""
    phone = normalise_phone(text)
    if phone:
        return PhoneProof(phone, is_last4=False)
    text = citizen_input(text)
    if not text:
        return None
    runs = DIGIT_RUN.findall(text)
    fours = [run for run in runs if len(run) == 4]
    # "4 số cuối là 5678": single digits around the one 4-digit group are words, not numbers.
    if len(fours) == 1 and all(len(run) in (1, 4) for run in runs):
        return PhoneProof(fours[0], is_last4=True)
    return None


# --------------------------------------------------------------------------- hashing

class MissingHashKey(RuntimeError):
    """DOSSIER_HASH_KEY is not set: dossiers can be neither imported nor checked."""


def _hash_key() -> bytes:
    # No built-in fallback: a key committed in the code would let anyone who has the hashes try
    # the 10,000 possible last-4 values offline.
    key = os.environ.get("DOSSIER_HASH_KEY")
    if not key:
        raise MissingHashKey("DOSSIER_HASH_KEY is not set: refusing to hash dossier phone numbers (see scripts/env.sh).")
    return key.encode("utf-8")


def _keyed_hash(kind: str, code: str, digits: str) -> str:
    # Binding the code in makes equal numbers on two dossiers hash differently (no linking),
    # and the key makes the 10,000 possible last-4 values useless to anyone without it.
    message = f"{kind}|{code}|{digits}".encode("utf-8")
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()


def phone_hashes(code: str, phone: str) -> tuple[str, str]:
    """(hash of the full normalised number, hash of its last 4 digits) for dossier `code`."""
    return _keyed_hash("phone", code, phone), _keyed_hash("last4", code, phone[-4:])


def proof_matches(dossier: Dossier, proof: PhoneProof) -> bool:
    if proof.is_last4:
        expected, kind = dossier.phone_last4_hash, "last4"
    else:
        expected, kind = dossier.applicant_phone_hash, "phone"
    if not expected:
        return False
    return hmac.compare_digest(expected, _keyed_hash(kind, dossier.code, proof.digits))


# --------------------------------------------------------------------------- import validation

_FIELDS_REQUIRED = ("code", "status", "applicant_phone", "received_at", "updated_at", "agency")
_FIELDS_OPTIONAL = ("procedure_id", "due_at", "missing_documents", "note", "history")


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class ImportRejected(Exception):
    """The file has bad lines; nothing of it was applied."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} bad line(s): " + "; ".join(str(e) for e in errors[:5]))


@dataclass(frozen=True)
class ImportSummary:
    """`updated` counts every code already stored; `status_changes` the current statuses recorded in the
    history (a new dossier's first status included), as `KnowledgeStore.upsert_dossiers` reports them."""

    total: int
    created: int
    updated: int
    status_changes: int


def parse_timestamp(value: object) -> datetime:
    """ISO 8601 -> aware UTC datetime. A timestamp without offset is Vietnam local time."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected an ISO 8601 date-time string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)  # also accepts a plain date: midnight
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM_TZ)
    return parsed.astimezone(timezone.utc)


def validate_line(data: object, known_procedures: set[str]) -> tuple[dict | None, list[str]]:
    """A clean record from one parsed JSON line, or the reasons it is bad."""
    if not isinstance(data, dict):
        return None, ["not a JSON object"]
    problems: list[str] = []
    unknown = sorted(set(data) - set(_FIELDS_REQUIRED) - set(_FIELDS_OPTIONAL))
    if unknown:
        problems.append(f"unknown field(s): {', '.join(unknown)}")
    missing = [name for name in _FIELDS_REQUIRED if data.get(name) in (None, "")]
    if missing:
        problems.append(f"missing field(s): {', '.join(missing)}")

    record: dict = {}
    raw_code = data.get("code")
    if raw_code not in (None, ""):
        code = find_dossier_code(raw_code) if isinstance(raw_code, str) else None
        if code is None or len(re.sub(r"\s", "", nfkc(raw_code))) != len(code):
            problems.append("code: not in the form V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX")
        record["code"] = code

    status = data.get("status")
    if status not in (None, "") and status not in DOSSIER_STATUSES:
        problems.append(f"status: {status!r} is not one of {', '.join(DOSSIER_STATUSES)}")
    record["status"] = status

    procedure_id = data.get("procedure_id")
    if procedure_id is not None:
        if not isinstance(procedure_id, str) or procedure_id not in known_procedures:
            problems.append(f"procedure_id: {procedure_id!r} is not a catalogue id")
    record["procedure_id"] = procedure_id

    phone = data.get("applicant_phone")
    if phone not in (None, ""):
        normalised = normalise_phone(phone) if isinstance(phone, str) else None
        if normalised is None or not re.fullmatch(r"[+\d\s.\-]+", nfkc(phone)):
            problems.append("applicant_phone: not a Vietnamese mobile number")  # never echo the value
        record["phone"] = normalised

    for name in ("received_at", "updated_at", "due_at"):
        value = data.get(name)
        if value is None:
            record[name] = None
            continue
        try:
            record[name] = parse_timestamp(value)
        except ValueError:
            problems.append(f"{name}: {str(value)[:40]!r} is not an ISO 8601 date-time")
            record[name] = None
    if record.get("received_at") and record.get("due_at") and record["due_at"] < record["received_at"]:
        problems.append("due_at: before received_at")

    agency = data.get("agency")
    if agency not in (None, "") and not isinstance(agency, str):
        problems.append("agency: expected a string")
    record["agency"] = agency.strip() if isinstance(agency, str) else agency

    missing_documents = data.get("missing_documents") or []
    if not isinstance(missing_documents, list) or not all(
        isinstance(item, str) and item.strip() for item in missing_documents
    ):
        problems.append("missing_documents: expected a list of non-empty strings")
        missing_documents = []
    elif status == "additional_documents_required" and not missing_documents:
        problems.append("missing_documents: required when status is additional_documents_required")
    record["missing_documents"] = [item.strip() for item in missing_documents]

    note = data.get("note")
    if note is not None and not isinstance(note, str):
        problems.append("note: expected a string")
    elif status == "refused" and not (note or "").strip():
        problems.append("note: the reason is required when status is refused")
    record["note"] = note.strip() if isinstance(note, str) and note.strip() else None

    record["history"] = []
    history = data.get("history") or []
    if not isinstance(history, list):
        problems.append("history: expected a list of {status, at, note}")
        history = []
    for index, entry in enumerate(history, start=1):
        if not isinstance(entry, dict) or entry.get("status") not in DOSSIER_STATUSES:
            problems.append(f"history[{index}]: needs a known status")
            continue
        try:
            at = parse_timestamp(entry.get("at"))
        except ValueError:
            problems.append(f"history[{index}].at: not an ISO 8601 date-time")
            continue
        note_text = entry.get("note")
        if note_text is not None and not isinstance(note_text, str):
            problems.append(f"history[{index}].note: expected a string")
            continue
        record["history"].append({"status": entry["status"], "at": at, "note": note_text})
    return (None, problems) if problems else (record, [])


def validate_lines(lines: Iterable[str], known_procedures: Iterable[str] = CATALOGUE_IDS) -> list[dict]:
    """Every record of a JSON Lines export, or ImportRejected listing every bad line."""
    known_procedures = set(known_procedures)
    records: list[dict] = []
    errors: list[LineError] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as error:
            errors.append(LineError(number, f"not valid JSON ({error.msg})"))
            continue
        record, problems = validate_line(data, known_procedures)
        if record and record["code"] in first_line_of:
            problems = [f"code: duplicate of line {first_line_of[record['code']]}"]
        errors.extend(LineError(number, problem) for problem in problems)
        if record and not problems:
            first_line_of[record["code"]] = number
            records.append(record)
    if errors:
        raise ImportRejected(errors)
    return records


# --------------------------------------------------------------------------- lookup attempts (lockout)

def _conversation_key(conversation_id: str) -> str:
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class LookupAttempts:
    """Failed checks per code and per conversation, shared by every process through the database."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def locked_until(self, code: str, conversation_id: str) -> datetime | None:
        """When the lockout on this code or conversation ends, or None when checks are allowed."""
        now = self.clock()
        with Session(self.engine) as session:
            ends = [
                self._lock_end(session, LookupAttemptRow.code == code, now),
                self._lock_end(session, LookupAttemptRow.conversation == _conversation_key(conversation_id), now),
            ]
        ends = [end for end in ends if end is not None and end > now]
        return max(ends) if ends else None

    def failures_left(self, code: str, conversation_id: str) -> int:
        """How many more failed checks are allowed before the lockout starts."""
        now = self.clock()
        since = now - LOCKOUT_WINDOW
        with Session(self.engine) as session:
            counts = [
                session.scalar(
                    select(func.count()).select_from(LookupAttemptRow).where(
                        condition, LookupAttemptRow.succeeded.is_(False), LookupAttemptRow.at > since
                    )
                )
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
    def _lock_end(session: Session, condition, now: datetime) -> datetime | None:
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


# --------------------------------------------------------------------------- lookup service

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
    dossier: Dossier | None = None
    history: tuple[StatusChange, ...] = ()
    locked_until: datetime | None = None
    attempts_left: int | None = None


class DossierSource(Protocol):
    async def fetch(self, code: str, proof: PhoneProof) -> tuple[Dossier, tuple[StatusChange, ...]] | None:
        """The dossier and its history when it exists AND the proof matches; None otherwise."""


class LocalDossierSource:
    """Dossiers imported into the knowledge store."""

    def __init__(self, store) -> None:
        self.store = store

    async def fetch(self, code: str, proof: PhoneProof):
        dossier = self.store.get_dossier(code)
        if dossier is None:
            # Spend the same HMAC work as a real check, so timing does not tell codes apart.
            _keyed_hash("phone", code, proof.digits)
            return None
        if not proof_matches(dossier, proof):
            return None
        return dossier, tuple(self.store.dossier_history(code))


class RemoteDossierSource:
    """A one-stop / LGSP API that checks ownership itself (see knowledge.onestop_client)."""

    def __init__(self, client) -> None:
        self.client = client

    async def fetch(self, code: str, proof: PhoneProof):
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


def dossier_from_remote(code: str, payload: dict) -> tuple[Dossier, tuple[StatusChange, ...]]:
    """The remote JSON (an import line without the phone) as domain objects."""

    def when(name: str, data: dict = payload) -> datetime | None:
        try:
            return parse_timestamp(data.get(name)) if data.get(name) else None
        except ValueError:
            return None

    status = payload.get("status")
    if status not in DOSSIER_STATUSES:
        raise LookupUnavailable(f"unknown status from the remote API: {str(status)[:40]!r}")
    missing = payload.get("missing_documents") or []
    dossier = Dossier(
        code=code,
        procedure_id=payload.get("procedure_id") if isinstance(payload.get("procedure_id"), str) else None,
        status=status,
        applicant_phone_hash=None,
        phone_last4_hash=None,
        received_at=when("received_at"),
        due_at=when("due_at"),
        updated_at=when("updated_at"),
        agency=payload.get("agency") if isinstance(payload.get("agency"), str) else None,
        missing_documents=tuple(str(item) for item in missing if isinstance(item, str)),
        note=payload.get("note") if isinstance(payload.get("note"), str) else None,
    )
    history = tuple(
        StatusChange(status=entry["status"], at=when("at", entry), note=entry.get("note"))
        for entry in payload.get("history") or []
        if isinstance(entry, dict) and entry.get("status") in DOSSIER_STATUSES and when("at", entry)
    )
    return dossier, history


class DossierLookupService:
    """Ownership-checked lookup with lockout, in front of a local or remote source."""

    def __init__(self, source: DossierSource, attempts: LookupAttempts) -> None:
        self.source = source
        self.attempts = attempts

    async def check(self, code: str, proof: PhoneProof, conversation_id: str) -> LookupResult:
        locked_until = self.attempts.locked_until(code, conversation_id)
        if locked_until is not None:
            return LookupResult(LookupOutcome.LOCKED, locked_until=locked_until)
        try:
            found = await self.source.fetch(code, proof)
        except LookupUnavailable as error:
            logger.warning("dossier lookup unavailable: %s", error)
            return LookupResult(LookupOutcome.UNAVAILABLE)
        self.attempts.record(code, conversation_id, succeeded=found is not None)
        if found is None:
            return LookupResult(
                LookupOutcome.NOT_VERIFIED, attempts_left=self.attempts.failures_left(code, conversation_id)
            )
        dossier, history = found
        return LookupResult(LookupOutcome.FOUND, dossier=dossier, history=history)


# --------------------------------------------------------------------------- import

def store_record(record: dict) -> dict:
    """A validated export record as `KnowledgeStore.upsert_dossiers` takes it: the phone replaced by its
    hashes, the dossier's note on its status change."""
    phone_hash, last4_hash = phone_hashes(record["code"], record["phone"])
    fields = {key: value for key, value in record.items() if key != "phone"}
    return {**fields, "applicant_phone_hash": phone_hash, "phone_last4_hash": last4_hash, "status_note": record["note"]}


def import_lines(lines: Iterable[str], url: str | None = None) -> ImportSummary:
    """Validate every line first; then upsert all of them in one transaction, or nothing."""
    records = validate_lines(lines)
    engine = create_db_engine(url)
    try:
        report = KnowledgeStore(engine).upsert_dossiers(store_record(record) for record in records)
    finally:
        engine.dispose()
    return ImportSummary(
        total=len(records),
        created=report.inserted,
        updated=report.updated + report.unchanged,
        status_changes=report.status_changes,
    )


def import_file(path: str | Path, url: str | None = None) -> ImportSummary:
    with open(path, encoding="utf-8-sig") as handle:
        return import_lines(handle, url)


# --------------------------------------------------------------------------- wiring

_services: dict[tuple[str, str], DossierLookupService] = {}


def lookup_service() -> DossierLookupService:
    """One service per process, from the environment: ONESTOP_API_URL selects the remote API,
    otherwise the dossiers imported into the knowledge store (DATABASE_URL)."""
    url = database_url()
    settings = OneStopSettings.from_env()
    key = (url, settings.base_url if settings else "")
    if key not in _services:
        store = open_store(url)  # the lockout table lives in the knowledge database in both cases
        source: DossierSource = RemoteDossierSource(OneStopClient(settings)) if settings else LocalDossierSource(store)
        _services[key] = DossierLookupService(source, LookupAttempts(store.engine))
    return _services[key]


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m knowledge.dossiers", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser("import", help="import a JSON Lines export of the one-stop system")
    importer.add_argument("file", type=Path)
    commands.add_parser("seed-demo", help=f"import the demo dossiers ({DEMO_FILE.relative_to(ROOT)})")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    path = args.file if args.command == "import" else DEMO_FILE
    migrate()
    try:
        summary = import_file(path)
    except ImportRejected as rejected:
        print(f"{path}: rejected, nothing imported. {len(rejected.errors)} problem(s):", file=sys.stderr)
        for error in rejected.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return 1
    except MissingHashKey as error:
        print(f"{path}: not imported. {error}", file=sys.stderr)
        return 1
    print(
        f"{path}: {summary.total} dossiers ({summary.created} new, {summary.updated} updated, "
        f"{summary.status_changes} status changes)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
