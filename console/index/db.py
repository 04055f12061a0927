"""Connection and migrations of the conversation index.

One setting: CONSOLE_DATABASE_URL (any SQLAlchemy URL). Default: an SQLite file at var/console.db.
The console process and the action server (handoff requests) both write to it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from sqlalchemy import event
from sqlalchemy.engine import Engine

from knowledge.db import create_db_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "console_alembic_version"


def index_url(url: Optional[str] = None) -> str:
    return url or os.environ.get("CONSOLE_DATABASE_URL") or f"sqlite:///{REPO_ROOT / 'var' / 'console.db'}"


def _sqlite_for_several_processes(dbapi_connection, _record) -> None:
    # WAL lets the console read while the action server writes; wait rather than fail on a lock.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_index_engine(url: Optional[str] = None) -> Engine:
    engine = create_db_engine(index_url(url))
    if engine.url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_for_several_processes)
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """`alembic upgrade head` on the index, inside one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
