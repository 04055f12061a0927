"""Alembic environment: uses the caller's connection (knowledge.db.migrate) or DATABASE_URL."""

from alembic import context

from knowledge.db import create_db_engine
from knowledge.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection) -> None:
    # Batch mode lets later revisions ALTER tables on SQLite too.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported; run against a database")

connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = create_db_engine()
    with engine.begin() as own_connection:
        run_migrations(own_connection)
    engine.dispose()
