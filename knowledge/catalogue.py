"""The procedure catalogue (knowledge/content/catalogue.csv, from shared/reference/procedure-catalogue.csv).

The ids are the contract.

Other parts of the assistant and the evaluations rely on these ids; never rename them. The loader checks
that every content file is one of them and, for a complete load, that all of them are present.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

CATALOGUE_FILE = Path(__file__).parent / "content" / "catalogue.csv"


class CatalogueEntry(NamedTuple):
    id: str
    name_vi: str
    name_en: str
    essential: bool


def _read_catalogue(path: Path = CATALOGUE_FILE) -> tuple[CatalogueEntry, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            CatalogueEntry(row["id"], row["name_vi"], row["name_en"], row["essential_25"].strip() == "yes") for row in csv.DictReader(handle)
        )


CATALOGUE: tuple[CatalogueEntry, ...] = _read_catalogue()

CATALOGUE_IDS: tuple[str, ...] = tuple(entry.id for entry in CATALOGUE)
CATALOGUE_BY_ID = {entry.id: entry for entry in CATALOGUE}
