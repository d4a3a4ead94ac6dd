"""项目资料 — project master data, kept by the operator; every change becomes a change set (§2.1, §6)."""

from __future__ import annotations

from schema.models import Building, Discount, PaymentPlan, PaymentPlanLine, Project, Room
from schema.roles import Role
from schema.spec import ColType, Column, Deletion, Sheet, WorkbookKind
from validators import rules

PRICING_BASES = ("建筑面积", "套内面积", "按套")
ROOM_STATUSES = ("待售", "可售", "不可售")
PAY_METHODS = ("一次性付款", "分期付款", "商业贷款", "公积金贷款", "组合贷款")
LINE_CATEGORIES = ("定金", "首付款", "楼款", "按揭款", "公积金贷款", "尾款")
DISCOUNT_KINDS = ("比例", "减免金额")

C, T = Column, ColType

PROJECTS = Sheet(
    name="项目",
    entity="project",
    stored_in=Project,
    key=("code",),
    deletion=Deletion.REMOVE,
    scope="code",
    columns=(
        C("code", "项目编码", T.CODE, required=True, hint="集团内唯一，如 SZ-HW01"),
        C("name", "项目名称", T.TEXT, required=True, width=24),
        C("region_code", "地区编码", T.CODE, required=True, hint="须为已建立的地区"),
        C("pricing_basis", "计价方式", T.CHOICE, required=True, choices=PRICING_BASES),
        C("open_date", "开盘日期", T.DATE),
    ),
)

BUILDINGS = Sheet(
    name="楼栋",
    entity="building",
    stored_in=Building,
    key=("project_code", "code"),
    deletion=Deletion.REMOVE,
    scope="project_code",
    columns=(
        C("project_code", "项目编码", T.CODE, required=True),
        C("compound", "小区", T.TEXT, required=True, hint="小区或分期名称"),
        C("code", "楼栋编码", T.CODE, required=True),
        C("name", "楼栋名称", T.TEXT, required=True),
        C("floors", "地上层数", T.INTEGER, required=True, positive=True),
        C("units", "单元数", T.INTEGER, required=True, positive=True),
        C("open_date", "开盘日期", T.DATE),
    ),
)

ROOMS = Sheet(
    name="房间",
    entity="room",
    stored_in=Room,
    key=("code",),
    deletion=Deletion.REMOVE,
    scope="project_code",
    columns=(
        C("code", "房间编码", T.CODE, required=True, hint="集团内唯一"),
        C("project_code", "项目编码", T.CODE, required=True),
        C("building_code", "楼栋编码", T.CODE, required=True),
        C("unit", "单元", T.CODE, required=True, width=8),
        C("floor", "楼层", T.INTEGER, required=True, width=8, hint="不超过楼栋地上层数"),
        C("number", "房号", T.CODE, required=True, width=8),
        C("layout", "户型", T.TEXT, required=True, hint="如 三房两厅"),
        C("orientation", "朝向", T.TEXT, required=True, width=8),
        C(
            "area_gross",
            "建筑面积",
            T.DECIMAL,
            required=True,
            decimals=2,
            positive=True,
            hint="= 套内建筑面积 + 公摊面积，单位 m²",
        ),
        C("area_inner", "套内建筑面积", T.DECIMAL, required=True, decimals=2, positive=True),
        C("area_shared", "公摊面积", T.DECIMAL, required=True, decimals=2, minimum=0),
        C(
            "unit_price",
            "单价",
            T.DECIMAL,
            required=True,
            decimals=2,
            positive=True,
            hint="元/m²；按套计价时仅供参考",
        ),
        C(
            "total_price",
            "总价",
            T.DECIMAL,
            required=True,
            decimals=2,
            positive=True,
            hint="= 单价 × 计价面积（误差 1 元内）",
        ),
        C("initial_status", "初始状态", T.CHOICE, required=True, choices=ROOM_STATUSES),
    ),
)

PLANS = Sheet(
    name="付款方案",
    entity="payment_plan",
    stored_in=PaymentPlan,
    key=("code",),
    deletion=Deletion.REMOVE,
    scope="project_code",
    columns=(
        C("code", "方案编码", T.CODE, required=True),
        C("project_code", "项目编码", T.CODE, required=True),
        C("name", "方案名称", T.TEXT, required=True, width=20),
        C("method", "付款方式", T.CHOICE, required=True, choices=PAY_METHODS),
        C("deposit", "定金", T.DECIMAL, required=True, decimals=2, minimum=0),
        C(
            "sign_within_days",
            "签约期限天数",
            T.INTEGER,
            required=True,
            positive=True,
            hint="认购后多少天内签约",
        ),
        C("valid_from", "有效起", T.DATE),
        C("valid_to", "有效止", T.DATE),
    ),
)

PLAN_LINES = Sheet(
    name="付款方案明细",
    entity="payment_plan_line",
    stored_in=PaymentPlanLine,
    key=("plan_code", "seq"),
    deletion=Deletion.REMOVE,
    scope="plan_code",
    columns=(
        C("plan_code", "方案编码", T.CODE, required=True),
        C("seq", "期次", T.INTEGER, required=True, positive=True, width=8),
        C("category", "款项类别", T.CHOICE, required=True, choices=LINE_CATEGORIES),
        C("ratio", "比例", T.DECIMAL, decimals=6, minimum=0, hint="占成交总价的比例，如 0.3；与金额二选一"),
        C("amount", "金额", T.DECIMAL, decimals=2, minimum=0, hint="固定金额（如定金），抵扣下一比例期"),
        C("due_days", "应付天数", T.INTEGER, required=True, minimum=0, hint="认购后第几天应付"),
    ),
)

DISCOUNTS = Sheet(
    name="折扣",
    entity="discount",
    stored_in=Discount,
    key=("code",),
    deletion=Deletion.REMOVE,
    scope="project_code",
    columns=(
        C("code", "折扣编码", T.CODE, required=True),
        C("project_code", "项目编码", T.CODE, required=True),
        C("name", "折扣名称", T.TEXT, required=True, width=20),
        C("kind", "折扣类型", T.CHOICE, required=True, choices=DISCOUNT_KINDS),
        C(
            "value",
            "折扣值",
            T.DECIMAL,
            required=True,
            decimals=4,
            positive=True,
            hint="比例填 0.98 表示九八折；减免金额填元",
        ),
        C("valid_from", "有效起", T.DATE),
        C("valid_to", "有效止", T.DATE),
        C("stackable", "可叠加", T.YES_NO),
    ),
)

INSTRUCTION = Sheet(
    name="变更说明",
    entity="instruction",
    required=False,
    description="本次变更所依据的书面指示",
    columns=(
        C("instruction_date", "指示日期", T.DATE),
        C("instructed_by", "指示人", T.TEXT),
        C("instruction", "说明", T.TEXT, width=60),
    ),
)

KIND = WorkbookKind(
    id="project_master",
    title="项目资料",
    version="1",
    sheets=(PROJECTS, BUILDINGS, ROOMS, PLANS, PLAN_LINES, DISCOUNTS, INSTRUCTION),
    submit_roles=frozenset({Role.OPERATOR}),
    plan="change_set",
    atomic=True,
    rules=(
        rules.known_regions,
        rules.safe_project_codes,
        rules.area_sum,
        rules.total_price_by_basis,
        rules.floor_within_building,
        rules.plan_lines,
        rules.master_references,
        rules.date_ranges,
        rules.discount_values,
    ),
    description="业务操作员维护的项目、楼栋、房间、价格、付款方案与折扣；每次变更生成变更单，签字后生效。",
)
