"""Alembic environment of the conversation index: the caller's connection (console.index.db.migrate)."""

from alembic import context

from console.index.db import VERSION_TABLE, create_index_engine
from console.index.models import metadata

config = context.config


def run_migrations(connection) -> None:
    # Own version table: the index may share a database with the knowledge store.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported; run against a database")
connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = create_index_engine()
    with engine.begin() as own_connection:
        run_migrations(own_connection)
    engine.dispose()
