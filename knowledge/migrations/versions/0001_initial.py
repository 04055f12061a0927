"""Initial knowledge-store schema: procedures and their facts, shared content, units, dossiers.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the value lists at the time of this revision (models may grow later).
CONFIDENCE_CHECK = "confidence IN ('confirmed', 'secondary', 'unverified', 'unknown')"
STATUS_CHECK = "status IN ('received', 'processing', 'additional_documents_required', 'result_ready', 'completed', 'refused', 'withdrawn')"
ID = 64


def _id(name, **kwargs):
    return sa.Column(name, sa.String(ID), **kwargs)


def _procedure_fk(**kwargs):
    return sa.Column("procedure_id", sa.String(ID), sa.ForeignKey("procedures.id", ondelete="CASCADE"), **kwargs)


def _provenance():
    return [
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("reviewed", sa.Date(), nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.CheckConstraint(CONFIDENCE_CHECK, name="confidence"),
    ]


def upgrade() -> None:
    op.create_table(
        "procedures",
        _id("id", primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("national_code", sa.String(32)),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("essential", sa.Boolean(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("url", sa.Text()),
    )
    op.create_table(
        "procedure_facts",
        _procedure_fk(primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
        *_provenance(),
    )
    op.create_table(
        "procedure_aliases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _procedure_fk(nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("is_name", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_procedure_aliases_folded", "procedure_aliases", ["folded"])
    op.create_table(
        "procedure_life_events",
        _procedure_fk(primary_key=True),
        sa.Column("life_event", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_procedure_life_events_life_event", "procedure_life_events", ["life_event"])
    op.create_table(
        "procedure_links",
        _procedure_fk(primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("target_id", sa.String(ID), sa.ForeignKey("procedures.id"), nullable=False),
    )
    op.create_table(
        "documents",
        _procedure_fk(primary_key=True),
        _id("id", primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("note", sa.JSON()),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("when", sa.JSON(), nullable=False),
        *_provenance(),
    )
    op.create_table(
        "document_aliases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("procedure_id", sa.String(ID), nullable=False),
        sa.Column("document_id", sa.String(ID), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id", "document_id"],
            ["documents.procedure_id", "documents.id"],
            ondelete="CASCADE",
            name="fk_document_aliases_document",
        ),
    )
    op.create_index("ix_document_aliases_folded", "document_aliases", ["folded"])
    op.create_table(
        "fee_items",
        _procedure_fk(primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("amount_vnd", sa.Integer(), nullable=False),
        sa.Column("online_amount_vnd", sa.Integer()),
        sa.Column("online_valid_from", sa.Date()),
        sa.Column("online_valid_until", sa.Date()),
    )
    op.create_table(
        "checklist_questions",
        _procedure_fk(primary_key=True),
        _id("id", primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("ask_when", sa.JSON(), nullable=False),
    )
    op.create_table(
        "steps",
        _procedure_fk(primary_key=True),
        _id("id", primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("help", sa.JSON()),
    )
    op.create_table(
        "generic_steps",
        _id("id", primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("help", sa.JSON()),
        *_provenance(),
    )
    op.create_table(
        "channels",
        _id("id", primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("note", sa.JSON()),
        *_provenance(),
    )
    op.create_table(
        "common_facts",
        _id("key", primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
    )
    op.create_table(
        "former_districts",
        _id("id", primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        *_provenance(),
    )
    op.create_table(
        "administrative_units",
        _id("id", primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("province", sa.Text(), nullable=False),
        sa.Column("full_name", sa.JSON(), nullable=False),
        sa.Column("note", sa.JSON()),
        *_provenance(),
    )
    op.create_table(
        "unit_former_units",
        sa.Column("unit_id", sa.String(ID), sa.ForeignKey("administrative_units.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("district_id", sa.String(ID), sa.ForeignKey("former_districts.id")),
        sa.Column("partial", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_unit_former_units_folded", "unit_former_units", ["folded"])
    op.create_table(
        "unit_common_names",
        sa.Column("unit_id", sa.String(ID), sa.ForeignKey("administrative_units.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
    )
    op.create_index("ix_unit_common_names_folded", "unit_common_names", ["folded"])
    op.create_table(
        "content_versions",
        sa.Column("key", sa.String(2 * ID), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    op.create_table(
        "dossiers",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("procedure_id", sa.String(ID)),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("applicant_phone_hash", sa.String(128)),
        sa.Column("phone_last4_hash", sa.String(128)),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("agency", sa.Text()),
        sa.Column("missing_documents", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint(STATUS_CHECK, name="status"),
    )
    op.create_index("ix_dossiers_procedure_id", "dossiers", ["procedure_id"])
    op.create_index("ix_dossiers_applicant_phone_hash", "dossiers", ["applicant_phone_hash"])
    op.create_table(
        "dossier_status_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dossier_code", sa.String(64), sa.ForeignKey("dossiers.code", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint(STATUS_CHECK, name="status"),
    )
    op.create_index("ix_dossier_status_history_dossier_code", "dossier_status_history", ["dossier_code", "at"])


def downgrade() -> None:
    for table in (
        "dossier_status_history",
        "dossiers",
        "content_versions",
        "unit_common_names",
        "unit_former_units",
        "administrative_units",
        "former_districts",
        "common_facts",
        "channels",
        "generic_steps",
        "steps",
        "checklist_questions",
        "fee_items",
        "document_aliases",
        "documents",
        "procedure_links",
        "procedure_life_events",
        "procedure_aliases",
        "procedure_facts",
        "procedures",
    ):
        op.drop_table(table)
