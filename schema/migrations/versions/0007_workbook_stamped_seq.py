"""the accepted version whose stamp reached the workbook's file

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 05:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("workbook", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stamped_seq", sa.Integer(), server_default="0", nullable=False))
    # Before this revision nothing recorded it: take every workbook as stamped, as salesync took them
    # (an unstamped file at a workbook's place starts a new workbook).
    op.execute("UPDATE workbook SET stamped_seq = accepted_seq")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("workbook", schema=None) as batch_op:
        batch_op.drop_column("stamped_seq")
