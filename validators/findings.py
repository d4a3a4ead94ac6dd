"""Findings: bad input as data.

Every finding has a stable ``code``, a position the user can find (sheet, the Excel row number they
see, the header), the offending value and parameters; its words come from ``validators.messages``
at the one boundary that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from validators.messages import render


class Severity(StrEnum):
    ERROR = "error"  # the row (or, with no row, the whole version) is rejected
    WARNING = "warning"  # reported to the author; the row still syncs


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    sheet: str | None = None
    row: int | None = None
    header: str | None = None
    value: str | None = None
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    severity: Severity = Severity.ERROR

    @property
    def structural(self) -> bool:
        """A finding with no row rejects the whole version."""
        return self.row is None and self.severity is Severity.ERROR

    def message(self, lang: str = "zh") -> str:
        return render(self.code, lang, value=self.value, header=self.header, **self.params)

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "sheet": self.sheet,
            "row": self.row,
            "header": self.header,
            "value": self.value,
            "message": self.message(lang),
        }

    def flat(self) -> tuple[int | None, str | None, str]:
        """``(row, header, code)``: the shape tests assert on."""
        return (self.row, self.header, self.code)


def display(value: Any) -> str | None:
    """A cell value as the user would recognise it in a message."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
