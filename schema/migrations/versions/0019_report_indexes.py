"""the indexes the reports and the 楼盘表 read by

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 19:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_receipt_project_paid_at", "receipt", ["project_code", "paid_at"]),
    ("ix_subscription_project_date", "subscription", ["project_code", "date"]),
    ("ix_special_transaction_deal_date", "special_transaction", ["subscription_id", "date"]),
    ("ix_special_transaction_kind_date", "special_transaction", ["kind", "date"]),
    ("ix_room_status_change_room_date", "room_status_change", ["room_code", "business_date"]),
    ("ix_mortgage_status_change_mortgage_at", "mortgage_status_change", ["mortgage_id", "at"]),
    ("ix_customer_event_at", "customer_event", ["at"]),
]


def upgrade() -> None:
    """Upgrade schema."""
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
