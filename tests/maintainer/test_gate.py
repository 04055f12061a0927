"""The gate's override, given with `gate --override`, is audited and lets `release` through."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from maintainer.compare import report_paths, sha256
from maintainer.gate import read_audit
from maintainer.release import ReleaseRefused, check_releasable
from tests.conftest import ROOT


def _report(candidate, english_right: int, stories_failed: list[str]) -> dict:
    figures = {
        "procedure": {"accented": [104, 108], "unaccented": [104, 108], "english": [79, 81]},
        "oos_recall": [55, 60],
        "wrongly_declined": [0, 297],
        "intent_f1": {"weighted": 0.88, "macro": 0.88},
    }
    worse = json.loads(json.dumps(figures))
    worse["procedure"]["english"] = [english_right, 81]
    return {
        "candidate": {"model": candidate.name, "sha256": sha256(candidate)},
        "active": {"model": "active.tar.gz", "sha256": "0"},
        "heldout": {"active": figures, "candidate": worse},
        "stories": {"total": 70, "failed": stories_failed},
        "replay": {"changed": []},
        "gate": {},
    }


def test_override_from_the_gate_command_is_audited_and_honoured_by_release(layout):
    layout.candidates.mkdir(parents=True)
    candidate = layout.candidates / "candidate-x.tar.gz"
    candidate.write_bytes(b"a model")
    json_path, _ = report_paths(candidate)
    # 78/81 is 96.3 % -> 1.2 points below 97.5 %: refused. A failed story: refused.
    json_path.write_text(json.dumps(_report(candidate, 78, ["greeting"])))
    with pytest.raises(ReleaseRefused, match="english.*\n.*conversation tests failed"):
        check_releasable(candidate, layout, None, "lan")

    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "MODELS_DIR": str(layout.models),
        "MAINTAINER_AUDIT_LOG": str(layout.audit_log),
        "MAINTAINER_REVIEWED_DIR": str(layout.reviewed),
    }
    refused = subprocess.run([sys.executable, "-m", "maintainer", "gate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "english" in refused.stdout
    assert read_audit(layout) == []
    overridden = subprocess.run(
        [sys.executable, "-m", "maintainer", "gate", "--override", "story fixed upstream", "--by", "supervisor-an"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert overridden.returncode == 0, overridden.stdout + overridden.stderr
    [entry] = read_audit(layout)
    assert (entry["action"], entry["by"], entry["reason"]) == ("gate-override", "supervisor-an", "story fixed upstream")
    assert check_releasable(candidate, layout, None, "lan").override == "story fixed upstream"

    candidate.write_bytes(b"another model")  # the report no longer describes this file
    with pytest.raises(ReleaseRefused, match="another file"):
        check_releasable(candidate, layout, None, "lan")


def test_a_drop_of_one_point_or_less_passes(layout):
    layout.candidates.mkdir(parents=True)
    candidate = layout.candidates / "candidate-y.tar.gz"
    candidate.write_bytes(b"a model")
    report = _report(candidate, 79, [])
    report["heldout"]["active"]["procedure"]["english"] = [80, 100]
    report["heldout"]["candidate"]["procedure"]["english"] = [79, 100]  # exactly one point
    report_paths(candidate)[0].write_text(json.dumps(report))
    assert check_releasable(candidate, layout, None, "lan").passed
