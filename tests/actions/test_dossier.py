"""Dossier lookup actions against a real SQLite knowledge store with imported dossiers.

Time is injected: the lockout and "days left / overdue" are computed from a fixed clock.
The last tests drive the running assistant over the REST webhook (marked `servers`).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossier import ActionCancelDossierLookup, ActionCheckDossier, ValidateDossierLookupForm
from knowledge.db import create_db_engine, migrate
from knowledge.dossier_import import import_lines
from knowledge.dossier_lookup import (
    CLIENT_MAX_FAILED_CHECKS,
    Admission,
    DossierLookupService,
    LocalDossierSource,
    LookupAttempts,
    LookupUnavailable,
)
from knowledge.dossier_store import DossierStore

# 20/07/2025 10:00 in Vietnam.
NOW = datetime(2025, 7, 20, 3, 0, tzinfo=timezone.utc)
PHONE = "0912345678"

DOSSIERS = {
    "received": dict(code="000.00.12.H57-250718-0001", procedure_id="id-card", due_at="2025-07-25T17:00:00+07:00"),
    "processing": dict(code="000.00.12.H57-250714-0002", procedure_id="passport", due_at="2025-07-22T17:00:00+07:00"),
    "overdue": dict(code="000.00.12.H57-250701-0003", procedure_id="permanent-residence", status="processing", due_at="2025-07-15T17:00:00+07:00"),
    "additional_documents_required": dict(
        code="000.00.20.H57-250710-0004",
        procedure_id="construction-permit",
        missing_documents=["Bản vẽ thiết kế (2 bộ)", "Bản sao sổ đỏ"],
        due_at="2025-08-10T17:00:00+07:00",
    ),
    "result_ready": dict(
        code="000.00.15.H57-250705-0005",
        procedure_id="judicial-record",
        note="Nhận tại bộ phận một cửa Công an tỉnh, mang giấy hẹn.",
        due_at="2025-07-15T17:00:00+07:00",
    ),
    "completed": dict(code="000.00.12.H57-250702-0006", procedure_id="birth-registration"),
    "refused": dict(code="000.00.20.H57-250703-0007", procedure_id="business-household-registration", note="Tên hộ kinh doanh bị trùng."),
    "withdrawn": dict(code="000.00.31.H57-250704-0008", procedure_id=None),
}


def export_line(case: str, values: dict) -> str:
    record = {
        "status": case if case != "overdue" else "processing",
        "applicant_phone": PHONE,
        "received_at": "2025-07-01T09:00:00+07:00",
        "due_at": None,
        "updated_at": "2025-07-16T09:00:00+07:00",
        "agency": "Công an tỉnh Khánh Hòa",
        "missing_documents": [],
        "note": None,
    }
    record.update(values)
    return json.dumps(record, ensure_ascii=False)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


HASH_KEY = "action-tests"


@pytest.fixture(scope="module")
def imported_database(tmp_path_factory):
    """Migrated and imported once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("dossiers") / "knowledge.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOSSIER_HASH_KEY", HASH_KEY)
        migrate(f"sqlite:///{path}")
        import_lines([export_line(case, values) for case, values in DOSSIERS.items()], f"sqlite:///{path}")
    return path


@pytest.fixture
def service(imported_database, tmp_path, monkeypatch, clock):
    monkeypatch.setenv("DOSSIER_HASH_KEY", HASH_KEY)
    path = tmp_path / "knowledge.db"
    shutil.copy(imported_database, path)
    engine = create_db_engine(f"sqlite:///{path}")
    yield DossierLookupService(LocalDossierSource(DossierStore(engine)), LookupAttempts(engine, clock))
    engine.dispose()


@pytest.fixture
def check(service, clock, real_store):
    return ActionCheckDossier(service_factory=lambda: service, clock=clock, store_factory=lambda: real_store)


@pytest.fixture
def validate(service):
    return ValidateDossierLookupForm(service_factory=lambda: service)


def tracker(sender="citizen", language="vi", **slots) -> Tracker:
    values = {"language": language, "procedure": None, "dossier_code": None, "dossier_phone": None, "requested_slot": None, **slots}
    return Tracker(sender, values, {"text": "", "intent": {}, "entities": []}, [], False, None, None, "action_listen")


async def run_check(check, code, phone, sender="citizen", language="vi"):
    dispatcher = CollectingDispatcher()
    events = await check.run(dispatcher, tracker(sender, language, dossier_code=code, dossier_phone=phone), {})
    return dispatcher.messages, events


def text_of(messages) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


# --------------------------------------------------------------------------- answers per status


@pytest.mark.parametrize(
    "case, vi, en",
    [
        ("received", "Đã tiếp nhận", "Received"),
        ("processing", "Đang xử lý", "Being processed"),
        ("additional_documents_required", "Cần bổ sung giấy tờ", "More documents needed"),
        ("result_ready", "Đã có kết quả", "Result ready"),
        ("completed", "Đã trả kết quả", "Completed"),
        ("refused", "Bị từ chối", "Refused"),
        ("withdrawn", "Đã dừng xử lý", "Withdrawn"),
    ],
)
async def test_each_status_is_explained_in_the_citizens_language(check, case, vi, en):
    code = DOSSIERS[case]["code"]
    vi_messages, events = await run_check(check, code, PHONE, sender=f"vi-{case}")
    en_messages, _ = await run_check(check, code, PHONE[-4:], sender=f"en-{case}", language="en")
    assert vi in text_of(vi_messages) and en in text_of(en_messages)
    assert "Công an tỉnh Khánh Hòa" in text_of(vi_messages)
    assert "01/07/2025" in text_of(vi_messages) and "01/07/2025" in text_of(en_messages)
    assert SlotSet("dossier_phone", None) in events and SlotSet("dossier_code", None) in events
    payloads = [button["payload"] for button in vi_messages[0]["buttons"]]
    assert payloads[0] == "/check_dossier_status" and payloads[-1] == "/request_human"
    procedure = DOSSIERS[case]["procedure_id"]
    if procedure:
        assert '/ask_documents{"procedure":"%s","procedure_id":"%s"}' % (procedure, procedure) in payloads
        assert SlotSet("procedure", procedure) in events
    else:
        assert len(payloads) == 2


async def test_the_answer_names_the_procedure_as_the_knowledge_store_does(check, real_store):
    code = DOSSIERS["processing"]["code"]  # a passport dossier
    vi_messages, _ = await run_check(check, code, PHONE, sender="name-vi")
    en_messages, _ = await run_check(check, code, PHONE, sender="name-en", language="en")
    names = real_store.get_procedure("passport").names
    assert f"{code} ({names.vi}): Đang xử lý." in text_of(vi_messages)
    assert f"{code} ({names.en}): Being processed." in text_of(en_messages)


async def test_days_left_and_overdue(check):
    messages, _ = await run_check(check, DOSSIERS["processing"]["code"], PHONE)
    assert "22/07/2025 (còn 2 ngày)" in text_of(messages)
    messages, _ = await run_check(check, DOSSIERS["overdue"]["code"], PHONE, language="en")
    assert "15/07/2025" in text_of(messages) and "5 days overdue" in text_of(messages)
    messages, _ = await run_check(check, DOSSIERS["overdue"]["code"], PHONE)
    assert "quá hạn 5 ngày" in text_of(messages)


async def test_finished_dossiers_show_no_deadline(check):
    messages, _ = await run_check(check, DOSSIERS["result_ready"]["code"], PHONE)
    assert "quá hạn" not in text_of(messages) and "Ngày hẹn" not in text_of(messages)


async def test_missing_documents_and_how_to_add_them_online(check):
    messages, _ = await run_check(check, DOSSIERS["additional_documents_required"]["code"], PHONE)
    text = text_of(messages)
    assert "- Bản vẽ thiết kế (2 bộ)" in text and "- Bản sao sổ đỏ" in text
    assert "dichvucong.gov.vn" in text and "VNeID" in text


async def test_how_to_collect_and_refusal_reason(check):
    ready, _ = await run_check(check, DOSSIERS["result_ready"]["code"], PHONE)
    refused, _ = await run_check(check, DOSSIERS["refused"]["code"], PHONE, language="en")
    assert "Cách nhận kết quả: Nhận tại bộ phận một cửa" in text_of(ready)
    assert "Reason: Tên hộ kinh doanh bị trùng." in text_of(refused)
    assert "quoted from the agency's record, in Vietnamese" in text_of(refused)
    assert "quoted" not in text_of(ready)


# --------------------------------------------------------------------------- proof of ownership


async def test_wrong_phone_and_unknown_code_get_exactly_the_same_reply(check):
    wrong, wrong_events = await run_check(check, DOSSIERS["processing"]["code"], "0987654321", sender="a")
    unknown, unknown_events = await run_check(check, "000.00.12.H57-250714-9999", PHONE, sender="b")
    wrong4, _ = await run_check(check, DOSSIERS["processing"]["code"], "1111", sender="c")
    assert wrong == unknown == wrong4
    assert wrong_events == unknown_events
    assert "Đang xử lý" not in text_of(wrong) and "Công an" not in text_of(wrong)


async def test_lockout_refuses_even_the_right_last_four_digits_and_expires(check, clock):
    code = DOSSIERS["processing"]["code"]
    for attempt in range(5):
        messages, _ = await run_check(check, code, f"09000000{attempt:02d}", sender="guesser")
    assert "1 lần" not in text_of(messages)
    locked, events = await run_check(check, code, PHONE[-4:], sender="owner")
    assert "tạm khóa" in text_of(locked) and "10:15" in text_of(locked)  # 03:00 UTC + 15 min, Vietnam time
    assert "Đang xử lý" not in text_of(locked)
    assert "đầy đủ số điện thoại" in text_of(locked)  # tells the owner what still works
    assert SlotSet("dossier_phone", None) in events
    clock.now += timedelta(minutes=15)
    open_again, _ = await run_check(check, code, PHONE[-4:], sender="owner")
    assert "Đang xử lý" in text_of(open_again)


async def test_the_owner_gets_the_status_with_the_full_number_while_the_code_is_locked(check):
    code = DOSSIERS["processing"]["code"]
    for attempt in range(5):
        await run_check(check, code, f"09000000{attempt:02d}", sender="guesser")
    messages, _ = await run_check(check, code, PHONE, sender="owner")
    assert "Đang xử lý" in text_of(messages)


async def test_locked_conversation_is_asked_for_the_full_number(validate, check, service):
    for attempt in range(5):
        await run_check(check, f"000.00.12.H57-250714-99{attempt:02d}", PHONE, sender="guesser")
    dispatcher = CollectingDispatcher()
    result = validate.validate_dossier_code(DOSSIERS["processing"]["code"], dispatcher, tracker("guesser", language="en"), {})
    assert result == {"dossier_code": DOSSIERS["processing"]["code"]}  # the form goes on to ask for the phone
    assert "full phone number" in text_of(dispatcher.messages)
    messages, _ = await run_check(check, DOSSIERS["processing"]["code"], None, sender="guesser", language="en")
    assert "paused until" in text_of(messages)
    found, _ = await run_check(check, DOSSIERS["processing"]["code"], PHONE, sender="guesser")
    assert "Đang xử lý" in text_of(found)


async def test_the_client_from_the_channel_metadata_is_limited_across_conversations(check):
    async def from_client(code, phone, sender, client):
        dispatcher = CollectingDispatcher()
        state = tracker(sender, dossier_code=code, dossier_phone=phone)
        state.latest_message["metadata"] = {"client": client}
        await check.run(dispatcher, state, {})
        return text_of(dispatcher.messages)

    for attempt in range(CLIENT_MAX_FAILED_CHECKS):
        await from_client(f"000.00.12.H57-250714-98{attempt:02d}", "1111", f"fresh-{attempt}", "client-a")
    code = DOSSIERS["processing"]["code"]
    assert "tạm khóa" in await from_client(code, PHONE[-4:], "fresh-new", "client-a")
    assert "Đang xử lý" in await from_client(code, PHONE[-4:], "fresh-new", "client-b")


async def test_warning_before_the_lockout(check):
    code = DOSSIERS["processing"]["code"]
    replies = [text_of((await run_check(check, code, "1111", sender="w"))[0]) for _ in range(5)]
    assert "lần nữa" not in replies[0] and "sai thêm 1 lần nữa" in replies[3]
    assert "tạm khóa 15 phút" in replies[4] and "0 lần" not in replies[4]


async def test_service_down_gives_the_helpline_and_does_not_crash(clock):
    class DownSource:
        async def fetch(self, code, proof):
            raise LookupUnavailable("connection refused")

    class NoAttempts:
        discarded = 0

        def admit(self, code, conversation, client=None):
            return Admission(attempt_id=1)

        def discard(self, admission):
            NoAttempts.discarded += 1

        def record(self, *args, **kwargs):
            raise AssertionError("an outage is not a failed check")

    action = ActionCheckDossier(service_factory=lambda: DossierLookupService(DownSource(), NoAttempts()), clock=clock)
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(dossier_code=DOSSIERS["processing"]["code"], dossier_phone=PHONE), {})
    assert dispatcher.messages[0]["response"] == "utter_dossier_service_unavailable"
    assert SlotSet("dossier_phone", None) in events
    assert NoAttempts.discarded == 1  # the attempt counted before the check is taken back


# --------------------------------------------------------------------------- form validation


@pytest.mark.parametrize(
    "value, expected",
    [
        ("000.00.12.h57 - 250714 - 0002", "000.00.12.H57-250714-0002"),
        ("mã hồ sơ là 000.00.12.H57-250714-0002 ạ", "000.00.12.H57-250714-0002"),
        ("０００.００.１２.Ｈ５７-２５０７１４-０００２", "000.00.12.H57-250714-0002"),
        (["000.00.12.H57-250714-0002"], "000.00.12.H57-250714-0002"),
    ],
)
def test_codes_are_normalised(validate, value, expected):
    dispatcher = CollectingDispatcher()
    assert validate.validate_dossier_code(value, dispatcher, tracker(), {}) == {"dossier_code": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("value", ["x" * 5000, "'; DROP TABLE dossiers; --", "SELECT * FROM dossiers", "😀🙏", "", None, 12345])
def test_malformed_codes_get_a_clear_answer(validate, value):
    dispatcher = CollectingDispatcher()
    assert validate.validate_dossier_code(value, dispatcher, tracker(), {}) == {"dossier_code": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_dossier_code"


@pytest.mark.parametrize(
    "value, digits", [("0912 345 678", PHONE), ("+84912345678", PHONE), ("5678", "5678"), ("4 số cuối 5678", "5678"), ("０９１２３４５６７８", PHONE)]
)
def test_phones_are_normalised(validate, value, digits):
    dispatcher = CollectingDispatcher()
    assert validate.validate_dossier_phone(value, dispatcher, tracker(), {}) == {"dossier_phone": digits}


@pytest.mark.parametrize("value", ["123", "abc", "😀", "1" * 5000, "", "1234 5678"])
def test_malformed_phones_get_a_clear_answer(validate, value):
    dispatcher = CollectingDispatcher()
    assert validate.validate_dossier_phone(value, dispatcher, tracker(), {}) == {"dossier_phone": None}
    assert dispatcher.messages[0]["response"] == "utter_invalid_dossier_phone"


async def test_cancel_leaves_the_form_and_forgets_the_slots():
    dispatcher = CollectingDispatcher()
    events = await ActionCancelDossierLookup().run(dispatcher, tracker(dossier_code="x", dossier_phone="1"), {})
    assert ActiveLoop(None) in events and SlotSet("dossier_phone", None) in events
    assert dispatcher.messages[0]["response"] == "utter_dossier_lookup_cancelled"


# --------------------------------------------------------------------------- the running assistant


def conversation(assistant, messages, metadata=None) -> tuple[str, list[str]]:
    sender = assistant.new_sender()
    replies = []
    for message in messages:
        replies.append(" ".join(r.get("text") or "" for r in assistant.send(sender, message, metadata)))
    return sender, replies


@pytest.mark.servers
def test_check_by_code_and_phone_over_rest(assistant):
    _, replies = conversation(assistant, ["kiểm tra hồ sơ 000.00.31.H57-261105-0012", "0900000002"])
    assert "Đang xử lý" in replies[-1] and "Phòng Quản lý xuất nhập cảnh" in replies[-1]


@pytest.mark.servers
def test_unaccented_request_and_last_four_digits(assistant):
    _, replies = conversation(assistant, ["tra cuu ho so", "000.00.15.h57 - 261101 - 0030", "0005"])
    assert "Đã có kết quả" in replies[-1]


@pytest.mark.servers
def test_english_conversation(assistant):
    _, replies = conversation(
        assistant,
        ["check my application status", "000.00.20.H57-261015-0017", "0900000007"],
        metadata={"language": "en"},
    )
    assert "Refused" in replies[-1] and "Reason:" in replies[-1]


@pytest.mark.servers
def test_malformed_inputs_get_clear_answers_and_the_conversation_goes_on(assistant):
    sender, replies = conversation(
        assistant,
        ["kiểm tra hồ sơ", "x" * 1000, "'; DROP TABLE dossiers; --", "😀😀", "000.00.12.H57-261118-0003", "0900000001"],
    )
    assert all(reply.strip() for reply in replies[1:4]), replies
    assert "Đã tiếp nhận" in replies[-1]


# --------------------------------------------------------------------------- one turn, one question to the attempt table


class CountingAttempts(LookupAttempts):
    """The real attempt table, counting how often a turn asks it about the lockout."""

    asked = 0

    def locked_until(self, *args, **kwargs):
        self.asked += 1
        return super().locked_until(*args, **kwargs)

    def admit(self, *args, **kwargs):
        self.asked += 1
        return super().admit(*args, **kwargs)

    def failures_left(self, *args, **kwargs):
        self.asked += 1
        return super().failures_left(*args, **kwargs)


async def test_code_and_phone_in_one_message_ask_about_the_lockout_once(service, clock, real_store):
    attempts = CountingAttempts(service._attempts.engine, clock)
    counted = DossierLookupService(service.source, attempts)
    code = DOSSIERS["processing"]["code"]
    # The form's validation sees both slots set by this message, then the check runs in the same turn.
    turn = tracker("one-turn")
    turn.events = [
        {"event": "user", "text": f"{code} 1111"},
        {"event": "slot", "name": "dossier_code", "value": code},
        {"event": "slot", "name": "dossier_phone", "value": "1111"},
    ]
    dispatcher = CollectingDispatcher()
    validate = ValidateDossierLookupForm(service_factory=lambda: counted)
    assert validate.validate_dossier_code(code, dispatcher, turn, {}) == {"dossier_code": code}
    assert validate.validate_dossier_phone("1111", dispatcher, turn, {}) == {"dossier_phone": "1111"}
    assert attempts.asked == 0 and dispatcher.messages == []  # the check answers a lockout itself
    check = ActionCheckDossier(service_factory=lambda: counted, clock=clock, store_factory=lambda: real_store)
    for _ in range(4):
        messages, _ = await run_check(check, code, "1111", sender="one-turn")
    assert attempts.asked == 4  # one admission per check: the lockout, the budget and what is left together
    assert "sai thêm 1 lần nữa" in text_of(messages)


async def test_the_check_reads_the_validated_slots_and_refuses_anything_else(check):
    messages, _ = await run_check(check, "not a code", PHONE)
    assert messages[0]["response"] == "utter_invalid_dossier_code"
    messages, _ = await run_check(check, DOSSIERS["processing"]["code"], "09123")
    assert messages[0]["response"] == "utter_invalid_dossier_phone"
