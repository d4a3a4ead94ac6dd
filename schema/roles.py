"""Role keys of docs/domain.md §1 with their Chinese titles and scope."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    GROUP_ADMIN = "group_admin"
    REGION_ADMIN = "region_admin"
    OPERATOR = "operator"
    SALES_REP = "sales_rep"
    SALES_CONTROL = "sales_control"
    FINANCE = "finance"
    SALES_MANAGER = "sales_manager"
    SALES_SERVICE = "sales_service"
    SENIOR_MANAGER = "senior_manager"
    REGION_GM = "region_gm"
    EXECUTIVE = "executive"

    @property
    def title_zh(self) -> str:
        return ROLE_TITLES[self]

    @property
    def title_en(self) -> str:
        return ROLE_TITLES_EN[self]


ROLE_TITLES: dict[Role, str] = {
    Role.GROUP_ADMIN: "集团系统管理员",
    Role.REGION_ADMIN: "地区系统管理员",
    Role.OPERATOR: "业务操作员",
    Role.SALES_REP: "销售代表",
    Role.SALES_CONTROL: "现场销控",
    Role.FINANCE: "现场财务",
    Role.SALES_MANAGER: "销售经理",
    Role.SALES_SERVICE: "销售服务",
    Role.SENIOR_MANAGER: "市场营销部高级经理",
    Role.REGION_GM: "地区总经理",
    Role.EXECUTIVE: "集团营销管理部",
}

ROLE_TITLES_EN: dict[Role, str] = {
    Role.GROUP_ADMIN: "Group admin",
    Role.REGION_ADMIN: "Regional admin",
    Role.OPERATOR: "Operator",
    Role.SALES_REP: "Sales rep",
    Role.SALES_CONTROL: "Sales control",
    Role.FINANCE: "Site finance",
    Role.SALES_MANAGER: "Sales manager",
    Role.SALES_SERVICE: "Sales service",
    Role.SENIOR_MANAGER: "Senior marketing manager",
    Role.REGION_GM: "Region GM",
    Role.EXECUTIVE: "Group marketing / executive office",
}

#: Roles whose scope is the whole group rather than one region.
GROUP_ROLES = frozenset({Role.GROUP_ADMIN, Role.EXECUTIVE})


class Capability(StrEnum):
    """What a role lets its holder do. Every check of "may this account …" in the service, the watcher,
    the command line and the portal goes through :data:`CAPABILITIES` (``Account.can``)."""

    SIGN_CHANGE_SETS = "sign_change_sets"  # 签字确认 (§6)
    VIEW_CHANGE_SETS = "view_change_sets"  # the signers and the operator who submits
    SETTLE_OWNERSHIP = "settle_ownership"  # settle 撞单, reassign dormant customers (§3)
    READ_REPORTS = "read_reports"  # the reports of §4
    VIEW_BOARD = "view_board"  # the 楼盘表
    RECONCILE = "reconcile"  # hand in and review manual reports (§8)
    MANAGE_ACCOUNTS = "manage_accounts"  # group admin → regional admins → users
    SEE_ALL_REGIONS = "see_all_regions"
    SEE_REGION_WORKBOOKS = "see_region_workbooks"  # everyone's versions in their region, not only their own


_READERS = frozenset(
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

#: The capability table: which roles hold each capability.
CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.SIGN_CHANGE_SETS: frozenset({Role.SENIOR_MANAGER, Role.REGION_GM, Role.EXECUTIVE}),
    Capability.VIEW_CHANGE_SETS: frozenset(
        {Role.SENIOR_MANAGER, Role.REGION_GM, Role.EXECUTIVE, Role.OPERATOR}
    ),
    Capability.SETTLE_OWNERSHIP: frozenset({Role.SALES_MANAGER, Role.SENIOR_MANAGER, Role.REGION_GM}),
    Capability.READ_REPORTS: _READERS,
    Capability.VIEW_BOARD: _READERS | {Role.SALES_REP, Role.OPERATOR},
    Capability.RECONCILE: frozenset(
        {
            Role.SALES_CONTROL,
            Role.FINANCE,
            Role.SALES_MANAGER,
            Role.SENIOR_MANAGER,
            Role.REGION_GM,
            Role.EXECUTIVE,
        }
    ),
    Capability.MANAGE_ACCOUNTS: frozenset({Role.GROUP_ADMIN, Role.REGION_ADMIN}),
    Capability.SEE_ALL_REGIONS: GROUP_ROLES,
    Capability.SEE_REGION_WORKBOOKS: frozenset(
        {
            Role.REGION_ADMIN,
            Role.SALES_MANAGER,
            Role.SENIOR_MANAGER,
            Role.REGION_GM,
            Role.SALES_CONTROL,
            Role.FINANCE,
        }
    ),
}


def holders(capability: Capability) -> frozenset[Role]:
    return CAPABILITIES[capability]
