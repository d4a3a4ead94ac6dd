"""Which roles open which part of the portal (docs/domain.md §1), in one place for views and navigation."""

from __future__ import annotations

from dataclasses import dataclass

from schema.roles import Capability, Role, holders

#: the reports of docs/domain.md §4: the people who review them, and those whose work they count
REPORT_READERS = holders(Capability.READ_REPORTS)
#: the 楼盘表: everyone who sells or controls rooms, and those who read reports
BOARD_VIEWERS = holders(Capability.VIEW_BOARD)
#: dual-track reconciliation (§8): the controllers who hand in manual reports
RECONCILERS = holders(Capability.RECONCILE)
#: change sets (§6): who signs them, and the operator who submits them
CHANGE_VIEWERS = holders(Capability.VIEW_CHANGE_SETS)
#: customer ownership (§3): who settles collisions (撞单) and reassigns dormant customers
OWNERSHIP = holders(Capability.SETTLE_OWNERSHIP)
#: account administration: group admin → regional admins → users
ADMINS = holders(Capability.MANAGE_ACCOUNTS)
#: roles that see every region rather than their own
GROUP_WIDE = holders(Capability.SEE_ALL_REGIONS)
#: roles that see the workbook versions of everyone in their region, not only their own
REGION_WIDE = holders(Capability.SEE_REGION_WORKBOOKS)
#: 我的客户: the sales reps; 查重: the reps and the managers over them
REPS = frozenset({Role.SALES_REP})
CHECKERS = frozenset({Role.SALES_REP, Role.SALES_MANAGER, Role.SALES_SERVICE})


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    prefix: str  # the blueprint's endpoint prefix, to mark the current page
    zh: str
    en: str
    roles: frozenset[Role]


EVERYONE = frozenset(Role)

NAV = (
    NavItem("versions.index", "versions.", "同步记录", "Sync log", EVERYONE),
    NavItem("mine.customers", "mine.customers", "我的客户", "My customers", REPS),
    NavItem("mine.check", "mine.check", "查重", "Check a customer", CHECKERS),
    NavItem("reports.index", "reports.", "报表", "Reports", REPORT_READERS),
    NavItem("board.index", "board.", "楼盘表", "Room board", BOARD_VIEWERS),
    NavItem("customers.index", "customers.", "客户归属", "Customers", OWNERSHIP),
    NavItem("reconcile.index", "reconcile.", "双轨对账", "Reconciliation", RECONCILERS),
    NavItem("changes.index", "changes.", "变更单", "Change sets", CHANGE_VIEWERS),
    NavItem("admin.index", "admin.", "账号管理", "Accounts", ADMINS),
    NavItem("notify.index", "notify.", "通知设置", "Notifications", EVERYONE),
    NavItem("worklog.index", "worklog.", "工作日志", "Work log", ADMINS),
)


def nav_items() -> list[NavItem]:
    """The parts of the portal the signed-in user's roles open."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return []
    return [item for item in NAV if current_user.has(*item.roles)]
