"""Database connection settings and migrations for the knowledge store.

One setting: DATABASE_URL (any SQLAlchemy URL). Default: an SQLite file at var/knowledge.db.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def database_url(url: Optional[str] = None) -> str:
    url = url or os.environ.get("DATABASE_URL") or f"sqlite:///{REPO_ROOT / 'var' / 'knowledge.db'}"
    # Heroku-style URLs are still common; SQLAlchemy only accepts the long dialect name.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_db_engine(url: Optional[str] = None) -> Engine:
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, future=True)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    return create_engine(parsed, future=True, pool_pre_ping=True)


def migrate(url_or_engine=None, revision: str = "head") -> None:
    """`alembic upgrade head` run programmatically, inside one transaction."""
    from alembic import command
    from alembic.config import Config

    engine = url_or_engine if isinstance(url_or_engine, Engine) else create_db_engine(url_or_engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if not isinstance(url_or_engine, Engine):
        engine.dispose()
