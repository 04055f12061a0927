"""Train (reused by fingerprint) -> compare -> gate -> release under load -> roll back, on the real servers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from knowledge.personal_data import mask_personal_numbers
from maintainer.compare import compare, report_paths, story_names
from maintainer.gate import evaluate_gate, read_audit
from maintainer.messages import TrackerStoreMessages
from maintainer.release import RasaServer, ReleaseRefused, active_model, read_manifest, release, rollback
from maintainer.train import input_fingerprint, record_fingerprint, train_candidate
from tests.conftest import ROOT, Assistant
from tests.maintainer.conftest import temporary_layout

pytestmark = pytest.mark.servers

# Realistic multi-turn conversations (from benchmarks/load_rest.py, without numbers so the stored
# text equals the sent text).
CONVERSATIONS = [
    ["xin chào", "con tôi mới sinh", "cần giấy tờ gì", "lệ phí bao nhiêu", "cảm ơn"],
    ["chao ban", "lam ho chieu can gi", "mat bao lau", "lam online dc ko", "ok cam on"],
    ["tôi muốn đổi bằng lái xe", "nộp ở đâu", "tôi ở Tháp Chàm", "bao lâu thì có"],
    ["Hello", "my passport expired", "how much does it cost", "thanks"],
]


@pytest.fixture(scope="session")
def loop_layout(tmp_path_factory):
    return temporary_layout(tmp_path_factory.mktemp("loop"))


@pytest.fixture(scope="session")
def kept_active(trained_model: Path, loop_layout) -> Path:
    """The session's model (scripts/train.sh trained it from the repository's files just now) kept as a release
    is, with the fingerprint of those inputs recorded: what the loop does for every model it trains."""
    loop_layout.released.mkdir(parents=True, exist_ok=True)
    kept = loop_layout.released / trained_model.name
    shutil.copy2(trained_model, kept)
    record_fingerprint(kept, input_fingerprint(loop_layout))
    return kept


@pytest.fixture(scope="session")
def candidate(kept_active: Path, loop_layout):
    progress = []
    result = train_candidate(loop_layout, on_progress=progress.append)
    return result, progress


@pytest.fixture(scope="session")
def comparison(candidate, trained_model, planted_conversations, tracker_messages, loop_layout):
    return compare(candidate[0].model, trained_model, loop_layout, source=tracker_messages, on_progress=lambda _: None)


def test_a_candidate_from_unchanged_data_is_the_active_model_reused(candidate, kept_active, trained_model, loop_layout):
    result, progress = candidate
    assert result.reused_from == kept_active
    assert result.model.parent == loop_layout.candidates and result.model.name.startswith("candidate-")
    assert result.model.read_bytes() == trained_model.read_bytes()
    assert [p.stage for p in progress] == ["checking", "reused"]
    assert not list(trained_model.parent.glob("candidate-*"))  # the active models folder is untouched


def test_comparison_report_has_the_three_views_and_the_gate(comparison, candidate, planted_conversations):
    report = comparison.report
    assert (comparison.json_path, comparison.markdown_path) == report_paths(candidate[0].model)
    assert json.loads(comparison.json_path.read_text()) == report
    active, new = report["heldout"]["active"], report["heldout"]["candidate"]
    assert set(active["procedure"]) == {"accented", "unaccented", "english"}
    assert active == new  # the same model understands the same way
    assert active["procedure"]["english"][1] > 50 and 0 < active["intent_f1"]["weighted"] <= 1
    assert report["stories"]["total"] == len(story_names(ROOT / "tests" / "stories")) > 50
    assert report["stories"]["failed"] == []
    assert report["replay"]["distinct"] >= len(planted_conversations) - 1  # button payloads are not replayed
    assert report["replay"]["changed"] == []
    assert report["gate"] == {"passed": True, "reasons": [], "override": None}
    markdown = comparison.markdown_path.read_text()
    assert "Gate: PASSED" in markdown and "procedure identified, english" in markdown
    assert "0912" not in comparison.json_path.read_text()


def _degraded(report: dict, **changes) -> dict:
    worse = json.loads(json.dumps(report))
    for path, value in changes.items():
        *keys, last = path.split(".")
        target = worse
        for key in keys:
            target = target[key]
        target[last] = value
    return worse


def test_gate_refuses_what_a_candidate_may_not_lose(comparison):
    report = comparison.report
    english = report["heldout"]["active"]["procedure"]["english"]
    oos = report["heldout"]["active"]["oos_recall"]
    # The fewest English messages that are more than one point of the held-out set (1 of 81, 2 of 185).
    drop = english[1] // 100 + 1
    over_a_point = _degraded(report, **{"heldout.candidate.procedure.english": [english[0] - drop, english[1]]})
    assert (english[0] - drop) / english[1] < english[0] / english[1] - 0.01
    assert "english" in evaluate_gate(over_a_point).reasons[0]
    assert not evaluate_gate(_degraded(report, **{"heldout.candidate.oos_recall": [oos[0] - 1, oos[1]]})).passed
    assert not evaluate_gate(_degraded(report, **{"stories.failed": ["greeting"]})).passed
    assert not evaluate_gate(_degraded(report, stories=None)).passed
    better = _degraded(report, **{"heldout.candidate.oos_recall": [oos[0] + 1, oos[1]]})
    assert evaluate_gate(better).passed


class CitizenLoad:
    """Citizens holding REST conversations in threads until stopped; records every failure."""

    def __init__(self, rasa_url: str, citizens: int = 4):
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.stop = threading.Event()
        self.sent: dict[str, list[str]] = {}
        self.failures: list[str] = []
        self.latencies: list[tuple[float, float]] = []  # (start, seconds)
        self.threads = [threading.Thread(target=self._citizen, args=(i,), daemon=True) for i in range(citizens)]

    def _citizen(self, index: int) -> None:
        round_ = 0
        while not self.stop.is_set():
            conversation = CONVERSATIONS[(index + round_) % len(CONVERSATIONS)]
            sender = f"load-{index}-{round_}-{time.monotonic_ns()}"
            self.sent[sender] = []
            for text in conversation:
                started = time.monotonic()
                try:
                    response = requests.post(self.url, json={"sender": sender, "message": text}, timeout=300)
                    if response.status_code != 200 or not response.json():
                        self.failures.append(f"{text!r}: HTTP {response.status_code} {response.text[:100]}")
                except requests.RequestException as error:
                    self.failures.append(f"{text!r}: {type(error).__name__}")
                self.sent[sender].append(text)
                self.latencies.append((started, time.monotonic() - started))
            round_ += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=400)


def test_release_under_load_override_and_rollback(assistant: Assistant, candidate, comparison, loop_layout):
    server = RasaServer(assistant.rasa_url, assistant.jwt_secret)
    first = candidate[0].model

    with CitizenLoad(assistant.rasa_url) as load:
        time.sleep(3)
        started = time.monotonic()
        entry = release(first, loop_layout, server, by="lan")
        switch = (started, time.monotonic())
        time.sleep(3)
    assert load.failures == []
    during = [seconds for begun, seconds in load.latencies if switch[0] <= begun <= switch[1]]
    assert during, "no message was sent while the model was being switched"
    stored = TrackerStoreMessages(assistant.env["TRACKER_STORE_URL"])
    for sender, texts in load.sent.items():
        events = stored.conversation_events(sender)
        assert [e["text"] for e in events if e["event"] == "user"] == [mask_personal_numbers(t) for t in texts]
    print(
        f"release under load: switch {switch[1] - switch[0]:.1f} s, {sum(map(len, load.sent.values()))} "
        f"messages, {len(during)} during the switch, slowest {max(during):.1f} s"
    )

    assert server.status()["model_file"].endswith(first.name)
    assert entry["previous"] is None and read_manifest(loop_layout)["active"] == first.name
    assert (loop_layout.released / first.name).exists()
    assert all((loop_layout.released / name).exists() for name in entry["reports"])
    assert active_model(loop_layout, server) == loop_layout.released / first.name

    # A second candidate whose report shows a drop: refused, then released with a written reason.
    second = loop_layout.candidates / "candidate-second.tar.gz"
    shutil.copy2(first, second)
    worse = _degraded(comparison.report, **{"candidate.model": second.name, "heldout.candidate.oos_recall": [0, 60]})
    json_path, markdown_path = report_paths(second)
    json_path.write_text(json.dumps(worse))
    markdown_path.write_text("# degraded\n")
    with pytest.raises(ReleaseRefused, match="out-of-scope recall"):
        release(second, loop_layout, server, by="lan")
    assert server.status()["model_file"].endswith(first.name)

    env = {**assistant.env, "MODELS_DIR": str(loop_layout.models), "MAINTAINER_AUDIT_LOG": str(loop_layout.audit_log)}
    gate = subprocess.run([sys.executable, "-m", "maintainer", "gate", str(second)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert gate.returncode == 1 and "out-of-scope recall" in gate.stdout
    released = subprocess.run(
        [
            sys.executable,
            "-m",
            "maintainer",
            "release",
            str(second),
            "--by",
            "supervisor-an",
            "--override",
            "recall set is being rewritten; approved in review",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert released.returncode == 0, released.stdout + released.stderr
    assert server.status()["model_file"].endswith(second.name)
    override = [e for e in read_audit(loop_layout) if e["action"] == "gate-override"]
    assert override and override[-1]["reason"] == "recall set is being rewritten; approved in review"
    assert override[-1]["by"] == "supervisor-an" and override[-1]["candidate"] == second.name

    # Rolling back is one command, and the start-up model follows.
    back = subprocess.run(
        [sys.executable, "-m", "maintainer", "rollback", "--by", "lan"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert back.returncode == 0, back.stdout + back.stderr
    assert server.status()["model_file"].endswith(first.name)
    assert read_manifest(loop_layout)["active"] == first.name
    newest = max(loop_layout.models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    assert newest.name == first.name
    with pytest.raises(ReleaseRefused, match="no earlier release"):
        rollback(loop_layout, server, by="lan")
    assert [e["action"] for e in read_audit(loop_layout)] == ["release", "gate-override", "release", "rollback"]
    listing = subprocess.run([sys.executable, "-m", "maintainer", "releases"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert f"* {first.name}" in listing.stdout and "override: recall set" in listing.stdout


def test_the_swap_endpoint_needs_an_admin_jwt_and_a_local_model(assistant: Assistant, trained_model: Path):
    import jwt as pyjwt

    from maintainer.release import HOT_SWAP_ROUTE

    url = f"{assistant.rasa_url}{HOT_SWAP_ROUTE}"
    body = {"model_file": str(trained_model)}
    assert requests.put(url, json=body, timeout=30).status_code == 401
    forged = pyjwt.encode({"user": {"username": "x", "role": "admin"}}, "not-the-secret", algorithm="HS256")
    assert requests.put(url, json=body, headers={"Authorization": f"Bearer {forged}"}, timeout=30).status_code == 401
    no_expiry = pyjwt.encode({"user": {"username": "x", "role": "admin"}}, assistant.jwt_secret, algorithm="HS256")
    assert requests.put(url, json=body, headers={"Authorization": f"Bearer {no_expiry}"}, timeout=30).status_code == 401
    guest = {"Authorization": f"Bearer {assistant.token(role='guest')}"}
    assert requests.put(url, json=body, headers=guest, timeout=30).status_code == 401
    admin = {"Authorization": f"Bearer {assistant.token()}"}
    for bad in ("models/x.tar.gz", "/etc/passwd", str(trained_model.parent / "missing.tar.gz")):
        assert requests.put(url, json={"model_file": bad}, headers=admin, timeout=30).status_code == 400
