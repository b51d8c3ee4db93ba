"""patterns: keyed hashes of consenting reports' companies, patterns and their members,
names shared with coordinators (sealed), and the one-row lock matching takes turns on

Revision ID: 0008_patterns
Revises: 0007_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_patterns"
down_revision: str | None = "0007_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pattern_tags",
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("tag", sa.LargeBinary(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name="fk_pattern_tags_report_id_reports",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "key_id", "kind", name="pk_pattern_tags"),
    )
    op.create_index("ix_pattern_tags_tag", "pattern_tags", ["tag"])
    op.create_table(
        "patterns",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patterns"),
    )
    op.create_table(
        "pattern_members",
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("pattern_id", sa.String(32), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("share_allowed", sa.String(16), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name="fk_pattern_members_report_id_reports",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pattern_id"],
            ["patterns.id"],
            name="fk_pattern_members_pattern_id_patterns",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name="pk_pattern_members"),
    )
    op.create_index("ix_pattern_members_pattern_id", "pattern_members", ["pattern_id"])
    op.create_table(
        "pattern_names",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pattern_id", sa.String(32), nullable=False),
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pattern_id"],
            ["patterns.id"],
            name="fk_pattern_names_pattern_id_patterns",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name="fk_pattern_names_report_id_reports",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pattern_names"),
        sa.UniqueConstraint(
            "pattern_id", "report_id", "recipient_id", name="uq_pattern_names_pattern_id"
        ),
    )
    op.create_table(
        "pattern_lock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("turns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pattern_lock"),
    )


def downgrade() -> None:
    op.drop_table("pattern_lock")
    op.drop_table("pattern_names")
    op.drop_index("ix_pattern_members_pattern_id", table_name="pattern_members")
    op.drop_table("pattern_members")
    op.drop_table("patterns")
    op.drop_index("ix_pattern_tags_tag", table_name="pattern_tags")
    op.drop_table("pattern_tags")
