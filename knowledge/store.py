"""The knowledge store: the only interface actions use to read procedures, units and dossiers.

    from knowledge.store import open_store
    store = open_store()                      # DATABASE_URL, or sqlite:///<repo>/var/knowledge.db
    store.get_procedure("birth-registration")
    store.find_procedures("dk khai sinh")     # unaccented / abbreviated input works (knowledge.text.fold)
    store.find_units("tôi ở Tháp Chàm")

Procedure content and units change only when `python -m knowledge load` runs, so each store reads them
once and answers from memory (call `reload()` after a load in a long-running process). Dossiers change
all the time and are always read from the database.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Iterable, Mapping, Optional

from sqlalchemy import exc, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from knowledge import models as m
from knowledge.db import create_db_engine, database_url
from knowledge.text import fold
from knowledge.types import (
    DOSSIER_STATUSES,
    Agency,
    AdministrativeUnit,
    Answer,
    Channel,
    Deadline,
    Document,
    Dossier,
    DossierUpsertReport,
    Fee,
    FeeItem,
    FormerDistrict,
    FormerUnit,
    LegalBasis,
    OnlineAvailability,
    OnlineDiscount,
    ProcedureMatch,
    ProcessingTime,
    Procedure,
    Provenance,
    Province,
    Question,
    StatusChange,
    Step,
    SupportLine,
    Text,
    UnitMatch,
)


class StoreNotReady(RuntimeError):
    """The database has no knowledge tables or content yet."""


def canonical_dossier_code(code: str) -> str:
    """Dossier codes are compared in upper case without spaces: ' 000.00.12.h57-250714-0031 ' ->
    '000.00.12.H57-250714-0031'."""
    return re.sub(r"\s+", "", code or "").upper()


# --- row -> domain object ---------------------------------------------------------------------


def _text(value: Optional[Mapping]) -> Optional[Text]:
    return Text(vi=value["vi"], en=value["en"]) if value else None


def _provenance(row) -> Provenance:
    return Provenance(source=row.source, reviewed=row.reviewed, confidence=row.confidence)


def _conditions(value: Optional[Mapping]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(values) for key, values in (value or {}).items()}


def _step(row, provenance: Optional[Provenance] = None) -> Step:
    return Step(
        id=row.id, title=_text(row.title), detail=_text(row.detail), help=_text(row.help), provenance=provenance
    )


# --- matching ---------------------------------------------------------------------------------

UNIT_KIND_PREFIXES = {
    "phuong": ("phường", "p"),
    "xa": ("xã",),
    "thi-tran": ("thị trấn", "tt"),
    "dac-khu": ("đặc khu",),
    "thanh-pho": ("thành phố", "tp"),
    "thi-xa": ("thị xã", "tx"),
    "huyen": ("huyện",),
}
# Ties between equally long unit matches: the current name first, then everyday, former unit, former district.
NAME_KIND_RANK = {"current": 0, "common": 1, "former-unit": 2, "former-district": 3}


@dataclass(frozen=True)
class _AliasEntry:
    folded: str
    procedure_id: str
    alias: str
    words: frozenset


@dataclass(frozen=True)
class _UnitEntry:
    folded: str
    word_count: int
    units: tuple[tuple[str, bool], ...]  # (unit id, only part of the named place went into it)
    name: str
    name_kind: str


def _contains_words(haystack: str, needle: str) -> bool:
    """Whole-word containment of fold()-ed strings."""
    return f" {needle} " in f" {haystack} "


def _alias_score(query: str, query_words: set, entry: _AliasEntry) -> float:
    """1.0 for an exact match; longer aliases found in the question score higher than short ones;
    a question that is only part of an alias, or shares most of its words, scores lower."""
    if entry.folded == query:
        return 1.0
    if _contains_words(query, entry.folded):
        return 0.5 + 0.45 * len(entry.folded) / len(query)
    if _contains_words(entry.folded, query):
        return 0.3 + 0.4 * len(query) / len(entry.folded)
    shared = entry.words & query_words
    if len(shared) >= 2 and len(shared) / len(entry.words) >= 0.6:
        return 0.4 * len(shared) / len(entry.words) * (0.5 + 0.5 * len(shared) / len(query_words))
    return 0.0


@dataclass
class _Catalogue:
    """Everything read once per store: procedures, units and shared content, with their match indexes."""

    procedures: dict[str, Procedure] = field(default_factory=dict)
    alias_index: list[_AliasEntry] = field(default_factory=list)
    aliases_by_word: dict[str, list[int]] = field(default_factory=dict)  # folded word -> alias_index positions
    units: dict[str, AdministrativeUnit] = field(default_factory=dict)
    unit_index: list[_UnitEntry] = field(default_factory=list)
    unit_folded: dict[str, str] = field(default_factory=dict)  # unit id -> fold(name)
    channels: dict[str, Channel] = field(default_factory=dict)
    generic_steps: tuple[Step, ...] = ()
    support: Optional[SupportLine] = None
    province: Optional[Province] = None
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
                online=None if item.online_amount_vnd is None else OnlineDiscount(
                    item.online_amount_vnd, item.online_valid_from, item.online_valid_until
                ),
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
                level=agency.data["level"], name=_text(agency.data["name"]),
                where_to_submit=_text(agency.data["where_to_submit"]), provenance=_provenance(agency),
            ),
            processing_time=ProcessingTime(
                text=_text(timing.data["text"]), working_days=timing.data.get("working_days"),
                provenance=_provenance(timing),
            ),
            fee=_fee(fact["fee"], fee_items.get(pid, [])),
            online=OnlineAvailability(
                availability=online.data["availability"], channels=tuple(online.data["channels"]),
                note=_text(online.data.get("note")), provenance=_provenance(online),
            ),
            legal_basis=LegalBasis(items=tuple(_text(t) for t in legal.data["items"]), provenance=_provenance(legal)),
            deadline=Deadline(_text(fact["deadline"].data["text"]), _provenance(fact["deadline"]))
            if "deadline" in fact else None,
            aliases_vi=tuple(a.alias for a in names_and_aliases if a.lang == "vi" and not a.is_name),
            aliases_en=tuple(a.alias for a in names_and_aliases if a.lang == "en" and not a.is_name),
            life_events=tuple(e.life_event for e in life_events.get(pid, [])),
            related=tuple(link.target_id for link in links.get(pid, []) if link.kind == "related"),
            bundle_of=tuple(link.target_id for link in links.get(pid, []) if link.kind == "bundle"),
            documents=tuple(
                Document(
                    id=doc.id, name=_text(doc.name), required=doc.required, provenance=_provenance(doc),
                    note=_text(doc.note),
                    aliases_vi=tuple(document_aliases.get((pid, doc.id), {}).get("vi", [])),
                    aliases_en=tuple(document_aliases.get((pid, doc.id), {}).get("en", [])),
                    when=_conditions(doc.when),
                )
                for doc in documents.get(pid, [])
            ),
            checklist=tuple(
                Question(
                    id=q.id, question=_text(q.question),
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
        catalogue.channels[row.id] = Channel(
            id=row.id, name=_text(row.name), url=row.url, provenance=_provenance(row), note=_text(row.note)
        )
    catalogue.procedures = _read_procedures(session, catalogue.generic_steps)
    for row in session.scalars(select(m.ProcedureAliasRow).order_by(m.ProcedureAliasRow.id)):
        entry = _AliasEntry(row.folded, row.procedure_id, row.alias, frozenset(row.folded.split()))
        for word in entry.words:
            catalogue.aliases_by_word.setdefault(word, []).append(len(catalogue.alias_index))
        catalogue.alias_index.append(entry)
    _read_units(session, catalogue)

    common = {row.key: row.value for row in session.scalars(select(m.CommonFactRow))}
    if "support" in common:
        support = common["support"]
        catalogue.support = SupportLine(
            phone=support["phone"], name=_text(support["name"]), note=_text(support.get("note")),
            provenance=_provenance_from_dict(support["provenance"]),
        )
    if "province" in common:
        province = common["province"]
        catalogue.province = Province(
            name=_text(province["name"]), seat=_text(province["seat"]),
            effective_from=date.fromisoformat(province["effective_from"]),
            unit_counts=dict(province["unit_counts"]), provenance=_provenance_from_dict(province["provenance"]),
            former_provinces=tuple(province.get("former_provinces", [])), note=_text(province.get("note")),
        )
    catalogue.confidence_labels = {key: _text(value) for key, value in common.get("confidence_labels", {}).items()}
    return catalogue


def _provenance_from_dict(value: Mapping) -> Provenance:
    return Provenance(value["source"], date.fromisoformat(value["reviewed"]), value["confidence"])


def _name_variants(name: str, kind: str) -> list[str]:
    """'Đô Vinh' as a ward is also typed 'phường Đô Vinh' or 'p Đô Vinh'."""
    return [name] + [f"{prefix} {name}" for prefix in UNIT_KIND_PREFIXES.get(kind, ())]


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
            id=row.id, name=row.name, kind=row.kind, full_name=_text(row.full_name), province=row.province,
            provenance=_provenance(row), note=_text(row.note),
            former_units=tuple(
                FormerUnit(name=f.name, kind=f.kind, district=f.district_id, partial=f.partial) for f in former_rows
            ),
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
        _UnitEntry(folded=folded, word_count=len(folded.split()), units=tuple(entry["units"].items()),
                   name=entry["name"], name_kind=name_kind)
        for (folded, name_kind), entry in entries.items()
        if folded
    ]


# --- the store --------------------------------------------------------------------------------


def _parse_time(value) -> Optional[datetime]:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


DOSSIER_FIELDS = (
    "procedure_id", "status", "applicant_phone_hash", "phone_last4_hash", "received_at", "due_at",
    "updated_at", "agency", "missing_documents", "note",
)
_TIME_FIELDS = ("received_at", "due_at", "updated_at")
_CHUNK = 500  # codes per IN (...) query


@dataclass(frozen=True)
class _DossierUpsert:
    """One record of `KnowledgeStore.upsert_dossiers`, checked and normalised."""

    code: str
    values: dict  # the DOSSIER_FIELDS the record gives
    history: tuple  # ({"status", "at", "note"}, ...), oldest first
    status_at: datetime
    status_note: Optional[str]


def _prepare_dossier(record: Mapping) -> _DossierUpsert:
    code = canonical_dossier_code(record.get("code", ""))
    if not code:
        raise ValueError("a dossier record has no code")
    if record.get("status") not in DOSSIER_STATUSES:
        raise ValueError(f"dossier {code}: unknown status {record.get('status')!r}")
    values = {key: record[key] for key in DOSSIER_FIELDS if key in record}
    for key in _TIME_FIELDS:
        if key in values:
            values[key] = _parse_time(values[key])
    if "missing_documents" in values:
        values["missing_documents"] = list(values["missing_documents"] or [])
    history = []
    for entry in record.get("history") or ():
        if entry.get("status") not in DOSSIER_STATUSES:
            raise ValueError(f"dossier {code}: unknown status {entry.get('status')!r} in its history")
        at = _parse_time(entry.get("at"))
        if at is None:
            raise ValueError(f"dossier {code}: a history entry has no time")
        history.append({"status": entry["status"], "at": at, "note": entry.get("note")})
    status_at = (
        _parse_time(record.get("status_at")) or values.get("updated_at") or values.get("received_at")
        or datetime.now(timezone.utc)
    )
    return _DossierUpsert(
        code, values, tuple(sorted(history, key=lambda entry: entry["at"])), status_at, record.get("status_note")
    )


def _stored_dossiers(session: Session, codes: list[str]) -> tuple[dict[str, dict], dict[str, set]]:
    """Stored values and known (status, at) history entries of `codes`: a few bulk reads, not one per code."""
    stored: dict[str, dict] = {}
    known_changes: dict[str, set] = {}
    columns = [m.DossierRow.code, *(getattr(m.DossierRow, name) for name in DOSSIER_FIELDS)]
    history = m.DossierStatusRow
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start:start + _CHUNK]
        for row in session.execute(select(*columns).where(m.DossierRow.code.in_(chunk))).mappings():
            stored[row["code"]] = dict(row)
        for code, status, at in session.execute(
            select(history.dossier_code, history.status, history.at).where(history.dossier_code.in_(chunk))
        ):
            known_changes.setdefault(code, set()).add((status, at))
    return stored, known_changes


def _upsert_dossiers(session: Session, records: list[_DossierUpsert]) -> DossierUpsertReport:
    """Upserts inside the caller's transaction with one bulk statement each for inserts, updates and history.

    History gets the record's `history` entries not stored yet, then the current status when it differs
    from the last one known (the record's history, else the stored dossier), stamped `status_at`.
    """
    stored, known_changes = _stored_dossiers(session, sorted({record.code for record in records}))
    inserts: dict[str, dict] = {}
    updates: dict[str, dict] = {}
    history_rows: list[dict] = []
    counts = {"inserted": 0, "updated": 0, "unchanged": 0, "status_changes": 0}
    for record in records:
        code, status = record.code, record.values["status"]
        current = stored.get(code)
        if current is None:
            previous_status = None
            # The same dict stands in `stored`, so a later record of this batch updates the pending insert.
            current = stored[code] = inserts[code] = {
                "code": code, **dict.fromkeys(DOSSIER_FIELDS), "missing_documents": [], **record.values,
            }
            changed = True
        else:
            previous_status = current["status"]
            differs = {key: value for key, value in record.values.items() if current[key] != value}
            current.update(differs)
            if differs and code not in inserts:
                updates[code] = current
            changed = bool(differs)

        known = known_changes.setdefault(code, set())
        for entry in record.history:
            if (entry["status"], entry["at"]) not in known:
                known.add((entry["status"], entry["at"]))
                history_rows.append({"dossier_code": code, **entry})
                changed = True
        last_status = record.history[-1]["status"] if record.history else previous_status
        if last_status != status and (status, record.status_at) not in known:
            known.add((status, record.status_at))
            history_rows.append(
                {"dossier_code": code, "status": status, "at": record.status_at, "note": record.status_note}
            )
            counts["status_changes"] += 1
        if previous_status is None:
            counts["inserted"] += 1
        else:
            counts["updated" if changed else "unchanged"] += 1

    if inserts:
        session.execute(insert(m.DossierRow), list(inserts.values()))
    if updates:
        session.bulk_update_mappings(m.DossierRow, list(updates.values()))
    if history_rows:
        session.execute(insert(m.DossierStatusRow), history_rows)
    return DossierUpsertReport(**counts)


def _dossier(row: m.DossierRow) -> Dossier:
    return Dossier(
        code=row.code, procedure_id=row.procedure_id, status=row.status,
        applicant_phone_hash=row.applicant_phone_hash, phone_last4_hash=row.phone_last4_hash,
        received_at=row.received_at, due_at=row.due_at, updated_at=row.updated_at, agency=row.agency,
        missing_documents=tuple(row.missing_documents or ()), note=row.note,
    )


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
                        raise StoreNotReady(
                            "the knowledge store has no tables; run `python -m knowledge load`"
                        ) from error
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
        query = fold(text)
        if not query:
            return []
        query_words = set(query.split())
        content = self._content()
        # Every way of matching shares at least one word, so only those aliases are scored.
        candidates = sorted({i for word in query_words for i in content.aliases_by_word.get(word, ())})
        best: dict[str, ProcedureMatch] = {}
        for entry in (content.alias_index[i] for i in candidates):
            score = _alias_score(query, query_words, entry)
            if score > 0 and (entry.procedure_id not in best or score > best[entry.procedure_id].score):
                best[entry.procedure_id] = ProcedureMatch(entry.procedure_id, round(min(score, 1.0), 4), entry.alias)
        order = {pid: index for index, pid in enumerate(content.procedures)}
        ranked = sorted(best.values(), key=lambda match: (-match.score, order[match.procedure_id]))
        return ranked[:limit]

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
        return self._content().confidence_labels.get(confidence)

    # -- administrative units --

    def list_units(self) -> list[AdministrativeUnit]:
        return list(self._content().units.values())

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
            if not _contains_words(query, entry.folded):
                continue
            for unit_id, partial in entry.units:
                # Within a former district, the unit that kept the district's name comes first.
                keeps_name = _contains_words(entry.folded, content.unit_folded[unit_id])
                rank = (-entry.word_count, NAME_KIND_RANK[entry.name_kind], partial, not keeps_name)
                if unit_id not in best or rank < best[unit_id][0]:
                    best[unit_id] = (rank, entry)
        unit_order = {unit_id: index for index, unit_id in enumerate(content.units)}
        ranked = sorted(best.items(), key=lambda item: (item[1][0], unit_order[item[0]]))
        return [
            UnitMatch(unit=content.units[unit_id], matched_name=entry.name, former_name=entry.name_kind != "current")
            for unit_id, (_rank, entry) in ranked
        ]

    # -- dossiers (always read from the database) --

    def get_dossier(self, code: str) -> Optional[Dossier]:
        with self._sessions() as session:
            row = session.get(m.DossierRow, canonical_dossier_code(code))
            return _dossier(row) if row else None

    def dossier_history(self, code: str) -> list[StatusChange]:
        with self._sessions() as session:
            rows = session.scalars(
                select(m.DossierStatusRow)
                .where(m.DossierStatusRow.dossier_code == canonical_dossier_code(code))
                .order_by(m.DossierStatusRow.at, m.DossierStatusRow.id)
            )
            return [StatusChange(status=row.status, at=row.at, note=row.note) for row in rows]

    def upsert_dossiers(self, records: Iterable[Mapping]) -> DossierUpsertReport:
        """Inserts or updates dossiers in one transaction, recording each status change in the history.

        Each record has `code` and `status` and any of DOSSIER_FIELDS; phones arrive already hashed.
        An optional `history` list of {status, at, note} is added where not stored yet. The time of a
        status change is `status_at`, else `updated_at`, else `received_at`, else now; its note is
        `status_note`. A bad record (no code, unknown status) raises ValueError and nothing is written.
        The import (`python -m knowledge.dossiers import`) goes through here too.
        """
        prepared = [_prepare_dossier(record) for record in records]
        with self._sessions() as session, session.begin():
            return _upsert_dossiers(session, prepared)


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
