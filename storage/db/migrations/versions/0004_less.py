"""less to see: pending nudges leave the database (they wait in the service's memory)

A row holding a student's chat address (sealed with a server sub-key) next to the moment
an adviser answered linked a chat to a report for anyone with a disk copy and keys.dir.
Pending nudges at the moment of the upgrade are dropped with the table: those students
see the news at their next /status.

Revision ID: 0004_less
Revises: 0003_integrity
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004_less'
down_revision: str | None = '0003_integrity'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('student_nudges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_nudges_next_attempt_at'))
    op.drop_table('student_nudges')


def downgrade() -> None:
    # The table comes back empty: nudges that were pending in memory are not in it.
    op.create_table('student_nudges',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('target_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_nudges'))
    )
    with op.batch_alter_table('student_nudges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_nudges_next_attempt_at'), ['next_attempt_at'], unique=False)
