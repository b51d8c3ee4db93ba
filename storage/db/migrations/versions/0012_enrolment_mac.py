"""enrolment links bound by a server MAC (enrolments.mac, enrolments.reenrol)

Revision ID: 0012_enrolment_mac
Revises: 0011_evaluation

No backfill, on purpose, as in 0003_integrity: the MAC is keyed with a sub-key of the
server key in keys.dir, which migrations never read, and computing it later "for rows
that have none" would bless whatever row a database writer had planted. Links issued
before this revision (their rows have no MAC) therefore enrol nobody: the operator
issues a new one with `stagemeld adviser add` (docs/security.md, "Write access to the
database").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_enrolment_mac"
down_revision: str | None = "0011_evaluation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reenrol", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("mac", sa.LargeBinary(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("mac")
        batch_op.drop_column("reenrol")
