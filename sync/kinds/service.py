"""销售服务 — per project: measured-area true-up per 第二十条 and move-in (docs/domain.md §2.5)."""

from __future__ import annotations

from schema.models import AreaTrueUp, MoveIn
from schema.roles import Role
from schema.spec import ColType, Column, Deletion, Sheet, WorkbookKind

C, T = Column, ColType

TRUE_UPS = Sheet(
    name="面积补差",
    entity="area_true_up",
    stored_in=AreaTrueUp,
    key=("room_code",),
    deletion=Deletion.REPORT,
    required=False,
    description="按合同约定面积与实测面积计算面积补差（商品房销售管理办法第二十条），按套计价的项目不补差",
    columns=(
        C("room_code", "房间编码", T.CODE, required=True, hint="须已签约"),
        C("measured_gross", "实测建筑面积", T.DECIMAL, required=True, decimals=2, positive=True),
        C("measured_inner", "实测套内面积", T.DECIMAL, required=True, decimals=2, positive=True),
        C("survey_date", "测绘日期", T.DATE, required=True),
        C("report_no", "测绘报告编号", T.CODE),
    ),
)

MOVE_INS = Sheet(
    name="入伙",
    entity="move_in",
    stored_in=MoveIn,
    key=("room_code",),
    deletion=Deletion.REPORT,
    required=False,
    description="须已签约；仍有欠款时给出提示",
    columns=(
        C("room_code", "房间编码", T.CODE, required=True),
        C("date", "入伙日期", T.DATE, required=True),
        C("handler", "办理人", T.TEXT),
        C("keys_delivered", "钥匙交付", T.YES_NO),
        C("note", "备注", T.TEXT, width=30),
    ),
)

KIND = WorkbookKind(
    id="service",
    title="销售服务",
    version="1",
    sheets=(TRUE_UPS, MOVE_INS),
    submit_roles=frozenset({Role.SALES_SERVICE}),
    plan="service",
    description="销售服务录入的实测面积与入伙办理；面积补差按项目计价方式计算并精确到分，"
    "拆分为买受人补交、开发商承担、退还与双倍返还四部分保存。",
)
