"""The declarative language of workbook kinds.

A :class:`WorkbookKind` names its sheets, each :class:`Sheet` its columns, keys and deletion policy,
and the kind who may submit it and which cross-row rules apply. Everything else derives from it:
the Excel template (``sync.xlsx.templates``), the pandera schemas (``validators.frames``), the sync plan
(``sync.plans``) and the reference docs (``salesync docs``). A column's Chinese header is written
once, here; code refers to columns by their English ``field`` name, which is also the attribute
name on the model the sheet syncs into.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from schema.roles import Role


class ColType(StrEnum):
    TEXT = "text"
    CODE = "code"  # identifiers: trimmed, width-folded, no inner spaces
    PHONE = "phone"  # mainland mobile, normalised to 11 ASCII digits
    ANY_PHONE = "any_phone"  # mobile or landline with area code
    ID_NUMBER = "id_number"  # 证件号码; 身份证 check digit verified
    DATE = "date"
    DATETIME = "datetime"
    DECIMAL = "decimal"
    INTEGER = "integer"
    CHOICE = "choice"
    YES_NO = "yes_no"


class Deletion(StrEnum):
    """What a row missing from a later version of the workbook means."""

    NEVER = "never"  # nothing: the workbook only adds and changes (a rep's customers)
    REMOVE = "remove"  # a removal, kept as a version (master data, receipts, holds)
    REPORT = "report"  # reported to the author, never taken as a deletion (deals)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    type: ColType
    required: bool = False
    choices: tuple[str, ...] = ()
    decimals: int | None = None
    positive: bool = False
    minimum: float | None = None
    hint: str = ""
    width: int = 14
    #: the most characters a value may have; unless declared here, taken from the column of the
    #: same name in the table the sheet is stored in (``Sheet.stored_in``), so a length is written once
    max_length: int | None = None


#: Types whose values are stored as text as typed (a phone is normalised to digits first).
TEXT_TYPES = frozenset({ColType.TEXT, ColType.CODE, ColType.CHOICE, ColType.ID_NUMBER, ColType.ANY_PHONE})


class HasColumns:
    """Lookups by field for anything made of columns (a workbook sheet, a report)."""

    columns: tuple[Column, ...]

    def column(self, field_name: str) -> Column:
        for col in self.columns:
            if col.field == field_name:
                return col
        raise KeyError(field_name)

    def header(self, field_name: str) -> str:
        return self.column(field_name).header

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]


@dataclass(frozen=True)
class Sheet(HasColumns):
    name: str
    entity: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    deletion: Deletion = Deletion.NEVER
    required: bool = True
    scope: str | None = None  # field limiting deletions to what the workbook covers (e.g. project_code)
    description: str = ""
    stored_in: Any = field(default=None, compare=False)  # the mapped class its rows are stored in

    def __post_init__(self) -> None:
        if self.stored_in is not None:
            object.__setattr__(
                self, "columns", tuple(_stored_length(c, self.stored_in) for c in self.columns)
            )
        fields = [c.field for c in self.columns]
        headers = [c.header for c in self.columns]
        if len(set(fields)) != len(fields) or len(set(headers)) != len(headers):
            raise ValueError(f"sheet {self.name}: duplicate column")
        missing = set(self.key) - set(fields)
        if missing:
            raise ValueError(f"sheet {self.name}: key fields {missing} are not columns")


def _stored_length(col: Column, model: Any) -> Column:
    """The column with the length of the text column it is stored in (by field name), if it has one."""
    if col.max_length is not None or col.type not in TEXT_TYPES:
        return col
    stored = model.__table__.columns.get(col.field)
    length = getattr(getattr(stored, "type", None), "length", None)
    return replace(col, max_length=length) if isinstance(length, int) else col


class Lookups(Protocol):
    """Read-only facts from the database that cross-database rules need.

    ``sync`` implements it over a session; validators never touch the database themselves.
    """

    def project_pricing_basis(self, codes: Iterable[str]) -> Mapping[str, str]: ...
    def building_floors(self, keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]: ...
    def room_projects(self, codes: Iterable[str]) -> Mapping[str, str]: ...
    def plan_projects(self, codes: Iterable[str]) -> Mapping[str, str]: ...
    def discount_projects(self, codes: Iterable[str]) -> Mapping[str, str]: ...
    def region_codes(self) -> set[str]: ...
    def known_phones(self, phones: Iterable[str]) -> set[str]: ...
    def today(self) -> dt.date: ...  # the date the workbook is checked on (Asia/Shanghai)
    def owned_phones(self, phones: Iterable[str]) -> set[str]: ...


#: A cross-row, cross-sheet or cross-database rule: the workbook's prepared sheets by entity
#: (``validators.frames.Prepared``) and the lookups in, findings out.
Rule = Callable[[Mapping[str, Any], Lookups], Iterable[Any]]


@dataclass(frozen=True)
class WorkbookKind:
    id: str
    title: str
    version: str
    sheets: tuple[Sheet, ...]
    submit_roles: frozenset[Role]
    plan: str
    rules: tuple[Rule, ...] = ()
    atomic: bool = False  # any row error rejects the whole version (signed master data)
    file_stem: str = ""
    description: str = ""
    # the field linking every sheet of a re-saved workbook, for recognising untouched rows by their
    # raw cells (``sync.pipeline.settled``); None: every row of every save is checked in full
    settle_by: str | None = None
    # a ``manual_report_*`` kind: the id of the system report it is reconciled against
    report: str | None = None

    def sheet(self, entity: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.entity == entity:
                return sheet
        raise KeyError(entity)

    def sheet_by_name(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    @property
    def template_name(self) -> str:
        return f"{self.file_stem or self.title}.xlsx"
