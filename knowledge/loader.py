"""Reads, validates and loads the knowledge content (the YAML files under knowledge/content/).

    read_content(dir)  -> Content with validated dicts (used by the NLU data generators)
    load(dir, url)     -> validates everything first, then writes it in ONE transaction

Every problem is reported as `file:line: where: what`. A bad file stops the load before the database
is touched; a re-load of unchanged content changes nothing (each part is compared by content hash).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from knowledge import models as m
from knowledge.catalogue import CATALOGUE_BY_ID, CATALOGUE_IDS
from knowledge.db import create_db_engine, migrate
from knowledge.names import UNIT_KIND_WORDS
from knowledge.procedure_index import alias_phrases
from knowledge.text import fold, strip_diacritics

CONTENT_DIR = Path(__file__).resolve().parent / "content"
SCHEMA_DIR = Path(__file__).resolve().parent / "schema"

# Bump when the mapping from content to rows changes, so unchanged files are rewritten once.
LOADER_VERSION = "1"

FACT_KINDS = ("deadline", "agency", "processing_time", "fee", "online", "legal_basis")
MAX_REPORTED_ERRORS = 50


class ContentError(Exception):
    """The content is invalid; `errors` lists `file:line: message` strings."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class Content:
    procedures: list[dict]  # in catalogue order, optional fields filled with their defaults
    units: dict
    common: dict


@dataclass(frozen=True)
class LoadReport:
    procedures: int
    units: int
    updated: tuple[str, ...] = ()  # "procedure:<id>", "units", "common"
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.updated or self.removed)

    def summary(self) -> str:
        counts = f"{self.procedures} procedures, {self.units} units"
        if not self.changed:
            return f"{counts}: unchanged"
        parts = []
        for verb, keys in (("updated", self.updated), ("removed", self.removed)):
            if keys:
                shown = ", ".join(keys[:6]) + (f", ... {len(keys) - 6} more" if len(keys) > 6 else "")
                parts.append(f"{verb} {len(keys)} ({shown})")
        return f"{counts}: {'; '.join(parts)}"


# --- YAML with line numbers -------------------------------------------------------------------

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster


class _ContentYamlLoader(_BaseLoader):
    """YAML 1.2 scalars: only true/false are booleans (answers like `yes`/`No` stay text) and dates
    stay ISO strings, so the JSON Schema sees exactly what the author wrote."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_ContentYamlLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass
class _Parsed:
    file: str  # as shown in messages
    data: Any
    lines: dict = field(default_factory=dict)  # JSON path -> 1-based line

    def line(self, path: Iterable) -> int:
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path: Iterable, message: str) -> str:
        path = tuple(path)
        return f"{self.file}:{self.line(path)}: {_dotted(path)}: {message}"


def _dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _parse_yaml(path: Path, errors: list[str]) -> Optional[_Parsed]:
    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        errors.append(f"{shown}:1: not UTF-8 text ({exc.reason})")
        return None
    loader = _ContentYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            errors.append(f"{shown}:1: the file is empty")
            return None
        parsed = _Parsed(shown, None)
        parsed.data = _construct(loader, node, (), parsed, errors)
        return parsed
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        context = ""
        if exc.context and exc.context_mark and exc.problem_mark:
            context = f" ({exc.context} started at line {exc.context_mark.line + 1})"
        errors.append(f"{shown}:{line}: YAML error: {exc.problem or exc.context or exc}{context}")
        return None
    except yaml.YAMLError as exc:
        errors.append(f"{shown}:1: YAML error: {exc}")
        return None
    finally:
        loader.dispose()


def _construct(loader, node, path: tuple, parsed: _Parsed, errors: list[str]):
    """Builds plain data from the node tree, remembering the line of every key and list item."""
    parsed.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) or key is None:
                errors.append(f"{parsed.file}:{key_line}: {_dotted(path)}: keys must be plain text")
                continue
            if key in result:
                errors.append(f"{parsed.file}:{key_line}: {_dotted(path + (key,))}: duplicate key")
            parsed.lines[path + (key,)] = key_line
            result[key] = _construct(loader, value_node, path + (key,), parsed, errors)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            parsed.lines[path + (index,)] = item_node.start_mark.line + 1
            items.append(_construct(loader, item_node, path + (index,), parsed, errors))
        return items
    return loader.construct_object(node, deep=True)


# --- JSON Schema --------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _validator(name: str) -> Draft202012Validator:
    schemas = {}
    for schema_file in sorted(SCHEMA_DIR.glob("*.json")):
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        schemas[schema["$id"]] = schema
    schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    try:
        from referencing import Registry, Resource  # jsonschema >= 4.18
    except ImportError:
        from jsonschema import RefResolver

        resolver = RefResolver(base_uri=schema["$id"], referrer=schema, store=schemas)
        return Draft202012Validator(schema, resolver=resolver, format_checker=FormatChecker())
    registry = Registry().with_resources((schema_id, Resource.from_contents(contents)) for schema_id, contents in schemas.items())
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def _schema_errors(parsed: _Parsed, schema_name: str) -> list[str]:
    messages = []
    errors = sorted(
        _validator(schema_name).iter_errors(parsed.data),
        key=lambda e: (parsed.line(e.absolute_path), list(map(str, e.absolute_path))),
    )
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            error = best_match(error.context)
        path = tuple(error.absolute_path)
        message = error.message
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = error.schema.get("properties", {})
            unexpected = [key for key in error.instance if key not in allowed]
            if unexpected:
                path = path + (unexpected[0],)
                message = f"unknown field (allowed: {', '.join(allowed)})"
        elif error.validator == "required":
            message = error.message.replace(" is a required property", " is required")
        if len(message) > 200:
            message = message[:197] + "..."
        messages.append(parsed.error(path, message))
    return messages


# --- checks beyond the schema ---------------------------------------------------------------------


def _duplicates(parsed: _Parsed, path: tuple, items: list[dict], key: str = "id") -> list[str]:
    seen, errors = set(), []
    for index, item in enumerate(items):
        if item[key] in seen:
            errors.append(parsed.error(path + (index, key), f"duplicate {key} '{item[key]}'"))
        seen.add(item[key])
    return errors


def _check_conditions(parsed: _Parsed, path: tuple, conditions: dict, questions: dict) -> list[str]:
    errors = []
    for question_id, wanted in conditions.items():
        if question_id not in questions:
            errors.append(parsed.error(path + (question_id,), f"no checklist question '{question_id}' before this"))
            continue
        for value in [wanted] if isinstance(wanted, str) else wanted:
            if value not in questions[question_id]:
                errors.append(
                    parsed.error(
                        path + (question_id,),
                        f"'{value}' is not an answer of '{question_id}' ({', '.join(questions[question_id])})",
                    )
                )
    return errors


def _check_procedure(parsed: _Parsed, stem: str) -> list[str]:
    data = parsed.data
    errors = []
    pid = data["id"]
    if pid != stem:
        errors.append(parsed.error(("id",), f"id '{pid}' must equal the file name '{stem}'"))
    entry = CATALOGUE_BY_ID.get(pid)
    if entry is None:
        errors.append(parsed.error(("id",), f"'{pid}' is not a catalogue id (knowledge/content/catalogue.csv)"))
    elif data["essential"] != entry.essential:
        errors.append(parsed.error(("essential",), f"the catalogue says essential={str(entry.essential).lower()}"))
    for key in ("related", "bundle_of"):
        for index, other in enumerate(data.get(key, [])):
            if other == pid:
                errors.append(parsed.error((key, index), "a procedure cannot refer to itself"))
    errors += _duplicates(parsed, ("documents",), data["documents"])
    errors += _duplicates(parsed, ("checklist",), data.get("checklist", []))
    errors += _duplicates(parsed, ("steps",), data.get("steps", []))
    earlier_questions: dict[str, list[str]] = {}
    for index, question in enumerate(data.get("checklist", [])):
        errors += _duplicates(parsed, ("checklist", index, "answers"), question["answers"], key="value")
        errors += _check_conditions(parsed, ("checklist", index, "ask_when"), question.get("ask_when", {}), earlier_questions)
        earlier_questions[question["id"]] = [answer["value"] for answer in question["answers"]]
    for index, document in enumerate(data["documents"]):
        errors += _check_conditions(parsed, ("documents", index, "when"), document.get("when", {}), earlier_questions)
    for index, item in enumerate(data["fee"]["items"]):
        online = item.get("online", {})
        if online.get("valid_from") and online.get("valid_until") and online["valid_from"] > online["valid_until"]:
            errors.append(parsed.error(("fee", "items", index, "online"), "valid_from is after valid_until"))
    return errors


def _check_units(parsed: _Parsed) -> list[str]:
    data = parsed.data
    errors = _duplicates(parsed, ("former_districts",), data["former_districts"])
    errors += _duplicates(parsed, ("units",), data["units"])
    district_ids = {district["id"] for district in data["former_districts"]}
    seen_names: dict[tuple, str] = {}
    for index, unit in enumerate(data["units"]):
        name_key = (unit["kind"], fold(unit["name"]))
        if name_key in seen_names:
            errors.append(parsed.error(("units", index, "name"), f"same name as unit '{seen_names[name_key]}'"))
        seen_names[name_key] = unit["id"]
        for former_index, former in enumerate(unit.get("former_units", [])):
            if former.get("district") and former["district"] not in district_ids:
                errors.append(
                    parsed.error(("units", index, "former_units", former_index, "district"), f"unknown former district '{former['district']}'")
                )
    total = data["province"]["unit_counts"]["total"]
    if len(data["units"]) > total:
        errors.append(parsed.error(("units",), f"{len(data['units'])} units but the province has {total}"))
    return errors


def _check_common(parsed: _Parsed) -> list[str]:
    periods = parsed.data["office_hours"]["periods"]
    return (
        _duplicates(parsed, ("channels",), parsed.data["channels"])
        + _duplicates(parsed, ("steps",), parsed.data["steps"])
        + [
            parsed.error(("office_hours", "periods", index), f"the period ends ({end}) before it starts ({start})")
            for index, (start, end) in enumerate(periods)
            if end <= start
        ]
    )


def _with_defaults(procedure: dict) -> dict:
    procedure = dict(procedure)
    for key in ("related", "bundle_of", "checklist", "steps"):
        procedure.setdefault(key, [])
    for key in ("national_code", "url", "deadline"):
        procedure.setdefault(key, None)
    procedure["documents"] = [{"note": None, "aliases": {}, "when": {}, **document} for document in procedure["documents"]]
    for document in procedure["documents"]:
        document["aliases"] = {"vi": [], "en": [], **document["aliases"]}
    procedure["checklist"] = [{"ask_when": {}, **question} for question in procedure["checklist"]]
    return procedure


# --- reading ----------------------------------------------------------------------------------


def read_content(content_dir: Path | str = CONTENT_DIR, require_complete_catalogue: bool = True) -> Content:
    """Parses and validates every content file; raises ContentError listing all problems."""
    content_dir = Path(content_dir)
    errors: list[str] = []
    procedures_dir = content_dir / "procedures"
    procedure_files = sorted(procedures_dir.glob("*.yml")) if procedures_dir.is_dir() else []
    for stray in sorted(procedures_dir.glob("*.yaml")) if procedures_dir.is_dir() else []:
        errors.append(f"{_display(stray)}:1: procedure files must end in .yml")

    parsed_procedures: list[_Parsed] = []
    for path in procedure_files:
        parsed = _parse_yaml(path, errors)
        if parsed is None:
            continue
        schema_errors = _schema_errors(parsed, "procedure")
        errors += schema_errors
        if not schema_errors:
            errors += _check_procedure(parsed, path.stem)
            parsed_procedures.append(parsed)

    parts = {}
    for name, check in (("units", _check_units), ("common", _check_common)):
        path = content_dir / f"{name}.yml"
        if not path.is_file():
            errors.append(f"{_display(path)}:1: missing file")
            continue
        parsed = _parse_yaml(path, errors)
        if parsed is None:
            continue
        schema_errors = _schema_errors(parsed, name)
        errors += schema_errors
        if not schema_errors:
            errors += check(parsed)
            parts[name] = parsed

    # Cross-file checks.
    known_ids = {parsed.data["id"] for parsed in parsed_procedures}
    all_file_ids = {path.stem for path in procedure_files}
    channel_ids = {channel["id"] for channel in parts["common"].data["channels"]} if "common" in parts else None
    for parsed in parsed_procedures:
        for key in ("related", "bundle_of"):
            for index, other in enumerate(parsed.data.get(key, [])):
                if other in known_ids or other in all_file_ids:
                    continue
                # While content is still being written (--partial), a link to a catalogue procedure
                # without a file yet is dropped instead of failing the whole load.
                if not require_complete_catalogue and other in CATALOGUE_BY_ID:
                    continue
                errors.append(parsed.error((key, index), f"no procedure '{other}' in {_display(procedures_dir)}"))
        if channel_ids is not None:
            for index, channel in enumerate(parsed.data["online"]["channels"]):
                if channel not in channel_ids:
                    message = f"channel '{channel}' is not in common.yml"
                    errors.append(parsed.error(("online", "channels", index), message))
    if require_complete_catalogue:
        # The catalogue and the files name each procedure the same way (partial content, such as the
        # test fixtures, may still use working names).
        for parsed in parsed_procedures:
            entry = CATALOGUE_BY_ID.get(parsed.data["id"])
            names = parsed.data["names"]
            if entry is not None and (names["vi"], names["en"]) != (entry.name_vi, entry.name_en):
                errors.append(parsed.error(("names",), f"the catalogue names it '{entry.name_vi}' / '{entry.name_en}'"))
        missing = [pid for pid in CATALOGUE_IDS if pid not in all_file_ids]
        if missing:
            errors.append(f"{_display(procedures_dir)}:1: missing procedure files for catalogue ids: {', '.join(missing)}")

    if errors:
        if len(errors) > MAX_REPORTED_ERRORS:
            errors = errors[:MAX_REPORTED_ERRORS] + [f"... and {len(errors) - MAX_REPORTED_ERRORS} more"]
        raise ContentError(errors)
    order = {pid: index for index, pid in enumerate(CATALOGUE_IDS)}
    procedures = sorted((_with_defaults(p.data) for p in parsed_procedures), key=lambda p: order[p["id"]])
    for procedure in procedures:
        for key in ("related", "bundle_of"):
            procedure[key] = [other for other in procedure[key] if other in known_ids]
    return Content(procedures=procedures, units=parts["units"].data, common=parts["common"].data)


# --- review age -----------------------------------------------------------------------------------

REVIEW_MAX_AGE_MONTHS = 6


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate_day in range(day.day, 0, -1):  # 31 August - 6 months = 28/29 February
        try:
            return date(year, month + 1, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _reviewed_dates(data: Any, path: tuple = ()) -> Iterable[tuple[tuple, str]]:
    """(JSON path of the provenance, its `reviewed` text) for every provenance in a content file."""
    if isinstance(data, dict):
        provenance = data.get("provenance")
        if isinstance(provenance, dict) and isinstance(provenance.get("reviewed"), str):
            yield path + ("provenance",), provenance["reviewed"]
        for key, value in data.items():
            if key != "provenance":
                yield from _reviewed_dates(value, path + (key,))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _reviewed_dates(item, path + (index,))


def stale_reviews(content_dir: Path | str = CONTENT_DIR, today: Optional[date] = None, months: int = REVIEW_MAX_AGE_MONTHS) -> list[str]:
    """Warnings, one per content file, for facts last reviewed more than `months` months before `today`.

    `file:line: N facts last reviewed more than 6 months ago (oldest: date at path)`; the line is the
    oldest one's. Call it on content that `read_content` accepted: unreadable files are skipped here.
    """
    today = today or date.today()
    cutoff = _months_before(today, months)
    content_dir = Path(content_dir)
    files = sorted((content_dir / "procedures").glob("*.yml")) + [content_dir / "units.yml", content_dir / "common.yml"]
    warnings = []
    for path in files:
        if not path.is_file():
            continue
        parsed = _parse_yaml(path, [])
        if parsed is None:
            continue
        stale = []
        for where, reviewed in _reviewed_dates(parsed.data):
            try:
                day = date.fromisoformat(reviewed)
            except ValueError:
                continue
            if day < cutoff:
                stale.append((day, where))
        if stale:
            oldest_day, oldest_where = min(stale, key=lambda item: (item[0], parsed.line(item[1])))
            warnings.append(
                f"{parsed.file}:{parsed.line(oldest_where)}: {len(stale)} fact(s) last reviewed more than {months} "
                f"months ago (before {cutoff.isoformat()}); oldest {oldest_day.isoformat()} at {_dotted(oldest_where)}"
            )
    return warnings


# --- writing --------------------------------------------------------------------------------------


def _sha256(data: Any) -> str:
    canonical = json.dumps([LOADER_VERSION, data], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _provenance(block: dict) -> dict:
    provenance = block["provenance"]
    return {
        "source": provenance["source"],
        "reviewed": date.fromisoformat(provenance["reviewed"]),
        "confidence": provenance["confidence"],
    }


def _as_lists(conditions: dict) -> dict:
    return {key: [value] if isinstance(value, str) else list(value) for key, value in conditions.items()}


def _day(value: Optional[str]) -> Optional[date]:
    return date.fromisoformat(value) if value else None


def _insert(session: Session, model, rows: list[dict]) -> None:
    if rows:
        session.execute(insert(model), rows)


PROCEDURE_CHILDREN = (
    m.DocumentAliasRow,
    m.DocumentRow,
    m.ProcedureAliasRow,
    m.ProcedureLifeEventRow,
    m.ProcedureLinkRow,
    m.FeeItemRow,
    m.ChecklistQuestionRow,
    m.StepRow,
    m.ProcedureFactRow,
)


def _write_procedure_children(session: Session, procedure: dict) -> None:
    pid = procedure["id"]
    facts = []
    for kind in FACT_KINDS:
        block = procedure.get(kind)
        if block is None:
            continue
        # Fee items have a table of their own; the rest of each block is kept as JSON.
        data = {key: value for key, value in block.items() if key != "provenance" and (kind, key) != ("fee", "items")}
        facts.append({"procedure_id": pid, "kind": kind, "data": data, **_provenance(block)})
    _insert(session, m.ProcedureFactRow, facts)

    # Names first, then aliases; an alias that folds to an earlier phrase adds nothing to matching.
    aliases = [{"procedure_id": pid, **phrase} for phrase in alias_phrases(procedure["names"], procedure["aliases"])]
    _insert(session, m.ProcedureAliasRow, aliases)
    _insert(
        session,
        m.ProcedureLifeEventRow,
        [{"procedure_id": pid, "life_event": event, "position": index} for index, event in enumerate(procedure["life_events"])],
    )
    _insert(
        session,
        m.ProcedureLinkRow,
        [
            {"procedure_id": pid, "kind": kind, "position": index, "target_id": target}
            for kind, key in (("related", "related"), ("bundle", "bundle_of"))
            for index, target in enumerate(procedure[key])
        ],
    )
    _insert(
        session,
        m.DocumentRow,
        [
            {
                "procedure_id": pid,
                "id": document["id"],
                "position": index,
                "name": document["name"],
                "note": document["note"],
                "required": document["required"],
                "when": _as_lists(document["when"]),
                **_provenance(document),
            }
            for index, document in enumerate(procedure["documents"])
        ],
    )
    _insert(
        session,
        m.DocumentAliasRow,
        [
            {"procedure_id": pid, "document_id": document["id"], "lang": lang, "alias": alias, "folded": fold(alias)}
            for document in procedure["documents"]
            for lang in ("vi", "en")
            for alias in document["aliases"][lang]
        ],
    )
    _insert(
        session,
        m.FeeItemRow,
        [
            {
                "procedure_id": pid,
                "position": index,
                "label": item["label"],
                "amount_vnd": item["amount_vnd"],
                "online_amount_vnd": item.get("online", {}).get("amount_vnd"),
                "online_valid_from": _day(item.get("online", {}).get("valid_from")),
                "online_valid_until": _day(item.get("online", {}).get("valid_until")),
            }
            for index, item in enumerate(procedure["fee"]["items"])
        ],
    )
    _insert(
        session,
        m.ChecklistQuestionRow,
        [
            {
                "procedure_id": pid,
                "id": question["id"],
                "position": index,
                "question": question["question"],
                "answers": question["answers"],
                "ask_when": _as_lists(question["ask_when"]),
            }
            for index, question in enumerate(procedure["checklist"])
        ],
    )
    _insert(
        session,
        m.StepRow,
        [
            {
                "procedure_id": pid,
                "id": step["id"],
                "position": index,
                "title": step["title"],
                "detail": step["detail"],
                "help": step.get("help"),
            }
            for index, step in enumerate(procedure["steps"])
        ],
    )


def _procedure_row(procedure: dict, position: int) -> dict:
    return {
        "id": procedure["id"],
        "position": position,
        "national_code": procedure["national_code"],
        "category": procedure["category"],
        "essential": procedure["essential"],
        "names": procedure["names"],
        "summary": procedure["summary"],
        "url": procedure["url"],
    }


def unit_full_name(name: str, kind: str) -> dict:
    vi_words, en_kind = UNIT_KIND_WORDS[kind]
    vi_kind = vi_words[0]
    return {"vi": f"{vi_kind} {name}", "en": f"{strip_diacritics(name)} {en_kind}"}


def _write_units(session: Session, units: dict) -> None:
    for model in (m.UnitCommonNameRow, m.FormerUnitRow, m.AdministrativeUnitRow, m.FormerDistrictRow):
        session.execute(delete(model))
    session.execute(delete(m.CommonFactRow).where(m.CommonFactRow.key == "province"))
    province = units["province"]
    _insert(session, m.CommonFactRow, [{"key": "province", "value": province}])
    _insert(
        session,
        m.FormerDistrictRow,
        [
            {"id": district["id"], "position": index, "name": district["name"], "kind": district["kind"], **_provenance(district)}
            for index, district in enumerate(units["former_districts"])
        ],
    )
    _insert(
        session,
        m.AdministrativeUnitRow,
        [
            {
                "id": unit["id"],
                "position": index,
                "name": unit["name"],
                "folded": fold(unit["name"]),
                "kind": unit["kind"],
                "province": province["name"]["vi"],
                "full_name": unit_full_name(unit["name"], unit["kind"]),
                "note": unit.get("note"),
                **_provenance(unit),
            }
            for index, unit in enumerate(units["units"])
        ],
    )
    _insert(
        session,
        m.FormerUnitRow,
        [
            {
                "unit_id": unit["id"],
                "position": index,
                "name": former["name"],
                "folded": fold(former["name"]),
                "kind": former["kind"],
                "district_id": former.get("district"),
                "partial": former.get("partial", False),
            }
            for unit in units["units"]
            for index, former in enumerate(unit.get("former_units", []))
        ],
    )
    _insert(
        session,
        m.UnitCommonNameRow,
        [
            {"unit_id": unit["id"], "position": index, "name": name, "folded": fold(name)}
            for unit in units["units"]
            for index, name in enumerate(unit.get("common_names", []))
        ],
    )


def _write_common(session: Session, common: dict) -> None:
    session.execute(delete(m.GenericStepRow))
    session.execute(delete(m.ChannelRow))
    session.execute(delete(m.CommonFactRow).where(m.CommonFactRow.key.in_(("support", "confidence_labels", "office_hours"))))
    _insert(
        session,
        m.GenericStepRow,
        [
            {"id": step["id"], "position": index, "title": step["title"], "detail": step["detail"], "help": step.get("help"), **_provenance(step)}
            for index, step in enumerate(common["steps"])
        ],
    )
    _insert(
        session,
        m.ChannelRow,
        [
            {
                "id": channel["id"],
                "position": index,
                "name": channel["name"],
                "url": channel["url"],
                "note": channel.get("note"),
                **_provenance(channel),
            }
            for index, channel in enumerate(common["channels"])
        ],
    )
    _insert(
        session,
        m.CommonFactRow,
        [
            {"key": "support", "value": common["support"]},
            {"key": "confidence_labels", "value": common["confidence_labels"]},
            {"key": "office_hours", "value": common["office_hours"]},
        ],
    )


def _set_version(session: Session, key: str, sha256: str, stored: dict) -> None:
    if key in stored:
        session.execute(update(m.ContentVersionRow).where(m.ContentVersionRow.key == key).values(sha256=sha256))
    else:
        session.execute(insert(m.ContentVersionRow).values(key=key, sha256=sha256))


def write_content(session: Session, content: Content) -> LoadReport:
    """Brings the database in line with `content`, touching only the parts whose hash changed.

    Runs inside the caller's transaction: the caller commits, or rolls back on any error.
    """
    stored = dict(session.execute(select(m.ContentVersionRow.key, m.ContentVersionRow.sha256)).all())
    existing_ids = set(session.scalars(select(m.ProcedureRow.id)))
    position = {pid: index for index, pid in enumerate(CATALOGUE_IDS)}
    updated = []

    changed = []
    for procedure in content.procedures:
        key, sha = f"procedure:{procedure['id']}", _sha256(procedure)
        if stored.get(key) != sha or procedure["id"] not in existing_ids:
            changed.append((procedure, key, sha))
    # Procedure rows first (links between procedures need both ends), then their children.
    for procedure, _key, _sha in changed:
        row = _procedure_row(procedure, position[procedure["id"]])
        if procedure["id"] in existing_ids:
            session.execute(update(m.ProcedureRow).where(m.ProcedureRow.id == procedure["id"]).values(**row))
        else:
            session.execute(insert(m.ProcedureRow).values(**row))
    for procedure, key, sha in changed:
        for model in PROCEDURE_CHILDREN:
            session.execute(delete(model).where(model.procedure_id == procedure["id"]))
        _write_procedure_children(session, procedure)
        _set_version(session, key, sha, stored)
        updated.append(key)

    wanted_ids = {procedure["id"] for procedure in content.procedures}
    removed = sorted(existing_ids - wanted_ids)
    for pid in removed:
        for model in PROCEDURE_CHILDREN:
            session.execute(delete(model).where(model.procedure_id == pid))
        session.execute(delete(m.ProcedureRow).where(m.ProcedureRow.id == pid))
        session.execute(delete(m.ContentVersionRow).where(m.ContentVersionRow.key == f"procedure:{pid}"))

    for key, data, writer in (("units", content.units, _write_units), ("common", content.common, _write_common)):
        sha = _sha256(data)
        if stored.get(key) != sha:
            writer(session, data)
            _set_version(session, key, sha, stored)
            updated.append(key)

    return LoadReport(
        procedures=len(content.procedures),
        units=len(content.units["units"]),
        updated=tuple(updated),
        removed=tuple(f"procedure:{pid}" for pid in removed),
    )


def load(content_dir: Path | str = CONTENT_DIR, url: Optional[str] = None, require_complete_catalogue: bool = True) -> LoadReport:
    """Validates the content, migrates the database, and loads everything in one transaction."""
    content = read_content(content_dir, require_complete_catalogue=require_complete_catalogue)
    engine = create_db_engine(url)
    try:
        migrate(engine)
        with Session(engine) as session, session.begin():
            return write_content(session, content)
    finally:
        engine.dispose()
