"""Which roles open which part of the portal (DOMAIN.md §1), in one place for views and navigation."""

from __future__ import annotations

from dataclasses import dataclass

from schema.kinds.manual_reports import CONTROLLERS
from schema.roles import Role
from sync.ownership import MANAGERS

#: the reports of DOMAIN.md §4: the people who review them, and those whose work they count
REPORT_READERS = frozenset(
    {
        Role.SALES_MANAGER,
        Role.SENIOR_MANAGER,
        Role.REGION_GM,
        Role.EXECUTIVE,
        Role.SALES_CONTROL,
        Role.FINANCE,
        Role.SALES_SERVICE,
    }
)
#: the 楼盘表: everyone who sells or controls rooms, and those who read reports
BOARD_VIEWERS = REPORT_READERS | {Role.SALES_REP, Role.OPERATOR}
#: dual-track reconciliation (§8): the controllers who hand in manual reports
RECONCILERS = frozenset(CONTROLLERS)
#: change sets (§6): who signs them, and the operator who submits them
CHANGE_VIEWERS = frozenset({Role.SENIOR_MANAGER, Role.REGION_GM, Role.EXECUTIVE, Role.OPERATOR})
#: customer ownership (§3): who settles collisions (撞单) and reassigns dormant customers
OWNERSHIP = frozenset(MANAGERS)
#: account administration: group admin → regional admins → users
ADMINS = frozenset({Role.GROUP_ADMIN, Role.REGION_ADMIN})
#: roles that see every region rather than their own
GROUP_WIDE = frozenset({Role.GROUP_ADMIN, Role.EXECUTIVE})
#: roles that see the workbook versions of everyone in their region, not only their own
REGION_WIDE = frozenset(
    {
        Role.REGION_ADMIN,
        Role.SALES_MANAGER,
        Role.SENIOR_MANAGER,
        Role.REGION_GM,
        Role.SALES_CONTROL,
        Role.FINANCE,
    }
)


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
    NavItem("reports.index", "reports.", "报表", "Reports", REPORT_READERS),
    NavItem("board.index", "board.", "楼盘表", "Room board", BOARD_VIEWERS),
    NavItem("customers.index", "customers.", "客户归属", "Customers", OWNERSHIP),
    NavItem("reconcile.index", "reconcile.", "双轨对账", "Reconciliation", RECONCILERS),
    NavItem("changes.index", "changes.", "变更单", "Change sets", CHANGE_VIEWERS),
    NavItem("admin.index", "admin.", "账号管理", "Accounts", ADMINS),
    NavItem("notify.index", "notify.", "通知设置", "Notifications", EVERYONE),
)


def nav_items() -> list[NavItem]:
    """The parts of the portal the signed-in user's roles open."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return []
    return [item for item in NAV if current_user.has(*item.roles)]
