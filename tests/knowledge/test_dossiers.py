"""Dossier import, phone hashing, ownership-checked lookup and lockout (knowledge.dossier_import,
knowledge.phone_hash, knowledge.dossier_lookup) and the command line (knowledge.dossiers).

Database tests use the `database_url` fixture of tests/knowledge/conftest.py: SQLite, and again
PostgreSQL when TEST_POSTGRES_URL is set.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from knowledge import dossier_import, dossiers, phone_hash
from knowledge.db import create_db_engine, migrate
from knowledge.dossier_import import ImportRejected, import_lines
from knowledge.dossier_lookup import DossierLookupService, LocalDossierSource, LookupAttempts, LookupOutcome
from knowledge.dossier_store import DossierStore
from knowledge.dossiers import DEMO_FILE
from knowledge.personal_data import (
    MASK,
    PhoneProof,
    find_dossier_code,
    mask_personal_numbers,
    normalise_phone,
    parse_phone_proof,
)
from knowledge.phone_hash import phone_hashes
from knowledge.types import DOSSIER_STATUSES
from tests.knowledge.dossier_records import CODE, DOSSIER_FIELDS, PHONE

# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def engine(database_url):
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def hash_key(monkeypatch):
    monkeypatch.setenv("DOSSIER_HASH_KEY", "test-key-" + uuid.uuid4().hex)


def line(code=CODE, **overrides) -> str:
    record = {"code": code, **DOSSIER_FIELDS, "applicant_phone": PHONE, **overrides}
    return json.dumps({key: value for key, value in record.items() if value != "<drop>"}, ensure_ascii=False)


def count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock():
    return Clock(datetime(2025, 7, 20, 3, 0, tzinfo=timezone.utc))


@pytest.fixture
def service(database_url, engine, clock):
    import_lines([line(), line("000.00.12.H57-250714-0032", applicant_phone="+84 987 654 321")], database_url)
    store = DossierStore(create_db_engine(database_url))
    yield DossierLookupService(LocalDossierSource(store), LookupAttempts(engine, clock))
    store.close()


# --------------------------------------------------------------------------- codes and phones

@pytest.mark.parametrize(
    "text",
    [
        "000.00.12.H57-250714-0031",
        "000.00.12.h57-250714-0031",
        " 000.00.12.h57 - 250714 - 0031 ",
        "mã hồ sơ của tôi là 000.00.12.H57-250714-0031 ạ",
        "０００.００.１２.Ｈ５７-２５０７１４-００３１",  # full-width, as some phone keyboards type
        "000.00.12.H57–250714–0031",  # en dashes
    ],
)
def test_codes_are_found_in_any_case_spacing_and_width(text):
    assert find_dossier_code(text) == CODE


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "x" * 5000,
        "0" * 5000,
        CODE + " " + "a" * 5000,
        "'; DROP TABLE dossiers; --",
        "000' OR '1'='1",
        "SELECT * FROM dossiers WHERE code LIKE '%'",
        "😀😀😀",
        "000.00.12.H57-251399-0031",  # month 13: not a receipt date
        "000.00.12.H57-250714-003",
    ],
)
def test_malformed_codes_are_rejected(text):
    assert find_dossier_code(text) is None


@pytest.mark.parametrize(
    "text", ["0912345678", "0912 345 678", "0912.345.678", "+84912345678", "+84 912 345 678", "84912345678",
             "sđt của tôi: 0912-345-678", "０９１２３４５６７８"]
)
def test_mobile_numbers_are_normalised(text):
    assert normalise_phone(text) == PHONE
    assert parse_phone_proof(text) == PhoneProof(PHONE, is_last4=False)


@pytest.mark.parametrize("text", ["5678", "4 số cuối là 5678", "last 4 digits: 5678", "５６７８"])
def test_last_four_digits_are_a_proof(text):
    assert parse_phone_proof(text) == PhoneProof("5678", is_last4=True)


@pytest.mark.parametrize("text", ["", "123", "12345", "091234567", "1234 5678", "abc", "0012345678", "😀"])
def test_other_numbers_are_not_a_proof(text):
    assert parse_phone_proof(text) is None


def test_phone_proof_never_shows_its_digits():
    assert PHONE not in repr(PhoneProof(PHONE, is_last4=False))


# --------------------------------------------------------------------------- hashing

def test_hashes_depend_on_the_key_and_the_code(monkeypatch):
    first = phone_hashes(CODE, PHONE)
    assert phone_hashes(CODE, PHONE) == first
    assert phone_hashes("000.00.12.H57-250714-0032", PHONE) != first
    monkeypatch.setenv("DOSSIER_HASH_KEY", "another-key")
    assert phone_hashes(CODE, PHONE) != first
    assert all(len(digest) == 64 and PHONE not in digest for digest in first)


def test_without_a_configured_key_nothing_is_hashed(monkeypatch):
    monkeypatch.delenv("DOSSIER_HASH_KEY")
    with pytest.raises(phone_hash.MissingHashKey, match="DOSSIER_HASH_KEY"):
        phone_hashes(CODE, PHONE)


# --------------------------------------------------------------------------- masking

@pytest.mark.parametrize(
    "text, hidden",
    [
        ("số tôi là 0912 345 678", "0912"),
        ("+84 912.345.678 nhé", "912"),
        ("cccd 012345678901", "012345678901"),
        ("cmnd 264123456", "264123456"),
        ("sđt ０９１２３４５６７８", "５６７８"),
    ],
)
def test_personal_numbers_are_masked(text, hidden):
    masked = mask_personal_numbers(text)
    assert hidden not in masked and MASK in masked


def test_dossier_codes_survive_masking():
    text = f"hồ sơ {CODE}, sđt 0912345678"
    masked = mask_personal_numbers(text)
    assert CODE in masked and "0912345678" not in masked


def test_every_digit_is_masked_in_a_phone_answer():
    assert "5678" not in mask_personal_numbers("4 số cuối 5678", all_digits=True)
    assert mask_personal_numbers("hẹn 3 ngày") == "hẹn 3 ngày"


# --------------------------------------------------------------------------- import

def test_good_file_is_imported_with_hashed_phones_only(database_url, engine):
    summary = import_lines([line(), "", line("000.00.12.H57-250714-0032", status="received")], database_url)
    assert (summary.total, summary.created, summary.updated) == (2, 2, 0)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM dossiers")).mappings().all()
    dump = json.dumps([dict(row) for row in rows], default=str)
    assert PHONE not in dump and "912345678" not in dump and "345678" not in dump
    store = DossierStore(engine)
    dossier = store.get_dossier(CODE)
    assert dossier.status == "processing" and dossier.agency == "Công an tỉnh Khánh Hòa"
    assert dossier.received_at == datetime(2025, 7, 14, 2, 0, tzinfo=timezone.utc)
    assert [change.status for change in store.dossier_history(CODE)] == ["processing"]


def test_file_history_is_kept(database_url, engine):
    history = [
        {"status": "received", "at": "2025-07-14T09:00:00+07:00", "note": None},
        {"status": "processing", "at": "2025-07-15T08:00:00+07:00", "note": "chuyển phòng"},
    ]
    import_lines([line(history=history)], database_url)
    changes = DossierStore(engine).dossier_history(CODE)
    assert [(c.status, c.note) for c in changes] == [("received", None), ("processing", "chuyển phòng")]


def test_malformed_lines_reject_the_whole_file(database_url, engine):
    lines = [
        line(),                                                       # 1 good
        "{not json",                                                  # 2
        line("000.00.12.H57-250714-0033", status="lost"),            # 3
        line("000.00.12.H57-250714-0034", applicant_phone="12345"),   # 4
        line("bad code"),                                             # 5
        line("000.00.12.H57-250714-0035", due_at="tomorrow"),         # 6
        line("000.00.12.H57-250714-0036", status="additional_documents_required"),  # 7: no list
        line("000.00.12.H57-250714-0037", status="refused"),         # 8: no reason
        line("000.00.12.H57-250714-0038", procedure_id="not-a-procedure"),  # 9
        line(),                                                       # 10 duplicate of line 1
        line("000.00.12.H57-250714-0039", agency="<drop>", staus="x"),  # 11 missing + unknown field
        "[1, 2]",                                                     # 12
    ]
    with pytest.raises(ImportRejected) as rejected:
        import_lines(lines, database_url)
    bad: dict[int, str] = {}
    for error in rejected.value.errors:
        bad[error.line] = bad.get(error.line, "") + error.reason + "; "
    assert sorted(bad) == list(range(2, 13))
    assert "JSON" in bad[2] and "status" in bad[3] and "applicant_phone" in bad[4] and "code" in bad[5]
    assert "due_at" in bad[6] and "missing_documents" in bad[7] and "note" in bad[8]
    assert "procedure_id" in bad[9] and "duplicate of line 1" in bad[10]
    assert "agency" in bad[11] and "staus" in bad[11]
    assert "12345" not in str(rejected.value.errors)  # a phone is never echoed back
    assert count(engine, "dossiers") == 0 and count(engine, "dossier_status_history") == 0


def test_reimport_upserts_and_records_the_status_change(database_url, engine):
    import_lines([line()], database_url)
    summary = import_lines(
        [line(status="result_ready", updated_at="2025-07-21T10:00:00+07:00", note="Nhận tại bộ phận một cửa")],
        database_url,
    )
    assert (summary.created, summary.updated, summary.status_changes) == (0, 1, 1)
    store = DossierStore(engine)
    assert store.get_dossier(CODE).status == "result_ready"
    assert [c.status for c in store.dossier_history(CODE)] == ["processing", "result_ready"]
    again = import_lines(
        [line(status="result_ready", updated_at="2025-07-21T10:00:00+07:00", note="Nhận tại bộ phận một cửa")],
        database_url,
    )
    assert again.status_changes == 0 and len(store.dossier_history(CODE)) == 2
    assert count(engine, "dossiers") == 1


def test_demo_file_is_valid():
    records = dossier_import.validate_lines(DEMO_FILE.read_text(encoding="utf-8").splitlines())
    assert {record["status"] for record in records} == set(DOSSIER_STATUSES)


def test_large_file_imports_quickly(tmp_path):
    """10,000 dossiers on SQLite; benchmarks/dossier_import.py reports the figure."""
    url = f"sqlite:///{tmp_path / 'big.db'}"
    migrate(url)
    lines = [line(f"000.00.12.H57-250714-{n:04d}" if n < 10000 else "", applicant_phone=f"09{n:08d}")
             for n in range(10000)]
    started = time.perf_counter()
    summary = import_lines(lines, url)
    elapsed = time.perf_counter() - started
    assert summary.created == 10000
    assert elapsed < 60, f"10,000 dossiers took {elapsed:.1f}s"


# --------------------------------------------------------------------------- lookup and lockout

async def test_owner_sees_the_dossier_with_full_number_or_last_four(service):
    full = await service.check(CODE, parse_phone_proof("+84 912 345 678"), "conv-1")
    last4 = await service.check(CODE, parse_phone_proof("5678"), "conv-1")
    assert full.outcome is last4.outcome is LookupOutcome.FOUND
    assert full.dossier.code == CODE and [c.status for c in full.history] == ["processing"]


async def test_unknown_code_and_wrong_phone_look_the_same(service):
    wrong_phone = await service.check(CODE, parse_phone_proof("0911111111"), "conv-a")
    unknown = await service.check("000.00.12.H57-250714-0999", parse_phone_proof("0912345678"), "conv-b")
    wrong_last4 = await service.check("000.00.12.H57-250714-0032", parse_phone_proof("5678"), "conv-c")
    assert wrong_phone == unknown == wrong_last4
    assert wrong_phone.outcome is LookupOutcome.NOT_VERIFIED and wrong_phone.dossier is None


async def test_five_failures_on_a_code_lock_it_for_fifteen_minutes(service, clock):
    right = parse_phone_proof(PHONE)
    for attempt in range(5):
        result = await service.check(CODE, parse_phone_proof("0900000000"), f"attacker-{attempt}")
        assert result.outcome is LookupOutcome.NOT_VERIFIED
        clock.advance(minutes=2)
    locked = await service.check(CODE, right, "owner")
    assert locked.outcome is LookupOutcome.LOCKED
    assert locked.locked_until == datetime(2025, 7, 20, 3, 8, tzinfo=timezone.utc) + timedelta(minutes=15)
    other_code = await service.check("000.00.12.H57-250714-0032", parse_phone_proof("4321"), "owner")
    assert other_code.outcome is LookupOutcome.FOUND  # only that code is locked
    clock.advance(minutes=12)  # 03:22, the lockout ends at 03:23
    assert (await service.check(CODE, right, "owner")).outcome is LookupOutcome.LOCKED
    clock.advance(minutes=1)
    assert (await service.check(CODE, right, "owner")).outcome is LookupOutcome.FOUND


async def test_five_failures_in_a_conversation_lock_it(service, clock):
    for attempt in range(5):
        await service.check(f"000.00.12.H57-250714-09{attempt:02d}", parse_phone_proof("1111"), "guesser")
    assert (await service.check(CODE, parse_phone_proof(PHONE), "guesser")).outcome is LookupOutcome.LOCKED
    assert (await service.check(CODE, parse_phone_proof(PHONE), "someone-else")).outcome is LookupOutcome.FOUND


async def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(service, clock):
    for _ in range(6):
        await service.check(CODE, parse_phone_proof("0900000000"), "slow")
        clock.advance(minutes=4)
    assert (await service.check(CODE, parse_phone_proof(PHONE), "slow")).outcome is LookupOutcome.FOUND


async def test_lockout_is_shared_by_every_process(service, database_url, clock):
    """A second service with its own engine (another action-server process) sees the same attempts."""
    other_engine = create_db_engine(database_url)
    other = DossierLookupService(service.source, LookupAttempts(other_engine, clock))
    try:
        for index in range(5):
            checker = service if index % 2 else other
            await checker.check(CODE, parse_phone_proof("0900000000"), f"c{index}")
        assert (await other.check(CODE, parse_phone_proof(PHONE), "x")).outcome is LookupOutcome.LOCKED
        assert (await service.check(CODE, parse_phone_proof(PHONE), "y")).outcome is LookupOutcome.LOCKED
    finally:
        other_engine.dispose()


async def test_attempts_store_neither_phone_nor_conversation_id(service, engine):
    await service.check(CODE, parse_phone_proof("0900000000"), "sender-abc")
    with Session(engine) as session:
        rows = session.execute(sa.text("SELECT * FROM dossier_lookup_attempts")).mappings().all()
    dump = json.dumps([dict(row) for row in rows], default=str)
    assert "0900000000" not in dump and "sender-abc" not in dump


# --------------------------------------------------------------------------- command line

def test_cli_imports_a_file_and_rejects_a_bad_one(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(line() + "\n", encoding="utf-8")
    bad.write_text(line("000.00.12.H57-250714-0040") + "\nnot json\n" + line("oops") + "\n", encoding="utf-8")
    assert dossiers.main(["import", str(good)]) == 0
    assert "1 dossiers (1 new" in capsys.readouterr().out
    assert dossiers.main(["import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 2: not valid JSON" in err and "line 3: code" in err and "nothing imported" in err
    assert dossiers.main(["seed-demo"]) == 0
    engine = create_db_engine(url)
    assert count(engine, "dossiers") == 1 + len(DEMO_FILE.read_text().splitlines())
    engine.dispose()


async def test_the_action_server_source_does_not_read_the_history_it_never_shows(database_url, engine, clock):
    import_lines([line()], database_url)
    source = LocalDossierSource(DossierStore(engine), read_history=False)
    service = DossierLookupService(source, LookupAttempts(engine, clock))
    found = await service.check(CODE, parse_phone_proof(PHONE), "conv-h")
    assert found.outcome is LookupOutcome.FOUND and found.dossier.code == CODE and found.history == ()
