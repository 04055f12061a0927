"""Several Rasa processes, one conversation: every event stored exactly once, in order."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from deploy.local_cluster import LocalCluster

pytestmark = pytest.mark.scale

CONVERSATION = [
    "xin chào",
    "làm hộ chiếu cần giấy tờ gì",
    "lệ phí bao nhiêu",
    "mất bao lâu",
    "nộp ở đâu",
    "làm online được không",
    "cảm ơn",
    "tạm biệt",
]
OTHERS = [["chao ban", "lam ho chieu can gi", "phi bn", "cam on"], ["Hello", "my passport expired", "how much does it cost", "thanks"]]


def assert_turns_are_whole(events: list[dict], messages: list[str]) -> None:
    """Each message appears once, in order, and its turn (up to action_listen) is not interleaved."""
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert texts == messages
    serialised = [json.dumps(e, sort_keys=True) for e in events]
    duplicates = {s for s in serialised if serialised.count(s) > 1}
    assert not duplicates, f"events stored twice: {list(duplicates)[:3]}"
    # Within a turn Rasa stores an action before the events it returned, though it stamps it
    # after them: only the turns' order is a timeline.
    turn_times = [e["timestamp"] for e in events if e["event"] == "user"]
    assert turn_times == sorted(turn_times), "turns stored out of order"
    listening = True  # between a turn's user event and its closing action_listen
    for event in events:
        if event["event"] == "user":
            assert listening, "a user message was handled while the previous turn was still running"
            listening = False
        elif event["event"] == "action" and event.get("name") == "action_listen":
            listening = True


def _chat(cluster: LocalCluster, messages: list[str], errors: list) -> None:
    sender = uuid.uuid4().hex
    try:
        for message in messages:
            assert cluster.send(sender, message), f"no reply to {message!r}"
        assert [e["text"] for e in cluster.stored_events(sender) if e["event"] == "user"] == messages
    except Exception as error:  # noqa: BLE001 - reported by the main thread
        errors.append(error)


def test_messages_alternating_between_two_processes_are_stored_once_in_order(cluster: LocalCluster):
    sender = uuid.uuid4().hex
    errors: list = []
    background = [threading.Thread(target=_chat, args=(cluster, OTHERS[i % 2] * 2, errors)) for i in range(8)]
    for thread in background:
        thread.start()
    replies = []
    for i, message in enumerate(CONVERSATION):
        replies.append(cluster.send(sender, message, base_url=cluster.rasa_url(1 + i % 2)))
    for thread in background:
        thread.join(timeout=600)
    assert not errors, errors
    assert all(replies), "a message got no reply"
    events = cluster.stored_events(sender)
    assert_turns_are_whole(events, CONVERSATION)
    # The conversation moved between processes without losing its context: the fee question
    # (process 1) was answered about the procedure named in the message before (process 2).
    fee_reply = " ".join(r.get("text", "") for r in replies[2])
    assert fee_reply.startswith("Lệ phí thủ tục Cấp, cấp lại hộ chiếu"), fee_reply


def test_two_messages_of_one_conversation_at_once_on_two_processes_are_handled_one_after_the_other(cluster: LocalCluster):
    sender = uuid.uuid4().hex
    cluster.send(sender, "làm hộ chiếu cần giấy tờ gì", base_url=cluster.rasa_url(1))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cluster.send, sender, "lệ phí bao nhiêu", cluster.rasa_url(1))
        second = pool.submit(cluster.send, sender, "mất bao lâu", cluster.rasa_url(2))
        assert first.result() and second.result()
    events = cluster.stored_events(sender)
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert texts[0] == "làm hộ chiếu cần giấy tờ gì"
    assert sorted(texts[1:]) == sorted(["lệ phí bao nhiêu", "mất bao lâu"])
    assert_turns_are_whole(events, texts)
