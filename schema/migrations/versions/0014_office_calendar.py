"""a project's sales office calendar: working through weekends and holidays, with declared days off

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 16:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "office_calendar",
        sa.Column("project_code", sa.String(length=64), nullable=False),
        sa.Column("days_off", sa.Text(), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=False),
        sa.Column("declared_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declared_by_id"], ["account.id"], name=op.f("fk_office_calendar_declared_by_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["project_code"], ["project.code"], name=op.f("fk_office_calendar_project_code_project")
        ),
        sa.PrimaryKeyConstraint("project_code", name=op.f("pk_office_calendar")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("office_calendar")
