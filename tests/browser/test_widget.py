"""The citizen widget in a real browser (Debian's Chromium through Playwright) against the real
servers: greeting, a Vietnamese question, quick replies, reload and navigation, English, rating,
the XSS payload, input limits, a network drop, keyboard use and a phone-sized screen.

The bot's wording is built by others at the same time, so these tests assert behaviour (a reply
arrives, buttons work, state survives) rather than exact answers, except for texts the widget
and the rating skill own. Screenshots go to tests/artifacts/; with UPDATE_SCREENSHOTS=1 they are
also copied to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import REPLY_TIMEOUT_MS

pytestmark = [pytest.mark.servers, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"


def new_page(browser: Browser, assistant, **context_options) -> Page:
    options = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN", **context_options}
    context = browser.new_context(base_url=assistant.web_url, **options)
    page = context.new_page()
    page.alerts = []  # messages of alert() dialogs: the XSS test expects none

    def on_dialog(dialog):
        if dialog.type == "alert":
            page.alerts.append(dialog.message)
        dialog.accept()  # confirm() of "new conversation" says yes

    page.on("dialog", on_dialog)
    return page


@pytest.fixture
def page(browser, assistant):
    page = new_page(browser, assistant)
    yield page
    page.context.close()


# --- helpers -------------------------------------------------------------------------------


def bot_messages(page: Page):
    return page.locator(".ca-message.ca-bot")


def user_messages(page: Page):
    return page.locator(".ca-message.ca-user")


def all_message_texts(page: Page) -> list[str]:
    return page.locator(".ca-message .ca-bubble").all_inner_texts()


def open_widget(page: Page, path: str = "/") -> None:
    """Opens the page and the chat window, accepts the privacy notice, waits for the greeting."""
    page.goto(path)
    page.locator(".ca-launcher").click()
    accept = page.locator("[data-action=accept-privacy]")
    if accept.is_visible():
        accept.click()
    expect(bot_messages(page).first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(page)


def wait_until_quiet(page: Page, quiet_ms: int = 1500) -> None:
    """Waits until the typing indicator is gone and no further message arrives for a moment."""
    expect(page.locator(".ca-typing")).to_be_hidden(timeout=REPLY_TIMEOUT_MS)
    while True:
        count = bot_messages(page).count()
        page.wait_for_timeout(quiet_ms)
        if bot_messages(page).count() == count:
            return


def send(page: Page, text: str) -> list[str]:
    """Types a message, sends it with Enter and returns the texts of the bot's reply."""
    before = bot_messages(page).count()
    page.locator(".ca-input").fill(text)
    page.locator(".ca-input").press("Enter")
    expect(bot_messages(page).nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(page)
    return bot_messages(page).all_inner_texts()[before:]


def session_id(page: Page) -> str:
    """The conversation id inside the session token the server issued to this browser context."""
    token = page.evaluate("JSON.parse(localStorage.getItem('citizen-assistant:session'))")
    return token.rsplit(".", 2)[0]


def save_screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.mouse.move(0, 0)  # no hover highlight left from the last click
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, README_SCREENSHOTS / name)


# --- tests ---------------------------------------------------------------------------------


def test_first_open_shows_the_privacy_notice_then_the_greeting(page):
    page.goto("/")
    page.locator(".ca-launcher").click()
    notice = page.locator(".ca-privacy")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("căn cước")  # do not type full ID numbers
    expect(page.locator(".ca-input")).not_to_be_focused()
    page.locator("[data-action=accept-privacy]").click()
    expect(notice).to_be_hidden()
    expect(bot_messages(page).first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    log = page.locator(".ca-log")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    wait_until_quiet(page)

    page.reload()  # acknowledged once: not shown again
    expect(page.locator(".ca-panel")).to_be_visible()
    expect(notice).to_be_hidden()


def test_a_vietnamese_question_gets_an_answer(page, assistant):
    open_widget(page)
    question = unicodedata.normalize("NFD", "Làm hộ chiếu cần giấy tờ gì?")  # typed with combining marks
    reply = send(page, question)
    assert reply and all(text.strip() for text in reply)
    nfc_question = unicodedata.normalize("NFC", question)
    expect(user_messages(page).last).to_have_text(re.compile(re.escape(nfc_question)))
    tracker = assistant.tracker(session_id(page))
    user_events = [e for e in tracker["events"] if e["event"] == "user"]
    assert user_events[-1]["text"] == nfc_question  # NFC-normalised on the way
    assert tracker["slots"]["procedure"] == "passport", reply  # understood, not just answered
    save_screenshot(page, "widget-desktop.png")


def test_quick_replies_send_their_payload_and_record_a_rating(page, assistant):
    open_widget(page)
    asked = bot_messages(page).count()
    page.locator("[data-action=rate]").click()
    buttons = bot_messages(page).nth(asked).locator(".ca-quick-reply")
    expect(buttons).to_have_count(5, timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(page)
    before = bot_messages(page).count()
    choice = buttons.filter(has_text=re.compile(r"^4"))
    title = choice.inner_text()
    choice.click()
    expect(user_messages(page).last).to_have_text(re.compile(re.escape(title)))
    expect(bot_messages(page).nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    for index in range(5):
        expect(buttons.nth(index)).to_be_disabled()  # answered: cannot be clicked twice
    events = assistant.tracker(session_id(page))["events"]
    ratings = [e["value"] for e in events if e["event"] == "slot" and e["name"] == "satisfaction_rating"]
    assert ratings == [4.0]


def test_history_survives_reload_and_navigation_and_new_conversation_clears_it(page):
    open_widget(page)
    send(page, "đăng ký tạm trú ở đâu")
    history = all_message_texts(page)
    conversation = session_id(page)
    assert len(history) >= 3

    page.reload()
    expect(page.locator(".ca-panel")).to_be_visible()  # still open
    assert all_message_texts(page) == history

    page.locator(".site-nav a", has_text="Thủ tục hành chính").click()
    page.wait_for_url("**/thu-tuc-hanh-chinh")
    expect(page.locator(".ca-message").first).to_be_visible()
    assert all_message_texts(page) == history
    assert session_id(page) == conversation
    send(page, "cảm ơn")  # the same conversation goes on after the navigation
    assert len(all_message_texts(page)) > len(history)

    # The end of a conversation: the first press offers the rating, the second starts afresh.
    page.locator("[data-action=new]").click()
    expect(bot_messages(page).last.locator(".ca-quick-reply")).to_have_count(5, timeout=REPLY_TIMEOUT_MS)
    assert session_id(page) == conversation
    page.locator("[data-action=new]").click()  # confirm() is accepted by the fixture
    expect(user_messages(page)).to_have_count(0)
    expect(bot_messages(page).first).to_be_visible(timeout=REPLY_TIMEOUT_MS)  # a new greeting
    assert session_id(page) != conversation and re.fullmatch(r"socketio:[0-9a-f]{32}", session_id(page))


def test_switching_to_english_changes_the_interface_and_the_answers(page, assistant):
    open_widget(page)
    before = bot_messages(page).count()
    page.locator("[data-action=language]").click()
    expect(page.locator(".ca-input")).to_have_attribute("placeholder", "Type your question…")
    expect(page.locator("[data-action=language]")).to_have_text("Tiếng Việt")
    expect(bot_messages(page).nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)  # the bot confirms
    wait_until_quiet(page)
    reply = send(page, "What documents do I need for a passport?")
    assert reply and all(text.strip() for text in reply)

    tracker = assistant.tracker(session_id(page))
    user_events = [e for e in tracker["events"] if e["event"] == "user"]
    assert user_events[-1]["metadata"]["language"] == "en"
    assert tracker["slots"]["language"] == "en"

    page.reload()  # the choice is remembered
    expect(page.locator(".ca-send")).to_have_text("Send")


def test_an_html_payload_is_shown_as_text_and_never_run(page):
    open_widget(page)
    send(page, XSS)
    expect(user_messages(page).last.locator(".ca-bubble")).to_have_text(XSS)
    assert page.locator(".ca-log img").count() == 0
    page.reload()  # restored history is rendered safely too
    expect(user_messages(page).last.locator(".ca-bubble")).to_have_text(XSS)
    assert page.locator(".ca-log img").count() == 0
    assert page.alerts == []


def test_an_over_long_message_is_explained_and_kept(page):
    open_widget(page)
    sent_before = user_messages(page).count()
    too_long = "a" * 1001
    page.locator(".ca-input").fill(too_long)
    page.locator(".ca-input").press("Enter")
    expect(page.locator(".ca-error")).to_contain_text("1000")
    expect(page.locator(".ca-input")).to_have_value(too_long)
    assert user_messages(page).count() == sent_before
    page.locator(".ca-input").fill("   ")  # blank after trimming: nothing is sent
    page.locator(".ca-input").press("Enter")
    assert user_messages(page).count() == sent_before


def test_a_network_drop_shows_the_offline_banner_and_keeps_the_draft(page):
    network = {"up": True, "routes": []}

    def route(ws):
        server = ws.connect_to_server()
        if network["up"]:
            network["routes"].append((ws, server))
        else:  # the connection fails before it is established, as with no network
            server.close()
            ws.close()

    page.route_web_socket(re.compile(r"/socket\.io/"), route)
    open_widget(page)
    draft = "giấy tờ đăng ký tạm trú"
    page.locator(".ca-input").fill(draft)

    network["up"] = False
    for ws, server in network["routes"]:
        server.close()
        ws.close()
    banner = page.locator(".ca-banner")
    expect(banner).to_be_visible()
    page.locator(".ca-input").press("Enter")
    expect(page.locator(".ca-error")).not_to_be_empty()
    expect(page.locator(".ca-input")).to_have_value(draft)
    page.reload()  # the draft survives a reload too
    expect(page.locator(".ca-input")).to_have_value(draft)

    network["up"] = True
    expect(banner).to_be_hidden(timeout=30_000)  # reconnected by itself
    before = bot_messages(page).count()
    page.locator(".ca-input").press("Enter")
    expect(bot_messages(page).nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(user_messages(page).last).to_have_text(re.compile(draft))


def test_the_browser_going_offline_shows_the_banner_until_it_is_back(page):
    open_widget(page)
    banner = page.locator(".ca-banner")
    page.context.set_offline(True)
    expect(banner).to_be_visible()
    page.context.set_offline(False)
    expect(banner).to_be_hidden(timeout=30_000)
    assert send(page, "xin chào")  # and the conversation goes on


def test_the_widget_works_with_the_keyboard_alone(page):
    page.goto("/")
    page.locator(".ca-launcher").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-action=accept-privacy]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".ca-input")).to_be_focused()
    expect(bot_messages(page).first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    wait_until_quiet(page)
    before = bot_messages(page).count()
    page.keyboard.type("xin chào")
    page.keyboard.press("Enter")
    expect(bot_messages(page).nth(before)).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    page.keyboard.press("Escape")
    expect(page.locator(".ca-panel")).to_be_hidden()
    expect(page.locator(".ca-launcher")).to_be_focused()


def test_a_phone_sized_screen_gets_a_full_screen_chat(browser, assistant):
    page = new_page(browser, assistant, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        open_widget(page)
        box = page.locator(".ca-panel").bounding_box()
        assert box["x"] == 0 and box["width"] == 390 and box["height"] == pytest.approx(844, abs=1)
        send(page, "làm căn cước cần gì")
        input_box = page.locator(".ca-input").bounding_box()
        assert 0 <= input_box["y"] and input_box["y"] + input_box["height"] <= 844
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        save_screenshot(page, "widget-mobile.png")
    finally:
        page.context.close()


CONTRAST_JS = """
(node) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let background = null;
  for (let el = node; el && el.nodeType === 1; el = el.parentNode || el.host) {
    const [r, g, b, a = 1] = rgb(getComputedStyle(el).backgroundColor);
    if (a > 0) { background = [r, g, b]; break; }
    if (!el.parentNode && el.getRootNode().host) el = el.getRootNode().host;
  }
  background = background || [255, 255, 255];
  const [l1, l2] = [lum(rgb(getComputedStyle(node).color)), lum(background)].sort((a, b) => b - a);
  return (l1 + 0.05) / (l2 + 0.05);
}
"""


def test_widget_text_has_at_least_aa_contrast(page):
    open_widget(page)
    send(page, "xin chào")
    for selector in (".ca-title", ".ca-tool", ".ca-message.ca-bot .ca-bubble p", ".ca-message.ca-user .ca-bubble", ".ca-send", ".ca-input"):
        ratio = page.locator(selector).first.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f}:1"
