"""The console and the citizen widget in a real Chromium (Playwright), against the real servers.

Two browser contexts: a citizen in the widget asks for a person; a staff member signed in to the
console sees it in the live queue, takes it and replies; the citizen sees the reply; the staff
member hands back; the assistant answers the citizen's next question. Screenshots go to
tests/artifacts/ (and docs/screenshots/ with UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import REPLY_TIMEOUT_MS, browser  # noqa: F401 - the fixture
from tests.browser.test_widget import bot_messages, new_page, open_widget, send, session_id
from tests.console.conftest import STAFF_PASSWORD

pytestmark = [pytest.mark.servers, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
LIVE_MS = 2000  # a change must show within 2 s


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / name, README_SCREENSHOTS / name)


def staff_page(browser, console, username: str) -> Page:  # noqa: F811
    context = browser.new_context(base_url=console.url, viewport={"width": 1280, "height": 860}, locale="vi-VN")
    page = context.new_page()
    page.goto("/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{console.url}/queue")
    return page


def test_citizen_asks_for_a_person_and_staff_answer_in_the_widget(browser, assistant, console):  # noqa: F811
    staff = staff_page(browser, console, "lan")
    citizen = new_page(browser, assistant)
    try:
        open_widget(citizen)
        send(citizen, "tôi muốn gặp cán bộ")
        expect(citizen.locator(".ca-handoff")).to_be_visible()
        sender = session_id(citizen)
        link = f"/conversations/{quote(sender, safe='')}"  # widget ids hold a ':' (socketio:<hex>)

        # The live queue shows the request without reloading.
        row = staff.locator(f'#queue tr:has(a[href="{link}"])')
        expect(row).to_be_visible(timeout=LIVE_MS)
        screenshot(staff, "console-queue.png")
        row.locator("button").click()
        expect(staff).to_have_url(f"{console.url}/conversations/{sender}")

        answer = "Chào bạn, mình là cán bộ Lan. Bạn cần hỏi gì ạ?"
        staff.fill("#reply-form textarea", answer)
        started = time.monotonic()
        staff.click("#reply-form button")
        expect(bot_messages(citizen).filter(has_text=answer)).to_be_visible(timeout=LIVE_MS + 1000)
        assert time.monotonic() - started < LIVE_MS / 1000 + 1

        # The citizen's message shows live in the staff member's transcript.
        citizen.locator(".ca-input").fill("Hồ sơ tạm trú của tôi nộp ở đâu?")
        citizen.locator(".ca-input").press("Enter")
        expect(staff.locator("#transcript .line.user").filter(has_text="nộp ở đâu")).to_be_visible(timeout=LIVE_MS)
        screenshot(staff, "console-conversation.png")

        staff.click("form[action$='/return'] button")
        expect(citizen.locator(".ca-handoff")).to_be_hidden(timeout=LIVE_MS + 1000)
        reply = send(citizen, "làm hộ chiếu cần giấy tờ gì")
        assert reply and any(text.strip() for text in reply)  # the assistant answers again
    finally:
        citizen.context.close()
        staff.context.close()


def test_filters_and_tags_over_real_conversations(browser, assistant, console):  # noqa: F811
    residence, passport = assistant.new_sender(), assistant.new_sender()
    assistant.send(residence, "đăng ký tạm trú cần giấy tờ gì")
    assistant.send(passport, "làm hộ chiếu ở đâu")
    staff = staff_page(browser, console, "minh")
    try:
        staff.goto("/conversations?text=tam+tru")  # no diacritics, finds "tạm trú"
        rows = staff.locator("#conversation-list tbody tr")
        expect(rows.filter(has=staff.locator(f'a[href="/conversations/{residence}"]'))).to_have_count(1)
        expect(rows.filter(has=staff.locator(f'a[href="/conversations/{passport}"]'))).to_have_count(0)

        staff.goto(f"/conversations/{residence}")
        staff.select_option("select[name=tag]", "missing_content")
        staff.click("text=Gắn nhãn")
        expect(staff.locator(".tags")).to_contain_text("Thiếu nội dung")
        staff.click("button[value=reviewed]")
        expect(staff.locator("#review-state")).to_have_text("Đã duyệt")

        staff.goto("/conversations?tag=missing_content&review_state=reviewed")
        expect(rows.filter(has=staff.locator(f'a[href="/conversations/{residence}"]'))).to_have_count(1)
        expect(staff.locator("#result-count")).to_contain_text("hội thoại")
        staff.goto("/conversations?tag=wrong_answer")
        expect(rows.filter(has=staff.locator(f'a[href="/conversations/{residence}"]'))).to_have_count(0)
        screenshot(staff, "console-conversations.png")
    finally:
        staff.context.close()


def test_supervisor_overview(browser, assistant, console):  # noqa: F811
    for rating, question in ((5, "đăng ký khai sinh cần gì"), (4, "làm hộ chiếu ở đâu"), (2, "qwxz plok vrumm")):
        sender = assistant.new_sender()
        assistant.send(sender, question)
        assistant.send(sender, f'/rate{{"rating": {rating}}}')
    page = staff_page(browser, console, "sup")
    try:
        page.goto("/overview")
        expect(page.locator(".figure").first).to_be_visible()
        for chart in ("per_day", "ratings", "procedures"):
            image = page.locator(f"img[src^='/overview/chart/{chart}.svg']")
            expect(image).to_be_visible()
            assert image.evaluate("img => img.naturalWidth") > 0
        expect(page.locator(".figure").nth(5)).not_to_contain_text("—")  # the average rating
        screenshot(page, "console-overview.png")
        with page.expect_download() as download:
            page.click("text=Xuất CSV")
        assert download.value.suggested_filename == "conversations.csv"
    finally:
        page.context.close()
