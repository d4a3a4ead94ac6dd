"""我的任务 (docs/domain.md §5): computed per account from the database, never typed in.

Deadlines are working days on the Chinese calendar (``sync.domain.workdays``): a payment or contract due
on a holiday is due on the next working day, and overdue counts only working days; a deal's tasks
follow its project's calendar when its sales office works through holidays
(``sync.domain.office_calendar``). What an account
sees follows its roles:

- 销售代表: payments due on their deals (催款), contracts due (应签约日期), questionnaires due (2
  working days after the subscription), customers to follow up (5 days since the last event);
- 现场财务: payments due on the region's deals, special transactions waiting for finance;
- 现场销控: contracts due and payments due on the region's deals;
- 销售经理: dormant customers (14 days without an event) and collisions to settle;
- signers (高级经理, 地区总经理, 集团): change sets waiting for their signature;
- 运营 (the operator who submits master data): their change sets a signer rejected, until saved again.

:func:`tasks_for` computes the whole list; :mod:`sync.domain.task_pages` cuts the same list a page at a
time on the database server (the portal's 我的任务), and its tests hold the two to the same answer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from schema.base import SHANGHAI
from schema.models import (
    Account,
    ChangeSet,
    Project,
    Questionnaire,
    ReconciliationItem,
    ReconciliationRun,
    Region,
    Signature,
    SpecialTransaction,
    Subscription,
    WorkbookVersion,
)
from schema.models.audit import REJECT, REJECTED
from schema.models.deals import LIVE
from schema.roles import Role
from sync.domain import closing, ledger, ownership, sign_rights
from sync.domain.accounts import get_account, project_limits, signing_grants
from sync.domain.office_calendar import calendar_for
from sync.domain.workdays import DEFAULT_CALENDAR, QUESTIONNAIRE_WORKDAYS, WorkCalendar
from sync.kinds.manual_reports import CONTROLLERS as MANUAL_REPORT_ROLES
from sync.kinds.reports import REPORTS

HORIZON = 3  # working days ahead that a payment or contract shows as coming due
FOLLOW_UP_DAYS = 5
QUESTIONNAIRE_DAYS = QUESTIONNAIRE_WORKDAYS
GRANT_NOTICE_DAYS = 7  # how long a signing role granted stays in the group admins' tasks
SIGNERS = {Role.SENIOR_MANAGER, Role.REGION_GM, Role.EXECUTIVE}
CONTROLLERS = set(MANUAL_REPORT_ROLES)


@dataclass(frozen=True)
class Task:
    kind: str  # 催款 / 退款 / 事务确认 / 签约 / 问卷 / 跟进 / 休眠客户 / 撞单 / 特殊事务 / 签字 / 对账差异
    subject: str  # 认购编号, 客户手机, 事务编号 or 变更单号
    detail: str
    due: dt.date | None
    overdue_days: int = 0  # working days past due
    amount: Decimal | None = None
    detail_en: str = ""  # the detail in English, for the portal's English mode

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "detail": self.detail,
            "due": self.due.isoformat() if self.due else None,
            "overdue_days": self.overdue_days,
            "amount": f"{self.amount:.2f}" if self.amount is not None else None,
        }


@dataclass
class TaskList:
    username: str
    today: dt.date
    tasks: list[Task] = field(default_factory=list)
    calendar_fallback: list[int] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(t.overdue for t in self.tasks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.username,
            "today": self.today.isoformat(),
            "overdue": self.overdue_count,
            "tasks": [t.as_dict() for t in self.tasks],
            "calendar_fallback_years": self.calendar_fallback,
        }


#: the order of kinds among tasks due the same day (the list's order: most overdue first, then by due date)
KIND_ORDER = (
    "签字",
    "授权",
    "变更驳回",
    "特殊事务",
    "事务确认",
    "撞单",
    "催款",
    "退款",
    "签约",
    "问卷",
    "对账差异",
    "对账缺失",
    "跟进",
    "休眠客户",
)
_RANK = {k: i for i, k in enumerate(KIND_ORDER)}


def sort_key(task: Task) -> tuple[int, dt.date, int, str]:
    """The order of 我的任务: most working days overdue first, then the earliest due, the kind, the subject."""
    return (-task.overdue_days, task.due or dt.date.max, _RANK.get(task.kind, 99), task.subject)


class _Builder:
    def __init__(self, session: Session, account: Account, today: dt.date, calendar: WorkCalendar) -> None:
        self.session, self.account, self.today, self.cal = session, account, today, calendar
        self.horizon = calendar.add_workdays(today, HORIZON)
        self.tasks: dict[tuple[str, str, str], Task] = {}

    def add(
        self,
        kind: str,
        subject: str,
        detail: str,
        due: dt.date | None,
        amount: Decimal | None = None,
        cal: WorkCalendar | None = None,
        en: str = "",
    ) -> None:
        overdue = (cal or self.cal).workdays_between(due, self.today) if due is not None else 0
        task = Task(kind, subject, detail, due, overdue, amount, en)
        self.tasks.setdefault((kind, subject, detail), task)

    def _project(self, sub: Subscription) -> tuple[WorkCalendar, dt.date]:
        """The calendar of the deal's project (its sales office may work through holidays) and the
        last day of the horizon on it."""
        cal = calendar_for(self.session, sub.project_code, self.cal)
        return cal, self.horizon if cal is self.cal else cal.add_workdays(self.today, HORIZON)

    def _in_region(self, stmt: Any, project_column: Any) -> Any:
        limits = project_limits(self.account)
        if limits is not None:  # a project-limited account: its projects only
            stmt = stmt.where(project_column.in_(sorted(limits)))
        if self.account.region_id is None:
            return stmt
        region = self.session.get(Region, self.account.region_id)
        codes = select(Project.code).where(Project.region_code == (region.code if region else None))
        return stmt.where(project_column.in_(codes))

    def _deals(self, own: bool) -> list[Subscription]:
        stmt = select(Subscription).where(Subscription.status.in_(LIVE)).order_by(Subscription.no)
        if own:
            stmt = stmt.where(Subscription.rep_account_id == self.account.id)
        return list(self.session.scalars(self._in_region(stmt, Subscription.project_code)))

    def payments(self, deals: Iterable[Subscription]) -> None:
        """催款: instalments with money owing that are overdue or fall due within the horizon."""
        deals = list(deals)
        received = ledger.received(self.session, [d.id for d in deals])
        for sub in deals:
            cal, horizon = self._project(sub)
            for line in ledger.schedule(self.session, sub, received[sub.id]):
                due = cal.on_or_after(line.due_date)
                if line.outstanding > 0 and due <= horizon:
                    detail = f"{sub.customer_name} {sub.room_code} 第{line.seq}期{line.category}"
                    en = f"{sub.customer_name} {sub.room_code} instalment {line.seq} ({line.category})"
                    self.add("催款", sub.no, detail, due, line.outstanding, cal, en=en)

    def refunds(self, deals: Iterable[Subscription]) -> None:
        """退款: live deals that owe the buyer money back (overpaid, a smaller area, a cheaper room)."""
        for sub in deals:
            credit = ledger.balance(self.session, sub, self.today).credit
            if credit > 0:
                detail = f"{sub.customer_name} {sub.room_code} 应退客户"
                en = f"{sub.customer_name} {sub.room_code}: money owed back to the buyer"
                self.add("退款", sub.no, detail, self.today, credit, en=en)

    def contracts(self, deals: Iterable[Subscription]) -> None:
        for sub in deals:
            if sub.status == "认购" and sub.sign_due_date is not None:
                cal, horizon = self._project(sub)
                due = cal.on_or_after(sub.sign_due_date)
                if due <= horizon:
                    en = f"{sub.customer_name} {sub.room_code}: contract due"
                    self.add(
                        "签约", sub.no, f"{sub.customer_name} {sub.room_code} 应签约", due, cal=cal, en=en
                    )

    def questionnaires(self, deals: Iterable[Subscription]) -> None:
        deals = list(deals)
        done = set(
            self.session.scalars(
                select(Questionnaire.subscription_no).where(
                    Questionnaire.subscription_no.in_([d.no for d in deals])
                )
            )
        )
        for sub in deals:
            if sub.no not in done:
                cal, _ = self._project(sub)
                due = cal.add_workdays(sub.date, QUESTIONNAIRE_DAYS)
                en = f"{sub.customer_name}: buyer questionnaire"
                self.add("问卷", sub.no, f"{sub.customer_name} 成交客户调查问卷", due, cal=cal, en=en)

    def follow_ups(self) -> None:
        own = select(Account.id).where(Account.id == self.account.id)
        for customer, last in ownership.last_events(self.session, own):
            if last is None:
                continue
            due = self.cal.on_or_after(last.astimezone(SHANGHAI).date() + dt.timedelta(days=FOLLOW_UP_DAYS))
            if due <= self.today:
                en = f"{customer.name}: no contact for 5 days or more"
                self.add("跟进", customer.phone, f"{customer.name} 已 5 天以上未联系", due, en=en)

    def dormant(self) -> None:
        """休眠客户: the region's customers dormant today (the rule is ``sync.domain.ownership``'s)."""
        for idle in ownership.dormant_customers(self.session, self.account.region_id, self.today):
            customer = idle.customer
            detail = f"{customer.name} 自 {idle.last_day} 起无客户事件，可重新分配"
            en = f"{customer.name}: no customer event since {idle.last_day}; may be reassigned"
            self.add("休眠客户", customer.phone, detail, idle.dormant_from, en=en)

    def collisions(self) -> None:
        for collision in ownership.open_collisions(self.session, self.account):
            day = collision.detected_at.astimezone(SHANGHAI).date()
            detail = (
                f"{collision.customer.name}：{collision.account.display_name} 录入了 "
                f"{collision.owner.display_name} 的客户"
            )
            en = (
                f"{collision.customer.name}: {collision.account.display_name} entered a customer of "
                f"{collision.owner.display_name}"
            )
            self.add("撞单", collision.customer.phone, detail, self.cal.add_workdays(day, 1), en=en)

    def specials(self) -> None:
        stmt = (
            select(SpecialTransaction, Subscription)
            .join(Subscription, Subscription.id == SpecialTransaction.subscription_id)
            .where(SpecialTransaction.finance_acknowledged_at.is_(None))
            .order_by(SpecialTransaction.no)
        )
        for tx, sub in self.session.execute(self._in_region(stmt, Subscription.project_code)):
            detail = f"{tx.kind}（认购 {sub.no}，审批单 {tx.approval_no}）待财务处理"
            amount = tx.refund_amount if tx.kind == "退房" else None
            en = f"{tx.kind} (subscription {sub.no}, approval {tx.approval_no}) waits for finance"
            self.add("特殊事务", tx.no, detail, self.cal.add_workdays(tx.date, 1), amount, en=en)

    def closings(self) -> None:
        """事务确认: 换房 / 退房 / 更名 whose money side finance has recorded, to confirm complete."""
        stmt = self._in_region(closing.awaiting_control(), Subscription.project_code)
        for tx, sub in self.session.execute(stmt):
            detail = f"{tx.kind}（认购 {sub.no}）财务已处理，请确认事务完成"
            day = tx.finance_date or tx.date
            self.add("事务确认", tx.no, detail, self.cal.add_workdays(day, 1))

    def signatures(self) -> None:
        for cs in sign_rights.awaiting(self.session, self.account):
            day = cs.created_at.astimezone(SHANGHAI).date()
            projects = "、".join(cs.projects)
            en = f"Change set #{cs.id} ({', '.join(cs.projects)}) waits for your signature"
            self.add(
                "签字",
                f"#{cs.id}",
                f"变更单 #{cs.id}（{projects}）待签字",
                self.cal.add_workdays(day, 1),
                en=en,
            )

    def signing_grants(self) -> None:
        """授权: signing roles granted in the last week — the group admins' notice (separation of duties)."""
        since = dt.datetime.combine(
            self.today - dt.timedelta(days=GRANT_NOTICE_DAYS), dt.time(), tzinfo=SHANGHAI
        )
        names = {i: u for i, u in self.session.execute(select(Account.id, Account.username))}
        for username, changes, at, by in signing_grants(self.session, since):
            roles = "、".join(Role(r).title_zh for r in json.loads(changes).get("roles", []))
            detail = f"{names.get(by or -1, '—')} 授予 {username} 签字角色：{roles}，请核实"
            self.add("授权", username, detail, at.astimezone(SHANGHAI).date())

    def rejections(self) -> None:
        """变更驳回: the account's change sets a signer rejected, until a later change set of the same
        kind for the same projects answers the rejection."""
        later = aliased(ChangeSet)
        answered = (
            select(later.id)
            .where(
                later.kind == ChangeSet.kind,
                later.project_codes == ChangeSet.project_codes,
                later.id > ChangeSet.id,
            )
            .exists()
        )
        stmt = (
            select(ChangeSet, Signature)
            .join(WorkbookVersion, WorkbookVersion.id == ChangeSet.version_id)
            .join(Signature, (Signature.change_set_id == ChangeSet.id) & (Signature.meaning == REJECT))
            .where(WorkbookVersion.account_id == self.account.id, ChangeSet.status == REJECTED, ~answered)
            .order_by(ChangeSet.id)
        )
        for cs, sig in self.session.execute(stmt):
            by = sig.account.display_name if sig.account else ""
            detail = f"变更单 #{cs.id}（{'、'.join(cs.projects)}）已被 {by} 驳回：{sig.reason or ''}，请修改后重新保存"
            en = f"Change set #{cs.id} ({', '.join(cs.projects)}) was rejected by {by}: {sig.reason or ''}; fix and save again"
            self.add("变更驳回", f"#{cs.id}", detail, sig.signed_at.astimezone(SHANGHAI).date(), en=en)

    def mismatches(self) -> None:
        """对账差异: mismatches of the account's own reconciliation runs not explained yet (the
        controller explains each; the latest run of a report and period stands for the earlier ones)."""
        latest = (
            select(func.max(ReconciliationRun.id))
            .where(ReconciliationRun.account_id == self.account.id)
            .group_by(
                ReconciliationRun.report_id,
                ReconciliationRun.project_code,
                ReconciliationRun.period_from,
                ReconciliationRun.period_to,
            )
        )
        stmt = (
            select(ReconciliationRun, func.count(ReconciliationItem.id))
            .join(ReconciliationItem, ReconciliationItem.run_id == ReconciliationRun.id)
            .where(ReconciliationRun.id.in_(latest), ReconciliationItem.explanation.is_(None))
            .group_by(ReconciliationRun.id)
            .order_by(ReconciliationRun.id)
        )
        for run, open_items in self.session.execute(stmt):
            title = REPORTS[run.report_id].title if run.report_id in REPORTS else run.report_id
            detail = f"{title}（{run.project_code}，{run.period_from} 至 {run.period_to}）有 {open_items} 项差异待说明"
            day = run.at.astimezone(SHANGHAI).date()
            en = (
                f"{title} ({run.project_code}, {run.period_from} to {run.period_to}): "
                f"{open_items} mismatches to explain"
            )
            self.add("对账差异", f"对账 #{run.id}", detail, self.cal.add_workdays(day, 1), en=en)


def tasks_for(
    session: Session, username: str, today: dt.date | None = None, calendar: WorkCalendar = DEFAULT_CALENDAR
) -> TaskList:
    """The tasks of one account on ``today`` (Asia/Shanghai; default: now)."""
    account = get_account(session, username)
    day = today or dt.datetime.now(SHANGHAI).date()
    build = _Builder(session, account, day, calendar)
    roles = {r for r in Role if r.value in account.role_keys}
    if Role.SALES_REP in roles:
        mine = build._deals(own=True)
        build.payments(mine)
        build.contracts(mine)
        build.questionnaires(mine)
        build.follow_ups()
    if roles & {Role.FINANCE, Role.SALES_CONTROL}:
        region = build._deals(own=False)
        build.payments(region)
        if Role.SALES_CONTROL in roles:
            build.contracts(region)
            build.closings()
        if Role.FINANCE in roles:
            build.specials()
            build.refunds(region)
    if Role.SALES_MANAGER in roles:
        build.dormant()
        build.collisions()
    if roles & SIGNERS:
        build.signatures()
    if roles & CONTROLLERS:
        build.mismatches()
    if Role.GROUP_ADMIN in roles:
        build.signing_grants()
    if Role.OPERATOR in roles:
        build.rejections()
    tasks = sorted(build.tasks.values(), key=sort_key)
    return TaskList(username, day, tasks, calendar.fallback_years)
