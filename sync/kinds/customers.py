"""客户登记 — one workbook per sales rep: customers, their events and deal questionnaires (§2.2, §3)."""

from __future__ import annotations

from schema.models import Customer, CustomerEvent, Questionnaire
from schema.roles import Role
from schema.spec import ColType, Column, Deletion, Sheet, WorkbookKind
from validators import rules

SOURCES = ("来电", "来访", "老带新", "网络", "渠道", "其他")
ID_TYPES = ("身份证", "护照", "港澳通行证", "台胞证", "军官证", "其他")
EVENT_TYPES = ("首次来电", "首次来访", "来电", "来访", "回访", "其他")
FIRST_EVENTS = ("首次来电", "首次来访")

C, T = Column, ColType

CUSTOMERS = Sheet(
    name="客户",
    entity="customer",
    stored_in=Customer,
    key=("phone",),
    deletion=Deletion.NEVER,
    columns=(
        C("name", "客户姓名", T.TEXT, required=True),
        C("phone", "手机号码", T.PHONE, required=True, hint="11 位手机号，客户的唯一标识"),
        C("other_phone", "其他电话", T.ANY_PHONE, hint="座机请带区号"),
        C("id_type", "证件类型", T.CHOICE, choices=ID_TYPES),
        C("id_number", "证件号码", T.ID_NUMBER, width=22, hint="身份证将校验第 18 位校验码"),
        C("source", "客户来源", T.CHOICE, required=True, choices=SOURCES),
        C("first_contact_date", "首次接触日期", T.DATE, required=True, hint="当天录入，最迟下一工作日"),
        C("intended_project", "意向项目", T.TEXT),
        C("intended_layout", "意向户型", T.TEXT),
        C("intended_area", "意向面积", T.DECIMAL, decimals=2, positive=True),
        C("budget", "价格预算", T.DECIMAL, decimals=2, positive=True, hint="单位：元"),
        C("note", "备注", T.TEXT, width=30),
    ),
)

EVENTS = Sheet(
    name="客户事件",
    entity="customer_event",
    stored_in=CustomerEvent,
    key=("phone", "at", "kind"),
    deletion=Deletion.NEVER,
    columns=(
        C("phone", "手机号码", T.PHONE, required=True),
        C("kind", "事件类型", T.CHOICE, required=True, choices=EVENT_TYPES),
        C("at", "事件时间", T.DATETIME, required=True, width=18, hint="如 2026-11-26 14:30"),
        C("content", "事件内容", T.TEXT, width=40),
        C("next_follow_up", "下次跟进日期", T.DATE, hint="建议 3–5 天内跟进"),
    ),
)

QUESTIONNAIRES = Sheet(
    name="成交问卷",
    entity="questionnaire",
    stored_in=Questionnaire,
    key=("subscription_no",),
    deletion=Deletion.NEVER,
    required=False,
    columns=(
        C("phone", "手机号码", T.PHONE, required=True),
        C("subscription_no", "认购编号", T.CODE, required=True),
        C("purpose", "购房目的", T.TEXT),
        C("occupation", "职业", T.TEXT),
        C("residence_area", "居住区域", T.TEXT),
        C("channel", "获知途径", T.TEXT),
        C("family", "家庭结构", T.TEXT),
        C("filled_date", "填写日期", T.DATE, required=True, hint="认购后 2 个工作日内"),
    ),
)

KIND = WorkbookKind(
    id="customers",
    title="客户登记",
    version="1",
    sheets=(CUSTOMERS, EVENTS, QUESTIONNAIRES),
    submit_roles=frozenset({Role.SALES_REP}),
    plan="customers",
    rules=(
        rules.new_customer_has_first_event(FIRST_EVENTS),
        rules.events_have_customer,
        rules.plausible_dates("customer", "first_contact_date"),
    ),
    description="置业顾问登记的客户、来电来访等客户事件与成交问卷；客户归属以系统首次收到为准（撞单规则）。",
    # every sheet names its customer by phone: a re-saved workbook's untouched rows are skipped
    # together with everything sharing a phone with a changed row (sync.pipeline.settled)
    settle_by="phone",
)
