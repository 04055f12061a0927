"""Knowledge-store lookup latency: p50/p99 per lookup, written to benchmarks/REPORT.md.

Loads the real content (knowledge/content) and a few thousand synthetic dossiers into a throw-away
database, then times each lookup many times. Always runs on a temporary SQLite file; also on PostgreSQL
when DATABASE_URL (or --postgres-url) names one, inside a temporary schema that is dropped afterwards.

    .venv/bin/python -m benchmarks.store_lookup [--calls 2000] [--dossiers 5000]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.report import percentile, write_section
from knowledge.db import create_db_engine
from knowledge.dossier_store import DossierStore
from knowledge.loader import CONTENT_DIR, ContentError, load, read_content
from knowledge.store import KnowledgeStore

QUERIES = {
    "find_procedures (accented)": [
        "Tôi muốn đăng ký khai sinh cho con",
        "làm lại thẻ căn cước bị mất",
        "đăng ký tạm trú cần gì",
        "xin giấy phép xây dựng nhà ở",
    ],
    "find_procedures (unaccented, abbreviated)": [
        "toi muon dk khai sinh cho con",
        "lam lai cccd bi mat",
        "dang ky tam tru can gi",
        "xin giay phep xay dung nha o",
    ],
    "find_units": ["tôi ở Tháp Chàm", "thap cham", "huyện Ninh Phước cũ", "xa phuoc hau", "Phan Rang"],
}


def _time(calls: int, lookup: Callable[[int], object]) -> list[float]:
    durations = []
    for index in range(calls):
        started = time.perf_counter()
        lookup(index)
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def _seed_dossiers(store: DossierStore, count: int) -> list[str]:
    statuses = ["received", "processing", "additional_documents_required", "result_ready", "completed"]
    start = datetime(2025, 7, 1, 8, tzinfo=timezone.utc)
    records = []
    for index in range(count):
        received = start + timedelta(minutes=7 * index)
        records.append(
            {
                "code": f"000.00.12.H43-{received:%y%m%d}-{index % 10000:04d}",
                "procedure_id": "birth-registration",
                "status": statuses[index % len(statuses)],
                "applicant_phone_hash": uuid.uuid4().hex,
                "phone_last4_hash": uuid.uuid4().hex,
                "received_at": received,
                "updated_at": received + timedelta(days=1),
                "agency": "UBND phường Đô Vinh",
            }
        )
    store.upsert_dossiers(records)
    return [record["code"] for record in records]


def run_backend(url: str, calls: int, dossiers: int, partial: bool) -> list[tuple[str, int, float, float]]:
    load(CONTENT_DIR, url, require_complete_catalogue=not partial)
    store = KnowledgeStore(create_db_engine(url))
    try:
        started = time.perf_counter()
        procedures = store.list_procedures()  # first call reads the whole catalogue into memory
        cold_ms = (time.perf_counter() - started) * 1000
        ids = [p.id for p in procedures]
        dossier_store = DossierStore(store.engine)
        codes = _seed_dossiers(dossier_store, dossiers)
        rng = random.Random(42)
        rows = [("catalogue load (first call, once)", 1, cold_ms, cold_ms)]
        timings = {"get_procedure": _time(calls, lambda i: store.get_procedure(ids[i % len(ids)]))}
        for name, queries in QUERIES.items():
            method = store.find_units if name == "find_units" else store.find_procedures
            timings[name] = _time(calls, lambda i, q=queries, f=method: f(q[i % len(q)]))
        timings["get_dossier (database)"] = _time(calls, lambda i: dossier_store.get_dossier(rng.choice(codes)))
        timings["dossier_history (database)"] = _time(calls, lambda i: dossier_store.dossier_history(rng.choice(codes)))
        for name, durations in timings.items():
            rows.append((name, len(durations), percentile(durations, 50), percentile(durations, 99)))
        return rows
    finally:
        store.close()


def _postgres_schema(base_url: str):
    """A temporary schema on the server: returns (url using it, cleanup)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url)
    url = url.set(query={**url.query, "options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def cleanup():
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per lookup (default %(default)s)")
    parser.add_argument("--dossiers", type=int, default=5000, help="synthetic dossiers (default %(default)s)")
    parser.add_argument("--postgres-url", default=None, help="PostgreSQL server (default: DATABASE_URL if PostgreSQL)")
    parser.add_argument("--no-report", action="store_true", help="print only, do not update REPORT.md")
    args = parser.parse_args()

    try:
        read_content(CONTENT_DIR)
        partial = False
    except ContentError:
        partial = True  # content still being written: measure what there is

    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        results["SQLite"] = run_backend(f"sqlite:///{Path(workdir) / 'bench.db'}", args.calls, args.dossiers, partial)
    postgres_url = args.postgres_url or os.environ.get("DATABASE_URL", "")
    if postgres_url.startswith(("postgresql", "postgres:")):
        url, cleanup = _postgres_schema(postgres_url.replace("postgres://", "postgresql://", 1))
        try:
            results["PostgreSQL"] = run_backend(url, args.calls, args.dossiers, partial)
        finally:
            cleanup()

    lines = [
        "## Knowledge-store lookups (`python -m benchmarks.store_lookup`)",
        "",
        f"{args.calls} calls per lookup, {args.dossiers} synthetic dossiers, real content"
        + (" (incomplete at the time of the run)" if partial else "")
        + ". Procedure and unit lookups answer "
        "from the store's in-memory catalogue; dossier lookups go to the database every time. "
        f"Load average at the end of the run: {os.getloadavg()[0]:.1f} (p99 on a shared machine is noisy).",
        "",
        "| Backend | Lookup | Calls | p50 (ms) | p99 (ms) |",
        "|---|---|---:|---:|---:|",
    ]
    for backend, rows in results.items():
        for name, calls, p50, p99 in rows:
            lines.append(f"| {backend} | {name} | {calls} | {p50:.3f} | {p99:.3f} |")
    markdown = "\n".join(lines)
    print(markdown)
    if not args.no_report:
        write_section("store_lookup", markdown)


if __name__ == "__main__":
    main()
