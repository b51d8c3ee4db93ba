"""channel: the channel a report was filed through, for the figures

Revision ID: 0009_channel
Revises: 0008_patterns
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_channel"
down_revision: str | None = "0008_patterns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("channel")
