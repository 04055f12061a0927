"""Where the Rasa server's time goes under 20 concurrent citizens: one command.

    .venv/bin/python -m benchmarks.profile_load [--model models/X.tar.gz] [--seconds 40]

Starts this assistant like the vs-vanilla benchmark does (Rasa server + action server, SQL tracker
store on SQLite, a fresh knowledge store), warms it up, then puts 20 concurrent citizens on it
(the benchmark's conversations) while py-spy samples the Rasa process. Prints the throughput, the
calls the action server received per message (its debug log) and the share of the Rasa process's
busy samples in each part of a message's handling (benchmarks/profile_summary.py).
Needs py-spy in .venv (`.venv/bin/pip install py-spy`) and permission to sample the process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import tempfile
from pathlib import Path

from benchmarks.processes import ROOT, VENV_BIN, action_server, base_env, load_knowledge, newest_model, rasa_server
from benchmarks.profile_summary import shares
from benchmarks.vs_vanilla import ASSISTANT_CONVERSATIONS, load

# The parts of a message's handling, as frames on the Rasa process's stacks.
PARTS = {
    "jsonschema (action response validation)": r"jsonschema",
    "NLU parsing (whole pipeline)": r"_parse_message_with_graph",
    "  of which DIET": r"diet_classifier",
    "  of which the procedure resolver": r"procedure_resolver",
    "  of which the conversation slots component": r"conversation_slots",
    "rule + memoization policies": r"rule_policy|memoization",
    "saving the tracker": r"tracker_store.*\bsave\b|\bsave\b.*tracker_store",
    "tracker retrieval": r"retrieve|get_or_create_tracker",
    "action_extract_slots": r"ActionExtractSlots|action_extract_slots",
    "calls to the action server (aiohttp client)": r"aiohttp/client",
}


def action_calls(log: Path) -> int:
    """Actions the action server was asked to run (its debug log says so once per request)."""
    return log.read_text(errors="replace").count("Received request to run") if log.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=3, help="per citizen")
    parser.add_argument("--seconds", type=int, default=40, help="py-spy sampling time")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="profile-"))
    logs = work / "logs"
    ports = {"rasa": 15300 + secrets.randbelow(200), "actions": 15600 + secrets.randbelow(200)}
    env = base_env(
        DATABASE_URL=f"sqlite:///{work}/knowledge.db",
        TRACKER_STORE_URL=f"sqlite:///{work}/tracker.db",
        # The console's event stream on, as scripts/run.sh runs it, into this run's own database.
        EVENT_BROKER_URL=f"sqlite:///{work}/events.db",
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{ports['actions']}/webhook",
    )
    load_knowledge(env)
    actions = action_server("actions", ports["actions"], env, logs)
    actions.command.append("--debug")  # one log line per action request: counted below
    rasa = rasa_server("assistant", ports["rasa"], args.model or newest_model(), ROOT / "endpoints.yml", ROOT / "credentials.yml", env, logs)
    try:
        actions.start()
        rasa.start()
        url = f"http://127.0.0.1:{ports['rasa']}"
        asyncio.run(load(url, ASSISTANT_CONVERSATIONS, 4, 1))  # warm-up
        calls_before = action_calls(actions.log)
        profile = work / "profile.txt"
        assert rasa.process is not None
        spy = subprocess.Popen(
            [
                str(VENV_BIN / "py-spy"),
                "record",
                "--pid",
                str(rasa.process.pid),
                "--duration",
                str(args.seconds),
                "--rate",
                "50",
                "--format",
                "raw",
                "-o",
                str(profile),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        load_before = os.getloadavg()[0]
        # py-spy samples in its own process while the citizens talk (the load outlasts the sampling).
        latencies, errors, _, elapsed = asyncio.run(load(url, ASSISTANT_CONVERSATIONS, args.users, args.conversations))
        spy.wait()
        messages = len(latencies)
        calls = action_calls(actions.log) - calls_before
        print(
            f"{messages} messages from {args.users} citizens in {elapsed:.1f} s: "
            f"{messages / elapsed:.1f} msg/s, errors {len(errors)}, "
            f"load average {load_before:.1f}->{os.getloadavg()[0]:.1f}"
        )
        print(f"action-server calls: {calls} ({calls / max(messages, 1):.2f} per message)")
        busy, idle, found = shares(profile, list(PARTS.values()))
        print(f"Rasa process samples: {busy} busy, {idle} waiting")
        for name, pattern in PARTS.items():
            print(f"{100 * found[pattern] / max(busy, 1):5.1f} %  {name}")
        print(f"profile kept in {profile}")
    finally:
        for server in (rasa, actions):
            if server.process is not None:
                server.process.terminate()
                server.process.wait(30)


if __name__ == "__main__":
    main()
