"""销控 — site sales control, per project: room controls, subscriptions, contracts, special
transactions (docs/domain.md §2.3). The room state machine behind it is ``sync.domain.rooms``."""

from __future__ import annotations

from schema.models import Contract, RoomControl, SpecialTransaction, Subscription
from schema.roles import Role
from schema.spec import ColType, Column, Deletion, Sheet, WorkbookKind
from validators import rules

CONTROL_ACTIONS = ("保留", "取消保留", "设为不可售", "恢复可售")
SPECIAL_KINDS = ("换房", "退房", "更名", "变更付款方案", "变更折扣")

C, T = Column, ColType

ROOM_CONTROLS = Sheet(
    name="房间控制",
    entity="room_control",
    stored_in=RoomControl,
    key=("room_code", "op_date", "action"),
    deletion=Deletion.REMOVE,
    required=False,
    description="保留、取消保留、设为不可售、恢复可售；删除“保留”行即解除该保留，删除其他行不改变房间状态（均保留历史）",
    columns=(
        C("room_code", "房间编码", T.CODE, required=True),
        C("action", "操作", T.CHOICE, required=True, choices=CONTROL_ACTIONS),
        C("reason", "原因", T.TEXT, required=True, width=30),
        C("hold_until", "保留至", T.DATE, hint="保留必填；到期当天结束后自动恢复可售"),
        C("op_date", "操作日期", T.DATE, required=True),
    ),
)

SUBSCRIPTIONS = Sheet(
    name="认购",
    entity="subscription",
    stored_in=Subscription,
    key=("no",),
    deletion=Deletion.REPORT,
    description="认购后房间变为“认购”；成交总价须等于房间标价按所列折扣计算后的金额（误差 1 元内）",
    columns=(
        C("no", "认购编号", T.CODE, required=True, hint="集团内唯一"),
        C("room_code", "房间编码", T.CODE, required=True, hint="须为可售或保留状态"),
        C("customer_name", "客户姓名", T.TEXT, required=True),
        C("customer_phone", "客户手机", T.PHONE, required=True, hint="须为已登记的客户"),
        C("rep", "置业顾问", T.TEXT, required=True, hint="账号或姓名"),
        C("date", "认购日期", T.DATE, required=True, hint="当天录入"),
        C("plan_code", "付款方案编码", T.CODE, required=True, hint="认购日须在方案有效期内"),
        C("discount_codes", "折扣编码", T.TEXT, width=20, hint="多个用逗号分隔，按顺序计算"),
        C("area", "成交面积", T.DECIMAL, required=True, decimals=2, positive=True, hint="项目计价面积，m²"),
        C("unit_price", "成交单价", T.DECIMAL, required=True, decimals=2, positive=True, hint="元/m²"),
        C("total_price", "成交总价", T.DECIMAL, required=True, decimals=2, positive=True, hint="元"),
        C("deposit", "定金", T.DECIMAL, required=True, decimals=2, minimum=0),
        C("mortgage_ratio", "按揭成数", T.DECIMAL, decimals=4, minimum=0, hint="如 0.7 表示七成"),
        C("sign_due_date", "应签约日期", T.DATE, hint="留空则为认购日期 + 方案签约期限天数"),
        C("co_buyers", "其他购房人", T.TEXT, width=20),
        C("note", "备注", T.TEXT, width=30),
    ),
)

CONTRACTS = Sheet(
    name="签约",
    entity="contract",
    stored_in=Contract,
    key=("no",),
    deletion=Deletion.REPORT,
    required=False,
    description="由认购转签约，房间变为“签约”",
    columns=(
        C("no", "合同编号", T.CODE, required=True),
        C("subscription_no", "认购编号", T.CODE, required=True, hint="须为未退房的认购"),
        C("date", "签约日期", T.DATE, required=True),
        C("area", "合同面积", T.DECIMAL, required=True, decimals=2, positive=True),
        C("unit_price", "合同单价", T.DECIMAL, required=True, decimals=2, positive=True),
        C("total_price", "合同总价", T.DECIMAL, required=True, decimals=2, positive=True),
        C("bank", "按揭银行", T.TEXT),
        C("mortgage_amount", "按揭金额", T.DECIMAL, decimals=2, minimum=0),
        C("filed_date", "备案日期", T.DATE),
    ),
)

SPECIALS = Sheet(
    name="特殊事务",
    entity="special_transaction",
    stored_in=SpecialTransaction,
    key=("no",),
    deletion=Deletion.REPORT,
    required=False,
    description="换房、退房、更名、变更付款方案、变更折扣；办理后系统通知现场财务",
    columns=(
        C("no", "事务编号", T.CODE, required=True),
        C("kind", "事务类型", T.CHOICE, required=True, choices=SPECIAL_KINDS),
        C("subscription_no", "认购编号", T.CODE, required=True),
        C("date", "办理日期", T.DATE, required=True),
        C("approval_no", "审批单号", T.CODE, required=True),
        C("reason", "原因", T.TEXT, required=True, width=30),
        C("new_room_code", "新房间编码", T.CODE, hint="换房必填"),
        C("new_customer_name", "新客户姓名", T.TEXT, hint="更名必填"),
        C("new_customer_phone", "新客户手机", T.PHONE, hint="更名必填"),
        C("new_plan_code", "新付款方案编码", T.CODE, hint="变更付款方案必填"),
        C("new_discount_codes", "新折扣编码", T.TEXT, width=20, hint="变更折扣时填写，多个用逗号分隔"),
        C("new_total_price", "新成交总价", T.DECIMAL, decimals=2, positive=True, hint="换房、变更折扣必填"),
        C("refund_amount", "退款金额", T.DECIMAL, decimals=2, minimum=0, hint="退房应退客户的金额"),
    ),
)

KIND = WorkbookKind(
    id="sales_control",
    title="销控",
    version="1",
    sheets=(ROOM_CONTROLS, SUBSCRIPTIONS, CONTRACTS, SPECIALS),
    submit_roles=frozenset({Role.SALES_CONTROL}),
    plan="sales_control",
    rules=(rules.hold_needs_date, rules.special_transaction_fields, rules.deal_prices),
    description="现场销控录入的房间控制、认购、签约与特殊事务；各行按日期顺序生效，房间状态随之变化。"
    "认购、签约与特殊事务从后续版本中消失时只报告，不视为删除。",
)
