"""The maintainers' loop in the console, in a real Chromium (Playwright), against the real servers.

A citizen's message sent through the widget shows up in the console's inbox; a maintainer corrects
its intent there; the Train button runs `python -m maintainer train` in the background (progress on
the page); Compare runs `python -m maintainer compare` and its report page shows both models side by
side; Release hot-swaps the candidate into the running Rasa server.

The fast test trains first, on unchanged data, so every component comes from Rasa's cache of the
session's training, then annotates. The slow test (RUN_SLOW=1) annotates first and trains for real.
Setting a procedure and creating a new intent edit the training inputs: that test drives a console
served from this process on a copy of them (conversations fed into its index as the event stream would).
Screenshots of the inbox and of a comparison report go to tests/artifacts/ (and docs/screenshots/ with
UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import SimpleNamespace

import pytest
import requests
import yaml
from aiohttp import web
from playwright.sync_api import Page, expect

from console.auth import add_account
from console.keys import ENGINE
from tests.browser.conftest import browser  # noqa: F401 - the fixture
from tests.browser.test_widget import new_page, open_widget, send
from tests.console.conftest import STAFF_PASSWORD, Events
from tests.console.test_browser import screenshot, staff_page
from tests.console.test_maintain_pages import console_app, ingest
from tests.maintainer.conftest import copied_layout, slow

pytestmark = [pytest.mark.servers, pytest.mark.browser]

TRAIN_CACHED_SECONDS = 300  # `rasa train` with every component in Rasa's cache, on 2 busy cores
TRAIN_SECONDS = 600  # a real `rasa train` at niceness 10
COMPARE_SECONDS = 600  # two model loads, the held-out set, the replay and `rasa test core`
RELEASE_SECONDS = 300  # the new model loads in a worker thread of the running server


# More citizens' messages, so that the inbox shows its order and its grouping: a fallback, near-duplicates.
# Not the texts tests/maintainer plants in the same session's Rasa server: its inbox counts them.
OTHER_MESSAGES = ["qqq www eee rrr", "Làm mất  CCCD rồi làm lại ở chỗ nào", "lam mat cccd roi lam lai o cho nao"]


def send_other_messages(assistant) -> None:
    for text in OTHER_MESSAGES:
        assistant.send(assistant.new_sender(), text)


def finish_job(page: Page, kind: str, timeout: float) -> dict:
    """Waits for the background job to end (as the page's own polling does) and checks it succeeded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = page.request.get("/maintain/job.json").json()["job"]
        if job and job["kind"] == kind and not job["running"]:
            # `maintainer compare` exits 1 when the gate refuses: a result, shown on the page, not a failure.
            assert job["returncode"] == 0 or (kind == "compare" and job["returncode"] == 1), "\n".join(job["lines"][-40:])
            page.reload()
            expect(page.locator("#job-status")).to_have_text("xong")
            return job
        time.sleep(2)
    raise AssertionError(f"{kind} still running after {timeout}s")


def inbox_row(page: Page, text: str):
    """The inbox row holding `text`, reloading until the event stream has brought it (< 2 s normally)."""
    page.goto("/maintain/inbox")
    row = page.locator("#inbox tr", has_text=text)
    for _ in range(10):
        if row.count():
            return row.first
        time.sleep(1)
        page.reload()
    raise AssertionError(f"{text!r} is not in the inbox")


def correct_intent(page: Page, text: str, intent: str, reviewed) -> None:
    row = inbox_row(page, text)
    expect(row.locator(".intent")).not_to_have_text(intent)  # what the active model understood
    screenshot(page, "console-inbox.png")
    row.locator("select[name=intent]").select_option(intent)
    row.locator("button[value=intent]").click()
    expect(page.locator("#notice")).to_contain_text("data/nlu/reviewed/")
    expect(page.locator("#inbox tr", has_text=text)).to_have_count(0)  # annotated: not shown again
    assert text in (reviewed / f"{intent}.yml").read_text(encoding="utf-8")


def compare_and_release(page: Page, assistant, changed: tuple[str, str] | None = None, override: str | None = None) -> dict:
    page.goto("/maintain/models")
    candidate = page.locator("#candidate-name").inner_text()
    page.click("#compare")
    expect(page.locator("#job-status")).to_have_text("đang chạy…")
    finish_job(page, "compare", COMPARE_SECONDS)
    page.click("#report-link")
    expect(page.locator("#figures")).to_contain_text("intent F1")
    expect(page.locator("#stories")).to_be_visible()
    if changed:  # (text, intent): listed with what each model does, side by side
        text, intent = changed
        row = page.locator("#changed tr", has_text=text)
        expect(row.locator("td").nth(3)).to_contain_text(intent)
        expect(row.locator("td").nth(2)).not_to_contain_text(intent)
    screenshot(page, "console-report.png")
    report_gate = page.locator("#gate").inner_text()

    page.goto("/maintain/models")
    if report_gate != "Đạt" and override:  # a supervisor releases a refused candidate with a written reason
        page.fill("#release-form textarea[name=override]", override)
    page.click("#release")
    finish_job(page, "release", RELEASE_SECONDS)
    active_row = page.locator("#releases tr.active")
    expect(active_row).to_contain_text(candidate)
    status = requests.get(f"{assistant.rasa_url}/status", timeout=30, headers={"Authorization": f"Bearer {assistant.token()}"}).json()
    assert status["model_file"].endswith(candidate)
    assert send_rest_ok(assistant)
    return {"candidate": candidate, "gate": report_gate}


def send_rest_ok(assistant) -> bool:
    return bool(assistant.send(assistant.new_sender(), "xin chào"))


def test_train_annotate_compare_and_release_from_the_console(browser, assistant, console):  # noqa: F811
    wording, intent = "giá làm sổ hồng bi nhiu", "ask_fee"
    citizen = new_page(browser, assistant)
    open_widget(citizen)
    send(citizen, wording)
    citizen.context.close()
    send_other_messages(assistant)

    page = staff_page(browser, console, "mai")
    try:
        # Train on unchanged data first: every component comes from Rasa's cache of the session's training.
        page.goto("/maintain/models")
        page.click("#train")
        expect(page.locator("#job-status")).to_have_text("đang chạy…")
        job = finish_job(page, "train", TRAIN_CACHED_SECONDS)
        assert " (trained in " in job["lines"][-1], job["lines"]
        expect(page.locator("#candidate-name")).to_contain_text("candidate-")

        correct_intent(page, wording, intent, console.layout.reviewed)
        result = compare_and_release(page, assistant)
        assert result["gate"] == "Đạt"  # the same model: nothing lost
    finally:
        page.context.close()


@slow
@pytest.mark.slow
def test_annotate_train_compare_release_from_the_console(browser, assistant, console):  # noqa: F811
    """The whole loop with a real training: the annotated message is among the changed messages."""
    wording, intent = "ở nhà bấm điện thoại làm được hông hay phải lên xã", "ask_online"
    assistant.send(assistant.new_sender(), wording)
    send_other_messages(assistant)
    page = staff_page(browser, console, "sup")
    try:
        correct_intent(page, wording, intent, console.layout.reviewed)
        page.goto("/maintain/models")
        page.click("#train")
        expect(page.locator("#job-lines")).to_contain_text("train", timeout=60_000)  # progress shown while it runs
        job = finish_job(page, "train", TRAIN_SECONDS)
        assert " (trained in " in job["lines"][-1], job["lines"]
        assert any(line.startswith("[train") for line in job["lines"])  # its progress, as the page showed it
        compare_and_release(page, assistant, changed=(wording, intent), override="one new example; the out-of-scope drop is reviewed in the report")
    finally:
        page.context.close()


@pytest.fixture
def console_on_copy(tmp_path, monkeypatch):
    """The console app on a copy of the training inputs, served on a free port from a thread of this process."""
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    app, places = console_app(tmp_path, copied_layout(tmp_path))
    add_account(app[ENGINE], "mai", "maintainer", STAFF_PASSWORD, must_change_password=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:  # Playwright's sync API owns the main thread's event loop
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30), "the console did not start"
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", engine=app[ENGINE], layout=places.layout)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)


def test_set_procedure_and_create_an_intent_from_the_inbox(browser, console_on_copy):  # noqa: F811
    console = console_on_copy
    fee, vi, en = Events(), Events(), Events()
    ingest(
        console.engine,
        [
            fee.user("phí làm lại giấy chủ quyền nhà bao nhiêu", "ask_fee", 0.42),
            vi.user("trung tâm hành chính công mấy giờ mở cửa", "ask_agency", 0.35),
            en.user("what time does the service centre open", "ask_agency", 0.31, language="en"),
        ],
    )
    page = staff_page(browser, console, "mai")
    try:
        row = inbox_row(page, "giấy chủ quyền nhà")
        row.locator("select[name=intent]").select_option("ask_fee")
        row.locator("select[name=procedure]").select_option("land-title-change")
        row.locator("input[name=alias]").fill("giấy chủ quyền nhà")
        row.locator("button[value=procedure]").click()
        expect(page.locator("#notice")).to_contain_text("land-title-change.yml")
        expect(page.locator("#inbox tr", has_text="giấy chủ quyền nhà")).to_have_count(0)
        content = yaml.safe_load((console.layout.content / "procedures" / "land-title-change.yml").read_text(encoding="utf-8"))
        assert content["aliases"]["vi"][-1] == "giấy chủ quyền nhà"

        for text in ("mấy giờ mở cửa", "service centre open"):
            page.locator("#inbox tr", has_text=text).locator("input[type=checkbox][name=group]").check()
        page.locator("#new-intent summary").click()
        page.fill("#new-intent input[name=name]", "ask_office_hours")
        page.fill("#new-intent textarea[name=examples_vi]", "bộ phận một cửa làm việc giờ nào")
        page.fill("#new-intent textarea[name=response_vi]", "Trung tâm làm việc giờ hành chính.")
        page.fill("#new-intent textarea[name=response_en]", "The centre is open during office hours.")
        screenshot(page, "console-inbox-new-intent.png")
        page.click("#create-intent")
        expect(page.locator("#notice")).to_contain_text("ask_office_hours")
        expect(page.locator("#inbox tr")).to_have_count(0)
        domain = yaml.safe_load(console.layout.reviewed_domain.read_text(encoding="utf-8"))
        assert domain["intents"] == ["ask_office_hours"]
        examples = (console.layout.reviewed / "ask_office_hours.yml").read_text(encoding="utf-8")
        assert "what time does the service centre open" in examples and "bộ phận một cửa" in examples
    finally:
        page.context.close()
