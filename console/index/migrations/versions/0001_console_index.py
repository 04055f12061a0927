"""The conversation index, review, handoff, account and audit tables.

Revision ID: 0001_console_index
"""

from alembic import op

from console.index.models import metadata

revision = "0001_console_index"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first revision creates the tables as declared; later revisions alter them explicitly.
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
