"""The knowledge store: the only interface actions use to read procedures, units and shared content.

    from knowledge.store import open_store
    store = open_store()                      # DATABASE_URL, or sqlite:///<repo>/var/knowledge.db
    store.get_procedure("birth-registration")
    store.find_procedures("dk khai sinh")     # unaccented / abbreviated input works (knowledge.text.fold)
    store.find_units("tôi ở Tháp Chàm")

Procedure content and units change only when `python -m knowledge load` runs, so each store reads them
once and answers from memory (call `reload()` after a load in a long-running process). Dossiers live in
the same database but are read and written by knowledge.dossier_store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Mapping, Optional, overload

from sqlalchemy import exc, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from knowledge import models as m
from knowledge.db import create_db_engine, database_url
from knowledge.names import unit_kind_prefixes
from knowledge.procedure_index import IndexedProcedure, ProcedureIndex, contains_words
from knowledge.text import fold
from knowledge.types import (
    AdministrativeUnit,
    Agency,
    Answer,
    Channel,
    Deadline,
    Document,
    Fee,
    FeeItem,
    FormerDistrict,
    FormerUnit,
    LegalBasis,
    OfficeHours,
    OnlineAvailability,
    OnlineDiscount,
    Procedure,
    ProcedureMatch,
    ProcessingTime,
    Provenance,
    Province,
    Question,
    Step,
    SupportLine,
    Text,
    UnitMatch,
)


class StoreNotReady(RuntimeError):
    """The database has no knowledge tables or content yet."""


# --- row -> domain object ---------------------------------------------------------------------


@overload
def _text(value: Mapping) -> Text: ...
@overload
def _text(value: None) -> None: ...
def _text(value: Optional[Mapping]) -> Optional[Text]:
    """A {vi, en} JSON column as Text (None stays None: optional texts)."""
    return Text(vi=value["vi"], en=value["en"]) if value else None


def _provenance(row) -> Provenance:
    return Provenance(source=row.source, reviewed=row.reviewed, confidence=row.confidence)


def _conditions(value: Optional[Mapping]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(values) for key, values in (value or {}).items()}


def _step(row, provenance: Optional[Provenance] = None) -> Step:
    return Step(id=row.id, title=_text(row.title), detail=_text(row.detail), help=_text(row.help), provenance=provenance)


# --- matching ---------------------------------------------------------------------------------

# Ties between equally long unit matches: the current name first, then everyday, former unit, former district.
NAME_KIND_RANK = {"current": 0, "common": 1, "former-unit": 2, "former-district": 3}


@dataclass(frozen=True)
class _UnitEntry:
    folded: str
    word_count: int
    units: tuple[tuple[str, bool], ...]  # (unit id, only part of the named place went into it)
    name: str
    name_kind: str


@dataclass
class _Catalogue:
    """Everything read once per store: procedures, units and shared content, with their match indexes."""

    procedures: dict[str, Procedure] = field(default_factory=dict)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)  # (procedure id, alias, folded)
    index: Optional[ProcedureIndex] = None
    units: dict[str, AdministrativeUnit] = field(default_factory=dict)
    unit_index: list[_UnitEntry] = field(default_factory=list)
    unit_folded: dict[str, str] = field(default_factory=dict)  # unit id -> fold(name)
    channels: dict[str, Channel] = field(default_factory=dict)
    generic_steps: tuple[Step, ...] = ()
    support: Optional[SupportLine] = None
    province: Optional[Province] = None
    office_hours: Optional[OfficeHours] = None
    confidence_labels: dict[str, Text] = field(default_factory=dict)


REQUIRED_FACTS = ("agency", "processing_time", "fee", "online", "legal_basis")


def _grouped(session: Session, model, *order_by) -> dict[str, list]:
    """Rows of a per-procedure table, grouped by procedure id, in content order."""
    groups: dict[str, list] = {}
    for row in session.scalars(select(model).order_by(model.procedure_id, *order_by)):
        groups.setdefault(row.procedure_id, []).append(row)
    return groups


def _fee(fact, items: list) -> Fee:
    return Fee(
        free=fact.data["free"],
        items=tuple(
            FeeItem(
                label=_text(item.label),
                amount_vnd=item.amount_vnd,
                online=None
                if item.online_amount_vnd is None
                else OnlineDiscount(item.online_amount_vnd, item.online_valid_from, item.online_valid_until),
            )
            for item in items
        ),
        exemptions=tuple(_text(text) for text in fact.data.get("exemptions", [])),
        note=_text(fact.data.get("note")),
        provenance=_provenance(fact),
    )


def _read_procedures(session: Session, generic_steps: tuple[Step, ...]) -> dict[str, Procedure]:
    facts: dict[str, dict] = {}
    for row in session.scalars(select(m.ProcedureFactRow)):
        facts.setdefault(row.procedure_id, {})[row.kind] = row
    aliases = _grouped(session, m.ProcedureAliasRow, m.ProcedureAliasRow.id)
    life_events = _grouped(session, m.ProcedureLifeEventRow, m.ProcedureLifeEventRow.position)
    links = _grouped(session, m.ProcedureLinkRow, m.ProcedureLinkRow.kind, m.ProcedureLinkRow.position)
    documents = _grouped(session, m.DocumentRow, m.DocumentRow.position)
    fee_items = _grouped(session, m.FeeItemRow, m.FeeItemRow.position)
    questions = _grouped(session, m.ChecklistQuestionRow, m.ChecklistQuestionRow.position)
    steps = _grouped(session, m.StepRow, m.StepRow.position)
    document_aliases: dict[tuple, dict[str, list[str]]] = {}
    for row in session.scalars(select(m.DocumentAliasRow).order_by(m.DocumentAliasRow.id)):
        key = (row.procedure_id, row.document_id)
        document_aliases.setdefault(key, {"vi": [], "en": []})[row.lang].append(row.alias)

    procedures = {}
    for row in session.scalars(select(m.ProcedureRow).order_by(m.ProcedureRow.position)):
        pid = row.id
        fact = facts.get(pid, {})
        if not all(kind in fact for kind in REQUIRED_FACTS):
            raise StoreNotReady(f"procedure '{pid}' is incomplete in the database; run `python -m knowledge load`")
        agency, timing, online, legal = fact["agency"], fact["processing_time"], fact["online"], fact["legal_basis"]
        own_steps = tuple(_step(step) for step in steps.get(pid, []))
        generic = not own_steps and online.data["availability"] != "none"
        names_and_aliases = aliases.get(pid, [])
        procedures[pid] = Procedure(
            id=pid,
            national_code=row.national_code,
            category=row.category,
            essential=row.essential,
            names=_text(row.names),
            summary=_text(row.summary),
            url=row.url,
            agency=Agency(
                level=agency.data["level"],
                name=_text(agency.data["name"]),
                where_to_submit=_text(agency.data["where_to_submit"]),
                provenance=_provenance(agency),
            ),
            processing_time=ProcessingTime(
                text=_text(timing.data["text"]),
                working_days=timing.data.get("working_days"),
                provenance=_provenance(timing),
            ),
            fee=_fee(fact["fee"], fee_items.get(pid, [])),
            online=OnlineAvailability(
                availability=online.data["availability"],
                channels=tuple(online.data["channels"]),
                note=_text(online.data.get("note")),
                provenance=_provenance(online),
            ),
            legal_basis=LegalBasis(items=tuple(_text(t) for t in legal.data["items"]), provenance=_provenance(legal)),
            deadline=Deadline(_text(fact["deadline"].data["text"]), _provenance(fact["deadline"])) if "deadline" in fact else None,
            aliases_vi=tuple(a.alias for a in names_and_aliases if a.lang == "vi" and not a.is_name),
            aliases_en=tuple(a.alias for a in names_and_aliases if a.lang == "en" and not a.is_name),
            life_events=tuple(e.life_event for e in life_events.get(pid, [])),
            related=tuple(link.target_id for link in links.get(pid, []) if link.kind == "related"),
            bundle_of=tuple(link.target_id for link in links.get(pid, []) if link.kind == "bundle"),
            documents=tuple(
                Document(
                    id=doc.id,
                    name=_text(doc.name),
                    required=doc.required,
                    provenance=_provenance(doc),
                    note=_text(doc.note),
                    aliases_vi=tuple(document_aliases.get((pid, doc.id), {}).get("vi", [])),
                    aliases_en=tuple(document_aliases.get((pid, doc.id), {}).get("en", [])),
                    when=_conditions(doc.when),
                )
                for doc in documents.get(pid, [])
            ),
            checklist=tuple(
                Question(
                    id=q.id,
                    question=_text(q.question),
                    answers=tuple(Answer(value=a["value"], label=_text(a["label"])) for a in q.answers),
                    ask_when=_conditions(q.ask_when),
                )
                for q in questions.get(pid, [])
            ),
            steps=generic_steps if generic else own_steps,
            steps_are_generic=generic,
        )
    return procedures


def _read_catalogue(session: Session) -> _Catalogue:
    catalogue = _Catalogue()
    generic_rows = session.scalars(select(m.GenericStepRow).order_by(m.GenericStepRow.position))
    catalogue.generic_steps = tuple(_step(row, _provenance(row)) for row in generic_rows)
    for row in session.scalars(select(m.ChannelRow).order_by(m.ChannelRow.position)):
        catalogue.channels[row.id] = Channel(id=row.id, name=_text(row.name), url=row.url, provenance=_provenance(row), note=_text(row.note))
    catalogue.procedures = _read_procedures(session, catalogue.generic_steps)
    catalogue.aliases = [
        (row.procedure_id, row.alias, row.folded) for row in session.scalars(select(m.ProcedureAliasRow).order_by(m.ProcedureAliasRow.id))
    ]
    catalogue.index = ProcedureIndex(
        {
            p.id: IndexedProcedure(p.id, {"vi": p.names.vi, "en": p.names.en}, p.aliases_vi, p.aliases_en, p.life_events, p.bundle_of)
            for p in catalogue.procedures.values()
        },
        catalogue.aliases,
    )
    _read_units(session, catalogue)

    common = {row.key: row.value for row in session.scalars(select(m.CommonFactRow))}
    if "support" in common:
        support = common["support"]
        catalogue.support = SupportLine(
            phone=support["phone"],
            name=_text(support["name"]),
            note=_text(support.get("note")),
            provenance=_provenance_from_dict(support["provenance"]),
        )
    if "province" in common:
        province = common["province"]
        catalogue.province = Province(
            name=_text(province["name"]),
            seat=_text(province["seat"]),
            effective_from=date.fromisoformat(province["effective_from"]),
            unit_counts=dict(province["unit_counts"]),
            provenance=_provenance_from_dict(province["provenance"]),
            former_provinces=tuple(province.get("former_provinces", [])),
            note=_text(province.get("note")),
        )
    if "office_hours" in common:
        hours = common["office_hours"]
        catalogue.office_hours = OfficeHours(
            timezone_offset_hours=hours["timezone_offset_hours"],
            days=tuple(hours["days"]),
            periods=tuple((start, end) for start, end in hours["periods"]),
            text=_text(hours["text"]),
            provenance=_provenance_from_dict(hours["provenance"]),
        )
    catalogue.confidence_labels = {key: _text(value) for key, value in common.get("confidence_labels", {}).items()}
    return catalogue


def _provenance_from_dict(value: Mapping) -> Provenance:
    return Provenance(value["source"], date.fromisoformat(value["reviewed"]), value["confidence"])


def _name_variants(name: str, kind: str) -> list[str]:
    """'Đô Vinh' as a ward is also typed 'phường Đô Vinh' or 'p Đô Vinh'."""
    return [name] + [f"{prefix} {name}" for prefix in unit_kind_prefixes(kind)]


def _read_units(session: Session, catalogue: _Catalogue) -> None:
    districts = {
        row.id: FormerDistrict(id=row.id, name=row.name, kind=row.kind, provenance=_provenance(row))
        for row in session.scalars(select(m.FormerDistrictRow).order_by(m.FormerDistrictRow.position))
    }
    former: dict[str, list] = {}
    for row in session.scalars(select(m.FormerUnitRow).order_by(m.FormerUnitRow.position)):
        former.setdefault(row.unit_id, []).append(row)
    common: dict[str, list[str]] = {}
    for row in session.scalars(select(m.UnitCommonNameRow).order_by(m.UnitCommonNameRow.position)):
        common.setdefault(row.unit_id, []).append(row.name)

    entries: dict[tuple, dict] = {}  # (folded, name_kind) -> {"name": shown name, "units": {unit id: partial}}

    def add(name: str, kind: str, name_kind: str, unit_id: str, partial: bool = False) -> None:
        for variant in _name_variants(name, kind):
            entry = entries.setdefault((fold(variant), name_kind), {"name": variant, "units": {}})
            entry["units"][unit_id] = entry["units"].get(unit_id, True) and partial

    for row in session.scalars(select(m.AdministrativeUnitRow).order_by(m.AdministrativeUnitRow.position)):
        former_rows = former.get(row.id, [])
        unit_districts = []
        for former_row in former_rows:
            if former_row.district_id and districts[former_row.district_id] not in unit_districts:
                unit_districts.append(districts[former_row.district_id])
        catalogue.units[row.id] = AdministrativeUnit(
            id=row.id,
            name=row.name,
            kind=row.kind,
            full_name=_text(row.full_name),
            province=row.province,
            provenance=_provenance(row),
            note=_text(row.note),
            former_units=tuple(FormerUnit(name=f.name, kind=f.kind, district=f.district_id, partial=f.partial) for f in former_rows),
            former_districts=tuple(unit_districts),
            common_names=tuple(common.get(row.id, [])),
        )
        catalogue.unit_folded[row.id] = row.folded
        add(row.name, row.kind, "current", row.id)
        for name in common.get(row.id, []):
            add(name, "", "common", row.id)
        for former_row in former_rows:
            add(former_row.name, former_row.kind, "former-unit", row.id, former_row.partial)
            if former_row.district_id:
                district = districts[former_row.district_id]
                add(district.name, district.kind, "former-district", row.id, former_row.partial)
    catalogue.unit_index = [
        _UnitEntry(folded=folded, word_count=len(folded.split()), units=tuple(entry["units"].items()), name=entry["name"], name_kind=name_kind)
        for (folded, name_kind), entry in entries.items()
        if folded
    ]


# --- the store --------------------------------------------------------------------------------


class KnowledgeStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, future=True)
        self._catalogue: Optional[_Catalogue] = None
        self._lock = threading.Lock()

    # -- the cached catalogue --

    def _content(self) -> _Catalogue:
        catalogue = self._catalogue
        if catalogue is None:
            with self._lock:
                if self._catalogue is None:
                    try:
                        with self._sessions() as session:
                            self._catalogue = _read_catalogue(session)
                    except (exc.OperationalError, exc.ProgrammingError) as error:
                        raise StoreNotReady("the knowledge store has no tables; run `python -m knowledge load`") from error
                catalogue = self._catalogue
        return catalogue

    def reload(self) -> None:
        """Forget the cached content; the next call re-reads it (after `python -m knowledge load`)."""
        with self._lock:
            self._catalogue = None

    def close(self) -> None:
        self.engine.dispose()

    # -- procedures --

    def get_procedure(self, procedure_id: str) -> Optional[Procedure]:
        return self._content().procedures.get(procedure_id)

    def list_procedures(self) -> list[Procedure]:
        return list(self._content().procedures.values())

    def find_procedures(self, text: str, limit: int = 5) -> list[ProcedureMatch]:
        """Procedures whose names or aliases match `text` (accents, case and abbreviations ignored).

        Best match first; an exact match scores 1.0 and longer, more specific matches beat short ones.
        """
        return self.procedure_index().find_procedures(text, limit)

    def procedure_index(self) -> ProcedureIndex:
        """The procedures as the resolver reads them (knowledge.resolution), with the phrase matcher."""
        index = self._content().index
        assert index is not None  # set by _read_catalogue
        return index

    def keyword_index(self) -> tuple[dict[str, set[str]], dict[str, float]]:
        return self.procedure_index().keyword_index()

    def procedures_for_life_event(self, event: str) -> list[Procedure]:
        return [p for p in self._content().procedures.values() if event in p.life_events]

    # -- shared content --

    def generic_steps(self) -> tuple[Step, ...]:
        return self._content().generic_steps

    def list_channels(self) -> list[Channel]:
        return list(self._content().channels.values())

    def get_channel(self, channel_id: str) -> Optional[Channel]:
        return self._content().channels.get(channel_id)

    def support_line(self) -> Optional[SupportLine]:
        return self._content().support

    def province(self) -> Optional[Province]:
        return self._content().province

    def confidence_label(self, confidence: str) -> Optional[Text]:
        """How a fact of this confidence is qualified to citizens (the caution after the fact)."""
        return self._content().confidence_labels.get(confidence)

    def office_hours(self) -> Optional[OfficeHours]:
        return self._content().office_hours

    # -- administrative units --

    def get_unit(self, unit_id: str) -> Optional[AdministrativeUnit]:
        return self._content().units.get(unit_id)

    def find_units(self, text: str) -> list[UnitMatch]:
        """Units named in `text` by their current, everyday or pre-2025 names, accented or not.

        The longest name found wins ("huyện Ninh Phước" beats "Ninh Phước"); at equal length the
        current name comes first. A former district yields every unit it went into, in file order.
        """
        query = fold(text)
        if not query:
            return []
        content = self._content()
        best: dict[str, tuple] = {}
        for entry in content.unit_index:
            if not contains_words(query, entry.folded):
                continue
            for unit_id, partial in entry.units:
                # Within a former district, the unit that kept the district's name comes first.
                keeps_name = contains_words(entry.folded, content.unit_folded[unit_id])
                rank = (-entry.word_count, NAME_KIND_RANK[entry.name_kind], partial, not keeps_name)
                if unit_id not in best or rank < best[unit_id][0]:
                    best[unit_id] = (rank, entry)
        unit_order = {unit_id: index for index, unit_id in enumerate(content.units)}
        ranked = sorted(best.items(), key=lambda item: (item[1][0], unit_order[item[0]]))
        return [
            UnitMatch(unit=content.units[unit_id], matched_name=entry.name, former_name=entry.name_kind != "current")
            for unit_id, (_rank, entry) in ranked
        ]


_stores: dict[str, KnowledgeStore] = {}
_stores_lock = threading.Lock()


def open_store(url: Optional[str] = None) -> KnowledgeStore:
    """The process-wide store for `url` (default: DATABASE_URL, else the SQLite file under var/)."""
    resolved = database_url(url)
    with _stores_lock:
        if resolved not in _stores:
            _stores[resolved] = KnowledgeStore(create_db_engine(resolved))
        return _stores[resolved]


def close_stores() -> None:
    """Disposes every store opened by open_store (tests, shutdown)."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
