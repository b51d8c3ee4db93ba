"""drafts: conversations lose updated_at (drafts are sealed with shreddable key files)

Revision ID: 0005_drafts
Revises: 0004_less
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_drafts"
down_revision: str | None = "0004_less"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Drafts sealed with the server key alone would stay readable from old row versions:
    # they are dropped, and students start again (an unfinished draft, never a report).
    op.execute("DELETE FROM conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("updated_at")


def downgrade() -> None:
    op.execute("DELETE FROM conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))
