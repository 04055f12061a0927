"""The real Rasa server, action server and web server answer, and the HTTP API is JWT-protected."""

import pytest
import requests

from tests.conftest import Assistant

pytestmark = pytest.mark.servers


def test_rest_webhook_answers_a_greeting(assistant: Assistant):
    replies = assistant.send(assistant.new_sender(), "xin chào")
    assert replies, "the assistant sent no reply"
    assert all(reply.get("text") or reply.get("buttons") for reply in replies)


def test_procedure_question_reaches_the_action_server(assistant: Assistant):
    sender = assistant.new_sender()
    replies = assistant.send(sender, "làm hộ chiếu cần giấy tờ gì")
    text = " ".join(reply.get("text", "") for reply in replies).lower()
    assert "hộ chiếu" in text
    slots = assistant.tracker(sender)["slots"]
    assert slots["procedure"] == "passport"


def test_tracker_api_requires_a_valid_jwt(assistant: Assistant):
    sender = assistant.new_sender()
    assistant.send(sender, "chào bạn")
    url = f"{assistant.rasa_url}/conversations/{sender}/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    forged = Assistant(**{**assistant.__dict__, "jwt_secret": "not-the-secret"}).token()
    assert requests.get(url, headers={"Authorization": f"Bearer {forged}"}, timeout=10).status_code == 401
    tracker = assistant.tracker(sender)
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert user_texts == ["chào bạn"]


def test_every_message_of_a_conversation_is_in_the_tracker(assistant: Assistant):
    sender = assistant.new_sender()
    messages = ["chào", "con tôi mới sinh", "cần giấy tờ gì", "lệ phí bao nhiêu", "cảm ơn"]
    for message in messages:
        assistant.send(sender, message)
    events = assistant.tracker(sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == messages


def test_web_server_serves_the_widget(assistant: Assistant):
    page = requests.get(f"{assistant.web_url}/", timeout=10)
    assert page.status_code == 200
    assert "widget.js" in page.text
    script = requests.get(f"{assistant.web_url}/static/widget.js", timeout=10)
    assert script.status_code == 200 and len(script.content) > 1000
