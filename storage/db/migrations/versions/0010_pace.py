"""console sessions in the database (several replicas; the key sealed under the cookie)

Revision ID: 0010_pace
Revises: 0009_channel
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_pace"
down_revision: str | None = "0009_channel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("lookup", sa.LargeBinary(32), nullable=False),
        sa.Column("adviser_id", sa.String(64), nullable=False),
        sa.Column("key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lookup", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_adviser_id", "console_sessions", ["adviser_id"])
    op.create_index("ix_console_sessions_last_seen", "console_sessions", ["last_seen"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_last_seen", "console_sessions")
    op.drop_index("ix_console_sessions_adviser_id", "console_sessions")
    op.drop_table("console_sessions")
