"""Issue 13, item 11: the public web server runs in the web apps' own environment (.venv-web)
with a current aiohttp, not on the aiohttp 3.9 that Rasa pins."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_PYTHON = ROOT / ".venv-web" / "bin" / "python"


def aiohttp_version(python: Path) -> tuple[int, ...]:
    out = subprocess.run([str(python), "-c", "import aiohttp; print(aiohttp.__version__)"], capture_output=True, text=True, check=True).stdout.strip()
    return tuple(int(part) for part in out.split(".")[:2])


def test_the_web_apps_environment_has_a_current_aiohttp():
    assert WEB_PYTHON.exists(), "scripts/setup.sh creates .venv-web"
    assert aiohttp_version(WEB_PYTHON) >= (3, 13)
    assert aiohttp_version(ROOT / ".venv" / "bin" / "python") < (3, 10)  # Rasa's pin, unchanged


@pytest.mark.servers
def test_the_running_web_server_uses_the_web_apps_environment(assistant):
    process = assistant.processes["web"]
    assert Path(process.args[0]) == WEB_PYTHON
    # The aiohttp the process really loaded: its compiled parser, mapped from .venv-web.
    mapped = Path(f"/proc/{process.pid}/maps").read_text()
    aiohttp_files = {line.split()[-1] for line in mapped.splitlines() if "/aiohttp/" in line}
    assert aiohttp_files and all("/.venv-web/" in path for path in aiohttp_files), aiohttp_files
    procfile = (ROOT / "Procfile").read_text()
    assert "web: .venv-web/bin/python -m web.server" in procfile
