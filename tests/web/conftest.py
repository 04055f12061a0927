"""The portal pages list the procedures of the knowledge store: point it at the product's content."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _portal_reads_the_product_store(real_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", real_database)
