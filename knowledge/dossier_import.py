"""Import of one-stop exports (JSON Lines, one dossier per line): validate every line, then upsert
all of them in one transaction, or nothing.

Each field has its own check (`FIELD_CHECKS`); a check returns the clean value and the problems
it found. Problems never echo a phone number.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from knowledge.catalogue import CATALOGUE_IDS
from knowledge.db import create_db_engine
from knowledge.dossier_store import DossierStore
from knowledge.personal_data import find_dossier_code, nfkc, normalise_phone
from knowledge.phone_hash import phone_hashes
from knowledge.timestamps import parse_timestamp
from knowledge.types import DOSSIER_STATUSES

FIELDS_REQUIRED = ("code", "status", "applicant_phone", "received_at", "updated_at", "agency")
FIELDS_OPTIONAL = ("procedure_id", "due_at", "missing_documents", "note", "history")
TIME_FIELDS = ("received_at", "updated_at", "due_at")


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
    history (a new dossier's first status included), as `DossierStore.upsert_dossiers` reports them."""

    total: int
    created: int
    updated: int
    status_changes: int


# --------------------------------------------------------------------------- per-field checks

Checked = tuple[Any, list[str]]  # (clean value, problems)


def _absent(value: object) -> bool:
    return value in (None, "")


def check_code(value: object) -> Checked:
    if _absent(value):
        return None, []
    code = find_dossier_code(value) if isinstance(value, str) else None
    if code is None or len(re.sub(r"\s", "", nfkc(str(value)))) != len(code):
        return code, ["code: not in the form V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX"]
    return code, []


def check_status(value: object) -> Checked:
    if not _absent(value) and value not in DOSSIER_STATUSES:
        return value, [f"status: {value!r} is not one of {', '.join(DOSSIER_STATUSES)}"]
    return value, []


def check_procedure_id(value: object, known_procedures: set[str]) -> Checked:
    if value is not None and (not isinstance(value, str) or value not in known_procedures):
        return value, [f"procedure_id: {value!r} is not a catalogue id"]
    return value, []


def check_phone(value: object) -> Checked:
    if _absent(value):
        return None, []
    normalised = normalise_phone(value) if isinstance(value, str) else None
    if normalised is None or not re.fullmatch(r"[+\d\s.\-]+", nfkc(str(value))):
        return normalised, ["applicant_phone: not a Vietnamese mobile number"]  # never echo the value
    return normalised, []


def check_time(name: str, value: object) -> Checked:
    if value is None:
        return None, []
    try:
        return parse_timestamp(value), []
    except ValueError:
        return None, [f"{name}: {str(value)[:40]!r} is not an ISO 8601 date-time"]


def check_agency(value: object) -> Checked:
    if not _absent(value) and not isinstance(value, str):
        return value, ["agency: expected a string"]
    return value.strip() if isinstance(value, str) else value, []


def check_missing_documents(value: object, status: object) -> Checked:
    items = value or []
    if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
        return [], ["missing_documents: expected a list of non-empty strings"]
    if status == "additional_documents_required" and not items:
        return [], ["missing_documents: required when status is additional_documents_required"]
    return [item.strip() for item in items], []


def check_note(value: object, status: object) -> Checked:
    clean = value.strip() if isinstance(value, str) and value.strip() else None
    if value is not None and not isinstance(value, str):
        return clean, ["note: expected a string"]
    if status == "refused" and clean is None:
        return clean, ["note: the reason is required when status is refused"]
    return clean, []


def check_history(value: object) -> Checked:
    if not isinstance(value or [], list):
        return [], ["history: expected a list of {status, at, note}"]
    entries: list[dict] = []
    problems: list[str] = []
    given: list = value or []  # type: ignore[assignment]  # a list, checked above
    for index, entry in enumerate(given, start=1):
        if not isinstance(entry, dict) or entry.get("status") not in DOSSIER_STATUSES:
            problems.append(f"history[{index}]: needs a known status")
            continue
        try:
            at = parse_timestamp(entry.get("at"))
        except ValueError:
            problems.append(f"history[{index}].at: not an ISO 8601 date-time")
            continue
        note = entry.get("note")
        if note is not None and not isinstance(note, str):
            problems.append(f"history[{index}].note: expected a string")
            continue
        entries.append({"status": entry["status"], "at": at, "note": note})
    return entries, problems


def _check_due(record: dict) -> list[str]:
    if record["received_at"] and record["due_at"] and record["due_at"] < record["received_at"]:
        return ["due_at: before received_at"]
    return []


def _check_fields_present(data: dict) -> list[str]:
    problems = []
    unknown = sorted(set(data) - set(FIELDS_REQUIRED) - set(FIELDS_OPTIONAL))
    if unknown:
        problems.append(f"unknown field(s): {', '.join(unknown)}")
    missing = [name for name in FIELDS_REQUIRED if _absent(data.get(name))]
    if missing:
        problems.append(f"missing field(s): {', '.join(missing)}")
    return problems


def validate_line(data: object, known_procedures: set[str]) -> tuple[Optional[dict], list[str]]:
    """A clean record from one parsed JSON line, or the reasons it is bad."""
    if not isinstance(data, dict):
        return None, ["not a JSON object"]
    problems = _check_fields_present(data)
    record: dict = {}
    status = data.get("status")
    checks: list[tuple[str, Callable[[], Checked]]] = [
        ("code", lambda: check_code(data.get("code"))),
        ("status", lambda: check_status(status)),
        ("procedure_id", lambda: check_procedure_id(data.get("procedure_id"), known_procedures)),
        ("phone", lambda: check_phone(data.get("applicant_phone"))),
        *((name, lambda name=name: check_time(name, data.get(name))) for name in TIME_FIELDS),
        ("due_at", lambda: (record["due_at"], _check_due(record))),
        ("agency", lambda: check_agency(data.get("agency"))),
        ("missing_documents", lambda: check_missing_documents(data.get("missing_documents"), status)),
        ("note", lambda: check_note(data.get("note"), status)),
        ("history", lambda: check_history(data.get("history"))),
    ]
    for name, check in checks:
        record[name], found = check()
        problems += found
    return (None, problems) if problems else (record, [])


def validate_lines(lines: Iterable[str], known_procedures: Iterable[str] = CATALOGUE_IDS) -> list[dict]:
    """Every record of a JSON Lines export, or ImportRejected listing every bad line."""
    known = set(known_procedures)
    records: list[dict] = []
    errors: list[LineError] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as error:
            errors.append(LineError(number, f"not valid JSON ({getattr(error, 'msg', error)})"))
            continue
        record, problems = validate_line(data, known)
        if record and record["code"] in first_line_of:
            problems = [f"code: duplicate of line {first_line_of[record['code']]}"]
        errors.extend(LineError(number, problem) for problem in problems)
        if record and not problems:
            first_line_of[record["code"]] = number
            records.append(record)
    if errors:
        raise ImportRejected(errors)
    return records


def store_record(record: dict) -> dict:
    """A validated export record as `DossierStore.upsert_dossiers` takes it: the phone replaced by its
    hashes, the dossier's note on its status change."""
    phone_hash, last4_hash = phone_hashes(record["code"], record["phone"])
    fields = {key: value for key, value in record.items() if key != "phone"}
    return {**fields, "applicant_phone_hash": phone_hash, "phone_last4_hash": last4_hash, "status_note": record["note"]}


def import_lines(lines: Iterable[str], url: Optional[str] = None) -> ImportSummary:
    """Validate every line first; then upsert all of them in one transaction, or nothing."""
    records = validate_lines(lines)
    engine = create_db_engine(url)
    try:
        report = DossierStore(engine).upsert_dossiers(store_record(record) for record in records)
    finally:
        engine.dispose()
    return ImportSummary(
        total=len(records),
        created=report.inserted,
        updated=report.updated + report.unchanged,
        status_changes=report.status_changes,
    )


def import_file(path: str | Path, url: Optional[str] = None) -> ImportSummary:
    with open(path, encoding="utf-8-sig") as handle:
        return import_lines(handle, url)
