"""SQLAlchemy models of the knowledge store (declarative, written to run on SQLAlchemy 1.4 and 2.0).

Bilingual texts are JSON `{"vi": ..., "en": ...}`; everything that is listed, counted or searched
(aliases, life events, links, documents, fee items, questions, steps, units and their old names)
is a real table. Every fact carries its provenance: source, reviewed date, confidence.

The schema itself is created by the Alembic migrations in `knowledge/migrations/`; a test checks that
the migrations and these models agree.
"""

from __future__ import annotations

from datetime import timezone

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import declarative_base

from knowledge.types import CONFIDENCE_LEVELS, DOSSIER_STATUSES

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

ID_LENGTH = 64


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


CONFIDENCE_CHECK = _one_of("confidence", CONFIDENCE_LEVELS)
STATUS_CHECK = _one_of("status", DOSSIER_STATUSES)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class ProvenanceMixin:
    source = Column(Text, nullable=False)
    reviewed = Column(Date, nullable=False)
    confidence = Column(String(16), nullable=False)


# --- procedures -------------------------------------------------------------------------------


class ProcedureRow(Base):
    __tablename__ = "procedures"

    id = Column(String(ID_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False)
    national_code = Column(String(32))
    category = Column(String(32), nullable=False)
    essential = Column(Boolean, nullable=False)
    names = Column(JSON, nullable=False)
    summary = Column(JSON, nullable=False)
    url = Column(Text)


class ProcedureFactRow(ProvenanceMixin, Base):
    """One fact block of a procedure (agency, fee, processing_time, online, legal_basis, deadline).

    `data` holds the block without its provenance and, for the fee, without its items (see fee_items).
    """

    __tablename__ = "procedure_facts"
    __table_args__ = (CheckConstraint(CONFIDENCE_CHECK, name="confidence"),)

    procedure_id = Column(String(ID_LENGTH), ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True)
    kind = Column(String(32), primary_key=True)
    data = Column(JSON, nullable=False)


class ProcedureAliasRow(Base):
    """Names and aliases as written (accented) plus their fold()-ed form for matching."""

    __tablename__ = "procedure_aliases"
    __table_args__ = (Index("ix_procedure_aliases_folded", "folded"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    procedure_id = Column(String(ID_LENGTH), ForeignKey("procedures.id", ondelete="CASCADE"), nullable=False)
    lang = Column(String(2), nullable=False)
    alias = Column(Text, nullable=False)
    folded = Column(Text, nullable=False)
    is_name = Column(Boolean, nullable=False)


class ProcedureLifeEventRow(Base):
    __tablename__ = "procedure_life_events"
    __table_args__ = (Index("ix_procedure_life_events_life_event", "life_event"),)

    procedure_id = Column(String(ID_LENGTH), ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True)
    life_event = Column(String(32), primary_key=True)
    position = Column(Integer, nullable=False)


class ProcedureLinkRow(Base):
    """`related` and `bundle_of` links between procedures, in file order."""

    __tablename__ = "procedure_links"

    procedure_id = Column(String(ID_LENGTH), ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True)
    kind = Column(String(16), primary_key=True)  # related | bundle
    position = Column(Integer, primary_key=True)
    target_id = Column(String(ID_LENGTH), ForeignKey("procedures.id"), nullable=False)


class DocumentRow(ProvenanceMixin, Base):
    __tablename__ = "documents"
    __table_args__ = (CheckConstraint(CONFIDENCE_CHECK, name="confidence"),)

    procedure_id = Column(String(ID_LENGTH), ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True)
    id = Column(String(ID_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False)
    name = Column(JSON, nullable=False)
    note = Column(JSON)
    required = Column(Boolean, nullable=False)
    when = Column(JSON, nullable=False)  # {question_id: [allowed values]}


class DocumentAliasRow(Base):
    __tablename__ = "document_aliases"
    __table_args__ = (
        ForeignKeyConstraint(
            ["procedure_id", "document_id"],
            ["documents.procedure_id", "documents.id"],
            ondelete="CASCADE",
            name="fk_document_aliases_document",
        ),
        Index("ix_document_aliases_folded", "folded"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    procedure_id = Column(String(ID_LENGTH), nullable=False)
    document_id = Column(String(ID_LENGTH), nullable=False)
    lang = Column(String(2), nullable=False)
    alias = Column(Text, nullable=False)
    folded = Column(Text, nullable=False)


class FeeItemRow(Base):
    """Fee lines; the provenance is the fee fact's (procedure_facts kind 'fee')."""

    __tablename__ = "fee_items"

    procedure_id = Column(String(ID_LENGTH), ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True)
    position = Column(Integer, primary_key=True)
    label = Column(JSON, nullable=False)
    amount_vnd = Column(Integer, nullable=False)
    online_amount_vnd = Column(Integer)
    online_valid_from = Column(Date)
    online_valid_until = Column(Date)


class ChecklistQuestionRow(Base):
    __tablename__ = "checklist_questions"

    procedure_id = Column(String(ID_LENGTH), ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True)
    id = Column(String(ID_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False)
    question = Column(JSON, nullable=False)
    answers = Column(JSON, nullable=False)  # [{value, label: {vi, en}}]
    ask_when = Column(JSON, nullable=False)


class StepRow(Base):
    __tablename__ = "steps"

    procedure_id = Column(String(ID_LENGTH), ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True)
    id = Column(String(ID_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False)
    title = Column(JSON, nullable=False)
    detail = Column(JSON, nullable=False)
    help = Column(JSON)


# --- shared content (common.yml) ---------------------------------------------------------------


class GenericStepRow(ProvenanceMixin, Base):
    """The generic online-submission walkthrough used when a procedure has no steps of its own."""

    __tablename__ = "generic_steps"
    __table_args__ = (CheckConstraint(CONFIDENCE_CHECK, name="confidence"),)

    id = Column(String(ID_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False)
    title = Column(JSON, nullable=False)
    detail = Column(JSON, nullable=False)
    help = Column(JSON)


class ChannelRow(ProvenanceMixin, Base):
    __tablename__ = "channels"
    __table_args__ = (CheckConstraint(CONFIDENCE_CHECK, name="confidence"),)

    id = Column(String(ID_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False)
    name = Column(JSON, nullable=False)
    url = Column(Text)
    note = Column(JSON)


class CommonFactRow(Base):
    """Small shared facts: support line, confidence labels, province facts."""

    __tablename__ = "common_facts"

    key = Column(String(ID_LENGTH), primary_key=True)
    value = Column(JSON, nullable=False)


# --- administrative units (units.yml) ---------------------------------------------------------


class FormerDistrictRow(ProvenanceMixin, Base):
    """District-level units abolished on 01/07/2025; provenance = how sure the attribution is."""

    __tablename__ = "former_districts"
    __table_args__ = (CheckConstraint(CONFIDENCE_CHECK, name="confidence"),)

    id = Column(String(ID_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False)
    name = Column(Text, nullable=False)
    kind = Column(String(16), nullable=False)


class AdministrativeUnitRow(ProvenanceMixin, Base):
    __tablename__ = "administrative_units"
    __table_args__ = (CheckConstraint(CONFIDENCE_CHECK, name="confidence"),)

    id = Column(String(ID_LENGTH), primary_key=True)
    position = Column(Integer, nullable=False)
    name = Column(Text, nullable=False)
    folded = Column(Text, nullable=False)
    kind = Column(String(16), nullable=False)
    province = Column(Text, nullable=False)
    full_name = Column(JSON, nullable=False)
    note = Column(JSON)


class FormerUnitRow(Base):
    """A pre-2025 commune/ward/town merged (wholly or partly) into a current unit."""

    __tablename__ = "unit_former_units"
    __table_args__ = (Index("ix_unit_former_units_folded", "folded"),)

    unit_id = Column(String(ID_LENGTH), ForeignKey("administrative_units.id", ondelete="CASCADE"), primary_key=True)
    position = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    folded = Column(Text, nullable=False)
    kind = Column(String(16), nullable=False)
    district_id = Column(String(ID_LENGTH), ForeignKey("former_districts.id"))
    partial = Column(Boolean, nullable=False)


class UnitCommonNameRow(Base):
    """Everyday names people still use for a place (e.g. "Tháp Chàm")."""

    __tablename__ = "unit_common_names"
    __table_args__ = (Index("ix_unit_common_names_folded", "folded"),)

    unit_id = Column(String(ID_LENGTH), ForeignKey("administrative_units.id", ondelete="CASCADE"), primary_key=True)
    position = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    folded = Column(Text, nullable=False)


class ContentVersionRow(Base):
    """Hash of each loaded content part, so a re-load can tell unchanged from updated."""

    __tablename__ = "content_versions"

    key = Column(String(2 * ID_LENGTH), primary_key=True)  # "procedure:<id>", "units", "common"
    sha256 = Column(String(64), nullable=False)


# --- dossiers ---------------------------------------------------------------------------------


class DossierRow(Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="status"),
        Index("ix_dossiers_procedure_id", "procedure_id"),
        Index("ix_dossiers_applicant_phone_hash", "applicant_phone_hash"),
    )

    code = Column(String(64), primary_key=True)  # canonical upper-case form
    procedure_id = Column(String(ID_LENGTH))  # catalogue id when known; imports may hold others
    status = Column(String(40), nullable=False)
    applicant_phone_hash = Column(String(128))  # keyed HMAC of the number, never the number
    phone_last4_hash = Column(String(128))
    received_at = Column(UTCDateTime)
    due_at = Column(UTCDateTime)
    updated_at = Column(UTCDateTime)
    agency = Column(Text)
    missing_documents = Column(JSON, nullable=False, default=list)
    note = Column(Text)


class DossierStatusRow(Base):
    __tablename__ = "dossier_status_history"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="status"),
        Index("ix_dossier_status_history_dossier_code", "dossier_code", "at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    dossier_code = Column(String(64), ForeignKey("dossiers.code", ondelete="CASCADE"), nullable=False)
    status = Column(String(40), nullable=False)
    at = Column(UTCDateTime, nullable=False)
    note = Column(Text)


class LookupAttemptRow(Base):
    """One ownership check of a dossier; failures drive the lockout (knowledge.dossier_lookup.LookupAttempts)."""

    __tablename__ = "dossier_lookup_attempts"
    __table_args__ = (
        Index("ix_dossier_lookup_attempts_code", "code", "at"),
        Index("ix_dossier_lookup_attempts_conversation", "conversation", "at"),
        Index("ix_dossier_lookup_attempts_client", "client", "at"),
        Index("ix_dossier_lookup_attempts_at", "at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    code = Column(String(64), nullable=False)  # canonical code as typed; need not exist, so no foreign key
    conversation = Column(String(64), nullable=False)  # sha256 of the conversation id, never the id
    client = Column(String(64))  # sha256 of the client address from the web server; NULL when unknown
    at = Column(UTCDateTime, nullable=False)
    succeeded = Column(Boolean, nullable=False)
