"""proofs that the service wrote a thread entry, file, consent or evaluation (sub-key MACs)

Rows written before get no MAC here (the migration has no keys.dir): the first start
with keys.dir computes theirs once (`storage.repositories.proofs.backfill`).

Revision ID: 0013_proofs
Revises: 0012_enrolment_mac
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_proofs"
down_revision: str | None = "0012_enrolment_mac"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("messages", "mac"),
    ("attachments", "mac"),
    ("reports", "consent_mac"),
    ("pattern_members", "share_mac"),
    ("evaluation_copies", "mac"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.LargeBinary(32), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
