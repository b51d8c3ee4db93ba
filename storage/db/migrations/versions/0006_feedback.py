"""feedback: the internship's sector and the student's feedback after closing

Revision ID: 0006_feedback
Revises: 0005_drafts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_feedback"
down_revision: str | None = "0005_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("sector", sa.String(32), nullable=True))
        batch.add_column(sa.Column("feedback_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("report_id", sa.String(32), nullable=True),
        sa.Column("month", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quote", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name="fk_feedback_report_id_reports",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("report_id", name="uq_feedback_report_id"),
    )
    op.create_index("ix_feedback_month", "feedback", ["month"])
    op.create_table(
        "feedback_copies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("feedback_id", sa.String(32), nullable=False),
        sa.Column("recipient_kind", sa.String(16), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name="fk_feedback_copies_feedback_id_feedback",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_copies"),
        sa.UniqueConstraint(
            "feedback_id",
            "recipient_kind",
            "recipient_id",
            name="uq_feedback_copies_feedback_id",
        ),
    )
    op.create_index("ix_feedback_copies_feedback_id", "feedback_copies", ["feedback_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_copies_feedback_id", table_name="feedback_copies")
    op.drop_table("feedback_copies")
    op.drop_index("ix_feedback_month", table_name="feedback")
    op.drop_table("feedback")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("feedback_at")
        batch.drop_column("feedback_score")
        batch.drop_column("sector")
