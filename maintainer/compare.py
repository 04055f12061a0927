"""Compare a candidate with the active model before release.

Three views, one report (Markdown + JSON beside the candidate):
- the held-out evaluation of `evaluation/run.py` (per-variant procedure identification,
  out-of-scope recall, wrongly declined, intent F1) for both models;
- the conversation tests (`rasa test core` on tests/stories) for the candidate;
- a replay of the most recent citizen messages (masked) through both models, listing each message
  whose intent or procedure would change, side by side.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import yaml

from maintainer.gate import evaluate_gate
from maintainer.inbox import markdown_cell as _cell
from maintainer.layout import RASA, Layout
from maintainer.messages import MessageSource

DEFAULT_REPLAY = 2000


@dataclass
class ComparisonFiles:
    report: dict
    json_path: Path
    markdown_path: Path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def report_paths(candidate: Path) -> tuple[Path, Path]:
    stem = candidate.name.removesuffix(".tar.gz")
    return candidate.with_name(f"{stem}.compare.json"), candidate.with_name(f"{stem}.compare.md")


# ------------------------------------------------------------------ understanding (held-out + replay)


def _understanding(outcome) -> dict:
    return {
        "intent": outcome.intent,
        "confidence": round(outcome.confidence, 3),
        "procedure": outcome.procedure,
        "offered": list(outcome.candidates),
        "declined": bool(outcome.declined),
    }


def _metrics_json(result: dict) -> dict:
    return json.loads(json.dumps(result))  # tuples become lists: the same shape the JSON report has


async def _evaluate(model: Path, heldout_rows, replay_rows) -> tuple[dict, list[dict]]:
    from evaluation.run import metrics, parse_all

    # One agent load per model: held-out rows and replayed messages in one pass.
    outcomes = await parse_all(model, list(heldout_rows) + list(replay_rows))
    heldout, replay = outcomes[: len(heldout_rows)], outcomes[len(heldout_rows) :]
    return _metrics_json(metrics(heldout)), [_understanding(o) for o in replay]


def understanding_changes(texts: list[str], counts: Counter, before: list[dict], after: list[dict]) -> list[dict]:
    changed = []
    for text, old, new in zip(texts, before, after):
        if old["intent"] != new["intent"] or _landing(old) != _landing(new):
            changed.append({"text": text, "count": counts[text], "active": old, "candidate": new})
    changed.sort(key=lambda row: -row["count"])
    return changed


def _landing(understood: dict) -> tuple:
    """Where the assistant would take the citizen: a procedure, a clarifying choice, or a decline."""
    return understood["procedure"], tuple(sorted(understood["offered"])), understood["declined"]


# ------------------------------------------------------------------ conversation tests


def story_names(stories: Path) -> list[str]:
    names = []
    for path in sorted(stories.rglob("*.yml")):
        names += [s.get("story") for s in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories") or []]
    return names


def run_conversation_tests(model: Path, stories: Path, layout: Layout, out: Path) -> dict:
    """`rasa test core` on the test stories (Rasa runs them with an in-memory tracker store and
    without executing custom actions), as tests/e2e/test_stories.py does."""
    started = time.monotonic()
    result = subprocess.run(
        [RASA, "test", "core", "--model", str(model), "--stories", str(stories), "--out", str(out), "--no-plot"],
        cwd=layout.root,
        capture_output=True,
        text=True,
    )
    failed_file = out / "failed_test_stories.yml"
    failed = (yaml.safe_load(failed_file.read_text(encoding="utf-8")) or {}) if failed_file.exists() else {}
    failed_names = [s.get("story") for s in failed.get("stories") or []]
    if result.returncode != 0:
        failed_names.append(f"rasa test core exited with {result.returncode}: {result.stderr[-300:]}")
    return {"total": len(story_names(stories)), "failed": failed_names, "seconds": round(time.monotonic() - started, 1)}


# ------------------------------------------------------------------ the comparison


def compare(
    candidate: Path,
    active: Path,
    layout: Layout,
    source: Optional[MessageSource] = None,
    replay_limit: int = DEFAULT_REPLAY,
    run_stories: bool = True,
    stories: Optional[Path] = None,
    on_progress: Callable[[str], None] = print,
) -> ComparisonFiles:
    from evaluation.run import Row, read_heldout

    started = time.monotonic()
    heldout_rows = read_heldout()
    replayed = []
    if source is not None and replay_limit > 0:
        replayed = [
            m.text for m in source.recent_messages(replay_limit) if m.text.strip() and not m.text.startswith("/")
        ]  # button payloads parse the same way
    counts = Counter(replayed)
    texts = list(counts)
    replay_rows = [Row(text, "replay", "", ()) for text in texts]

    with tempfile.TemporaryDirectory() as tmp:
        on_progress(f"parsing {len(heldout_rows)} held-out and {len(texts)} distinct replayed messages with the active model {active.name}")
        active_metrics, active_replay = asyncio.run(_evaluate(active, heldout_rows, replay_rows))
        on_progress(f"... and with the candidate {candidate.name}")
        candidate_metrics, candidate_replay = asyncio.run(_evaluate(candidate, heldout_rows, replay_rows))
        story_results = None
        if run_stories:
            on_progress("running the conversation tests on the candidate (rasa test core)")
            story_results = run_conversation_tests(candidate, stories or layout.root / "tests" / "stories", layout, Path(tmp) / "stories")

    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "candidate": {"model": candidate.name, "sha256": sha256(candidate)},
        "active": {"model": active.name, "sha256": sha256(active)},
        "heldout": {"active": active_metrics, "candidate": candidate_metrics},
        "stories": story_results,
        "replay": {
            "messages": len(replayed),
            "distinct": len(texts),
            "changed": understanding_changes(texts, counts, active_replay, candidate_replay),
        },
        "seconds": None,
    }
    report["gate"] = evaluate_gate(report).as_dict()
    report["seconds"] = round(time.monotonic() - started, 1)
    json_path, markdown_path = report_paths(candidate)
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    markdown_path.write_text(report_markdown(report), encoding="utf-8")
    return ComparisonFiles(report, json_path, markdown_path)


def load_report(candidate: Path) -> Optional[dict]:
    json_path, _ = report_paths(candidate)
    return json.loads(json_path.read_text(encoding="utf-8")) if json_path.exists() else None


# ------------------------------------------------------------------ Markdown


def _pct(pair) -> str:
    part, whole = pair
    return f"{part / whole:.1%} ({part}/{whole})" if whole else "-"


def _delta(before, after) -> str:
    b = before[0] / before[1] if before[1] else 0.0
    a = after[0] / after[1] if after[1] else 0.0
    return f"{(a - b) * 100:+.1f} pt"


def _does(understood: dict) -> str:
    if understood["declined"]:
        where = "declines"
    elif understood["procedure"]:
        where = understood["procedure"]
    elif understood["offered"]:
        where = "asks: " + " / ".join(understood["offered"])
    else:
        where = "-"
    return f"{understood['intent']} ({understood['confidence']:.2f}) → {where}"


def report_markdown(report: dict) -> str:
    active, candidate = report["heldout"]["active"], report["heldout"]["candidate"]
    gate = report["gate"]
    lines = [
        f"# Candidate {report['candidate']['model']} vs active {report['active']['model']}",
        "",
        f"Generated {report['generated_at']} by `python -m maintainer compare`.",
        "",
        f"**Gate: {'PASSED' if gate['passed'] else 'REFUSED'}**"
        + ("" if gate["passed"] else "\n\n" + "\n".join(f"- {reason}" for reason in gate["reasons"]))
        + (f"\n\nOverridden: {gate['override']}" if gate.get("override") else ""),
        "",
        "## Held-out evaluation (`evaluation/heldout.csv`)",
        "",
        "| measure | active | candidate | change |",
        "|---|---|---|---|",
    ]
    for variant in active["procedure"]:
        before, after = active["procedure"][variant], candidate["procedure"][variant]
        lines.append(f"| procedure identified, {variant} | {_pct(before)} | {_pct(after)} | {_delta(before, after)} |")
    for key, label in (("oos_recall", "out-of-scope recall"), ("wrongly_declined", "in-scope wrongly declined")):
        lines.append(f"| {label} | {_pct(active[key])} | {_pct(candidate[key])} | {_delta(active[key], candidate[key])} |")
    for kind in ("weighted", "macro"):
        before, after = active["intent_f1"][kind], candidate["intent_f1"][kind]
        lines.append(f"| intent F1 ({kind}) | {before:.3f} | {after:.3f} | {after - before:+.3f} |")
    stories = report.get("stories")
    lines += ["", "## Conversation tests (`rasa test core`, tests/stories/)", ""]
    if stories is None:
        lines.append("Not run.")
    else:
        lines.append(f"{stories['total'] - len(stories['failed'])} of {stories['total']} stories pass.")
        lines += [f"- failed: {_cell(name)}" for name in stories["failed"]]
    replay = report["replay"]
    lines += [
        "",
        "## Recent citizen messages that would be understood differently",
        "",
        f"{len(replay['changed'])} of {replay['distinct']} distinct messages change ({replay['messages']} recent messages replayed, masked).",
        "",
    ]
    if replay["changed"]:
        lines += ["| message (masked) | count | active model | candidate |", "|---|---|---|---|"]
        lines += [f"| {_cell(row['text'])} | {row['count']} | {_does(row['active'])} | {_does(row['candidate'])} |" for row in replay["changed"]]
    return "\n".join(lines) + "\n"
