"""evaluation: the student's rating of the follow-up is no longer called feedback

"Feedback" stays the directive's word for the adviser's first response (the deadline
`reports.first_feedback_at`); the student's score and text after closing become the
evaluation: `reports.feedback_score`/`feedback_at` → `evaluation_score`/`evaluation_at`,
tables `feedback`/`feedback_copies` → `evaluations`/`evaluation_copies`.

The report columns are renamed in place (`ALTER TABLE ... RENAME`, which SQLite has had
since 3.25): a batch that copied `reports` would, with SQLite's foreign keys on, drop
the old table and so cascade-delete every row that refers to it. The two evaluation
tables are small and referred to by nothing else, so they are copied into new ones
built with their own constraint names (a renamed table keeps its old ones) and the old
ones dropped. The rows keep their ids, which every sealed copy's HPKE info binds.

Revision ID: 0011_evaluation
Revises: 0010_pace
"""

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0011_evaluation"
down_revision: str | None = "0010_pace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("feedback_score", "evaluation_score"), ("feedback_at", "evaluation_at"))


class Tables(NamedTuple):
    """The texts' table, their sealed copies' table and the copies' link to a text."""

    texts: str
    copies: str
    text_id: str


OLD = Tables("feedback", "feedback_copies", "feedback_id")
NEW = Tables("evaluations", "evaluation_copies", "evaluation_id")


def upgrade() -> None:
    _rename_report_columns(COLUMNS)
    _move(OLD, NEW)


def downgrade() -> None:
    _move(NEW, OLD)
    _rename_report_columns(tuple((new, old) for old, new in COLUMNS))


def _rename_report_columns(pairs: Sequence[tuple[str, str]]) -> None:
    # recreate="never": plain renames on SQLite as well, never a copy of `reports`.
    with op.batch_alter_table("reports", recreate="never") as batch:
        for old, new in pairs:
            batch.alter_column(old, new_column_name=new)


def _move(source: Tables, target: Tables) -> None:
    _create(target)
    op.execute(
        f"INSERT INTO {target.texts} (id, report_id, month, quote)"
        f" SELECT id, report_id, month, quote FROM {source.texts}"
    )
    op.execute(
        f"INSERT INTO {target.copies} (id, {target.text_id}, recipient_kind, recipient_id,"
        f" sealed) SELECT id, {source.text_id}, recipient_kind, recipient_id, sealed"
        f" FROM {source.copies}"
    )
    if op.get_bind().dialect.name == "postgresql":
        # The copied ids were given explicitly: the new serial continues after them.
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{target.copies}', 'id'),"
            f" COALESCE((SELECT MAX(id) FROM {target.copies}), 0) + 1, false)"
        )
    op.drop_index(f"ix_{source.copies}_{source.text_id}", table_name=source.copies)
    op.drop_table(source.copies)
    op.drop_index(f"ix_{source.texts}_month", table_name=source.texts)
    op.drop_table(source.texts)


def _create(names: Tables) -> None:
    """Both tables as 0006 built them, under `names`."""
    texts, copies, text_id = names
    op.create_table(
        texts,
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("report_id", sa.String(32), nullable=True),
        sa.Column("month", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quote", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=f"fk_{texts}_report_id_reports",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{texts}"),
        sa.UniqueConstraint("report_id", name=f"uq_{texts}_report_id"),
    )
    op.create_index(f"ix_{texts}_month", texts, ["month"])
    op.create_table(
        copies,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(text_id, sa.String(32), nullable=False),
        sa.Column("recipient_kind", sa.String(16), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            [text_id],
            [f"{texts}.id"],
            name=f"fk_{copies}_{text_id}_{texts}",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{copies}"),
        sa.UniqueConstraint(
            text_id, "recipient_kind", "recipient_id", name=f"uq_{copies}_{text_id}"
        ),
    )
    op.create_index(f"ix_{copies}_{text_id}", copies, [text_id])
