"""watch jobs that carry their bytes, back off, are leased with a heartbeat and can be quarantined

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("watch_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("site", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("not_before", schema.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", schema.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("watch_job", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("not_before")
        batch_op.drop_column("site")
        batch_op.drop_column("content")
        batch_op.drop_column("failures")
