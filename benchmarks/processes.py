"""Starting and stopping the real server processes for benchmarks and scale tests.

Each process is started in its own process group so that stopping it stops its children too,
and only the processes started here are ever stopped.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
RASA = str(VENV_BIN / "rasa")
PYTHON = str(VENV_BIN / "python")


@dataclass
class Server:
    """One running process with its log file and health URL."""

    name: str
    command: list[str]
    health_url: str
    env: dict
    log: Path
    cwd: Path = ROOT
    process: subprocess.Popen | None = None
    started_seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def start(self, timeout: float = 300) -> "Server":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_until_up(timeout)
        self.started_seconds = time.monotonic() - began
        return self

    def wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if requests.get(self.health_url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not up after {timeout}s:\n{self.tail()}")

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def rss_mb(self) -> float:
        """Resident memory of the process and its children, in MB."""
        total = 0
        for pid in _process_tree(self.process.pid):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def kill(self) -> None:
        """SIGKILL to the whole process group (a crash, not a shutdown)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.process or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _process_tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        pids.extend(_process_tree(int(child)))
    return pids


def rasa_server(
    name: str, port: int, model: Path, endpoints: Path, credentials: Path, env: dict, logs: Path, cwd: Path = ROOT, jwt_secret: str | None = None
) -> Server:
    arguments = [
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    if cwd != ROOT:  # a vanilla bot elsewhere: Rasa's own launcher
        command = [RASA, "run", *arguments] + (["--enable-api", f"--jwt-secret={jwt_secret}"] if jwt_secret else [])
        return Server(name, command, f"http://127.0.0.1:{port}/", env, logs / f"{name}.log", cwd=cwd)
    # This assistant: the hardened launcher takes the JWT key from the environment, never argv.
    if jwt_secret:
        arguments.append("--enable-api")
        env = {**env, "JWT_SECRET": jwt_secret}
    command = [PYTHON, "-m", "bot.rasa_server", *arguments]
    return Server(name, command, f"http://127.0.0.1:{port}/", env, logs / f"{name}.log", cwd=cwd)


def action_server(name: str, port: int, env: dict, logs: Path) -> Server:
    env = {**env, "SANIC_HOST": "127.0.0.1"}
    command = [PYTHON, "-m", "bot.action_server", "--actions", "actions", "--port", str(port)]
    return Server(name, command, f"http://127.0.0.1:{port}/health", env, logs / f"{name}.log")


def newest_model(models: Path = ROOT / "models") -> Path:
    found = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"no model in {models}: run scripts/train.sh first")
    return found[-1]


def load_knowledge(env: dict) -> None:
    """Creates and fills the knowledge store named by env DATABASE_URL (demo dossiers too)."""
    subprocess.run([PYTHON, "-m", "knowledge", "load"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PYTHON, "-m", "knowledge.dossiers", "seed-demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def base_env(**overrides: str) -> dict:
    env = dict(os.environ)
    env.update(RASA_TELEMETRY_ENABLED="false", PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    # The hardened launchers refuse to start without their secrets (scripts/env.sh makes them for a run).
    for key in ("ACTION_SERVER_SECRET", "SOCKETIO_SESSION_SECRET", "DOSSIER_HASH_KEY", "JWT_SECRET"):
        env.setdefault(key, secrets.token_hex(32))
    env.update(overrides)
    return env
