"""online spreadsheets registered as workbooks of an account

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "online_sheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("sheet_key", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("workbook_uid", sa.String(length=36), nullable=True),
        sa.Column("values_digest", sa.String(length=64), nullable=True),
        sa.Column("last_version_id", sa.Integer(), nullable=True),
        sa.Column("last_checked_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error_code", sa.String(length=48), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("error_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", schema.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_online_sheet_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["last_version_id"],
            ["workbook_version.id"],
            name=op.f("fk_online_sheet_last_version_id_workbook_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_online_sheet")),
        sa.UniqueConstraint("provider", "sheet_key", name=op.f("uq_online_sheet_provider_sheet_key")),
    )
    with op.batch_alter_table("online_sheet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_online_sheet_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("online_sheet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_online_sheet_account_id"))
    op.drop_table("online_sheet")
