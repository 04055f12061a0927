"""Command line of the knowledge store.

    python -m knowledge migrate                 # alembic upgrade head on DATABASE_URL
    python -m knowledge check [--content DIR]   # validate the content files only (CI); warns about old reviews
    python -m knowledge load  [--content DIR]   # migrate, validate, load in one transaction

`--partial` accepts content that does not yet cover all 27 catalogue procedures.
Exit status: 0 ok, 1 invalid content or database error. Facts last reviewed more than 6 months ago are
reported as warnings (on stderr); they do not change the exit status.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from knowledge.db import database_url, migrate
from knowledge.loader import CONTENT_DIR, REVIEW_MAX_AGE_MONTHS, ContentError, load, read_content, stale_reviews


def _safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database schema to the newest revision")
    for name, text in (("check", "validate the content files"), ("load", "validate and load the content")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--content", default=str(CONTENT_DIR), help="content directory (default: %(default)s)")
        command.add_argument("--partial", action="store_true", help="do not require all catalogue procedures")
        if name == "check":
            command.add_argument("--today", type=date.fromisoformat, default=None, help="date the review ages are counted from (default: today)")
    args = parser.parse_args(argv)

    url = database_url()
    try:
        if args.command == "migrate":
            migrate(url)
            print(f"database at {_safe_url(url)} is at the newest revision")
        elif args.command == "check":
            content = read_content(args.content, require_complete_catalogue=not args.partial)
            print(f"content OK: {len(content.procedures)} procedures, {len(content.units['units'])} units")
            warnings = stale_reviews(args.content, args.today)
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
            if warnings:
                print(
                    f"{len(warnings)} file(s) with facts to review again (older than {REVIEW_MAX_AGE_MONTHS} months); "
                    "see README, Reviewing the content",
                    file=sys.stderr,
                )
        else:
            report = load(args.content, url, require_complete_catalogue=not args.partial)
            print(f"{report.summary()} ({_safe_url(url)})")
    except ContentError as error:
        print("\n".join(error.errors), file=sys.stderr)
        print(f"{len(error.errors)} problem(s); nothing was loaded", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        print(f"database error at {_safe_url(url)}: {str(reason).strip()}; nothing was loaded", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
