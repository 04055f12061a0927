"""knowledge/names.py is the vocabulary of the code: every name in it must exist in the domain or the
content schema, so a rename on one side fails here instead of silently never matching."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from knowledge.names import COMMUNE_LEVELS, UNIT_KIND_WORDS, AgencyLevel, Entity, Intent, Slot, UnitKind

ROOT = Path(__file__).resolve().parents[1]
RASA_OWN = {Intent.NLU_FALLBACK, Slot.REQUESTED_SLOT}


def _constants(cls) -> set[str]:
    return {value for name, value in vars(cls).items() if name.isupper() and isinstance(value, str)}


def _domain(key: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "domain").glob("*.yml"):
        section = yaml.safe_load(path.read_text(encoding="utf-8")).get(key) or []
        names |= {item if isinstance(item, str) else next(iter(item)) for item in section}
    return names


def _schema_enum(file: str, *path: str) -> set[str]:
    node = json.loads((ROOT / "knowledge" / "schema" / file).read_text(encoding="utf-8"))
    for key in path:
        node = node[key]
    return set(node["enum"])


def test_intents_entities_and_slots_are_the_domain_s():
    assert _constants(Intent) - RASA_OWN == _domain("intents")
    assert _constants(Entity) == _domain("entities")
    assert _constants(Slot) - RASA_OWN == _domain("slots")


def test_agency_levels_are_the_schema_s():
    levels = _schema_enum("procedure.json", "properties", "agency", "properties", "level")
    assert _constants(AgencyLevel) == levels
    assert COMMUNE_LEVELS <= levels


def _kind_enums(node) -> set[str]:
    """Every enum of a `kind` property (or of a *_kind definition) anywhere in a schema."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if (key == "kind" or key.endswith("_kind")) and isinstance(value, dict) and "enum" in value:
                found |= set(value["enum"])
            found |= _kind_enums(value)
    elif isinstance(node, list):
        for value in node:
            found |= _kind_enums(value)
    return found


def test_unit_kinds_are_the_schema_s():
    schema = json.loads((ROOT / "knowledge" / "schema" / "units.json").read_text(encoding="utf-8"))
    assert _constants(UnitKind) == _kind_enums(schema)
    assert set(UNIT_KIND_WORDS) == _constants(UnitKind)
