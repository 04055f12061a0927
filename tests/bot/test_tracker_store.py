"""The masking tracker store: phone and ID numbers never reach the tracker database.

The proofs read the raw `events` table, the way a staff tool or a database dump would see it.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.event_broker import sql_broker
from bot.tracker_store import MaskingSQLTrackerStore, mask_event, masked_event_dicts, tracker_store_url

CODE = "000.00.12.H57-250714-0031"
PHONE = "0912345678"

DOMAIN = Domain.from_dict(
    {
        "intents": ["check_dossier_status", "inform_dossier_code", "inform_phone", "out_of_scope"],
        "entities": ["dossier_code", "phone_number"],
        "slots": {
            name: {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]} for name in ("dossier_code", "dossier_phone")
        },
        "forms": {"dossier_lookup_form": {"required_slots": ["dossier_code", "dossier_phone"]}},
    }
)


def user(text: str, intent: str, entities: list[dict] | None = None) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.9}, entities=entities or [])


def dossier_conversation(phone_message: str, phone_intent: str = "out_of_scope") -> list:
    """A check where the phone answer may be misread by NLU: only the form state says it is a phone."""
    return [
        ActionExecuted("action_listen"),
        user(f"kiểm tra hồ sơ {CODE}", "check_dossier_status", [{"entity": "dossier_code", "value": CODE, "start": 15, "end": 15 + len(CODE)}]),
        SlotSet("dossier_code", CODE),
        ActionExecuted("dossier_lookup_form"),
        ActiveLoop("dossier_lookup_form"),
        SlotSet("requested_slot", "dossier_phone"),
        BotUttered("Cho mình số điện thoại đã đăng ký (hoặc 4 số cuối)."),
        ActionExecuted("action_listen"),
        user(phone_message, phone_intent),
        SlotSet("dossier_phone", phone_message),
        ActionExecuted("dossier_lookup_form"),
        SlotSet("dossier_phone", PHONE[-4:]),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ActionExecuted("action_check_dossier"),
        BotUttered("Hồ sơ 000.00.12.H57-250714-0031: Đang xử lý. Gọi 18001096 nếu cần."),
        SlotSet("dossier_code", None),
        SlotSet("dossier_phone", None),
        ActionExecuted("action_listen"),
        user("còn cccd của tôi là 012345678901 thì sao", "out_of_scope"),
    ]


@pytest.fixture
def store(tmp_path):
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    store.path = tmp_path / "tracker.db"
    yield store
    store.engine.dispose()


def stored_rows(path) -> list[dict]:
    with sqlite3.connect(path) as connection:
        return [json.loads(data) for (data,) in connection.execute("SELECT data FROM events ORDER BY id")]


def stored_content(rows: list[dict]) -> str:
    """Everything a person could read in the stored events, without timestamps (random digits)."""
    for row in rows:
        row.pop("timestamp", None)
    return json.dumps(rows, ensure_ascii=False)


async def save(store, sender: str, events: list) -> None:
    tracker = DialogueStateTracker.from_events(sender, events, DOMAIN.slots)
    await store.save(tracker)


async def test_stored_events_hold_no_phone_digits(store):
    await save(store, "citizen", dossier_conversation("4 số cuối là 5678"))
    rows = stored_rows(store.path)
    raw = stored_content(rows)
    assert "5678" not in raw and "012345678901" not in raw
    users = [row["text"] for row in rows if row["event"] == "user"]
    assert users[0] == f"kiểm tra hồ sơ {CODE}"  # codes stay readable for staff
    assert "[***]" in users[1] and "[***]" in users[2]
    phone_slots = [row["value"] for row in rows if row["event"] == "slot" and row["name"] == "dossier_phone"]
    assert phone_slots == ["[***]", "[***]", None]
    assert any("18001096" in row.get("text", "") for row in rows if row["event"] == "bot")


async def test_a_full_number_is_masked_everywhere_even_outside_the_form(store):
    events = [
        ActionExecuted("action_listen"),
        user("sđt của tôi +84 912 345 678", "inform_phone", [{"entity": "phone_number", "value": "+84 912 345 678", "start": 13, "end": 28}]),
    ]
    await save(store, "other", events)
    raw = stored_content(stored_rows(store.path))
    assert "912" not in raw and "345" not in raw


async def test_each_save_masks_only_new_events_and_keeps_the_conversation(store):
    events = dossier_conversation(PHONE)
    await save(store, "turns", events[:8])
    await save(store, "turns", events)  # second turn: the phone answer arrives
    rows = stored_rows(store.path)
    assert len(rows) == len(events)
    assert PHONE not in stored_content(rows)
    tracker = await store.retrieve("turns")
    assert tracker.get_slot("dossier_phone") is None and tracker.get_slot("dossier_code") is None
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)][0] == f"kiểm tra hồ sơ {CODE}"


def test_masking_depends_on_what_the_form_asked():
    events = dossier_conversation("1234")
    phone_answer = events[8]
    masked = masked_event_dicts(events, [phone_answer])[0]
    assert masked["text"] == "[***]"
    alone = mask_event(phone_answer.as_dict())  # without the form context a 4-digit answer is not personal
    assert alone["text"] == "1234"


def test_url_comes_from_endpoint_then_env_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_STORE_URL", "sqlite:///from-env.db")
    assert tracker_store_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert tracker_store_url(None, url="sqlite:///kw.db") == "sqlite:///kw.db"
    assert tracker_store_url(None) == "sqlite:///from-env.db"
    monkeypatch.delenv("TRACKER_STORE_URL")
    assert tracker_store_url(None).endswith("/var/tracker.db")
    assert tracker_store_url(None, dialect="sqlite", db="classic.db") is None  # Rasa's own settings apply


def test_classic_dialect_and_db_settings_still_work(monkeypatch, tmp_path):
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db="classic.db")
    try:
        assert store.engine.url.database == "classic.db"
    finally:
        store.engine.dispose()


async def test_store_reads_its_url_from_the_environment(monkeypatch, tmp_path):
    path = tmp_path / "nested" / "tracker.db"
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{path}")
    store = MaskingSQLTrackerStore(domain=DOMAIN)
    try:
        await save(store, uuid.uuid4().hex, dossier_conversation(PHONE))
        assert path.exists() and PHONE not in stored_content(stored_rows(path))
    finally:
        store.engine.dispose()


@pytest.mark.servers
def test_the_running_assistant_persists_no_phone_number(assistant):
    """A real conversation through the REST webhook, then a look at the tracker database itself."""
    url = assistant.env["TRACKER_STORE_URL"]
    assert url.startswith("sqlite:///"), "this check reads the SQLite tracker file"
    sender = assistant.new_sender()
    assistant.send(sender, "tôi muốn tra cứu hồ sơ")
    assistant.send(sender, "000.00.12.H57-261118-0003")
    replies = assistant.send(sender, "0900000001")
    assert "Đã tiếp nhận" in " ".join(reply.get("text", "") for reply in replies)
    assistant.send(sender, "cảm ơn")
    with sqlite3.connect(url[len("sqlite:///") :]) as connection:
        rows = [data for (data,) in connection.execute("SELECT data FROM events WHERE sender_id = ?", (sender,))]
    assert rows, "the conversation is not in the tracker store"
    assert not any("0900000001" in row or "900000001" in row for row in rows)
    slots = assistant.tracker(sender)["slots"]
    assert slots["dossier_phone"] is None


async def test_the_broker_gets_each_turn_masked_in_order_in_one_transaction(tmp_path):
    broker = sql_broker(f"sqlite:///{tmp_path / 'events.db'}")
    commits: list[int] = []
    sa.event.listen(broker.engine, "commit", lambda _connection: commits.append(1))
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}", event_broker=broker)
    events = dossier_conversation("4 số cuối là 5678")
    await save(store, "turns", events[:8])
    await save(store, "turns", events)
    rows = stored_rows(tmp_path / "events.db")
    assert [row["event"] for row in rows] == [event.type_name for event in events]  # every event once, in order
    assert {row["sender_id"] for row in rows} == {"turns"}
    assert "5678" not in stored_content(rows) and "012345678901" not in stored_content(rows)
    assert len(commits) == 2  # one per saved turn, not one per event
    store.engine.dispose()
    broker.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request, tmp_path, _postgres):
    url = _postgres.new_url() if request.param == "postgresql" else f"sqlite:///{tmp_path / 'tracker.db'}"
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url)
    yield store
    store.engine.dispose()


async def test_reads_and_counts_are_rasa_s_across_sessions(any_store):
    """The statements built once (ConversationStatements) return what Rasa's own query returns."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    def session(text: str) -> list:
        return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"), user(text, "out_of_scope")]

    conversations = {
        "one-session": session("xin chào"),
        "two-sessions": session("lần một") + session("lần hai"),
        "no-session-start": dossier_conversation("5678"),
    }
    for sender, events in conversations.items():
        await save(any_store, sender, events)
    continued = await any_store.retrieve("two-sessions")  # as Rasa does: the latest session only
    continued.update(BotUttered("Chào bạn"))
    await any_store.save(continued)
    for sender in [*conversations, "unknown"]:
        for all_sessions in (False, True):
            ours = await any_store._retrieve(sender, all_sessions)
            rasa_s = await SQLTrackerStore._retrieve(any_store, sender, all_sessions)
            assert (ours and ours.current_state()) == (rasa_s and rasa_s.current_state())
        with any_store.session_scope() as db:
            tracker = DialogueStateTracker.from_events(sender, conversations.get(sender, []), DOMAIN.slots)
            assert list(any_store._additional_events(db, tracker)) == list(SQLTrackerStore._additional_events(any_store, db, tracker))
    last = await any_store.retrieve("two-sessions")
    assert [e.text for e in last.events if isinstance(e, UserUttered)] == ["lần hai"]
    assert [e.text for e in last.events if isinstance(e, BotUttered)] == ["Chào bạn"]
