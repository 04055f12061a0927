"""A handoff round trip through the real servers: the Rasa server, the action server and the console
as processes, the citizen on Rasa's REST channel, staff on the console over HTTP."""

from __future__ import annotations

import time

import pytest

from tests.console.conftest import HANDOFF_TIMEOUT_SECONDS

pytestmark = pytest.mark.servers


def wait_for(check, timeout: float, step: float = 0.1):
    """(value, seconds) once `check()` returns something true; fails after `timeout`."""
    start = time.monotonic()
    while True:
        value = check()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(step)


def queued(console, sender):
    return next((item for item in console.queue() if item["conversation_id"] == sender), None)


def bot_texts(tracker: dict) -> list[str]:
    return [event.get("text") or "" for event in tracker["events"] if event["event"] == "bot"]


def test_handoff_round_trip(assistant, console):
    sender = assistant.new_sender()
    assistant.send(sender, "xin chào")
    replies = assistant.send(sender, "tôi muốn gặp cán bộ")
    said = " ".join(reply.get("text", "") for reply in replies)
    assert "vị trí số" in said and "Giờ làm việc" in said or "ngoài giờ làm việc" in said
    assert any(reply.get("custom") == {"handoff": "waiting"} for reply in replies)
    assert assistant.tracker(sender)["paused"] is True

    item, seconds = wait_for(lambda: queued(console, sender), timeout=5)
    assert seconds < 2, f"the queue showed the request after {seconds:.1f} s"
    assert item["status"] == "waiting"

    # Paused: the citizen's message is recorded, the assistant stays silent.
    assert assistant.send(sender, "hồ sơ của tôi bao lâu thì xong") == []

    assert console.post("lan", f"/handoffs/{item['id']}/take").status_code == 303
    assert console.post("minh", f"/handoffs/{item['id']}/take").status_code == 409  # already taken
    assert console.post("minh", f"/conversations/{sender}/reply", text="xin chào").status_code == 403

    answer = "Chào bạn, mình là cán bộ Lan. Hồ sơ xử lý trong 5 ngày làm việc."
    assert console.post("lan", f"/conversations/{sender}/reply", text=answer).status_code == 303
    tracker = assistant.tracker(sender)
    staff = [e for e in tracker["events"] if e["event"] == "bot" and (e.get("metadata") or {}).get("staff_reply")]
    assert [(e["text"], e["metadata"]["staff_reply"]) for e in staff] == [(answer, "lan")]

    def transcript_has_staff_reply():
        page = console.signed_in("minh").get(f"{console.url}/conversations/{sender}/messages.json", timeout=10).json()
        return [m for m in page["messages"] if m["kind"] == "staff"]

    lines, seconds = wait_for(transcript_has_staff_reply, timeout=5)
    assert seconds < 2 and lines[0]["author"] == "lan" and lines[0]["text"] == answer

    assert console.post("lan", f"/conversations/{sender}/return").status_code == 303
    tracker = assistant.tracker(sender)
    assert tracker["paused"] is False
    assert any("trợ lý ảo" in text for text in bot_texts(tracker)[-1:])
    replies = assistant.send(sender, "đăng ký tạm trú cần giấy tờ gì")
    assert replies and any(reply.get("text") for reply in replies)  # the assistant answers again
    assert queued(console, sender) is None

    audit = console.signed_in("sup").get(f"{console.url}/audit", timeout=10).text
    for action in ("handoff_taken", "reply", "handoff_returned"):
        assert f"<td>{action}</td>" in audit


def test_going_back_to_the_assistant_while_waiting(assistant, console):
    sender = assistant.new_sender()
    assistant.send(sender, "cho toi noi chuyen voi nhan vien")
    wait_for(lambda: queued(console, sender), timeout=5)
    assert assistant.send(sender, "/handoff_cancel") == []  # paused: the console resumes it

    def resumed():
        tracker = assistant.tracker(sender)
        return not tracker["paused"] and any("quay lại với trợ lý ảo" in t for t in bot_texts(tracker))

    wait_for(resumed, timeout=5)
    assert queued(console, sender) is None
    assert assistant.send(sender, "làm hộ chiếu cần gì")


def test_nobody_takes_it_in_time(assistant, console):
    sender = assistant.new_sender()
    assistant.send(sender, "can I talk to a real person")
    wait_for(lambda: queued(console, sender), timeout=5)

    def told():
        return any("Nobody is free" in t for t in bot_texts(assistant.tracker(sender)))

    wait_for(told, timeout=HANDOFF_TIMEOUT_SECONDS + 10, step=0.5)
    assert queued(console, sender)["status"] == "waiting"  # the question stays in the queue
    assert assistant.tracker(sender)["paused"] is True
    item = queued(console, sender)
    assert console.post("sup", f"/handoffs/{item['id']}/take").status_code == 303
    assert console.post("sup", f"/conversations/{sender}/close").status_code == 303
    assert assistant.tracker(sender)["paused"] is False


def test_a_second_fallback_in_a_row_offers_a_person(assistant):
    sender = assistant.new_sender()
    replies = []
    # NLU not sure twice in a row (the intent payload makes it deterministic).
    for text in ("/nlu_fallback", "/nlu_fallback"):
        replies = assistant.send(sender, text)
    buttons = [b["payload"] for reply in replies for b in reply.get("buttons", [])]
    assert "/request_human" in buttons
