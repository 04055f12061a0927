"""Times the dossier import (validate every line, hash phones, upsert all in one transaction).

    python -m benchmarks.dossier_import [--count 10000] [--database-url URL]

Imports N generated dossiers into a fresh database, then re-imports them with a tenth of them
changing status (the nightly-export case), and also times ownership checks against the result.
Writes the "dossier-import" section of benchmarks/REPORT.md. Default database: a temporary
SQLite file; pass a PostgreSQL URL to measure there (its tables are dropped and recreated).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks.report import percentile, write_section
from knowledge.catalogue import CATALOGUE_IDS
from knowledge.db import create_db_engine, migrate
from knowledge.dossier_import import import_lines
from knowledge.dossier_lookup import DossierLookupService, LocalDossierSource, LookupAttempts
from knowledge.dossier_store import DossierStore
from knowledge.personal_data import parse_phone_proof
from knowledge.types import DOSSIER_STATUSES


def code_of(n: int) -> str:
    return f"000.00.{10 + n % 90:02d}.H57-2610{1 + n % 28:02d}-{n // 90:04d}"


def generated_lines(count: int, seed: int, changed_every: int = 0) -> list[str]:
    """`count` valid export lines with fictional codes and phones; every `changed_every`-th one moves on."""
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        status = rng.choice(DOSSIER_STATUSES)
        if changed_every and n % changed_every == 0:
            status = "completed" if status != "completed" else "result_ready"
        day = 1 + n % 28
        record = {
            "code": code_of(n),
            "procedure_id": rng.choice(CATALOGUE_IDS),
            "status": status,
            "applicant_phone": f"09{n:08d}",
            "received_at": f"2026-10-{day:02d}T08:00:00+07:00",
            "due_at": f"2026-11-{day:02d}T17:00:00+07:00",
            "updated_at": f"2026-10-{day:02d}T{9 + (1 if changed_every else 0):02d}:00:00+07:00",
            "agency": "Ủy ban nhân dân xã Ninh Phước",
            "missing_documents": ["Bản sao giấy khai sinh"] if status == "additional_documents_required" else [],
            "note": "Lý do từ chối (thử nghiệm)" if status == "refused" else None,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def fresh_database(url: str | None) -> tuple[str, str]:
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="dossier-bench-")) / "knowledge.db"
        url = f"sqlite:///{path}"
    else:
        engine = create_db_engine(url)
        with engine.begin() as connection:
            for table in ("dossier_lookup_attempts", "dossier_status_history", "dossiers", "alembic_version"):
                connection.execute(
                    text(f"DROP TABLE IF EXISTS {table} CASCADE" if engine.dialect.name == "postgresql" else f"DROP TABLE IF EXISTS {table}")
                )
        engine.dispose()
    migrate(url)
    return url, create_db_engine(url).dialect.name


def time_checks(url: str, count: int, samples: int) -> list[float]:
    engine = create_db_engine(url)
    service = DossierLookupService(LocalDossierSource(DossierStore(engine)), LookupAttempts(engine))
    rng = random.Random(7)
    timings = []

    async def run() -> None:
        for i in range(samples):
            n = rng.randrange(count)
            started = time.perf_counter()
            await service.check(code_of(n), parse_phone_proof(f"09{n:08d}"), f"bench-{i}")
            timings.append((time.perf_counter() - started) * 1000)

    asyncio.run(run())
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--checks", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("DOSSIER_HASH_KEY", "benchmark-key")

    url, backend = fresh_database(args.database_url)
    first = generated_lines(args.count, seed=1)
    started = time.perf_counter()
    created = import_lines(first, url)
    first_seconds = time.perf_counter() - started

    second = generated_lines(args.count, seed=1, changed_every=10)
    started = time.perf_counter()
    updated = import_lines(second, url)
    second_seconds = time.perf_counter() - started

    checks = time_checks(url, args.count, args.checks)
    table = "\n".join(
        [
            f"## Dossier import and ownership checks ({backend})",
            "",
            f"`python -m benchmarks.dossier_import --count {args.count}` on {backend}.",
            "",
            "| step | dossiers | time | rate |",
            "|---|---:|---:|---:|",
            f"| first import (validate, hash, insert) | {created.total} | {first_seconds:.2f} s | {created.total / first_seconds:,.0f}/s |",
            f"| re-import, {updated.status_changes} status changes | {updated.total} | {second_seconds:.2f} s | "
            f"{updated.total / second_seconds:,.0f}/s |",
            "",
            f"Ownership check (lockout query + dossier + HMAC + history + attempt insert), {len(checks)} checks: "
            f"p50 {percentile(checks, 50):.1f} ms, p99 {percentile(checks, 99):.1f} ms.",
        ]
    )
    write_section(f"dossier-import-{backend}", table)
    print(table)


if __name__ == "__main__":
    main()
