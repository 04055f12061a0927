"""Dossier lookup attempts per client (a keyed hash of the browser's address), and by time for the
overall failure budget.

Revision ID: 0003_lookup_attempt_client
Revises: 0002_lookup_attempts
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_lookup_attempt_client"
down_revision = "0002_lookup_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_lookup_attempts") as batch:
        # sha256 of the client address as the web server saw it; NULL when the channel does not know it.
        batch.add_column(sa.Column("client", sa.String(64), nullable=True))
    op.create_index("ix_dossier_lookup_attempts_client", "dossier_lookup_attempts", ["client", "at"])
    op.create_index("ix_dossier_lookup_attempts_at", "dossier_lookup_attempts", ["at"])


def downgrade() -> None:
    op.drop_index("ix_dossier_lookup_attempts_at", "dossier_lookup_attempts")
    op.drop_index("ix_dossier_lookup_attempts_client", "dossier_lookup_attempts")
    with op.batch_alter_table("dossier_lookup_attempts") as batch:
        batch.drop_column("client")
