"""integrity: MACs over the stored public keys (adviser_keys.key_mac, reports.key_mac)

Revision ID: 0003_integrity
Revises: 0002
Create Date: 2026-12-01 00:00:00

No backfill, on purpose. The MAC is keyed with a sub-key of the server key in keys.dir,
which migrations never read; computing it later "for rows that have none" would trust
whatever key the database holds at that moment (trust on first use), which is exactly
what a database-only attacker would exploit. Rows without a MAC are therefore never
sealed to: an adviser enrolled before this revision is refused as a recipient (filing
logs it; re-enrol them), and a report filed before it takes no new student messages.
No deployment predates this revision (docs/security.md, "Write access to the database").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_integrity'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('adviser_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_mac', sa.LargeBinary(length=32), nullable=True))

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_mac', sa.LargeBinary(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('key_mac')

    with op.batch_alter_table('adviser_keys', schema=None) as batch_op:
        batch_op.drop_column('key_mac')
