"""Dossier persistence (knowledge.dossier_store), on SQLite and PostgreSQL (see conftest.database_url)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from knowledge import models as m
from knowledge.dossier_store import DossierStore
from knowledge.personal_data import canonical_dossier_code

CODE = "000.00.12.H57-250714-0031"


@pytest.fixture
def store(_loaded_database):
    """The dossiers of the shared knowledge database, emptied after each test."""
    yield DossierStore(_loaded_database.engine)
    with _loaded_database.engine.begin() as connection:
        connection.execute(delete(m.DossierStatusRow))
        connection.execute(delete(m.DossierRow))


# --- dossiers ---------------------------------------------------------------------------------


def dossier(status: str, at: datetime, **extra) -> dict:
    return {
        "code": CODE,
        "procedure_id": "birth-registration",
        "status": status,
        "applicant_phone_hash": "hmac-of-phone",
        "phone_last4_hash": "hmac-of-last4",
        "received_at": datetime(2025, 7, 14, 8, 0, tzinfo=timezone.utc),
        "updated_at": at,
        "agency": "UBND phường Đô Vinh",
        **extra,
    }


def test_upsert_dossiers_records_each_status_change(store):
    t0 = datetime(2025, 7, 14, 8, 0, tzinfo=timezone.utc)

    first = store.upsert_dossiers([dossier("received", t0)])
    again = store.upsert_dossiers([dossier("received", t0)])
    moved = store.upsert_dossiers(
        [
            dossier("additional_documents_required", t0 + timedelta(days=1), missing_documents=["hospital-certificate"]),
        ]
    )

    assert (first.inserted, first.status_changes) == (1, 1)
    assert (again.unchanged, again.status_changes) == (1, 0)
    assert (moved.updated, moved.status_changes) == (1, 1)
    found = store.get_dossier(CODE)
    assert found.status == "additional_documents_required"
    assert found.missing_documents == ("hospital-certificate",)
    assert found.updated_at == t0 + timedelta(days=1) and found.updated_at.tzinfo is not None
    history = store.dossier_history(CODE)
    assert [(change.status, change.at) for change in history] == [
        ("received", t0),
        ("additional_documents_required", t0 + timedelta(days=1)),
    ]


def test_upsert_dossiers_keeps_a_given_history_and_repeated_codes(store):
    t0 = datetime(2025, 7, 14, 8, 0, tzinfo=timezone.utc)
    received = {"status": "received", "at": t0, "note": None}

    report = store.upsert_dossiers(
        [
            dossier("processing", t0 + timedelta(hours=1), history=[received]),
            dossier("result_ready", t0 + timedelta(days=2)),  # the same code again, later in the batch
        ]
    )

    assert (report.inserted, report.updated, report.status_changes) == (1, 1, 2)
    assert store.get_dossier(CODE).status == "result_ready"
    assert [(change.status, change.at) for change in store.dossier_history(CODE)] == [
        ("received", t0),
        ("processing", t0 + timedelta(hours=1)),
        ("result_ready", t0 + timedelta(days=2)),
    ]


def test_dossier_codes_are_canonical(store):
    store.upsert_dossiers([dossier("processing", datetime(2025, 7, 15, tzinfo=timezone.utc), code=f" {CODE.lower()} ")])

    assert canonical_dossier_code(" 000.00.12.h57-250714-0031\n") == CODE
    assert store.get_dossier(CODE.lower()).code == CODE
    assert len(store.dossier_history(f"  {CODE.lower()}")) == 1
    assert store.get_dossier("000.00.12.H57-250714-9999") is None
    assert store.dossier_history("000.00.12.H57-250714-9999") == []


def test_a_bad_dossier_record_writes_nothing(store):
    good = dossier("received", datetime(2025, 7, 14, tzinfo=timezone.utc), code="000.00.12.H57-250714-0001")
    bad = dossier("lost-in-the-mail", datetime(2025, 7, 14, tzinfo=timezone.utc), code="000.00.12.H57-250714-0002")

    with pytest.raises(ValueError, match="unknown status"):
        store.upsert_dossiers([good, bad])
    assert store.get_dossier("000.00.12.H57-250714-0001") is None


def test_dossiers_never_hold_a_phone_number(store):
    store.upsert_dossiers([dossier("received", datetime(2025, 7, 14, tzinfo=timezone.utc))])
    with store.engine.connect() as connection:
        row = connection.execute(select(m.DossierRow)).one()
    assert "phone" not in {c for c in row._mapping if not c.endswith("_hash")}
