"""Dossier persistence: dossiers and their status history in the knowledge database.

    from knowledge.dossier_store import DossierStore
    dossiers = DossierStore(engine)
    dossiers.get_dossier("000.00.12.H57-250714-0031")
    dossiers.dossier_history(code)
    dossiers.upsert_dossiers(records)        # the import (knowledge.dossier_import) goes through here

Dossiers change all the time: every call reads or writes the database (no cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Optional

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from knowledge import models as m
from knowledge.personal_data import canonical_dossier_code
from knowledge.timestamps import parse_timestamp, utcnow
from knowledge.types import DOSSIER_STATUSES, Dossier, DossierUpsertReport, StatusChange


def _time(value) -> Optional[datetime]:
    return None if value is None or value == "" else parse_timestamp(value)


DOSSIER_FIELDS = (
    "procedure_id",
    "status",
    "applicant_phone_hash",
    "phone_last4_hash",
    "received_at",
    "due_at",
    "updated_at",
    "agency",
    "missing_documents",
    "note",
)
_TIME_FIELDS = ("received_at", "due_at", "updated_at")
_CHUNK = 500  # codes per IN (...) query


@dataclass(frozen=True)
class _DossierUpsert:
    """One record of `KnowledgeStore.upsert_dossiers`, checked and normalised."""

    code: str
    values: dict  # the DOSSIER_FIELDS the record gives
    history: tuple  # ({"status", "at", "note"}, ...), oldest first
    status_at: datetime
    status_note: Optional[str]


def _prepare_dossier(record: Mapping) -> _DossierUpsert:
    code = canonical_dossier_code(record.get("code", ""))
    if not code:
        raise ValueError("a dossier record has no code")
    if record.get("status") not in DOSSIER_STATUSES:
        raise ValueError(f"dossier {code}: unknown status {record.get('status')!r}")
    values = {key: record[key] for key in DOSSIER_FIELDS if key in record}
    for key in _TIME_FIELDS:
        if key in values:
            values[key] = _time(values[key])
    if "missing_documents" in values:
        values["missing_documents"] = list(values["missing_documents"] or [])
    history = []
    for entry in record.get("history") or ():
        if entry.get("status") not in DOSSIER_STATUSES:
            raise ValueError(f"dossier {code}: unknown status {entry.get('status')!r} in its history")
        at = _time(entry.get("at"))
        if at is None:
            raise ValueError(f"dossier {code}: a history entry has no time")
        history.append({"status": entry["status"], "at": at, "note": entry.get("note")})
    status_at = _time(record.get("status_at")) or values.get("updated_at") or values.get("received_at") or utcnow()
    return _DossierUpsert(code, values, tuple(sorted(history, key=lambda entry: entry["at"])), status_at, record.get("status_note"))


def _stored_dossiers(session: Session, codes: list[str]) -> tuple[dict[str, dict], dict[str, set]]:
    """Stored values and known (status, at) history entries of `codes`: a few bulk reads, not one per code."""
    stored: dict[str, dict] = {}
    known_changes: dict[str, set] = {}
    columns = [m.DossierRow.code, *(getattr(m.DossierRow, name) for name in DOSSIER_FIELDS)]
    history = m.DossierStatusRow
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        for row in session.execute(select(*columns).where(m.DossierRow.code.in_(chunk))).mappings():
            stored[row["code"]] = dict(row)
        for code, status, at in session.execute(select(history.dossier_code, history.status, history.at).where(history.dossier_code.in_(chunk))):
            known_changes.setdefault(code, set()).add((status, at))
    return stored, known_changes


def _upsert_dossiers(session: Session, records: list[_DossierUpsert]) -> DossierUpsertReport:
    """Upserts inside the caller's transaction with one bulk statement each for inserts, updates and history.

    History gets the record's `history` entries not stored yet, then the current status when it differs
    from the last one known (the record's history, else the stored dossier), stamped `status_at`.
    """
    stored, known_changes = _stored_dossiers(session, sorted({record.code for record in records}))
    inserts: dict[str, dict] = {}
    updates: dict[str, dict] = {}
    history_rows: list[dict] = []
    counts = {"inserted": 0, "updated": 0, "unchanged": 0, "status_changes": 0}
    for record in records:
        code, status = record.code, record.values["status"]
        current = stored.get(code)
        if current is None:
            previous_status = None
            # The same dict stands in `stored`, so a later record of this batch updates the pending insert.
            current = stored[code] = inserts[code] = {
                "code": code,
                **dict.fromkeys(DOSSIER_FIELDS),
                "missing_documents": [],
                **record.values,
            }
            changed = True
        else:
            previous_status = current["status"]
            differs = {key: value for key, value in record.values.items() if current[key] != value}
            current.update(differs)
            if differs and code not in inserts:
                updates[code] = current
            changed = bool(differs)

        known = known_changes.setdefault(code, set())
        for entry in record.history:
            if (entry["status"], entry["at"]) not in known:
                known.add((entry["status"], entry["at"]))
                history_rows.append({"dossier_code": code, **entry})
                changed = True
        last_status = record.history[-1]["status"] if record.history else previous_status
        if last_status != status and (status, record.status_at) not in known:
            known.add((status, record.status_at))
            history_rows.append({"dossier_code": code, "status": status, "at": record.status_at, "note": record.status_note})
            counts["status_changes"] += 1
        if previous_status is None:
            counts["inserted"] += 1
        else:
            counts["updated" if changed else "unchanged"] += 1

    if inserts:
        session.execute(insert(m.DossierRow), list(inserts.values()))
    if updates:
        session.bulk_update_mappings(m.DossierRow, list(updates.values()))
    if history_rows:
        session.execute(insert(m.DossierStatusRow), history_rows)
    return DossierUpsertReport(**counts)


def _dossier(row: m.DossierRow) -> Dossier:
    return Dossier(
        code=row.code,
        procedure_id=row.procedure_id,
        status=row.status,
        applicant_phone_hash=row.applicant_phone_hash,
        phone_last4_hash=row.phone_last4_hash,
        received_at=row.received_at,
        due_at=row.due_at,
        updated_at=row.updated_at,
        agency=row.agency,
        missing_documents=tuple(row.missing_documents or ()),
        note=row.note,
    )


class DossierStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, future=True)

    def close(self) -> None:
        self.engine.dispose()

    def get_dossier(self, code: str) -> Optional[Dossier]:
        with self._sessions() as session:
            row = session.get(m.DossierRow, canonical_dossier_code(code))
            return _dossier(row) if row else None

    def dossier_history(self, code: str) -> list[StatusChange]:
        with self._sessions() as session:
            rows = session.scalars(
                select(m.DossierStatusRow)
                .where(m.DossierStatusRow.dossier_code == canonical_dossier_code(code))
                .order_by(m.DossierStatusRow.at, m.DossierStatusRow.id)
            )
            return [StatusChange(status=row.status, at=row.at, note=row.note) for row in rows]

    def upsert_dossiers(self, records: Iterable[Mapping]) -> DossierUpsertReport:
        """Inserts or updates dossiers in one transaction, recording each status change in the history.

        Each record has `code` and `status` and any of DOSSIER_FIELDS; phones arrive already hashed.
        An optional `history` list of {status, at, note} is added where not stored yet. The time of a
        status change is `status_at`, else `updated_at`, else `received_at`, else now; its note is
        `status_note`. A bad record (no code, unknown status) raises ValueError and nothing is written.
        """
        prepared = [_prepare_dossier(record) for record in records]
        with self._sessions() as session, session.begin():
            return _upsert_dossiers(session, prepared)
