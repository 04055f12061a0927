"""How the widget renders what a bot sends, against a scripted socket.io server standing in for
Rasa (behind the real web server and its proxy): the Markdown subset, links, quick replies, and
HTML in bot text shown as text. Deterministic, so it does not depend on the bot's content."""

from __future__ import annotations

import asyncio
import threading

import pytest
from aiohttp import web
from playwright.sync_api import expect

from tests.browser.conftest import REPLY_TIMEOUT_MS
from tests.web.fake_rasa import fake_rasa_app
from web.server import create_app
from web.settings import WebSettings

pytestmark = pytest.mark.browser

MARKDOWN = (
    "Bạn cần **3 giấy tờ**:\n"
    "- [ ] Tờ khai\n"
    "- [x] Căn cước\n"
    "\n"
    "Các bước:\n"
    "1. Chuẩn bị\n"
    "2. Nộp tại https://dichvucong.gov.vn.\n"
    "\n"
    "Xem [hướng dẫn](https://example.org/huong-dan) - không phải [cái này](javascript:alert(1))"
)
BOT_HTML = '<img src=x onerror=alert(1)><script>alert(2)</script><a href="javascript:alert(3)">x</a>'
SCRIPT = {
    "/greet": [{"text": "Xin chào"}],
    "markdown": [{"text": MARKDOWN}],
    "html": [{"text": BOT_HTML}, {"attachment": {"type": "image", "payload": {"src": "javascript:alert(4)"}}}],
    "images": [
        {"attachment": {"type": "image", "payload": {"src": "http://example.org/plain.png"}}},
        {"attachment": {"type": "image", "payload": {"src": "https://example.org/secure.png"}}},
    ],
    "buttons": [
        {
            "text": "Chọn một:",
            "quick_replies": [
                {"content_type": "text", "title": "Khai sinh", "payload": '/find_procedure{"procedure": "birth-registration"}'},
                {"content_type": "text", "title": "Tạm trú", "payload": "/find_procedure"},
            ],
        }
    ],
}


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


async def _cancel_remaining_tasks() -> None:
    """engine.io's per-socket ping tasks would otherwise outlive the loop."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture(scope="module")
def scripted_site(portal_store):
    """The web server, proxying to a socket.io server that answers from SCRIPT (else echoes)."""
    loop = asyncio.new_event_loop()
    bot, sio = fake_rasa_app(lambda data: SCRIPT.get(data["message"], [{"text": f"payload: {data['message']}"}]))

    # Playwright's sync API owns this thread's event loop: the servers run on their own thread.
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(10)

    bot_runner, bot_port = run(_serve(bot))
    web_runner, web_port = run(_serve(create_app(WebSettings(rasa_url=f"http://127.0.0.1:{bot_port}"))))
    yield f"http://127.0.0.1:{web_port}"
    for runner in (web_runner, bot_runner):
        run(runner.cleanup())
    run(sio.eio.shutdown())
    run(_cancel_remaining_tasks())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def page(browser, scripted_site):
    context = browser.new_context(base_url=scripted_site, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.alerts = []
    page.on("dialog", lambda dialog: (page.alerts.append(dialog.message), dialog.dismiss()))
    page.goto("/")
    page.locator(".ca-launcher").click()
    page.locator("[data-action=accept-privacy]").click()
    expect(page.locator(".ca-message.ca-bot")).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    yield page
    context.close()


def ask(page, text: str, replies: int = 1):
    before = page.locator(".ca-message.ca-bot").count()
    page.locator(".ca-input").fill(text)
    page.locator(".ca-input").press("Enter")
    expect(page.locator(".ca-message.ca-bot")).to_have_count(before + replies, timeout=REPLY_TIMEOUT_MS)
    return page.locator(".ca-message.ca-bot").last


def test_the_markdown_subset_becomes_structure(page):
    bubble = ask(page, "markdown").locator(".ca-bubble")
    expect(bubble.locator("strong")).to_have_text("3 giấy tờ")
    expect(bubble.locator("ul.ca-checklist li")).to_have_count(2)
    expect(bubble.locator("li.ca-checked")).to_have_text("☑ Căn cước")
    expect(bubble.locator("ol li")).to_have_count(2)
    links = bubble.locator("a")
    expect(links).to_have_count(2)  # the bare URL and the https link; not the javascript: one
    for index in range(2):
        expect(links.nth(index)).to_have_attribute("target", "_blank")
        expect(links.nth(index)).to_have_attribute("rel", "noopener noreferrer")
        assert links.nth(index).get_attribute("href").startswith("https://")
    expect(links.first).to_have_text("https://dichvucong.gov.vn")  # the full stop stays outside
    expect(bubble).to_contain_text("[cái này](javascript:alert(1))")


def test_html_from_the_bot_is_shown_as_text(page):
    ask(page, "html")
    bubble = page.locator(".ca-message.ca-bot").nth(1).locator(".ca-bubble")
    expect(bubble).to_have_text(BOT_HTML)
    assert page.locator(".ca-log img, .ca-log script, .ca-log a[href^=javascript]").count() == 0
    page.wait_for_timeout(500)
    assert page.alerts == []


def test_a_quick_reply_shows_its_title_and_sends_its_payload(page):
    ask(page, "buttons")
    buttons = page.locator(".ca-message.ca-bot").nth(1).locator(".ca-quick-reply")
    expect(buttons).to_have_text(["Khai sinh", "Tạm trú"])
    buttons.first.click()
    expect(page.locator(".ca-message.ca-user").last).to_contain_text("Khai sinh")
    expect(page.locator(".ca-message.ca-bot").last).to_have_text(
        'Trợ lý: payload: /find_procedure{"procedure": "birth-registration"}', timeout=REPLY_TIMEOUT_MS
    )
    expect(buttons.first).to_be_disabled()


def test_only_https_images_are_loaded(page):
    ask(page, "images")  # the http: image is not even shown, so one bubble arrives
    images = page.locator(".ca-log img")
    expect(images).to_have_count(1)
    assert images.first.get_attribute("src") == "https://example.org/secure.png"
