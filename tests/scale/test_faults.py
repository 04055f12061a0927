"""Faults on the scaled-out assistant, with the real processes: action servers killed, the
tracker store's database unreachable, Redis down."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from deploy.local_cluster import LocalCluster

pytestmark = pytest.mark.scale

UNAVAILABLE = {"vi": "tạm thời gián đoạn", "en": "temporarily unavailable"}


def _text(replies: list[dict]) -> str:
    return " ".join(reply.get("text", "") for reply in replies)


def _user_texts(cluster: LocalCluster, sender: str) -> list[str]:
    return [e["text"] for e in cluster.stored_events(sender) if e["event"] == "user"]


@pytest.mark.parametrize(
    "language, opening, follow_up, expected_after",
    [
        ("vi", "làm hộ chiếu cần giấy tờ gì", "lệ phí bao nhiêu", "Lệ phí thủ tục Cấp, cấp lại hộ chiếu"),
        ("en", "my passport expired, what documents do I need", "how much does it cost", "passport"),
    ],
)
def test_action_servers_killed_mid_conversation(cluster: LocalCluster, language, opening, follow_up, expected_after):
    sender = uuid.uuid4().hex
    assert cluster.send(sender, opening)
    # One action server down: HAProxy sends the calls to the other one; nothing shows.
    cluster.kill_action_server(1)
    assert UNAVAILABLE[language] not in _text(cluster.send(sender, follow_up))
    cluster.wait_for_action_servers()

    # Every action server down: a clear reply in the citizen's language, not silence.
    for i in range(1, cluster.action_count + 1):
        cluster.kill_action_server(i)
    replies = cluster.send(sender, follow_up)
    text = _text(replies)
    assert UNAVAILABLE[language] in text, replies
    assert "Traceback" not in text and "Error" not in text
    assert text.count(UNAVAILABLE[language]) <= 2

    # The supervisors restart them; the conversation continues where it was.
    cluster.wait_for_action_servers()
    time.sleep(3)  # HAProxy's health checks see them up again (rise 2, inter 1s)
    after = _text(cluster.send(sender, follow_up))
    assert expected_after in after and UNAVAILABLE[language] not in after, after
    assert _user_texts(cluster, sender) == [opening, follow_up, follow_up, follow_up]


def test_tracker_database_unreachable_for_a_few_seconds_loses_no_message(cluster: LocalCluster):
    sender = uuid.uuid4().hex
    assert cluster.send(sender, "làm hộ chiếu cần giấy tờ gì")
    results: dict = {}

    def send_during_outage():
        results["replies"] = cluster.send(sender, "lệ phí bao nhiêu", base_url=cluster.rasa_url(1))

    cluster.proxy.down()
    try:
        thread = threading.Thread(target=send_during_outage)
        thread.start()
        time.sleep(6)
        assert thread.is_alive(), "answered without its tracker: the read was not retried"
    finally:
        cluster.proxy.up()
    thread.join(timeout=120)
    assert _text(results["replies"]).startswith("Lệ phí thủ tục Cấp, cấp lại hộ chiếu")
    assert _user_texts(cluster, sender) == ["làm hộ chiếu cần giấy tờ gì", "lệ phí bao nhiêu"]
    # Both processes still work (their pooled connections were cut).
    for i in (1, 2):
        assert cluster.send(sender, "mất bao lâu", base_url=cluster.rasa_url(i))
    assert _user_texts(cluster, sender)[-2:] == ["mất bao lâu", "mất bao lâu"]


def test_redis_down_gives_one_answer_per_message_then_recovers(cluster: LocalCluster):
    sender = uuid.uuid4().hex
    assert cluster.send(sender, "xin chào")
    cluster.stop_redis()
    try:
        messages = ["làm hộ chiếu cần giấy tờ gì", "lệ phí bao nhiêu"]
        for message in messages:
            replies = cluster.send(sender, message)
            assert len(replies) == 1, replies  # one answer, not none and not two
        assert _user_texts(cluster, sender) == ["xin chào", *messages]
        logs = "".join(cluster.servers[f"rasa{i}"].tail(200_000) for i in (1, 2))
        assert "Redis lock store unreachable" in logs
    finally:
        cluster.start_redis()
    assert _text(cluster.send(sender, "mất bao lâu"))
    assert _user_texts(cluster, sender)[-1] == "mất bao lâu"
