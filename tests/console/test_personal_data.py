"""Planted personal numbers, sent through the real servers (REST channel, message metadata, a staff
reply), then searched for in every database file, the event stream and the captured logs."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest

from tests.conftest import ARTIFACTS
from tests.console.test_handoff import queued, wait_for

pytestmark = pytest.mark.servers

PLANTED = {
    "0978 - 123 - 456": "sđt của tôi là 0978 - 123 - 456",
    "0935.111.222": "gọi giúp tôi số 0935.111.222",
    "+84 903 000 222": "số +84 903 000 222 nhé",
    "012345678901": "cccd của tôi 012345678901",
    "987654321": "cmnd cũ 987654321",
}
CODE_AND_LAST_DIGITS = "tra cứu hồ sơ 000.00.31.H57-261020-0005, 4 số cuối 0006"
METADATA_PHONE = "0966 777 888"
STAFF_PHONE = "0911 222 333"


def variants(number: str) -> set[str]:
    """The number as typed and as bare digits (with and without the country/trunk prefix)."""
    digits = re.sub(r"\D", "", number)
    national = digits[2:] if digits.startswith("84") else digits.lstrip("0")
    return {number, digits, national}


def test_no_planted_number_is_stored_streamed_or_logged(assistant, console):
    sender = assistant.new_sender()
    for message in PLANTED.values():
        assistant.send(sender, message)
    assistant.send(sender, CODE_AND_LAST_DIGITS)
    assistant.send(sender, "làm hộ chiếu cần gì", metadata={"language": "vi", "phone": METADATA_PHONE})
    assistant.send(sender, "tôi muốn gặp cán bộ")
    item, _ = wait_for(lambda: queued(console, sender), timeout=5)
    console.post("sup", f"/handoffs/{item['id']}/take")
    console.post("sup", f"/conversations/{sender}/reply", text=f"Bạn gọi lại số {STAFF_PHONE} nhé")
    console.post("sup", f"/conversations/{sender}/annotate", what="note", text=f"khách để lại {STAFF_PHONE}")
    console.post("sup", f"/conversations/{sender}/close")

    def indexed():
        page = console.signed_in("sup").get(f"{console.url}/conversations/{sender}/messages.json", timeout=10)
        return any(m["kind"] == "staff" for m in page.json()["messages"])

    wait_for(indexed, timeout=5)
    time.sleep(1)  # let the last events of the turn reach every store

    # The console shows the conversation, masked.
    page = console.signed_in("sup").get(f"{console.url}/conversations/{sender}", timeout=10).text
    assert "[***]" in page and "000.00.31.H57-261020-0005" in page  # codes stay readable

    forbidden = set()
    for number in [*PLANTED, METADATA_PHONE, STAFF_PHONE]:
        forbidden |= variants(number)
    forbidden |= {"cuối 0006", "cu\\u1ed1i 0006"}

    # Every database file of the run (SQLite: the main file and its write-ahead log).
    files = sorted(p for p in console.workdir.iterdir() if p.suffix in (".db", ".db-wal") or p.name.endswith("-wal"))
    assert {"tracker.db", "events.db", "console.db", "knowledge.db"} <= {p.name for p in files}
    # The event stream itself: the broker's table, read as rows.
    with sqlite3.connect(console.workdir / "events.db") as connection:
        stream = "\n".join(data for (data,) in connection.execute("SELECT data FROM events"))
    assert sender in stream and "staff_reply" in stream
    logs = sorted((ARTIFACTS / "logs").glob("*.log"))
    assert {"rasa.log", "actions.log", "console.log"} <= {p.name for p in logs}

    # A write-ahead log can be checkpointed into its database (and removed) while we read: read the
    # files WAL first, so what leaves a WAL is still found in the database file read after it.
    sources = {}
    for path in sorted([*files, *logs], key=lambda p: not p.name.endswith("-wal")):
        try:
            sources[str(path)] = path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            continue
    sources["event stream"] = stream
    found = [(name, number) for name, content in sources.items() for number in forbidden if number in content]
    assert found == []
