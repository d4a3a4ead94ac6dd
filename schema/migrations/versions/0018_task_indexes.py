"""indexes 我的任务's queries need: a rep's deals, a customer's deals and reassignments

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 18:40:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_subscription_rep_account_id", "subscription", ["rep_account_id"])
    op.create_index("ix_subscription_customer_id", "subscription", ["customer_id"])
    op.create_index("ix_reassignment_customer_id", "reassignment", ["customer_id"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_reassignment_customer_id", table_name="reassignment")
    op.drop_index("ix_subscription_customer_id", table_name="subscription")
    op.drop_index("ix_subscription_rep_account_id", table_name="subscription")
