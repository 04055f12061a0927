"""Command line for dossiers (hồ sơ).

    python -m knowledge.dossiers import FILE.jsonl     # validate every line, then upsert all or nothing
    python -m knowledge.dossiers seed-demo             # the fictional demo dossiers (knowledge/demo/)

The parts live in their own modules: knowledge.dossier_import (validation and import),
knowledge.dossier_store (persistence), knowledge.dossier_lookup (ownership-checked lookup and
lockout), knowledge.phone_hash (keyed hashes), knowledge.personal_data (codes and phones in text).
`scripts/run.sh --demo-dossiers` runs `seed-demo`; nothing loads demo data unless asked.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Optional

from knowledge.db import migrate
from knowledge.dossier_import import ImportRejected, import_file
from knowledge.phone_hash import MissingHashKey

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "dossiers.jsonl"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.dossiers", description="Dossier import.")
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser("import", help="import a JSON Lines export of the one-stop system")
    importer.add_argument("file", type=Path)
    commands.add_parser("seed-demo", help="import the fictional demo dossiers (knowledge/demo/dossiers.jsonl)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    path = args.file if args.command == "import" else DEMO_FILE
    migrate()
    try:
        summary = import_file(path)
    except ImportRejected as rejected:
        print(f"{path}: rejected, nothing imported. {len(rejected.errors)} problem(s):", file=sys.stderr)
        for error in rejected.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return 1
    except MissingHashKey as error:
        print(f"{path}: not imported. {error}", file=sys.stderr)
        return 1
    print(f"{path}: {summary.total} dossiers ({summary.created} new, {summary.updated} updated, {summary.status_changes} status changes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
