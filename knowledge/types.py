"""Domain objects handed to actions: frozen, plain, no database session attached.

They mirror `knowledge/content/FORMAT.md`. Actions format them per language; nothing here knows Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping, Optional

CONFIDENCE_LEVELS = ("confirmed", "secondary", "unverified", "unknown")
DOSSIER_STATUSES = (
    "received",
    "processing",
    "additional_documents_required",
    "result_ready",
    "completed",
    "refused",
    "withdrawn",
)


@dataclass(frozen=True)
class Text:
    vi: str
    en: str

    def in_(self, lang: Optional[str]) -> str:
        """The text in `lang`; Vietnamese is the default, as in the domain responses."""
        return self.en if lang == "en" else self.vi


@dataclass(frozen=True)
class Provenance:
    source: str
    reviewed: date
    confidence: str  # one of CONFIDENCE_LEVELS

    @property
    def needs_checking(self) -> bool:
        """Unverified and unknown facts are never presented as certain."""
        return self.confidence in ("unverified", "unknown")


def _matches(conditions: Mapping[str, tuple[str, ...]], answers: Mapping[str, str]) -> bool:
    """All keys must match the citizen's answers; a tuple of values means any of them."""
    return all(answers.get(key) in allowed for key, allowed in conditions.items())


@dataclass(frozen=True)
class Document:
    id: str
    name: Text
    required: bool
    provenance: Provenance
    note: Optional[Text] = None
    aliases_vi: tuple[str, ...] = ()
    aliases_en: tuple[str, ...] = ()
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def applies_to(self, answers: Mapping[str, str]) -> bool:
        """True when the document is needed for these checklist answers (no condition = always)."""
        return _matches(self.when, answers)


@dataclass(frozen=True)
class Answer:
    value: str
    label: Text


@dataclass(frozen=True)
class Question:
    id: str
    question: Text
    answers: tuple[Answer, ...]
    ask_when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def should_ask(self, answers: Mapping[str, str]) -> bool:
        return _matches(self.ask_when, answers)


@dataclass(frozen=True)
class OnlineDiscount:
    amount_vnd: int
    valid_from: Optional[date] = None
    valid_until: Optional[date] = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class FeeItem:
    label: Text
    amount_vnd: int
    online: Optional[OnlineDiscount] = None

    def amount_on(self, day: date, online: bool = False) -> int:
        """The fee payable on `day`; the online discount only counts inside its validity dates."""
        if online and self.online is not None and self.online.valid_on(day):
            return self.online.amount_vnd
        return self.amount_vnd


@dataclass(frozen=True)
class Fee:
    free: bool
    items: tuple[FeeItem, ...]
    provenance: Provenance
    exemptions: tuple[Text, ...] = ()
    note: Optional[Text] = None


@dataclass(frozen=True)
class Agency:
    level: str
    name: Text
    where_to_submit: Text
    provenance: Provenance


@dataclass(frozen=True)
class ProcessingTime:
    text: Text
    working_days: Optional[int]
    provenance: Provenance


@dataclass(frozen=True)
class OnlineAvailability:
    availability: str  # full | partial | none
    channels: tuple[str, ...]
    provenance: Provenance
    note: Optional[Text] = None


@dataclass(frozen=True)
class LegalBasis:
    items: tuple[Text, ...]
    provenance: Provenance


@dataclass(frozen=True)
class Deadline:
    text: Text
    provenance: Provenance


@dataclass(frozen=True)
class Step:
    id: str
    title: Text
    detail: Text
    help: Optional[Text] = None
    provenance: Optional[Provenance] = None


@dataclass(frozen=True)
class Procedure:
    id: str
    national_code: Optional[str]
    category: str
    essential: bool
    names: Text
    summary: Text
    agency: Agency
    processing_time: ProcessingTime
    fee: Fee
    online: OnlineAvailability
    legal_basis: LegalBasis
    aliases_vi: tuple[str, ...] = ()
    aliases_en: tuple[str, ...] = ()
    life_events: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    bundle_of: tuple[str, ...] = ()
    url: Optional[str] = None
    deadline: Optional[Deadline] = None
    documents: tuple[Document, ...] = ()
    checklist: tuple[Question, ...] = ()
    # The procedure's own walkthrough, or the generic one from common.yml for online-capable
    # procedures without their own (see `steps_are_generic`); empty when it cannot be done online.
    steps: tuple[Step, ...] = ()
    steps_are_generic: bool = False

    @property
    def is_bundle(self) -> bool:
        return bool(self.bundle_of)

    def documents_for(self, answers: Mapping[str, str]) -> tuple[Document, ...]:
        return tuple(doc for doc in self.documents if doc.applies_to(answers))


@dataclass(frozen=True)
class Channel:
    id: str
    name: Text
    url: Optional[str]
    provenance: Provenance
    note: Optional[Text] = None


@dataclass(frozen=True)
class FormerUnit:
    """A commune, ward or town that existed until 30/06/2025 and now belongs to a new unit."""

    name: str
    kind: str  # phuong | xa | thi-tran
    district: Optional[str]  # id of the former district (attribution confidence: see the district)
    partial: bool = False  # only part of it went to this unit


@dataclass(frozen=True)
class FormerDistrict:
    id: str
    name: str
    kind: str  # thanh-pho | thi-xa | huyen
    provenance: Provenance


@dataclass(frozen=True)
class AdministrativeUnit:
    id: str
    name: str  # Vietnamese proper name, e.g. "Đô Vinh"
    kind: str  # phuong | xa | dac-khu
    full_name: Text  # "phường Đô Vinh" / "Do Vinh Ward"
    province: str
    provenance: Provenance
    former_units: tuple[FormerUnit, ...] = ()
    former_districts: tuple[FormerDistrict, ...] = ()
    common_names: tuple[str, ...] = ()
    note: Optional[Text] = None


@dataclass(frozen=True)
class ProcedureMatch:
    procedure_id: str
    score: float  # 0..1, higher = longer / more specific match
    matched_alias: str


@dataclass(frozen=True)
class UnitMatch:
    unit: AdministrativeUnit
    matched_name: str
    former_name: bool  # matched through a pre-2025 or everyday name rather than the current one


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: datetime
    note: Optional[str] = None


@dataclass(frozen=True)
class Dossier:
    code: str
    procedure_id: Optional[str]
    status: str
    applicant_phone_hash: Optional[str]
    phone_last4_hash: Optional[str]
    received_at: Optional[datetime]
    due_at: Optional[datetime]
    updated_at: Optional[datetime]
    agency: Optional[str]
    missing_documents: tuple[str, ...] = ()
    note: Optional[str] = None


@dataclass(frozen=True)
class SupportLine:
    phone: str
    name: Text
    provenance: Provenance
    note: Optional[Text] = None


@dataclass(frozen=True)
class OfficeHours:
    """When support staff answer a citizen who asked for a person (the console's default schedule)."""

    timezone_offset_hours: int
    days: tuple[int, ...]  # 0 = Monday
    periods: tuple[tuple[str, str], ...]  # ("07:30", "11:30"), local time
    text: Text  # how citizens and staff read the schedule
    provenance: Provenance


@dataclass(frozen=True)
class Province:
    name: Text
    seat: Text
    effective_from: date
    unit_counts: Mapping[str, int]
    provenance: Provenance
    former_provinces: tuple[str, ...] = ()
    note: Optional[Text] = None


@dataclass(frozen=True)
class DossierUpsertReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
