"""a deal's own terms, stored report runs, the area a re-pricing replaced

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:18:38

Each deal gets a copy of its payment plan's lines (the 定金 line at the deal's own 定金) and of its
discounts, taken from the plan and discounts it names today: from now on its schedule is computed
from that copy, never from master data. Report runs keep a digest per row key so that a re-run of a
past period can mark what changed. Special transactions keep the area and phone they replaced, and
status changes master data made get their day as business date (reports read history as of a day);
销控's confirmation that a special transaction is complete is recorded on it.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import schema.base

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "report_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=32), nullable=False),
        sa.Column("project_code", sa.String(length=64), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("run_at", schema.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_report_run_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_run")),
    )
    with op.batch_alter_table("report_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_run_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_run_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["report_run.id"], name=op.f("fk_report_run_row_run_id_report_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_run_row")),
    )
    with op.batch_alter_table("report_run_row", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_run_row_run_id"), ["run_id"], unique=False)

    op.create_table(
        "deal_discount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("special_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["special_transaction.id"],
            name=op.f("fk_deal_discount_ended_by_id_special_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["special_id"],
            ["special_transaction.id"],
            name=op.f("fk_deal_discount_special_id_special_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_deal_discount_subscription_id_subscription"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_discount")),
    )
    with op.batch_alter_table("deal_discount", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deal_discount_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "deal_term_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("plan_code", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("ratio", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("special_id", sa.Integer(), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["special_transaction.id"],
            name=op.f("fk_deal_term_line_ended_by_id_special_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["special_id"],
            ["special_transaction.id"],
            name=op.f("fk_deal_term_line_special_id_special_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscription.id"],
            name=op.f("fk_deal_term_line_subscription_id_subscription"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_term_line")),
    )
    with op.batch_alter_table("deal_term_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deal_term_line_subscription_id"), ["subscription_id"], unique=False
        )

    with op.batch_alter_table("special_transaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("old_area", sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column("old_customer_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("control_confirmed_at", schema.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("control_account_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_special_transaction_control_account_id_account"),
            "account",
            ["control_account_id"],
            ["id"],
        )

    _copy_terms()
    _date_status_changes()


def _date_status_changes() -> None:
    """Status changes master data made carried no business date: their day (Asia/Shanghai) is it."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, at FROM room_status_change WHERE business_date IS NULL")).all()
    stamp = schema.base.UTCDateTime()
    for id_, at in rows:
        when = stamp.process_result_value(
            at if not isinstance(at, str) else dt.datetime.fromisoformat(at), None
        )
        assert when is not None
        day = when.astimezone(schema.base.SHANGHAI).date()
        bind.execute(
            sa.text("UPDATE room_status_change SET business_date = :day WHERE id = :id"),
            {"day": day, "id": id_},
        )


def _copy_terms() -> None:
    """Existing deals take their current plan's live lines (定金 at the deal's own 定金) and the
    discounts they name, in the order named."""
    op.execute(
        "INSERT INTO deal_term_line (subscription_id, plan_code, seq, category, ratio, amount, due_days) "
        "SELECT s.id, s.plan_code, l.seq, l.category, l.ratio, "
        "CASE WHEN l.category = '定金' AND l.amount IS NOT NULL THEN s.deposit ELSE l.amount END, "
        "l.due_days FROM subscription s JOIN payment_plan_line l ON l.plan_code = s.plan_code "
        "WHERE l.removed_at IS NULL"
    )
    bind = op.get_bind()
    deals = bind.execute(
        sa.text("SELECT id, discount_codes FROM subscription WHERE discount_codes IS NOT NULL")
    ).all()
    insert = sa.text(  # the values straight from the discount row: exact on every backend
        "INSERT INTO deal_discount (subscription_id, seq, code, name, kind, value) "
        "SELECT :sid, :seq, code, name, kind, value FROM discount WHERE code = :code"
    )
    for sid, codes in deals:
        named = [c.strip() for c in codes.replace("，", ",").split(",") if c.strip()]
        for seq, code in enumerate(named, start=1):
            bind.execute(insert, {"sid": sid, "seq": seq, "code": code})


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("special_transaction", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_special_transaction_control_account_id_account"), type_="foreignkey"
        )
        batch_op.drop_column("control_account_id")
        batch_op.drop_column("control_confirmed_at")
        batch_op.drop_column("old_customer_phone")
        batch_op.drop_column("old_area")
    for table, index in (
        ("deal_term_line", "ix_deal_term_line_subscription_id"),
        ("deal_discount", "ix_deal_discount_subscription_id"),
        ("report_run_row", "ix_report_run_row_run_id"),
        ("report_run", "ix_report_run_report_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(index))
        op.drop_table(table)
