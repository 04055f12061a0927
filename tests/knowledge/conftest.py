"""Fixtures of the knowledge-store tests.

Database fixtures run each test that uses them twice: on SQLite and on the PostgreSQL server named by
TEST_POSTGRES_URL (in a schema of its own, dropped afterwards). When that variable is unset or the server
is unreachable the PostgreSQL run is skipped with the reason shown by `pytest -ra`.

    database_url  a fresh, migrated, empty database per test (loader tests)
    store         a store over the fixture content, loaded once per session and backend (query tests);
                  dossier rows are emptied after each test
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from knowledge import models as m
from knowledge.db import create_db_engine, migrate
from knowledge.loader import load
from knowledge.store import KnowledgeStore

FIXTURE_CONTENT = Path(__file__).resolve().parent / "fixtures" / "content"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory) -> Path:
    """Migrating is the slow part on SQLite: do it once and copy the file for each test."""
    path = tmp_path_factory.mktemp("knowledge-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


class _PostgresSchemas:
    """Creates throw-away schemas on TEST_POSTGRES_URL, or skips with the reason why it cannot."""

    def __init__(self):
        self.base_url = os.environ.get("TEST_POSTGRES_URL")
        self.admin = None
        self.created: list[str] = []

    def new_url(self) -> str:
        if not self.base_url:
            pytest.skip("PostgreSQL store tests skipped: TEST_POSTGRES_URL is not set")
        schema = f"knowledge_test_{uuid.uuid4().hex[:12]}"
        try:
            self.admin = self.admin or create_engine(self.base_url, future=True)
            with self.admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as error:  # any failure to connect means: no usable PostgreSQL here
            pytest.skip(f"PostgreSQL store tests skipped: TEST_POSTGRES_URL unreachable ({type(error).__name__})")
        self.created.append(schema)
        url = make_url(self.base_url)
        url = url.set(query={**url.query, "options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop(self, schemas: list[str]) -> None:
        for schema in schemas:
            with self.admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            self.created.remove(schema)


@pytest.fixture(scope="session")
def _postgres():
    schemas = _PostgresSchemas()
    yield schemas
    if schemas.admin is not None:
        schemas.drop(list(schemas.created))
        schemas.admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, _migrated_sqlite_template, _postgres):
    if request.param == "sqlite":
        path = tmp_path / "knowledge.db"
        shutil.copyfile(_migrated_sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = _postgres.new_url()
    schema = _postgres.created[-1]
    migrate(url)
    yield url
    _postgres.drop([schema])


@pytest.fixture(scope="session", params=BACKENDS)
def _loaded_database(request, tmp_path_factory, _postgres):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('knowledge-loaded') / 'knowledge.db'}"
    else:
        url = _postgres.new_url()
    load(FIXTURE_CONTENT, url, require_complete_catalogue=False)
    knowledge_store = KnowledgeStore(create_db_engine(url))
    yield knowledge_store
    knowledge_store.close()


@pytest.fixture
def store(_loaded_database):
    """The shared store over the fixture content; tests must not change content, dossiers are reset."""
    yield _loaded_database
    with _loaded_database.engine.begin() as connection:
        connection.execute(delete(m.DossierStatusRow))
        connection.execute(delete(m.DossierRow))


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A writable copy of the fixture content, for tests that break or change files."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target
