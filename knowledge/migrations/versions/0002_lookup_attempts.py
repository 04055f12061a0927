"""Dossier lookup attempts, for the lockout after repeated failed ownership checks.

Revision ID: 0002_lookup_attempts
Revises: 0001_initial
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_lookup_attempts"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossier_lookup_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        # No foreign key: failed checks on codes that do not exist must be counted too.
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_dossier_lookup_attempts_code", "dossier_lookup_attempts", ["code", "at"])
    op.create_index("ix_dossier_lookup_attempts_conversation", "dossier_lookup_attempts", ["conversation", "at"])


def downgrade() -> None:
    op.drop_table("dossier_lookup_attempts")
