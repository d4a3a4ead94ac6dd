"""The hidden ``_salesync`` sheet: which template a workbook came from and which version was accepted.

Layout (column A key, column B value), one pair per row::

    template_id        customers
    template_version   1
    workbook_uid       3f0c…      (after the first accepted version)
    accepted_version   4
    accepted_at        2026-11-26T10:03:00+08:00
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

STAMP_SHEET = "_salesync"
KEYS = ("template_id", "template_version", "workbook_uid", "accepted_version", "accepted_at")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


@dataclass(frozen=True, slots=True)
class Stamp:
    template_id: str | None
    template_version: str | None
    workbook_uid: str | None = None
    accepted_version: int | None = None
    accepted_at: str | None = None

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]]) -> Stamp:
        values: dict[str, str | None] = {}
        for row in rows:
            if len(row) >= 2 and _text(row[0]) in KEYS:
                values[str(_text(row[0]))] = _text(row[1])
        seq = values.get("accepted_version")
        return cls(
            template_id=values.get("template_id"),
            template_version=values.get("template_version"),
            workbook_uid=values.get("workbook_uid"),
            accepted_version=int(seq) if seq and seq.isdigit() else None,
            accepted_at=values.get("accepted_at"),
        )

    def rows(self) -> list[tuple[str, str | int]]:
        pairs: list[tuple[str, str | int | None]] = [
            ("template_id", self.template_id),
            ("template_version", self.template_version),
            ("workbook_uid", self.workbook_uid),
            ("accepted_version", self.accepted_version),
            ("accepted_at", self.accepted_at),
        ]
        return [(k, v) for k, v in pairs if v is not None]
