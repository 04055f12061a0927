"""`POST /widget/missed` against the real Rasa and web servers: a reopened widget gets the
assistant's and staff's messages it missed, of its own conversation only, and nothing for a
token the Rasa channel did not issue (forged, expired, or for another conversation)."""

from __future__ import annotations

import time
from unittest import mock

import pytest
import requests

from bot.channels.session import SessionSigner
from web.missed_replies import RATE_LIMIT, conversation_reader_token

pytestmark = pytest.mark.servers


def signer(assistant) -> SessionSigner:
    return SessionSigner(assistant.env["SOCKETIO_SESSION_SECRET"])


def append_events(assistant, conversation_id: str, events: list[dict]) -> None:
    # The id as it is: Rasa (Sanic) does not unquote path parameters, "socketio%3A…" is another conversation.
    response = requests.post(
        f"{assistant.rasa_url}/conversations/{conversation_id}/tracker/events",
        json=events,
        headers={"Authorization": f"Bearer {assistant.token()}"},
        timeout=30,
    )
    response.raise_for_status()


def missed(assistant, token, after=0) -> requests.Response:
    return requests.post(f"{assistant.web_url}/widget/missed", json={"session": token, "after": after}, timeout=30)


def citizen_says(text: str, intent: str, timestamp: float) -> dict:
    return {
        "event": "user",
        "text": text,
        "timestamp": timestamp,
        "input_channel": "socketio",
        "metadata": {},
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []},
    }


def conversation_with_staff_reply(assistant, staff_text: str):
    """(conversation id, session token, start): a greeting, a request for a person, the pause and a staff
    reply, timestamped from `start` on in steps of 0.01 s."""
    conversation_id, token = signer(assistant).new_session()
    # Rasa reads a conversation's events back in timestamp order from its session start on: start the
    # session first, then append events stamped after it and not in the future.
    assistant.tracker(conversation_id)
    start = time.time()
    time.sleep(0.1)
    append_events(
        assistant,
        conversation_id,
        [
            citizen_says("<b>xin chào</b>", "greet", start),
            {"event": "bot", "text": "Chào bạn!", "timestamp": start + 0.01},
            citizen_says("tôi muốn gặp cán bộ", "human_handoff", start + 0.02),
            {"event": "bot", "text": "Cán bộ sẽ trả lời bạn sớm.", "timestamp": start + 0.03, "data": {"custom": {"handoff": "waiting"}}},
            {"event": "pause", "timestamp": start + 0.035},
            {
                "event": "bot",
                "text": staff_text,
                "timestamp": start + 0.05,
                "metadata": {"staff_reply": "lan"},
                "data": {"buttons": [{"title": "Cảm ơn", "payload": "/thanks"}]},
            },
        ],
    )
    return conversation_id, token, start


def test_a_session_token_gets_its_conversations_replies_after_the_timestamp(assistant):
    _, token, start = conversation_with_staff_reply(assistant, "Hồ sơ của bạn đã được tiếp nhận.")

    response = missed(assistant, token, after=start + 0.015)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["paused"] is True
    assert [m["text"] for m in body["messages"]] == ["Cán bộ sẽ trả lời bạn sớm.", "Hồ sơ của bạn đã được tiếp nhận."]
    waiting, staff_reply = body["messages"]
    assert waiting["handoff"] == "waiting" and "staff" not in waiting
    assert staff_reply["staff"] is True and staff_reply["timestamp"] == start + 0.05
    assert staff_reply["buttons"] == [{"title": "Cảm ơn", "payload": "/thanks"}]
    assert "lan" not in str(staff_reply)  # that a person answered, not who
    assert "xin chào" not in response.text and "gặp cán bộ" not in response.text  # never the citizen's text
    assert missed(assistant, token, after=start + 0.05).json()["messages"] == []  # nothing after the newest


def test_no_token_of_ours_no_replies(assistant):
    conversation_id, token, _ = conversation_with_staff_reply(assistant, "Chỉ dành cho người hỏi.")
    forged = SessionSigner("not the server's secret")._signer.sign(conversation_id).decode()
    with mock.patch("time.time", return_value=time.time() - 2 * 24 * 3600):  # signed two days ago
        expired = signer(assistant)._signer.sign(conversation_id).decode()

    for refused in (forged, expired, conversation_id, "", None, token + "x"):
        response = missed(assistant, refused)
        assert response.status_code == 401, refused
        assert "Chỉ dành" not in response.text
    assert missed(assistant, token, after="yesterday").status_code == 400


def test_another_conversations_replies_are_unreachable(assistant):
    other_id, _, _ = conversation_with_staff_reply(assistant, "Câu trả lời của người khác.")
    mine_id, my_token, _ = conversation_with_staff_reply(assistant, "Câu trả lời của tôi.")

    texts = [m["text"] for m in missed(assistant, my_token).json()["messages"]]
    assert "Câu trả lời của tôi." in texts and "Câu trả lời của người khác." not in texts
    # The token the web server reads with is good for its own conversation only: Rasa refuses it elsewhere.
    reader = {"Authorization": f"Bearer {conversation_reader_token(assistant.jwt_secret, mine_id)}"}
    tracker_url = f"{assistant.rasa_url}/conversations/{{}}/tracker"
    assert requests.get(tracker_url.format(mine_id), headers=reader, timeout=30).status_code == 200
    assert requests.get(tracker_url.format(other_id), headers=reader, timeout=30).status_code == 403


def test_one_conversation_asks_a_limited_number_of_times_a_minute(assistant):
    _, token = signer(assistant).new_session()
    statuses = [missed(assistant, token, after=time.time()).status_code for _ in range(RATE_LIMIT + 1)]
    assert statuses[:RATE_LIMIT] == [200] * RATE_LIMIT
    assert statuses[-1] == 429
