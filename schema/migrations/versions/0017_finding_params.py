"""findings keep their message parameters; one-sided reconciliation rows keep their cells

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:40:00.000000

A finding's words were stored in Chinese only; with its parameters stored beside them the portal
and the feedback render it in the reader's language from the one catalog (rows from before keep
their stored text). A reconciliation item for a row on one side only keeps that row's cells.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("version_finding") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
    with op.batch_alter_table("reconciliation_item") as batch:
        batch.add_column(sa.Column("cells", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("reconciliation_item") as batch:
        batch.drop_column("cells")
    with op.batch_alter_table("version_finding") as batch:
        batch.drop_column("params")
