"""account security: server-side session version, who set the password and when, must-change
flag, persisted sign-in failures and lock

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from schema.base import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("password_set_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("password_set_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("admin_password_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_account_password_set_by_id_account"), "account", ["password_set_by_id"], ["id"]
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_account_password_set_by_id_account"), type_="foreignkey")
        for column in (
            "locked_until",
            "failed_logins",
            "must_change_password",
            "admin_password_at",
            "password_set_by_id",
            "password_set_at",
            "session_version",
        ):
            batch_op.drop_column(column)
