"""Office hours come from the knowledge content (knowledge/content/common.yml `office_hours`) through
the store: the citizen who asks for a person is told them, the console shows them; a supervisor may
override them in the console and go back to the content's."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import handoff
from console.index import queries
from knowledge.loader import load
from knowledge.store import open_store
from knowledge.timestamps import VIETNAM_TZ
from tests.knowledge.conftest import FIXTURE_CONTENT

CONTENT_TEXT = {"vi": "thứ Hai – thứ Bảy, 7:00–11:00", "en": "Monday to Saturday, 7:00–11:00"}


@pytest.fixture
def content_hours_store(tmp_path, monkeypatch):
    """A knowledge store whose content says the office opens Monday to Saturday mornings."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    common = content / "common.yml"
    text = common.read_text(encoding="utf-8")
    for old, new in (
        ("days: [0, 1, 2, 3, 4]", "days: [0, 1, 2, 3, 4, 5]"),
        ('periods: [["07:30", "11:30"], ["13:30", "17:00"]]', 'periods: [["07:00", "11:00"]]'),
        ("thứ Hai – thứ Sáu, 7:30–11:30 và 13:30–17:00", CONTENT_TEXT["vi"]),
        ("Monday to Friday, 7:30–11:30 and 13:30–17:00", CONTENT_TEXT["en"]),
    ):
        assert old in text
        text = text.replace(old, new)
    common.write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'knowledge.db'}"
    load(content, url=url, require_complete_catalogue=False)
    monkeypatch.setenv("DATABASE_URL", url)
    return open_store(url)


def test_the_content_s_office_hours_unless_a_supervisor_overrides_them(index_engine, content_hours_store):
    content_hours = content_hours_store.office_hours()
    with index_engine.begin() as connection:
        hours = queries.office_hours(connection, content_hours)
        assert hours == {"timezone_offset_hours": 7, "days": [0, 1, 2, 3, 4, 5], "periods": [["07:00", "11:00"]], "text": CONTENT_TEXT}
        saturday = datetime(2026, 11, 28, tzinfo=VIETNAM_TZ)
        assert queries.within_office_hours(hours, saturday.replace(hour=8).timestamp())
        assert not queries.within_office_hours(hours, saturday.replace(hour=13).timestamp())
        assert not queries.within_office_hours(hours, (saturday + timedelta(days=1, hours=8)).timestamp())

        override = dict(hours, text={"vi": "cả tuần", "en": "all week"}, days=list(range(7)))
        queries.set_setting(connection, "office_hours", override)
        assert queries.office_hours(connection, content_hours) == override
        queries.clear_setting(connection, "office_hours")
        assert queries.office_hours(connection, content_hours)["text"] == CONTENT_TEXT


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_citizen_asking_for_a_person_is_told_the_content_s_office_hours(index_engine, content_hours_store, monkeypatch, language):
    monkeypatch.setattr(handoff, "_engine", index_engine)
    tracker = Tracker(
        sender_id=f"citizen-{language}",
        slots={"language": language},
        latest_message={"text": "?"},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    handoff.ActionRequestHuman().run(dispatcher, tracker, {})
    told = dispatcher.messages[0]
    assert told["response"] in ("utter_handoff_queued", "utter_handoff_queued_closed")
    assert told["office_hours"] == CONTENT_TEXT[language]
