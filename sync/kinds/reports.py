"""The system's reports (docs/domain.md §4), declared once.

Each :class:`ReportSpec` names the report's columns (with the same :class:`~schema.spec.Column`
language as the workbooks), its key and the date column that places a row in a period. The
report exports, the ``manual_report_<id>`` templates of the dual-track period and reconciliation
all derive from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema.spec import ColType, Column, HasColumns

C, T = Column, ColType


@dataclass(frozen=True)
class ReportSpec(HasColumns):
    id: str
    title: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    date_field: str | None = None  # the date that puts a row in a period; None: a snapshot per period
    sums: tuple[str, ...] | None = None  # columns of the totals row; default: amounts, areas, counts
    description: str = ""

    def __post_init__(self) -> None:
        fields = [c.field for c in self.columns]
        if len(set(fields)) != len(fields):
            raise ValueError(f"report {self.id}: duplicate column")
        if missing := set(self.key) - set(fields):
            raise ValueError(f"report {self.id}: key fields {missing} are not columns")
        if self.date_field is not None and self.date_field not in fields:
            raise ValueError(f"report {self.id}: date field {self.date_field} is not a column")
        if self.sums is not None and (extra := set(self.sums) - set(fields)):
            raise ValueError(f"report {self.id}: sums {extra} are not columns")

    @property
    def totals(self) -> list[str]:
        """Columns summed in the totals row (amounts, areas and counts)."""
        if self.sums is not None:
            return list(self.sums)
        return [c.field for c in self.columns if c.type in (T.DECIMAL, T.INTEGER) and c.positive]


def _money(field: str, header: str) -> Column:
    return C(field, header, T.DECIMAL, decimals=2, positive=True, hint="单位：元")


def _area(field: str, header: str) -> Column:
    return C(field, header, T.DECIMAL, decimals=2, positive=True, hint="单位：平方米")


def _count(field: str, header: str) -> Column:
    return C(field, header, T.INTEGER, positive=True)


SALES_DETAIL = ReportSpec(
    id="sales_detail",
    title="销售明细分析表",
    key=("subscription_no",),
    date_field="subscription_date",
    columns=(
        C("project", "项目", T.TEXT),
        C("building", "楼栋", T.TEXT),
        C("room_code", "房间编码", T.CODE),
        C("layout", "户型", T.TEXT),
        C("customer_name", "客户姓名", T.TEXT),
        C("customer_phone", "客户手机", T.PHONE),
        C("rep", "置业顾问", T.TEXT),
        C("subscription_no", "认购编号", T.CODE, required=True),
        C("subscription_date", "认购日期", T.DATE),
        C("contract_no", "合同编号", T.CODE),
        C("contract_date", "签约日期", T.DATE),
        _area("area", "成交面积"),
        C("unit_price", "成交单价", T.DECIMAL, decimals=2),
        _money("total_price", "成交总价"),
        C("discount", "折扣", T.TEXT),
        C("plan", "付款方案", T.TEXT),
        C("mortgage_ratio", "按揭成数", T.DECIMAL, decimals=2),
        _money("received", "已收金额"),
        _money("outstanding", "未收金额"),
        C("status", "状态", T.TEXT),
    ),
)

CANCELLATIONS = ReportSpec(
    id="cancellations",
    title="退房明细表",
    key=("transaction_no",),
    date_field="date",
    columns=(
        C("transaction_no", "事务编号", T.CODE, required=True),
        C("date", "退房日期", T.DATE),
        C("project", "项目", T.TEXT),
        C("room_code", "房间编码", T.CODE),
        C("customer_name", "客户姓名", T.TEXT),
        C("subscription_no", "认购编号", T.CODE),
        C("contract_no", "合同编号", T.CODE),
        _money("original_total", "原成交总价"),
        _money("received", "已收金额"),
        _money("refund", "退款金额"),
        C("reason", "原因", T.TEXT),
        C("approval_no", "审批单号", T.CODE),
    ),
)

ROOM_CHANGES = ReportSpec(
    id="room_changes",
    title="换房明细表",
    key=("transaction_no",),
    date_field="date",
    sums=("old_total", "new_total", "difference"),
    columns=(
        C("transaction_no", "事务编号", T.CODE, required=True),
        C("date", "换房日期", T.DATE),
        C("customer_name", "客户姓名", T.TEXT),
        C("subscription_no", "认购编号", T.CODE),
        C("old_room_code", "原房间编码", T.CODE),
        C("new_room_code", "新房间编码", T.CODE),
        _money("old_total", "原成交总价"),
        _money("new_total", "新成交总价"),
        C("difference", "差额", T.DECIMAL, decimals=2),
        C("approval_no", "审批单号", T.CODE),
    ),
)

CALLS_VISITS = ReportSpec(
    id="calls_visits",
    title="来电来访明细表",
    key=("customer_phone", "at", "kind"),
    date_field="at",
    columns=(
        C("at", "事件时间", T.DATETIME, required=True),
        C("rep", "置业顾问", T.TEXT),
        C("customer_name", "客户姓名", T.TEXT),
        C("customer_phone", "客户手机", T.PHONE, required=True),
        C("kind", "事件类型", T.TEXT, required=True),
        C("source", "客户来源", T.TEXT),
        C("is_new", "是否新客户", T.YES_NO),
        C("content", "事件内容", T.TEXT, width=30),
    ),
)

SALES_SUMMARY = ReportSpec(
    id="sales_summary",
    title="销售汇总表",
    key=("project", "building"),
    columns=(
        C("project", "项目", T.TEXT, required=True),
        C("building", "楼栋", T.TEXT, required=True),
        _count("rooms", "总套数"),
        _area("area", "总面积"),
        _money("value", "总货值"),
        _count("available", "可售套数"),
        _count("subscribed", "认购套数"),
        _area("subscribed_area", "认购面积"),
        _money("subscribed_amount", "认购金额"),
        _count("contracted", "签约套数"),
        _area("contracted_area", "签约面积"),
        _money("contracted_amount", "签约金额"),
        _count("cancelled", "退房套数"),
        _count("contracted_total", "累计签约套数"),
        _money("contracted_amount_total", "累计签约金额"),
        _money("collected_total", "累计回款"),
        C("sell_through", "去化率", T.DECIMAL, decimals=4),
    ),
)

RECEIPTS = ReportSpec(
    id="receipts",
    title="收退款明细表",
    key=("receipt_no",),
    date_field="paid_at",
    sums=("amount",),
    columns=(
        C("receipt_no", "票据编号", T.CODE, required=True),
        C("paid_at", "交款时间", T.DATE),
        C("project", "项目", T.TEXT),
        C("room_code", "房间编码", T.CODE),
        C("customer_name", "客户姓名", T.TEXT),
        C("subscription_no", "认购编号", T.CODE),
        C("category", "款项类别", T.TEXT),
        C("method", "交款方式", T.TEXT),
        C("payer", "交款人", T.TEXT),
        C("amount", "金额", T.DECIMAL, decimals=2),
        C("reverses", "红冲票据编号", T.CODE),
    ),
)

MORTGAGES = ReportSpec(
    id="mortgages",
    title="按揭情况列表",
    key=("subscription_no",),
    columns=(
        C("subscription_no", "认购编号", T.CODE, required=True),
        C("contract_no", "合同编号", T.CODE),
        C("room_code", "房间编码", T.CODE),
        C("customer_name", "客户姓名", T.TEXT),
        C("bank", "按揭银行", T.TEXT),
        C("loan_type", "贷款类型", T.TEXT),
        _money("loan_amount", "贷款金额"),
        C("status", "办理状态", T.TEXT),
        C("submitted", "送件日期", T.DATE),
        C("approved", "审批日期", T.DATE),
        C("released", "放款日期", T.DATE),
        _money("released_amount", "已放款金额"),
        _money("unreleased_amount", "未放款金额"),
    ),
)

# -- the further reports users expect beside §4 (not kept by hand) ---------------------------------

COLLISIONS = ReportSpec(
    id="collisions",
    title="撞单记录表",
    key=("customer_phone", "rep"),
    date_field="detected",
    columns=(
        C("customer_name", "客户姓名", T.TEXT),
        C("customer_phone", "客户手机", T.PHONE, required=True),
        C("owner", "归属置业顾问", T.TEXT),
        C("owned_since", "归属时间", T.DATETIME, width=18),
        C("rep", "撞单置业顾问", T.TEXT, required=True),
        C("detected", "发现时间", T.DATETIME, width=18),
        C("status", "处理状态", T.TEXT),
        C("resolution", "处理结果", T.TEXT, width=30),
    ),
)

DORMANT = ReportSpec(
    id="dormant",
    title="休眠客户表",
    key=("customer_phone",),
    sums=(),
    description="期间止日已满 14 天没有客户事件、且不在有效认购中的客户，销售经理可重新分配。",
    columns=(
        C("customer_name", "客户姓名", T.TEXT),
        C("customer_phone", "客户手机", T.PHONE, required=True),
        C("rep", "置业顾问", T.TEXT),
        C("first_contact", "首次接触日期", T.DATE),
        C("last_event", "最近事件时间", T.DATETIME, width=18),
        _count("idle_days", "未跟进天数"),
    ),
)

TIMELINESS = ReportSpec(
    id="timeliness",
    title="录入及时性统计表",
    key=("username",),
    description=(
        "客户资料最迟在首次接触后的下一个工作日结束前录入；认购、收款当日录入；成交问卷在填写日期后第 2 个工作日"
        "结束前录入（以系统首次收到为准；案场节假日照常营业的项目按其自己的日历）。"
    ),
    columns=(
        C("username", "账号", T.CODE, required=True),
        C("name", "姓名", T.TEXT),
        _count("customers", "新客户"),
        _count("customers_late", "客户录入超时"),
        _count("subscriptions", "认购"),
        _count("subscriptions_late", "认购录入超时"),
        _count("receipts", "收款"),
        _count("receipts_late", "收款录入超时"),
        _count("questionnaires", "问卷"),
        _count("questionnaires_late", "问卷录入超时"),
    ),
)

COLLECTIONS_DUE = ReportSpec(
    id="collections_due",
    title="催款表",
    key=("subscription_no",),
    description="截至期间止日已逾期未收的款项，按认购列出。",
    columns=(
        C("subscription_no", "认购编号", T.CODE, required=True),
        C("room_code", "房间编码", T.CODE),
        C("customer_name", "客户姓名", T.TEXT),
        C("customer_phone", "客户手机", T.PHONE),
        C("rep", "置业顾问", T.TEXT),
        _money("total", "应收合计"),
        _money("received", "已收金额"),
        _money("outstanding", "未收金额"),
        _money("overdue", "逾期金额"),
        C("overdue_since", "最早逾期日", T.DATE),
    ),
)

TRUE_UPS = ReportSpec(
    id="true_ups",
    title="面积补差表",
    key=("room_code",),
    date_field="survey_date",
    sums=("buyer_pays", "developer_bears", "refund", "double_refund"),
    columns=(
        C("room_code", "房间编码", T.CODE, required=True),
        C("customer_name", "客户姓名", T.TEXT),
        C("basis", "计价方式", T.TEXT),
        C("contract_area", "合同面积", T.DECIMAL, decimals=2),
        C("measured_area", "实测面积", T.DECIMAL, decimals=2),
        C("error_ratio", "面积误差比", T.DECIMAL, decimals=4),
        C("unit_price", "单价", T.DECIMAL, decimals=2),
        _money("buyer_pays", "买受人补交"),
        _money("developer_bears", "开发商承担"),
        _money("refund", "退还"),
        _money("double_refund", "双倍返还"),
        C("survey_date", "实测日期", T.DATE),
    ),
)

WORKLOAD = ReportSpec(
    id="workload",
    title="置业顾问工作量统计表",
    key=("username",),
    description="期间内各置业顾问的来电、来访、新客户与成交，绩效考核依据。",
    columns=(
        C("username", "账号", T.CODE, required=True),
        C("name", "姓名", T.TEXT),
        _count("calls", "来电"),
        _count("visits", "来访"),
        _count("follow_ups", "回访及其他"),
        _count("new_customers", "新客户"),
        _count("subscriptions", "认购"),
        _count("contracts", "签约"),
    ),
)

#: The further reports of ``salesync report`` (the 楼盘表 board is a grid, not a table: sync.reports.board).
FURTHER: dict[str, ReportSpec] = {
    r.id: r for r in (COLLISIONS, DORMANT, TIMELINESS, COLLECTIONS_DUE, TRUE_UPS, WORKLOAD)
}

REPORTS: dict[str, ReportSpec] = {
    r.id: r
    for r in (SALES_DETAIL, CANCELLATIONS, ROOM_CHANGES, CALLS_VISITS, SALES_SUMMARY, RECEIPTS, MORTGAGES)
}


def get_report(report_id: str) -> ReportSpec:
    try:
        return REPORTS[report_id] if report_id in REPORTS else FURTHER[report_id]
    except KeyError:
        raise KeyError(f"unknown report {report_id!r}") from None
