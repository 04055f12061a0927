"""Issue 13, items 3-5: the action server answers only Rasa on loopback, no secret is readable
from the process list, API tokens must expire, and only the portal's origins get through."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import jwt
import pytest
import requests
import socketio

from bot.action_server import SECRET_HEADER
from tests.security.conftest import SocketClient

pytestmark = pytest.mark.servers

EVIL = "https://evil.example"
SECRETS = ("JWT_SECRET", "ACTION_SERVER_SECRET", "SOCKETIO_SESSION_SECRET", "DOSSIER_HASH_KEY")


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) with a socket listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def forged_action_call(action: str = "action_check_dossier") -> dict:
    return {
        "next_action": action,
        "sender_id": "victim",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "victim",
            "slots": {},
            "latest_message": {},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
    }


def test_the_action_server_listens_on_loopback_only(assistant):
    assert listening_addresses(int(assistant.env["ACTION_PORT"])) == {"0100007F"}  # 127.0.0.1


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "guess"}, {SECRET_HEADER: ""}])
def test_forged_action_calls_and_the_action_list_are_refused(assistant, headers):
    webhook = requests.post(f"{assistant.action_url}/webhook", json=forged_action_call(), headers=headers, timeout=10)
    assert webhook.status_code == 403
    assert requests.get(f"{assistant.action_url}/actions", headers=headers, timeout=10).status_code == 403
    assert requests.get(f"{assistant.action_url}/health", timeout=10).status_code == 200


def test_rasa_calls_the_action_server_with_the_shared_secret(assistant):
    secret = {SECRET_HEADER: assistant.env["ACTION_SERVER_SECRET"]}
    listed = requests.get(f"{assistant.action_url}/actions", headers=secret, timeout=10)
    assert listed.status_code == 200 and {"name": "action_check_dossier"} in listed.json()
    # A custom action answered through Rasa: the knowledge-built documents list.
    replies = assistant.send(assistant.new_sender(), "làm hộ chiếu cần giấy tờ gì")
    assert any("hộ chiếu" in (reply.get("text") or "").lower() for reply in replies), replies


def test_no_secret_appears_in_any_process_arguments(assistant):
    values = [assistant.env[name] for name in SECRETS]
    for name, process in assistant.processes.items():
        arguments = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode("utf-8", "replace")
        for value in values:
            assert value not in arguments, f"a secret is in the arguments of the {name} process"


def test_cors_reflects_only_portal_origins(assistant):
    portal = assistant.env["PORTAL_ORIGINS"]
    for path in ("/webhooks/rest/webhook", "/conversations/x/tracker", "/"):
        evil = requests.options(f"{assistant.rasa_url}{path}", timeout=10, headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"})
        assert evil.headers.get("Access-Control-Allow-Origin") not in (EVIL, "*")
        good = requests.options(f"{assistant.rasa_url}{path}", timeout=10, headers={"Origin": portal, "Access-Control-Request-Method": "POST"})
        assert good.headers.get("Access-Control-Allow-Origin") == portal


@pytest.mark.parametrize("via", ["rasa", "web-proxy"])
async def test_socketio_refuses_browsers_from_other_origins(assistant, via):
    url = assistant.rasa_url if via == "rasa" else assistant.web_url
    evil = SocketClient(url, headers={"Origin": EVIL})
    with pytest.raises(socketio.exceptions.ConnectionError):
        await evil.connect()
    await evil.sio.disconnect()

    portal = SocketClient(url, headers={"Origin": assistant.env["PORTAL_ORIGINS"]})
    try:
        token = await portal.start()
        assert await portal.say(token, "xin chào")
    finally:
        await portal.close()


def test_the_readme_operator_example_makes_short_lived_tokens_that_work(assistant):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Reading a conversation as an operator")[1].split("## ")[0]
    (command,) = re.findall(r"^TOKEN=\$\((.*)\)$", section, flags=re.MULTILINE)
    env = dict(assistant.env, PATH=f"{Path(assistant.processes['rasa'].args[0]).parent}:/usr/bin:/bin")
    token = subprocess.run(
        ["bash", "-c", command], env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=True
    ).stdout.strip()
    claims = jwt.decode(token, assistant.jwt_secret, algorithms=["HS256"])
    assert 0 < claims["exp"] - time.time() <= 3600
    response = requests.get(f"{assistant.rasa_url}/conversations/anyone/tracker", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200
