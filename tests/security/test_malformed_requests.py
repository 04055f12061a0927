"""Issue 13, item 2: malformed requests get a clear 4xx or a polite reply, never a 500, and the
servers log no traceback for them."""

from __future__ import annotations

import jwt
import pytest
import requests
import sqlalchemy

from tests.security.conftest import rest_post

pytestmark = pytest.mark.servers


@pytest.mark.parametrize(
    "body, status, error",
    [
        ("[1, 2, 3]", 400, "body_not_a_json_object"),
        ('"just a string"', 400, "body_not_a_json_object"),
        ("{not json", 400, "body_not_json"),
        (b"\xff\xfe\x00garbage", 400, "body_not_json"),
        ({"sender": "citizen-1", "message": None}, 400, "message_missing"),
        ({"sender": "citizen-1"}, 400, "message_missing"),
        ({"sender": "citizen-1", "message": {"text": "hi"}}, 400, "message_missing"),
        ({"sender": "citizen-1", "message": "   "}, 400, "message_missing"),
        ({"sender": "x" * 10_000, "message": "xin chào"}, 400, "invalid_sender"),
        ({"sender": None, "message": "xin chào"}, 400, "invalid_sender"),
        ({"sender": ["a"], "message": "xin chào"}, 400, "invalid_sender"),
        ({"message": "xin chào"}, 400, "invalid_sender"),
    ],
)
def test_malformed_rest_bodies_get_a_clear_4xx(assistant, logs, body, status, error):
    response = rest_post(assistant, body)
    assert response.status_code == status
    assert response.json()["error"] == error
    logs.assert_no_traceback()


def test_a_ten_thousand_character_sender_id_is_never_stored(assistant):
    assert rest_post(assistant, {"sender": "y" * 10_000, "message": "xin chào"}).status_code == 400
    engine = sqlalchemy.create_engine(assistant.env["TRACKER_STORE_URL"])
    try:
        with engine.connect() as connection:
            longest = connection.execute(sqlalchemy.text("SELECT max(length(sender_id)) FROM events")).scalar()
    finally:
        engine.dispose()
    assert longest is None or longest <= 64


@pytest.mark.parametrize(
    "claims, key, algorithm",
    [
        ({"user": {"username": "staff", "role": "admin"}, "exp": 9_999_999_999}, None, "none"),
        ({"user": {"username": "staff", "role": "admin"}}, "right-key", "HS256"),  # no expiry
        ({"user": {"username": "staff", "role": "admin"}, "exp": 1}, "right-key", "HS256"),  # expired
        ({"user": {"username": "staff", "role": "admin"}, "exp": 9_999_999_999}, "wrong-key", "HS256"),
    ],
)
def test_bad_api_tokens_get_401_not_500(assistant, logs, claims, key, algorithm):
    key = assistant.jwt_secret if key == "right-key" else key
    token = jwt.encode(claims, key, algorithm=algorithm)
    response = requests.get(f"{assistant.rasa_url}/conversations/anyone/tracker", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 401
    for header in ("Bearer", "Bearer ", "Basic abc", "Bearer a.b.c"):
        assert requests.get(f"{assistant.rasa_url}/status", headers={"Authorization": header}, timeout=30).status_code == 401
    logs.assert_no_traceback()


def test_a_short_lived_token_still_works(assistant):
    response = requests.get(
        f"{assistant.rasa_url}/conversations/anyone/tracker", headers={"Authorization": f"Bearer {assistant.token(ttl_seconds=60)}"}, timeout=30
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "context, payload",
    [
        ("làm hộ chiếu cần giấy tờ gì", '/inform_location{"location": {"name": "Phan Rang", "nested": [1, 2]}}'),
        ("làm hộ chiếu cần giấy tờ gì", '/inform_location{"location": 5}'),
        ("làm hộ chiếu cần giấy tờ gì", '/inform_location{"location": [{"a": 1}]}'),
        ("đăng ký khai sinh cần giấy tờ gì", '/inform_have_documents{"document": {"id": "x"}}'),
        ("đăng ký khai sinh cần giấy tờ gì", '/inform_have_documents{"document": true}'),
        ("kiểm tra hồ sơ", '/inform_dossier_code{"dossier_code": {"code": 1}}'),
        ("xin chào", '/rate{"rating": {"stars": 5}}'),
    ],
)
def test_entities_sent_as_dicts_or_numbers_get_a_polite_reply(assistant, logs, context, payload):
    sender = assistant.new_sender()
    assert assistant.send(sender, context)
    response = rest_post(assistant, {"sender": sender, "message": payload})
    assert response.status_code == 200
    assert any(reply.get("text") for reply in response.json()), response.json()
    logs.assert_no_traceback()
    assert "action server request failed" not in logs.new_text("actions")
