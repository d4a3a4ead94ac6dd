"""the manual workbook a reconciliation run compared: its kept bytes and its file name

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("reconciliation_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("source_name", sa.String(length=255), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reconciliation_run_source_sha256_stored_file"),
            "stored_file",
            ["source_sha256"],
            ["sha256"],
        )
    # runs of a manual-report template know their bytes through their workbook version
    op.execute(
        "UPDATE reconciliation_run SET source_sha256 = "
        "(SELECT sha256 FROM workbook_version WHERE workbook_version.id = reconciliation_run.version_id) "
        "WHERE version_id IS NOT NULL"
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("reconciliation_run", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reconciliation_run_source_sha256_stored_file"), type_="foreignkey"
        )
        batch_op.drop_column("source_name")
        batch_op.drop_column("source_sha256")
