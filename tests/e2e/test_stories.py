"""Runs every end-to-end test story in tests/stories/ with `rasa test` against the real action server."""

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ARTIFACTS, ROOT, VENV_BIN, Assistant

pytestmark = pytest.mark.servers


def test_all_conversation_stories_pass(assistant: Assistant, trained_model: Path):
    out = ARTIFACTS / "rasa-test"
    result = subprocess.run(
        [
            str(VENV_BIN / "rasa"),
            "test",
            "core",
            "--model",
            str(trained_model),
            "--stories",
            str(ROOT / "tests" / "stories"),
            "--endpoints",
            str(ROOT / "endpoints.yml"),
            "--out",
            str(out),
            "--no-plot",
        ],
        cwd=ROOT,
        env=assistant.env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed_file = out / "failed_test_stories.yml"
    failed = yaml.safe_load(failed_file.read_text()) if failed_file.exists() else None
    stories = (failed or {}).get("stories") or []
    assert not stories, "failed stories:\n" + failed_file.read_text()[:6000]
