"""`POST /widget/missed` against the real Rasa and web servers: a reopened widget gets the
assistant's and staff's messages it missed, of its own conversation only, and nothing for a
token the Rasa channel did not issue (forged, expired, or for another conversation)."""
from __future__ import annotations

import time
from unittest import mock
from urllib.parse import quote

import pytest
import requests

from bot.channels.session import SessionSigner
from web.missed_replies import RATE_LIMIT, conversation_reader_token

pytestmark = pytest.mark.servers


def signer(assistant) -> SessionSigner:
    return SessionSigner(assistant.env["SOCKETIO_SESSION_SECRET"])


def append_events(assistant, conversation_id: str, events: list[dict]) -> None:
    response = requests.post(f"{assistant.rasa_url}/conversations/{quote(conversation_id, safe='')}/tracker/events",
                             json=events, headers={"Authorization": f"Bearer {assistant.token()}"}, timeout=30)
    response.raise_for_status()


def missed(assistant, token, after=0) -> requests.Response:
    return requests.post(f"{assistant.web_url}/widget/missed", json={"session": token, "after": after}, timeout=30)


def conversation_with_staff_reply(assistant, staff_text: str, start: float):
    """(conversation id, session token): a greeting, a request for a person, the pause and a staff reply."""
    conversation_id, token = signer(assistant).new_session()
    append_events(assistant, conversation_id, [
        {"event": "user", "text": "<b>xin chào</b>", "timestamp": start, "parse_data": {"intent": {"name": "greet"}}},
        {"event": "bot", "text": "Chào bạn!", "timestamp": start + 1},
        {"event": "user", "text": "tôi muốn gặp cán bộ", "timestamp": start + 2},
        {"event": "bot", "text": "Cán bộ sẽ trả lời bạn sớm.", "timestamp": start + 3,
         "data": {"custom": {"handoff": "waiting"}}},
        {"event": "pause", "timestamp": start + 3.5},
        {"event": "bot", "text": staff_text, "timestamp": start + 5, "metadata": {"staff_reply": "lan"},
         "data": {"buttons": [{"title": "Cảm ơn", "payload": "/thanks"}]}},
    ])
    return conversation_id, token


def test_a_session_token_gets_its_conversations_replies_after_the_timestamp(assistant):
    start = time.time() - 60
    _, token = conversation_with_staff_reply(assistant, "Hồ sơ của bạn đã được tiếp nhận.", start)

    response = missed(assistant, token, after=start + 1.5)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["paused"] is True
    assert [m["text"] for m in body["messages"]] == ["Cán bộ sẽ trả lời bạn sớm.", "Hồ sơ của bạn đã được tiếp nhận."]
    waiting, staff_reply = body["messages"]
    assert waiting["handoff"] == "waiting" and "staff" not in waiting
    assert staff_reply["staff"] is True and staff_reply["timestamp"] == start + 5
    assert staff_reply["buttons"] == [{"title": "Cảm ơn", "payload": "/thanks"}]
    assert "lan" not in str(staff_reply)  # that a person answered, not who
    assert "xin chào" not in response.text and "gặp cán bộ" not in response.text  # never the citizen's text
    assert missed(assistant, token, after=start + 5).json()["messages"] == []  # nothing after the newest


def test_no_token_of_ours_no_replies(assistant):
    start = time.time() - 60
    conversation_id, token = conversation_with_staff_reply(assistant, "Chỉ dành cho người hỏi.", start)
    forged = SessionSigner("not the server's secret")._signer.sign(conversation_id).decode()
    with mock.patch("time.time", return_value=time.time() - 2 * 24 * 3600):  # signed two days ago
        expired = signer(assistant)._signer.sign(conversation_id).decode()

    for refused in (forged, expired, conversation_id, "", None, token + "x"):
        response = missed(assistant, refused)
        assert response.status_code == 401, refused
        assert "Chỉ dành" not in response.text
    assert missed(assistant, token, after="yesterday").status_code == 400


def test_another_conversations_replies_are_unreachable(assistant):
    start = time.time() - 60
    other_id, _ = conversation_with_staff_reply(assistant, "Câu trả lời của người khác.", start)
    mine_id, my_token = conversation_with_staff_reply(assistant, "Câu trả lời của tôi.", start)

    texts = [m["text"] for m in missed(assistant, my_token).json()["messages"]]
    assert "Câu trả lời của tôi." in texts and "Câu trả lời của người khác." not in texts
    # The token the web server reads with is good for its own conversation only: Rasa refuses it elsewhere.
    reader = {"Authorization": f"Bearer {conversation_reader_token(assistant.jwt_secret, mine_id)}"}
    tracker_url = f"{assistant.rasa_url}/conversations/{{}}/tracker"
    assert requests.get(tracker_url.format(quote(mine_id, safe="")), headers=reader, timeout=30).status_code == 200
    assert requests.get(tracker_url.format(quote(other_id, safe="")), headers=reader, timeout=30).status_code == 403


def test_one_conversation_asks_a_limited_number_of_times_a_minute(assistant):
    _, token = signer(assistant).new_session()
    statuses = [missed(assistant, token, after=time.time()).status_code for _ in range(RATE_LIMIT + 1)]
    assert statuses[:RATE_LIMIT] == [200] * RATE_LIMIT
    assert statuses[-1] == 429
