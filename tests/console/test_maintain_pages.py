"""The maintainers' pages of the console: access by role, CSRF, the inbox over the console's own index,
annotation through `maintainer.annotate`, the gate on release, the comparison report, background jobs
and the story export.

The console runs in-process behind a real HTTP server (aiohttp's TestServer) with its own SQLite index
fed through the real ingestion (`apply_event`); the loop's files go to a temporary layout. Rasa is not
needed: the jobs that need it are tested on the real servers (test_maintain_browser.py).
"""

from __future__ import annotations

import asyncio
import csv
import json
import re

import pytest
import sqlalchemy as sa
import yaml
from aiohttp.test_utils import TestClient, TestServer

from console.app import create_app
from console.auth import add_account
from console.index import queries
from console.index.ingest import apply_event
from console.index.maintainer_source import ConsoleIndexMessages
from console.jobs import MaintainerPlaces
from console.keys import ENGINE
from console.settings import ConsoleSettings
from maintainer.compare import report_paths, sha256
from maintainer.inbox import build_inbox
from maintainer.layout import ROOT, Layout
from tests.console.conftest import Events
from tests.console.test_access import PASSWORD, csrf, csrf_of, sign_in
from tests.maintainer.conftest import copied_layout

MAINTAINER_GETS = ["/maintain/inbox", "/maintain/inbox?problems=1", "/maintain/models", "/maintain/job.json", "/maintain/reports/candidate-x.tar.gz"]
MAINTAINER_POSTS = {
    "/maintain/inbox/annotate": {"action": "ignore", "group": "0000000000"},
    "/maintain/train": {},
    "/maintain/compare": {},
    "/maintain/release": {"model": "candidate-x.tar.gz"},
    "/maintain/rollback": {},
    "/conversations/c1/export-story": {},
}


def temporary_layout(tmp_path) -> Layout:
    models = tmp_path / "models"
    return Layout(
        root=ROOT,
        models=models,
        candidates=models / "candidates",
        released=models / "released",
        reviewed=tmp_path / "reviewed",
        audit_log=tmp_path / "maintainer-audit.jsonl",
    )


def console_app(tmp_path, layout: Layout):
    settings = ConsoleSettings(
        database_url=f"sqlite:///{tmp_path / 'console.db'}",
        event_broker_url=None,
        rasa_url="http://127.0.0.1:9",
        jwt_secret="test-jwt",
        secret_key="test-key",
    )
    places = MaintainerPlaces.from_environment().with_layout(layout, tmp_path / "stories")
    return create_app(settings, places), places


async def started(tmp_path, layout: Layout, add_accounts: bool = True):
    app, places = console_app(tmp_path, layout)
    engine = app[ENGINE]
    for name, role in (("sup", "supervisor"), ("lan", "staff"), ("mai", "maintainer")) if add_accounts else ():
        add_account(engine, name, role, PASSWORD, must_change_password=False)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.engine = engine
    client.layout = places.layout
    client.stories = places.stories_dir
    return client


@pytest.fixture(params=["repository"])
async def console(request, tmp_path, monkeypatch):
    """The console on a temporary layout beside the repository's training inputs, or (param "copy") on a copy
    of them, for the actions that edit them (set procedure, new intent)."""
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    layout = copied_layout(tmp_path) if request.param == "copy" else temporary_layout(tmp_path)
    client = await started(tmp_path, layout)
    yield client
    await client.close()


on_a_copy = pytest.mark.parametrize("console", ["copy"], indirect=True)


def ingest(engine, events: list[dict]) -> None:
    with engine.begin() as connection:
        for event in events:
            apply_event(connection, event)


def plant_conversations(engine) -> dict[str, str]:
    """Conversations as the event stream delivers them; returns a few of their ids by role."""
    fallback = Events()
    handoff = Events()
    tagged = Events()
    duplicates = [Events(), Events()]
    phone = Events()
    ingest(
        engine,
        [
            fallback.user("qwrtpz xkcd blorf", "nlu_fallback", 0.3),
            fallback.action("action_default_fallback"),
            handoff.user("thu tuc cap lai giay khai sinh mat the nao", "ask_procedure", 0.8),
            handoff.user("tôi muốn gặp cán bộ", "request_human", 0.99),
            handoff.kind("pause"),
            tagged.user("hỏi linh tinh về con mèo", "ask_fee", 0.91),
            duplicates[0].user("Mất  CCCD thì làm lại ở đâu vậy", "ask_where_to_submit", 0.95),
            duplicates[1].user("mat cccd thi lam lai o dau vay", "ask_where_to_submit", 0.97),
            phone.user("gọi cho tôi số 0912 345 678 về hộ chiếu", "ask_procedure", 0.9),
        ],
    )
    with engine.begin() as connection:
        queries.add_tag(connection, tagged.sender, "not_understood", "lan")
    return {"fallback": fallback.sender, "handoff": handoff.sender, "tagged": tagged.sender}


async def signed_in(console, username: str) -> None:
    assert (await sign_in(console, username)).status == 303


# ------------------------------------------------------------------ access


async def test_staff_are_refused_on_every_maintainer_page_and_action(console):
    await signed_in(console, "lan")
    for path in MAINTAINER_GETS:
        assert (await console.get(path, allow_redirects=False)).status == 403, path
    token = await csrf(console)
    for path, data in MAINTAINER_POSTS.items():
        assert (await console.post(path, data={**data, "csrf": token}, allow_redirects=False)).status == 403, path
    page = await (await console.get("/queue")).text()
    assert "/maintain/inbox" not in page  # no link to pages they may not open
    with console.engine.connect() as connection:
        assert not [row for row in queries.audit_entries(connection) if row["action"].startswith(("inbox_", "maintainer_"))]


async def test_maintainer_pages_are_not_served_before_signing_in(console):
    for path in MAINTAINER_GETS:
        response = await console.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/signin", path


async def test_maintainer_forms_without_the_csrf_token_are_rejected(console):
    await signed_in(console, "mai")
    for path, data in MAINTAINER_POSTS.items():
        assert (await console.post(path, data=data, allow_redirects=False)).status == 403, path
        assert (await console.post(path, data={**data, "csrf": "forged"}, allow_redirects=False)).status == 403, path
    assert not console.layout.reviewed.exists()


async def test_maintainers_and_supervisors_open_the_pages_and_staff_pages_too(console):
    for name in ("mai", "sup"):
        await signed_in(console, name)
        for path in ("/maintain/inbox", "/maintain/models", "/queue", "/conversations"):
            assert (await console.get(path)).status == 200, (name, path)
        await console.post("/signout", data={"csrf": await csrf(console)})
    await signed_in(console, "mai")
    assert (await console.get("/accounts", allow_redirects=False)).status == 403  # still not a supervisor


def test_accounts_command_creates_a_maintainer(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'console.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "console", "users", "add", "thu", "--role", "maintainer"],
        capture_output=True,
        text=True,
        env={"CONSOLE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert queries.find_account(connection, "thu")["role"] == "maintainer"
    engine.dispose()


# ------------------------------------------------------------------ inbox over the console's index


def test_the_console_index_is_a_message_source_that_knows_tags_handoffs_and_fallbacks(index_engine):
    ids = plant_conversations(index_engine)
    messages = ConsoleIndexMessages(index_engine).recent_messages(100)
    by_text = {m.text: m for m in messages}
    assert by_text["qwrtpz xkcd blorf"].fell_back
    assert by_text["thu tuc cap lai giay khai sinh mat the nao"].before_handoff
    assert "not understood" in by_text["hỏi linh tinh về con mèo"].tags
    assert not by_text["hỏi linh tinh về con mèo"].fell_back
    assert all("0912" not in m.text for m in messages)  # masked at ingestion
    assert [m.timestamp for m in messages] == sorted((m.timestamp for m in messages), reverse=True)
    assert {m.conversation_id for m in messages} >= set(ids.values())


async def test_inbox_lists_groups_in_the_maintainers_order_with_counts(console):
    plant_conversations(console.engine)
    await signed_in(console, "mai")
    page = await (await console.get("/maintain/inbox")).text()
    expected = build_inbox(ConsoleIndexMessages(console.engine), console.layout)
    shown = re.findall(r'<tr data-group="(\w+)">', page)
    assert shown == [group.id for group in expected]
    order = {group.reasons[0] if group.reasons else "-": group.id for group in reversed(expected)}
    assert shown.index(order["fallback"]) < shown.index(order["tagged not understood"]) < shown.index(order["before a handoff"])
    duplicates = next(g for g in expected if "cccd" in g.text.lower())
    assert duplicates.count == 2
    row = page.split(f'data-group="{duplicates.id}"')[1].split("</tr>")[0]
    assert '<td class="count">2</td>' in row and "ask_where_to_submit" in row
    assert "0912" not in page and "345 678" not in page


async def test_inbox_shows_citizen_text_escaped(console):
    sender = Events()
    ingest(console.engine, [sender.user('<img src=x onerror="alert(1)"> phi ho chieu', "ask_fee", 0.4)])
    await signed_in(console, "mai")
    page = await (await console.get("/maintain/inbox")).text()
    assert "<img src=x" not in page and "&lt;img src=x" in page


# ------------------------------------------------------------------ annotate


async def test_correcting_a_group_writes_reviewed_training_data_by_the_signed_in_account(console):
    plant_conversations(console.engine)
    await signed_in(console, "mai")
    groups = build_inbox(ConsoleIndexMessages(console.engine), console.layout)
    duplicates = next(g for g in groups if "cccd" in g.text.lower())
    response = await console.post(
        "/maintain/inbox/annotate",
        allow_redirects=False,
        data={"csrf": await csrf(console, "/maintain/inbox"), "group": duplicates.id, "action": "intent", "intent": "ask_where_to_submit"},
    )
    assert response.status == 303
    written = console.layout.reviewed / "ask_where_to_submit.yml"
    text = written.read_text(encoding="utf-8")
    assert "- Mất CCCD thì làm lại ở đâu vậy" in text and "- mat cccd thi lam lai o dau vay" in text
    with (console.layout.reviewed / "ask_where_to_submit.provenance.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert {row["added_by"] for row in rows} == {"mai"} and {row["source"] for row in rows} == {"console inbox"}
    page = await (await console.get("/maintain/inbox")).text()
    assert f'data-group="{duplicates.id}"' not in page  # annotated: not shown again
    assert 'id="notice"' in page
    with console.engine.connect() as connection:
        audit = [row for row in queries.audit_entries(connection) if row["action"] == "inbox_annotated"]
    assert audit and audit[0]["actor"] == "mai" and audit[0]["target"] == "ask_where_to_submit"


async def test_batch_out_of_scope_and_ignore(console):
    plant_conversations(console.engine)
    await signed_in(console, "sup")
    groups = build_inbox(ConsoleIndexMessages(console.engine), console.layout)
    cat = next(g for g in groups if "con mèo" in g.text)
    gibberish = next(g for g in groups if "qwrtpz" in g.text)
    token = await csrf(console, "/maintain/inbox")
    await console.post("/maintain/inbox/annotate", data={"csrf": token, "group": [cat.id], "action": "out_of_scope"})
    assert "hỏi linh tinh về con mèo" in (console.layout.reviewed / "out_of_scope.yml").read_text(encoding="utf-8")
    await console.post("/maintain/inbox/annotate", data={"csrf": token, "group": [gibberish.id], "action": "ignore"})
    assert "qwrtpz" in (console.layout.reviewed / "ignored.csv").read_text(encoding="utf-8")
    remaining = {g.id for g in build_inbox(ConsoleIndexMessages(console.engine), console.layout)}
    assert not {cat.id, gibberish.id} & remaining


async def test_confirming_a_fallback_is_refused_with_a_reason(console):
    plant_conversations(console.engine)
    await signed_in(console, "mai")
    gibberish = next(g for g in build_inbox(ConsoleIndexMessages(console.engine), console.layout) if "qwrtpz" in g.text)
    response = await console.post(
        "/maintain/inbox/annotate", data={"csrf": await csrf(console, "/maintain/inbox"), "group": gibberish.id, "action": "confirm"}
    )
    page = await response.text()  # the inbox again, after the redirect
    assert 'class="error" id="notice"' in page and "nlu_fallback" not in page.split('id="notice"')[1].split("</p>")[0]
    assert not console.layout.reviewed.exists() or not list(console.layout.reviewed.glob("*.yml"))


async def test_a_message_with_a_personal_number_never_becomes_training_text(console):
    plant_conversations(console.engine)
    await signed_in(console, "mai")
    masked = next(g for g in build_inbox(ConsoleIndexMessages(console.engine), console.layout) if "hộ chiếu" in g.text)
    await console.post("/maintain/inbox/annotate", data={"csrf": await csrf(console, "/maintain/inbox"), "group": masked.id, "action": "confirm"})
    assert not (console.layout.reviewed / "ask_procedure.yml").exists()


@on_a_copy
async def test_setting_the_procedure_of_a_group_adds_its_alias_and_trains_the_intent(console):
    sender = Events()
    ingest(console.engine, [sender.user("phí làm lại giấy chủ quyền nhà bao nhiêu", "ask_fee", 0.42)])
    await signed_in(console, "mai")
    [group] = [g for g in build_inbox(ConsoleIndexMessages(console.engine), console.layout) if "chủ quyền" in g.text]
    page = await (await console.get("/maintain/inbox")).text()
    row = page.split(f'data-group="{group.id}"')[1].split("</tr>")[0]
    assert 'value="procedure"' in row and '<option value="land-title-change"' in row
    content_file = console.layout.content / "procedures" / "land-title-change.yml"
    token = await csrf(console, "/maintain/inbox")

    # The whole question as an alias of the procedure is refused (it is a fee question); nothing changes.
    before = content_file.read_text(encoding="utf-8")
    refused = await (
        await console.post(
            "/maintain/inbox/annotate",
            data={"csrf": token, "group": group.id, "action": "procedure", "procedure": "land-title-change", "intent": "ask_fee"},
        )
    ).text()
    assert 'class="error" id="notice"' in refused and content_file.read_text(encoding="utf-8") == before

    response = await console.post(
        "/maintain/inbox/annotate",
        allow_redirects=False,
        data={
            "csrf": token,
            "group": group.id,
            "action": "procedure",
            "procedure": "land-title-change",
            "intent": "ask_fee",
            "alias": "giấy chủ quyền nhà",
        },
    )
    assert response.status == 303
    assert yaml.safe_load(content_file.read_text(encoding="utf-8"))["aliases"]["vi"][-1] == "giấy chủ quyền nhà"
    assert "giay chu quyen nha" in (console.layout.generated / "procedures.yml").read_text(encoding="utf-8")
    assert "- phí làm lại giấy chủ quyền nhà bao nhiêu" in (console.layout.reviewed / "ask_fee.yml").read_text(encoding="utf-8")
    page = await (await console.get("/maintain/inbox")).text()
    assert f'data-group="{group.id}"' not in page and "giấy chủ quyền nhà" in page.split('id="notice"')[1].split("</p>")[0]
    with console.engine.connect() as connection:
        audit = [row for row in queries.audit_entries(connection) if row["action"] == "inbox_procedure_set"]
    assert [(row["actor"], row["target"]) for row in audit] == [("mai", "land-title-change")]


@on_a_copy
async def test_a_new_intent_is_created_from_ticked_groups_with_its_answer(console):
    vi, en = Events(), Events()
    ingest(
        console.engine,
        [
            vi.user("trung tâm hành chính công mấy giờ mở cửa", "ask_agency", 0.35),
            en.user("what time does the service centre open", "ask_agency", 0.31, language="en"),
        ],
    )
    await signed_in(console, "mai")
    groups = build_inbox(ConsoleIndexMessages(console.engine), console.layout)
    ids = [g.id for g in groups if "mở cửa" in g.text or "open" in g.text]
    assert len(ids) == 2
    page = await (await console.get("/maintain/inbox")).text()
    assert 'id="create-intent"' in page
    form = {
        "csrf": await csrf(console, "/maintain/inbox"),
        "group": ids,
        "action": "new_intent",
        "name": "ask_office_hours",
        "examples_vi": "bộ phận một cửa làm việc giờ nào\n",
        "examples_en": "",
        "response_vi": "Trung tâm làm việc giờ hành chính.",
        "response_en": "The centre is open during office hours.",
    }
    response = await console.post("/maintain/inbox/annotate", allow_redirects=False, data=form)
    assert response.status == 303
    domain = yaml.safe_load(console.layout.reviewed_domain.read_text(encoding="utf-8"))
    assert domain["intents"] == ["ask_office_hours"] and "utter_ask_office_hours" in domain["responses"]
    examples = (console.layout.reviewed / "ask_office_hours.yml").read_text(encoding="utf-8")
    assert "- what time does the service centre open" in examples and "- bộ phận một cửa làm việc giờ nào" in examples
    page = await (await console.get("/maintain/inbox")).text()
    assert not any(f'data-group="{group_id}"' in page for group_id in ids)
    assert '<option value="ask_office_hours"' in page  # the new intent can now be chosen
    again = await (await console.post("/maintain/inbox/annotate", data={**form, "group": []})).text()
    assert "already exists" in again.split('id="notice"')[1].split("</p>")[0]
    with console.engine.connect() as connection:
        assert [row["target"] for row in queries.audit_entries(connection) if row["action"] == "intent_created"] == ["ask_office_hours"]


# ------------------------------------------------------------------ gate, release, reports


def fake_comparison(layout: Layout, gate_passes: bool) -> str:
    """A candidate file and the report `maintainer compare` would write for it."""
    layout.candidates.mkdir(parents=True, exist_ok=True)
    candidate = layout.candidates / "candidate-20261127-180000.tar.gz"
    candidate.write_bytes(b"not a real model: the release job is not started in these tests")
    figures = {
        "procedure": {"vi": [90, 100], "no_diacritics": [85, 100]},
        "oos_recall": [18, 20],
        "wrongly_declined": [2, 100],
        "intent_f1": {"weighted": 0.91, "macro": 0.88},
    }
    worse = json.loads(json.dumps(figures))
    if not gate_passes:
        worse["procedure"]["no_diacritics"] = [80, 100]
    changed = [
        {
            "text": "mat cccd <b>lam lai</b> o dau",
            "count": 3,
            "active": {"intent": "nlu_fallback", "confidence": 0.41, "procedure": None, "offered": [], "declined": False},
            "candidate": {"intent": "ask_where_to_submit", "confidence": 0.93, "procedure": "cap_lai_cccd", "offered": [], "declined": False},
        }
    ]
    report = {
        "generated_at": "2026-11-27T18:00:00Z",
        "candidate": {"model": candidate.name, "sha256": sha256(candidate)},
        "active": {"model": "20261127-active.tar.gz", "sha256": "0" * 64},
        "heldout": {"active": figures, "candidate": worse},
        "stories": {"total": 12, "failed": [], "seconds": 9.0},
        "replay": {"messages": 40, "distinct": 30, "changed": changed},
        "seconds": 60.0,
    }
    from maintainer.gate import evaluate_gate

    report["gate"] = evaluate_gate(report).as_dict()
    report_paths(candidate)[0].write_text(json.dumps(report), encoding="utf-8")
    return candidate.name


async def test_comparison_report_page_shows_figures_and_changed_messages_side_by_side(console):
    name = fake_comparison(console.layout, gate_passes=False)
    await signed_in(console, "mai")
    page = await (await console.get(f"/maintain/reports/{name}")).text()
    figures = page.split('id="figures"')[1].split("</table>")[0]
    assert "procedure: no_diacritics" in figures and "85.0% (85/100)" in figures and "80.0% (80/100)" in figures
    assert "-5.0 pt" in figures
    changed = page.split('id="changed"')[1].split("</table>")[0]
    assert "nlu_fallback" in changed and "ask_where_to_submit" in changed and "cap_lai_cccd" in changed
    assert "&lt;b&gt;lam lai&lt;/b&gt;" in changed  # citizen text is never HTML
    assert "12/12" in page or "12 of 12" in page
    assert (await console.get("/maintain/reports/..%2Fsecrets.tar.gz")).status == 404
    assert (await console.get("/maintain/reports/nothing.tar.gz")).status == 404


async def test_a_refused_candidate_cannot_be_released_by_a_maintainer(console):
    name = fake_comparison(console.layout, gate_passes=False)
    await signed_in(console, "mai")
    page = await (await console.get("/maintain/models")).text()
    assert re.search(r'<button class="primary" id="release"[^>]*disabled', page)
    response = await console.post("/maintain/release", allow_redirects=False, data={"csrf": await csrf(console, "/maintain/models"), "model": name})
    assert response.status == 403
    assert (await (await console.get("/maintain/job.json")).json())["job"] is None


async def test_a_supervisor_override_needs_a_written_reason_and_is_audit_logged(console):
    name = fake_comparison(console.layout, gate_passes=False)
    await signed_in(console, "sup")
    token = await csrf(console, "/maintain/models")
    await console.post("/maintain/release", data={"csrf": token, "model": name, "override": "   "})
    assert (await (await console.get("/maintain/job.json")).json())["job"] is None
    response = await console.post(
        "/maintain/release", allow_redirects=False, data={"csrf": token, "model": name, "override": "known drop, hotfix for fees"}
    )
    assert response.status == 303
    job = await wait_for_job(console)
    assert job["kind"] == "release" and job["started_by"] == "sup"
    # The release itself fails here (no Rasa server on this port), after the override was recorded.
    assert job["returncode"] != 0
    with console.engine.connect() as connection:
        overrides = [row for row in queries.audit_entries(connection) if row["action"] == "gate_override"]
    assert overrides[0]["actor"] == "sup" and overrides[0]["detail"] == "known drop, hotfix for fees"
    maintainer_audit = [json.loads(line) for line in console.layout.audit_log.read_text(encoding="utf-8").splitlines()]
    assert any(e["action"] == "gate-override" and e["by"] == "sup" for e in maintainer_audit)


async def test_a_candidate_that_was_not_compared_is_not_released(console):
    console.layout.candidates.mkdir(parents=True)
    (console.layout.candidates / "candidate-20261127-190000.tar.gz").write_bytes(b"not compared")
    await signed_in(console, "sup")
    response = await console.post(
        "/maintain/release",
        data={"csrf": await csrf(console, "/maintain/models"), "model": "candidate-20261127-190000.tar.gz", "override": "in a hurry"},
    )
    assert 'class="error" id="notice"' in await response.text()
    assert (await (await console.get("/maintain/job.json")).json())["job"] is None


async def wait_for_job(console, timeout: float = 120) -> dict:
    for _ in range(int(timeout * 4)):
        job = (await (await console.get("/maintain/job.json")).json())["job"]
        if job and not job["running"]:
            return job
        await asyncio.sleep(0.25)
    raise AssertionError(f"job still running after {timeout}s")


async def test_a_background_job_reports_its_output_and_one_runs_at_a_time(console):
    await signed_in(console, "mai")
    token = await csrf(console, "/maintain/models")
    await console.post("/maintain/rollback", data={"csrf": token})
    second = await console.post("/maintain/rollback", data={"csrf": token})  # refused while the first runs
    job = await wait_for_job(console)
    assert job["kind"] == "rollback" and job["returncode"] == 2
    assert any("no earlier release" in line for line in job["lines"])
    assert "job_busy" not in await second.text()
    with console.engine.connect() as connection:
        assert [row["actor"] for row in queries.audit_entries(connection) if row["action"] == "maintainer_rollback"] == ["mai"]


async def test_a_restarted_console_shows_the_last_job_s_outcome(console, tmp_path):
    await signed_in(console, "mai")
    await console.post("/maintain/rollback", data={"csrf": await csrf(console, "/maintain/models")})
    finished = await wait_for_job(console)
    assert json.loads(console.layout.job_file.read_text(encoding="utf-8"))["returncode"] == finished["returncode"]
    await console.close()

    restarted = await started(tmp_path, console.layout, add_accounts=False)
    try:
        await signed_in(restarted, "mai")
        job = (await (await restarted.get("/maintain/job.json")).json())["job"]
        assert (job["kind"], job["returncode"], job["lines"]) == ("rollback", 2, finished["lines"])
        page = await (await restarted.get("/maintain/models")).text()
        assert "no earlier release" in page and 'id="job-status"' in page
    finally:
        await restarted.close()

    # A console that stopped while its job ran: the job is shown as not finished, never as still running.
    state = {**finished, "running": True, "returncode": None, "ended_at": None}
    console.layout.job_file.write_text(json.dumps(state), encoding="utf-8")
    restarted = await started(tmp_path, console.layout, add_accounts=False)
    try:
        await signed_in(restarted, "mai")
        job = (await (await restarted.get("/maintain/job.json")).json())["job"]
        assert not job["running"] and job["returncode"] == -1 and "did not finish" in job["lines"][-1]
    finally:
        await restarted.close()


# ------------------------------------------------------------------ from conversation to test


async def test_a_conversation_is_exported_as_a_test_story(console, tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    metadata = sa.MetaData()
    events = sa.Table(
        "events",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("type_name", sa.String(255)),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )
    metadata.create_all(engine)
    sender = "socketio:" + "ab" * 16
    rows = [
        {
            "event": "user",
            "text": "phí làm hộ chiếu",
            "timestamp": 1.0,
            "parse_data": {"intent": {"name": "ask_fee", "confidence": 0.9}, "entities": []},
        },
        {"event": "action", "name": "action_answer_fee", "timestamp": 2.0},
    ]
    with engine.begin() as connection:
        for row in rows:
            connection.execute(events.insert().values(sender_id=sender, type_name=row["event"], timestamp=row["timestamp"], data=json.dumps(row)))
    engine.dispose()
    ingest(console.engine, [Events(sender).user("phí làm hộ chiếu", "ask_fee")])
    await signed_in(console, "mai")
    response = await console.post(f"/conversations/{sender}/export-story", allow_redirects=False, data={"csrf": await csrf(console, "/queue")})
    assert response.status == 303
    [story] = console.stories.glob("test_exported_*.yml")
    assert "intent: ask_fee" in story.read_text(encoding="utf-8") and "action: action_answer_fee" in story.read_text(encoding="utf-8")
    assert sender not in story.read_text(encoding="utf-8")
    page = await (await console.get(response.headers["Location"])).text()
    assert story.name in page and 'id="export-story"' in page
    with console.engine.connect() as connection:
        assert any(row["action"] == "story_exported" for row in queries.audit_entries(connection))
    assert csrf_of(page)
