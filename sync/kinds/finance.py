"""收款 — site finance, per project: receipts, red reversals, refunds, mortgages, and confirming the
finance side of special transactions (docs/domain.md §2.4)."""

from __future__ import annotations

from schema.models import Mortgage, Receipt
from schema.roles import Role
from schema.spec import ColType, Column, Deletion, Sheet, WorkbookKind
from validators import rules

CATEGORIES = ("定金", "首付款", "楼款", "按揭款", "公积金贷款", "面积补差款", "代收费用", "退款")
METHODS = ("现金", "刷卡", "转账", "支票", "银行放款")
LOAN_TYPES = ("商业", "公积金", "组合")
MORTGAGE_STATUSES = ("资料收集", "已送银行", "已审批", "已放款", "已拒贷")

C, T = Column, ColType

RECEIPTS = Sheet(
    name="收款",
    entity="receipt",
    stored_in=Receipt,
    key=("no",),
    deletion=Deletion.REMOVE,
    description="录错的收款直接删除该行（系统保留删除版本）；需冲销的收款另起一行红冲",
    columns=(
        C("no", "票据编号", T.CODE, required=True, hint="项目内唯一"),
        C("subscription_no", "认购编号", T.CODE, required=True),
        C("category", "款项类别", T.CHOICE, required=True, choices=CATEGORIES),
        C("amount", "金额", T.DECIMAL, required=True, decimals=2, hint="红冲、退款填负数"),
        C("payer", "交款人", T.TEXT, required=True),
        C("method", "交款方式", T.CHOICE, required=True, choices=METHODS),
        C("paid_at", "交款时间", T.DATETIME, required=True, width=18, hint="当天录入"),
        C("reverses_no", "红冲票据编号", T.CODE, hint="红冲时填写被冲销的原票据编号"),
        C("note", "备注", T.TEXT, width=30),
    ),
)

MORTGAGES = Sheet(
    name="按揭",
    entity="mortgage",
    stored_in=Mortgage,
    key=("subscription_no",),
    deletion=Deletion.REPORT,
    required=False,
    description="办理状态只能向前推进（或转为已拒贷）",
    columns=(
        C("subscription_no", "认购编号", T.CODE, required=True),
        C("bank", "按揭银行", T.TEXT, required=True),
        C("loan_type", "贷款类型", T.CHOICE, required=True, choices=LOAN_TYPES),
        C("amount", "贷款金额", T.DECIMAL, required=True, decimals=2, positive=True),
        C("years", "贷款年限", T.INTEGER, required=True, positive=True, width=8),
        C("status", "办理状态", T.CHOICE, required=True, choices=MORTGAGE_STATUSES),
        C("submitted_date", "送件日期", T.DATE, hint="已送银行起必填"),
        C("approved_date", "审批日期", T.DATE, hint="已审批起必填"),
        C("released_date", "放款日期", T.DATE, hint="已放款必填"),
        C("released_amount", "放款金额", T.DECIMAL, decimals=2, positive=True, hint="已放款必填"),
    ),
)

SPECIAL_DONE = Sheet(
    name="事务处理",
    entity="special_done",
    key=("special_no",),
    deletion=Deletion.NEVER,
    required=False,
    description="特殊事务的财务处理完成后在此登记，系统随即通知现场销控",
    columns=(
        C("special_no", "事务编号", T.CODE, required=True),
        C("done_date", "处理日期", T.DATE, required=True),
        C("note", "处理说明", T.TEXT, width=40),
    ),
)

KIND = WorkbookKind(
    id="finance",
    title="收款",
    version="1",
    sheets=(RECEIPTS, MORTGAGES, SPECIAL_DONE),
    submit_roles=frozenset({Role.FINANCE}),
    plan="finance",
    rules=(rules.receipt_signs, rules.mortgage_dates),
    description="现场财务录入的收款、红冲、退款与按揭进度，以及特殊事务的财务处理。"
    "删除的收款保留为删除版本；红冲不得超过原票据金额，同一票据不得重复红冲。",
)
