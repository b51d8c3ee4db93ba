"""console: where a report was filed and who handed it over (hand back, stays visible)

`reports.filed_org_id` keeps the organization a report was filed with when a hand-over
moves `org_id`; `reports.handed_from_org_id` names the organization that moved it, so
the receiving one can hand it back. Existing rows are filled from the audit log's
hand-overs (content-free codes), or else from `org_id`.

Revision ID: 0007_console
Revises: 0006_feedback
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_console"
down_revision: str | None = "0006_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_HANDOVER = (
    "SELECT a.org_id FROM audit_log a WHERE a.report_id = reports.id "
    "AND a.action = 'handover_org' ORDER BY a.seq LIMIT 1"
)
LAST_HANDOVER = (
    "SELECT a.org_id FROM audit_log a WHERE a.report_id = reports.id "
    "AND a.action = 'handover_org' AND a.detail = reports.org_id ORDER BY a.seq DESC LIMIT 1"
)


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("filed_org_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("handed_from_org_id", sa.String(length=64), nullable=True))
    op.execute(f"UPDATE reports SET filed_org_id = COALESCE(({FIRST_HANDOVER}), org_id)")
    op.execute(f"UPDATE reports SET handed_from_org_id = ({LAST_HANDOVER})")


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("handed_from_org_id")
        batch.drop_column("filed_org_id")
