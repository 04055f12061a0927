"""Fixtures of the knowledge-store tests.

Database fixtures run each test that uses them twice: on SQLite and on the PostgreSQL server named by
TEST_POSTGRES_URL (in a schema of its own, dropped afterwards). When that variable is unset or the server
is unreachable the PostgreSQL run is skipped with the reason shown by `pytest -ra`.

    database_url  a fresh, migrated, empty database per test (loader tests)
    store         a store over the fixture content, loaded once per session and backend (query tests);
                  dossier rows are emptied after each test
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import delete

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
