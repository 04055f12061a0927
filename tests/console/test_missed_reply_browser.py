"""A staff reply reaches a citizen who was away (issue 9): in a real Chromium, against the real
servers and console. The citizen asks for a person and closes the page; a staff member takes the
conversation and replies through the console while no widget is connected; the citizen opens
the page again in the same browser and sees the reply once, marked as a staff member's, still
waiting for a person; the next reply, sent while the page is open, arrives live marked the same way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPLY_TIMEOUT_MS, browser  # noqa: F401 - the fixture
from tests.browser.test_widget import bot_messages, new_page, open_widget, send, session_id, wait_until_quiet
from tests.console.test_handoff import queued, wait_for

pytestmark = [pytest.mark.servers, pytest.mark.browser]


def test_a_staff_reply_sent_while_the_page_was_closed_shows_when_it_opens_again(browser, assistant, console):  # noqa: F811
    citizen = new_page(browser, assistant)
    context = citizen.context
    try:
        open_widget(citizen)
        send(citizen, "tôi muốn gặp cán bộ")
        expect(citizen.locator(".ca-handoff")).to_be_visible()
        sender = session_id(citizen)
        citizen.close()  # the citizen leaves; their browser keeps the conversation

        item, _ = wait_for(lambda: queued(console, sender), timeout=5)
        assert console.post("lan", f"/handoffs/{item['id']}/take").status_code == 303
        answer = "Chào bạn, hồ sơ tạm trú của bạn đã được tiếp nhận."
        assert console.post("lan", f"/conversations/{sender}/reply", text=answer).status_code == 303

        again = context.new_page()
        again.goto("/")
        reply = bot_messages(again).filter(has_text=answer)
        expect(reply).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
        expect(reply).to_have_class("ca-message ca-bot ca-staff")
        expect(reply.locator(".ca-from-staff")).to_have_text("Cán bộ")
        expect(again.locator(".ca-handoff")).to_be_visible()  # the conversation is still with a person
        assert session_id(again) == sender

        again.reload()  # shown once: not fetched and added a second time
        wait_until_quiet(again)
        expect(bot_messages(again).filter(has_text=answer)).to_have_count(1)
        expect(again.locator(".ca-handoff")).to_be_visible()

        # Now the widget is connected: the next staff reply arrives live, marked the same way.
        live = "Bạn cần bổ sung thêm giấy tờ gì không?"
        assert console.post("lan", f"/conversations/{sender}/reply", text=live).status_code == 303
        expect(bot_messages(again).filter(has_text=live)).to_have_class("ca-message ca-bot ca-staff")
    finally:
        context.close()
