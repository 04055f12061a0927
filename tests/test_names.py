"""knowledge/names.py is the vocabulary of the code: every name in it must exist in the domain or the
content schema, so a rename on one side fails here instead of silently never matching."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from knowledge.names import COMMUNE_LEVELS, UNIT_KIND_WORDS, AgencyLevel, Entity, Intent, Slot, UnitKind

ROOT = Path(__file__).resolve().parents[1]
RASA_OWN = {Intent.NLU_FALLBACK, Slot.REQUESTED_SLOT}
# Intents maintainers create from the inbox (maintainer/intents.py): data only, answered by a rule, never
# named by code, so they are not the code's vocabulary. An intent code uses moves to a skill's domain file.
REVIEWED_DOMAIN = ROOT / "domain" / "reviewed.yml"


def _constants(cls) -> set[str]:
    return {value for name, value in vars(cls).items() if name.isupper() and isinstance(value, str)}


def _domain(key: str, reviewed: bool = False) -> set[str]:
    names: set[str] = set()
    for path in [REVIEWED_DOMAIN] if reviewed else (ROOT / "domain").glob("*.yml"):
        if path == REVIEWED_DOMAIN and not (reviewed and path.exists()):
            continue
        section = yaml.safe_load(path.read_text(encoding="utf-8")).get(key) or []
        names |= {item if isinstance(item, str) else next(iter(item)) for item in section}
    return names


def _schema_enum(file: str, *path: str) -> set[str]:
    node = json.loads((ROOT / "knowledge" / "schema" / file).read_text(encoding="utf-8"))
    for key in path:
        node = node[key]
    return set(node["enum"])


def test_intents_entities_and_slots_are_the_domain_s():
    assert _constants(Intent) - RASA_OWN == _domain("intents")  # without the reviewed intents
    assert _constants(Entity) == _domain("entities")
    assert _constants(Slot) - RASA_OWN == _domain("slots")


def test_reviewed_intents_are_data_only_and_never_the_code_s():
    reviewed = _domain("intents", reviewed=True)
    assert not reviewed & _constants(Intent), "an intent the code names belongs in a skill's domain file"
    assert not _domain("slots", reviewed=True) and not _domain("entities", reviewed=True)


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
