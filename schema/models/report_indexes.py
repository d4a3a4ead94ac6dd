"""The composite indexes the reports and the 楼盘表 read by (migration 0019).

Each report is a few set-based queries over a project's period or its history as of a day: receipts
by project and 交款时间, deals by project and 认购日期, the first special transaction after a day per
deal, a room's last status change on or before a day, a loan's last status by a time, a period's
customer events. Declared here, beside the models they index, so the models' modules stay as they are.
"""

from __future__ import annotations

from sqlalchemy import Index

from schema.models.customers import CustomerEvent
from schema.models.deals import RoomStatusChange, SpecialTransaction, Subscription
from schema.models.money import MortgageStatusChange, Receipt

REPORT_INDEXES = (
    Index("ix_receipt_project_paid_at", Receipt.project_code, Receipt.paid_at),
    Index("ix_subscription_project_date", Subscription.project_code, Subscription.date),
    Index("ix_special_transaction_deal_date", SpecialTransaction.subscription_id, SpecialTransaction.date),
    Index("ix_special_transaction_kind_date", SpecialTransaction.kind, SpecialTransaction.date),
    Index("ix_room_status_change_room_date", RoomStatusChange.room_code, RoomStatusChange.business_date),
    Index("ix_mortgage_status_change_mortgage_at", MortgageStatusChange.mortgage_id, MortgageStatusChange.at),
    Index("ix_customer_event_at", CustomerEvent.at),
)
