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
