"""Operational failures. Bad input is never an exception: it is a ``Finding``.

Each exception's docstring is its user-facing message; ``str(exc)`` adds the detail.
"""

from __future__ import annotations

from typing import Any

from validators.messages import render


class SalesyncError(Exception):
    """salesync 出错。"""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        head = (self.__doc__ or "").strip().splitlines()[0]
        return f"{head}{self.detail}" if self.detail else head


class UnknownAccount(SalesyncError):
    """账号不存在："""


class UnknownRegion(SalesyncError):
    """地区不存在："""


class AccountExists(SalesyncError):
    """账号已存在："""


class RegionExists(SalesyncError):
    """地区已存在："""


class InvalidRole(SalesyncError):
    """未知角色："""


class NotInitialised(SalesyncError):
    """数据库尚未初始化，请先运行 salesync init"""


class FileUnavailable(SalesyncError):
    """无法读取文件："""


class Refused(SalesyncError):
    """未执行："""

    def __init__(self, code: str, **params: Any) -> None:
        """``code`` names its words in ``validators.messages``; ``params`` fill them in. The words are
        made when asked for (a plan may refuse thousands of rows that only become findings)."""
        self.code, self.params = code, params
        super().__init__()

    def __str__(self) -> str:
        head = (self.__doc__ or "").strip().splitlines()[0]
        return f"{head}{render(self.code, 'zh', **self.params)}"

    def message(self, lang: str = "zh") -> str:
        return f"Not done: {render(self.code, 'en', **self.params)}" if lang == "en" else str(self)


class RowRefused(Refused):
    """此行未被接收："""

    # A domain rule refuses one workbook row: the plan turns it into a finding at ``field`` (a column
    # of the row's sheet) and rolls the row back; the rest of the workbook goes on.

    def __init__(self, code: str, field: str | None = None, /, **params: Any) -> None:
        self.field = field
        super().__init__(code, **params)


class AccountRefused(Refused):
    """账号操作未执行："""


class OwnershipRefused(Refused):
    """客户归属操作未执行："""
