"""This assistant against a vanilla `rasa init` bot, same machine, same load, interleaved.

One command (about 8-12 minutes on 2 cores, most of it training the vanilla bot once):

    .venv/bin/python -m benchmarks.vs_vanilla            # writes benchmarks/REPORT.md

It creates a `rasa init` project in a temporary folder (same virtualenv, SQLite tracker store),
trains it, starts it and this assistant (Rasa server + action server, SQL tracker store on
SQLite, the newest model in models/, a fresh knowledge store), then runs the same load
generator against each in turn: 1 citizen, then 20 concurrent citizens, each holding 8-message
conversations over the REST webhook, one after the other with no pause. The whole sequence
runs `--rounds` times (default 2), bots interleaved, with the machine's load average recorded
around every measurement. Figures, the ratios and start-up time / memory go into REPORT.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks.processes import RASA, ROOT, Server, action_server, base_env, load_knowledge, newest_model, rasa_server
from benchmarks.report import percentile, write_section
from benchmarks.rest_client import post_message

# 8-message conversations: the vanilla mood bot's own intents, and this assistant's citizens.
VANILLA_CONVERSATIONS = [
    ["hello", "I am sad", "no", "are you a bot?", "very good", "I am feeling great", "yes", "goodbye"],
    ["hi there", "my day was horrible", "yes", "bye", "good morning", "I am unhappy", "no", "see you later"],
]
ASSISTANT_CONVERSATIONS = [
    ["xin chào", "con tôi mới sinh", "cần giấy tờ gì", "lệ phí bao nhiêu", "mất bao lâu", "nộp ở đâu", "làm online được không", "cảm ơn"],
    ["chao ban", "lam ho chieu can gi", "mat bao lau", "phi bn", "nop o dau", "lam online dc ko", "ok", "cam on"],
    [
        "Hello",
        "my passport expired",
        "what documents do I need",
        "how much does it cost",
        "how long does it take",
        "where do I apply",
        "can I apply online",
        "thanks",
    ],
    ["tôi muốn đổi bằng lái xe", "cần những giấy tờ gì", "lệ phí", "bao lâu thì có", "nộp ở đâu", "mat cccd lam lai the nao", "phi bn", "tạm biệt"],
]


@dataclass
class Result:
    bot: str
    users: int
    round: int
    messages: int
    seconds: float
    errors: int
    no_reply: int
    p50: float
    p95: float
    load_before: float
    load_after: float

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds


async def _citizen(session, url, conversation, latencies, errors, silent):
    sender = uuid.uuid4().hex
    for message in conversation:
        started = time.perf_counter()
        replies, error = await post_message(session, url, sender, message)
        if error:
            errors.append(error)
        elif not replies:  # the bot chose to say nothing (the mood bot does, e.g. after "bye")
            silent.append(message)
        latencies.append(time.perf_counter() - started)


async def load(rasa_url: str, conversations: list[list[str]], users: int, per_user: int):
    """`users` concurrent citizens, each holding `per_user` conversations back to back."""
    latencies: list[float] = []
    errors: list[str] = []
    silent: list[str] = []

    async def one_user(index: int):
        for turn in range(per_user):
            conversation = conversations[(index + turn) % len(conversations)]
            await _citizen(session, f"{rasa_url}/webhooks/rest/webhook", conversation, latencies, errors, silent)

    connector = aiohttp.TCPConnector(limit=users + 5)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(one_user(i) for i in range(users)))
        elapsed = time.perf_counter() - started
    return latencies, errors, silent, elapsed


def measure(bot: str, url: str, conversations, users: int, per_user: int, round_: int) -> Result:
    before = os.getloadavg()[0]
    latencies, errors, silent, elapsed = asyncio.run(load(url, conversations, users, per_user))
    after = os.getloadavg()[0]
    result = Result(
        bot, users, round_, len(latencies), elapsed, len(errors), len(silent), percentile(latencies, 50), percentile(latencies, 95), before, after
    )
    print(
        f"  {bot:9} {users:2} citizens round {round_}: {result.throughput:5.1f} msg/s  "
        f"p50 {result.p50 * 1000:5.0f} ms  p95 {result.p95 * 1000:5.0f} ms  errors {result.errors}  "
        f"no reply {result.no_reply}  "
        f"load {before:.1f}->{after:.1f}",
        flush=True,
    )
    return result


def create_vanilla_bot(folder: Path, env: dict) -> Path:
    """`rasa init` (trains the mood bot) plus an SQLite tracker store in endpoints.yml."""
    began = time.monotonic()
    subprocess.run(
        [RASA, "init", "--no-prompt", "--init-dir", str(folder)], cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    print(f"  vanilla bot created and trained in {time.monotonic() - began:.0f} s", flush=True)
    with (folder / "endpoints.yml").open("a") as endpoints:
        endpoints.write(f"\ntracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {folder / 'tracker.db'}\n")
    return newest_model(folder / "models")


def start_bots(work: Path, ports: dict) -> dict[str, list[Server]]:
    logs = work / "logs"
    env = base_env()
    vanilla_dir = work / "vanilla"
    vanilla_dir.mkdir()
    vanilla_model = create_vanilla_bot(vanilla_dir, env)
    vanilla = rasa_server(
        "vanilla", ports["vanilla"], vanilla_model, vanilla_dir / "endpoints.yml", vanilla_dir / "credentials.yml", env, logs, cwd=vanilla_dir
    )

    assistant_env = base_env(
        DATABASE_URL=f"sqlite:///{work}/knowledge.db",
        TRACKER_STORE_URL=f"sqlite:///{work}/tracker.db",
        # The console's event stream on, as scripts/run.sh runs it, into this run's own database.
        EVENT_BROKER_URL=f"sqlite:///{work}/events.db",
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{ports['actions']}/webhook",
        JWT_SECRET=secrets.token_hex(32),
        DOSSIER_HASH_KEY=secrets.token_hex(32),
    )
    load_knowledge(assistant_env)
    actions = action_server("actions", ports["actions"], assistant_env, logs)
    assistant = rasa_server("assistant", ports["assistant"], newest_model(), ROOT / "endpoints.yml", ROOT / "credentials.yml", assistant_env, logs)
    bots = {"vanilla": [vanilla], "assistant": [actions, assistant]}
    for servers in bots.values():
        for server in servers:
            server.start()
            print(f"  {server.name} up in {server.started_seconds:.1f} s", flush=True)
    return bots


def table(results: list[Result]) -> str:
    lines = [
        "| round | bot | citizens | messages | messages/s | p50 ms | p95 ms | errors | no reply | load avg before → after |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.round} | {r.bot} | {r.users} | {r.messages} | {r.throughput:.1f} | {r.p50 * 1000:.0f} | "
            f"{r.p95 * 1000:.0f} | {r.errors} | {r.no_reply} | {r.load_before:.2f} → {r.load_after:.2f} |"
        )
    return "\n".join(lines)


def ratios(results: list[Result]) -> str:
    lines = ["| round | citizens | throughput assistant / vanilla | p50 assistant / vanilla | p95 assistant |", "|---|---:|---:|---:|---:|"]
    by_key = {(r.round, r.users, r.bot): r for r in results}
    for (round_, users, bot), assistant in sorted(by_key.items()):
        vanilla = by_key.get((round_, users, "vanilla"))
        if bot != "assistant" or vanilla is None:
            continue
        lines.append(
            f"| {round_} | {users} | {assistant.throughput / vanilla.throughput:.2f}× | "
            f"{assistant.p50 / vanilla.p50:.2f}× | {assistant.p95 * 1000:.0f} ms |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--solo-conversations", type=int, default=10, help="conversations of the single citizen")
    parser.add_argument("--crowd-conversations", type=int, default=6, help="conversations per citizen of 20")
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("BENCHMARK_PORT_BASE", "19100")))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args()
    ports = {"vanilla": args.port_base, "assistant": args.port_base + 1, "actions": args.port_base + 2}

    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="bench-vs-vanilla-"))
    bots: dict[str, list[Server]] = {}
    results: list[Result] = []
    try:
        print(f"[benchmark] working in {work}", flush=True)
        bots = start_bots(work, ports)
        urls = {"vanilla": f"http://127.0.0.1:{ports['vanilla']}", "assistant": f"http://127.0.0.1:{ports['assistant']}"}
        conversations = {"vanilla": VANILLA_CONVERSATIONS, "assistant": ASSISTANT_CONVERSATIONS}
        for bot, url in urls.items():  # warm-up (first-call costs), not measured
            asyncio.run(load(url, conversations[bot], 4, 1))
        for round_ in range(1, args.rounds + 1):
            for users, per_user in ((1, args.solo_conversations), (20, args.crowd_conversations)):
                order = ("vanilla", "assistant") if round_ % 2 else ("assistant", "vanilla")
                for bot in order:
                    results.append(measure(bot, urls[bot], conversations[bot], users, per_user, round_))
        startup = {s.name: s.started_seconds for servers in bots.values() for s in servers}
        memory = {s.name: s.rss_mb() for servers in bots.values() for s in servers}
    finally:
        for servers in bots.values():
            for server in servers:
                server.stop()
        if args.keep:
            print(f"[benchmark] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    total = time.monotonic() - began

    markdown = "\n".join(
        [
            "## This assistant against a vanilla `rasa init` bot (`python -m benchmarks.vs_vanilla`)",
            "",
            f"Same machine, same load generator, bots interleaved, {args.rounds} rounds. REST webhook, 8-message "
            f"conversations sent back to back (no pause): 1 citizen holding {args.solo_conversations} conversations, "
            f"then 20 concurrent citizens holding {args.crowd_conversations} each. Vanilla: `rasa init` mood bot, SQLite "
            "tracker store. Assistant: newest model in models/, action server, masking SQL tracker store on SQLite. "
            f"Run took {total / 60:.1f} min. Load average = 1-minute load of the whole machine (2 cores) before and "
            "after each measurement: above 2 means other work was competing for the CPU.",
            "",
            table(results),
            "",
            "Ratios (same round):",
            "",
            ratios(results),
            "",
            "Start-up (process start to first answer on `/`, model loaded): "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in startup.items())
            + ". Memory after the run (RSS): "
            + ", ".join(f"{name} {mb:.0f} MB" for name, mb in memory.items())
            + ".",
        ]
    )
    write_section("vs_vanilla", markdown)
    print(markdown)
    if any(r.errors for r in results) or any(r.no_reply for r in results if r.bot == "assistant"):
        raise SystemExit("errors during the benchmark: see the table")


if __name__ == "__main__":
    sys.exit(main())
