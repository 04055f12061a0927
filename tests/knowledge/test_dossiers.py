"""Dossier import, phone hashing, ownership-checked lookup and lockout (knowledge.dossier_import,
knowledge.phone_hash, knowledge.dossier_lookup) and the command line (knowledge.dossiers).

Database tests use the `database_url` fixture of tests/knowledge/conftest.py: SQLite, and again
PostgreSQL when TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from knowledge import dossier_import, dossiers, phone_hash
from knowledge.db import create_db_engine, migrate
from knowledge.dossier_import import ImportRejected, import_lines
from knowledge.dossier_lookup import (
    CLIENT_MAX_FAILED_CHECKS,
    MAX_FAILED_CHECKS,
    DossierLookupService,
    LocalDossierSource,
    LookupAttempts,
    LookupOutcome,
    LookupUnavailable,
)
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
    "text",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "sđt của tôi: 0912-345-678",
        "０９１２３４５６７８",
    ],
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
        line(),  # 1 good
        "{not json",  # 2
        line("000.00.12.H57-250714-0033", status="lost"),  # 3
        line("000.00.12.H57-250714-0034", applicant_phone="12345"),  # 4
        line("bad code"),  # 5
        line("000.00.12.H57-250714-0035", due_at="tomorrow"),  # 6
        line("000.00.12.H57-250714-0036", status="additional_documents_required"),  # 7: no list
        line("000.00.12.H57-250714-0037", status="refused"),  # 8: no reason
        line("000.00.12.H57-250714-0038", procedure_id="not-a-procedure"),  # 9
        line(),  # 10 duplicate of line 1
        line("000.00.12.H57-250714-0039", agency="<drop>", staus="x"),  # 11 missing + unknown field
        "[1, 2]",  # 12
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
    lines = [line(f"000.00.12.H57-250714-{n:04d}" if n < 10000 else "", applicant_phone=f"09{n:08d}") for n in range(10000)]
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
    right = parse_phone_proof(PHONE[-4:])  # while locked, last-4 proofs are refused, even the right one
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
    assert (await service.check(CODE, parse_phone_proof(PHONE[-4:]), "guesser")).outcome is LookupOutcome.LOCKED
    assert (await service.check(CODE, parse_phone_proof(PHONE[-4:]), "someone-else")).outcome is LookupOutcome.FOUND


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
        assert (await other.check(CODE, parse_phone_proof(PHONE[-4:]), "x")).outcome is LookupOutcome.LOCKED
        assert (await service.check(CODE, parse_phone_proof(PHONE[-4:]), "y")).outcome is LookupOutcome.LOCKED
    finally:
        other_engine.dispose()


async def test_attempts_store_neither_phone_nor_conversation_id_nor_client_address(service, engine):
    await service.check(CODE, parse_phone_proof("0900000000"), "sender-abc", client="203.0.113.7")
    with Session(engine) as session:
        rows = session.execute(sa.text("SELECT * FROM dossier_lookup_attempts")).mappings().all()
    dump = json.dumps([dict(row) for row in rows], default=str)
    assert "0900000000" not in dump and "sender-abc" not in dump and "203.0.113.7" not in dump
    assert rows and rows[0]["client"]


async def test_the_owner_is_never_locked_out_with_the_full_number(service, clock):
    for attempt in range(5):  # someone else locks the code
        await service.check(CODE, parse_phone_proof("0000"), f"attacker-{attempt}")
    for attempt in range(5):  # and the owner locks their own conversation with typos
        await service.check(f"000.00.12.H57-250714-09{attempt:02d}", parse_phone_proof("5678"), "owner")
    assert (await service.check(CODE, parse_phone_proof(PHONE[-4:]), "owner")).outcome is LookupOutcome.LOCKED
    full = await service.check(CODE, parse_phone_proof(PHONE), "owner")
    assert full.outcome is LookupOutcome.FOUND and full.dossier.code == CODE
    # A wrong full number while locked is checked, refused like any wrong number, and counted.
    wrong = await service.check(CODE, parse_phone_proof("0900000000"), "owner")
    assert wrong.outcome is LookupOutcome.NOT_VERIFIED and wrong.dossier is None


async def test_refused_checks_do_not_extend_the_lockout(service, engine, clock):
    for attempt in range(5):
        await service.check(CODE, parse_phone_proof("0000"), f"attacker-{attempt}")
    before = count(engine, "dossier_lookup_attempts")
    for _ in range(10):
        assert (await service.check(CODE, parse_phone_proof("1234"), "attacker-9")).outcome is LookupOutcome.LOCKED
    assert count(engine, "dossier_lookup_attempts") == before
    clock.advance(minutes=15)
    assert (await service.check(CODE, parse_phone_proof(PHONE[-4:]), "owner")).outcome is LookupOutcome.FOUND


async def test_failures_from_one_client_lock_its_last_four_checks_across_conversations(service, clock):
    """A new conversation id resets the per-conversation limit, not the client's."""
    for attempt in range(CLIENT_MAX_FAILED_CHECKS):
        code = f"000.00.12.H57-250714-{attempt:04d}"
        result = await service.check(code, parse_phone_proof("1111"), f"fresh-{attempt}", client="203.0.113.7")
        assert result.outcome is LookupOutcome.NOT_VERIFIED
    blocked = await service.check(CODE, parse_phone_proof(PHONE[-4:]), "fresh-new", client="203.0.113.7")
    assert blocked.outcome is LookupOutcome.LOCKED
    other_client = await service.check(CODE, parse_phone_proof(PHONE[-4:]), "fresh-x", client="198.51.100.2")
    assert other_client.outcome is LookupOutcome.FOUND
    full = await service.check(CODE, parse_phone_proof(PHONE), "fresh-new", client="203.0.113.7")
    assert full.outcome is LookupOutcome.FOUND


async def test_overall_failure_budget_refuses_last_four_checks_and_logs_an_alert(database_url, engine, clock, caplog):
    import_lines([line()], database_url)
    service = DossierLookupService(LocalDossierSource(DossierStore(engine)), LookupAttempts(engine, clock, overall_budget=3))
    for attempt in range(3):  # every failure on another code, conversation and client
        code = f"000.00.12.H57-250714-09{attempt:02d}"
        await service.check(code, parse_phone_proof("1111"), f"conv-{attempt}", client=f"10.0.0.{attempt}")
        clock.advance(minutes=1)
    with caplog.at_level(logging.WARNING, logger="knowledge.dossier_lookup"):
        refused = await service.check(CODE, parse_phone_proof(PHONE[-4:]), "citizen", client="10.0.1.1")
    assert refused.outcome is LookupOutcome.LOCKED
    assert refused.locked_until == datetime(2025, 7, 20, 3, 15, tzinfo=timezone.utc)  # the first failure ages out
    alerts = [record.getMessage() for record in caplog.records if "overall failure budget" in record.getMessage()]
    assert len(alerts) == 1
    assert CODE not in alerts[0] and PHONE[-4:] not in alerts[0] and "citizen" not in alerts[0]
    full = await service.check(CODE, parse_phone_proof(PHONE), "citizen", client="10.0.1.1")
    assert full.outcome is LookupOutcome.FOUND
    clock.now = datetime(2025, 7, 20, 3, 15, tzinfo=timezone.utc)
    assert (await service.check(CODE, parse_phone_proof(PHONE[-4:]), "citizen")).outcome is LookupOutcome.FOUND


async def test_an_outage_is_not_counted_as_a_failed_check(engine, clock):
    class DownSource:
        async def fetch(self, code, proof):
            raise LookupUnavailable("connection refused")

    service = DossierLookupService(DownSource(), LookupAttempts(engine, clock))
    for _ in range(6):
        assert (await service.check(CODE, parse_phone_proof("1111"), "c")).outcome is LookupOutcome.UNAVAILABLE
    assert count(engine, "dossier_lookup_attempts") == 0


class SlowWrongSource:
    """Every check fails, slowly: concurrent checks are all in flight at once."""

    async def fetch(self, code, proof):
        await asyncio.sleep(0.3)
        return None


def test_concurrent_checks_cannot_race_past_the_lockout(database_url):
    """Twelve checks on one code at once, each from its own thread, engine (action-server process)
    and conversation: at most five are ever checked against the source."""
    start = threading.Barrier(12)

    def one_check(index: int) -> LookupOutcome:
        engine = create_db_engine(database_url)
        try:
            service = DossierLookupService(SlowWrongSource(), LookupAttempts(engine))
            start.wait()
            return asyncio.run(service.check(CODE, parse_phone_proof("1111"), f"racer-{index}")).outcome
        finally:
            engine.dispose()

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(one_check, range(12)))
    checked = outcomes.count(LookupOutcome.NOT_VERIFIED)
    # Attempts that all start together may all see each other and all be refused: never too many checked.
    assert checked <= MAX_FAILED_CHECKS
    assert outcomes.count(LookupOutcome.LOCKED) == 12 - checked


async def test_concurrent_tasks_cannot_race_past_the_lockout(engine):
    service = DossierLookupService(SlowWrongSource(), LookupAttempts(engine))
    outcomes = [
        result.outcome for result in await asyncio.gather(*(service.check(CODE, parse_phone_proof("1111"), f"task-{index}") for index in range(10)))
    ]
    assert 1 <= outcomes.count(LookupOutcome.NOT_VERIFIED) <= MAX_FAILED_CHECKS


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
