"""Findings: bad input as data.

Every finding has a stable ``code``, a position the user can find (sheet, the Excel row number they
see, the header), the offending value and parameters; its words come from ``validators.messages``
at the one boundary that shows it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from typing import TYPE_CHECKING, Any

from validators.messages import render

if TYPE_CHECKING:  # Arrow loads with the first run of findings: `salesync status` never needs it
    import pyarrow as pa

#: a customer already owned by someone of the rep's region (named), or of another region (not named)
COLLISION_ELSEWHERE = "collision-elsewhere"
COLLISION_CODES = frozenset({"collision", COLLISION_ELSEWHERE})


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


def cached_message(finding: Finding, cache: dict[tuple[Any, ...], str], lang: str = "zh") -> str:
    """A finding's message, rendered once for the many findings that differ only by row (one
    ``cache`` per language).

    Findings made together share one ``params`` dict (a run's findings share one per distinct
    value): while they are all alive, the dict's identity is as good a key as its content."""
    key = (finding.code, finding.header, finding.value, id(finding.params))
    message = cache.get(key)
    if message is None:
        message = cache[key] = finding.message(lang)
    return message


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


@dataclass(frozen=True, eq=False)
class FindingRun:
    """Many findings of one code in one column, held as columns instead of objects.

    A rep's first import of a long-kept workbook may bring 100k late entries: as a run they are
    two Arrow arrays. Row ``i`` is Excel row ``rows[i]`` with the value ``values[i]``; the
    values are dictionary-encoded and ``params[k]`` belongs to the ``k``-th distinct value, so a
    message is rendered once per distinct value. Iterating yields the same :class:`Finding`
    objects a plan would have made one by one.
    """

    code: str
    sheet: str
    header: str
    rows: pa.Array  # int64, never null
    values: pa.DictionaryArray  # string dictionary, indices never null
    params: tuple[dict[str, Any], ...]  # one per dictionary entry
    severity: Severity = Severity.WARNING

    def __post_init__(self) -> None:
        if len(self.rows) != len(self.values) or len(self.params) != len(self.values.dictionary):
            raise ValueError("a finding run needs one value per row and one params per distinct value")

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Finding]:
        distinct = self.values.dictionary.to_pylist()
        for row, k in zip(self.rows.to_pylist(), self.values.indices.to_pylist(), strict=True):
            yield Finding(self.code, self.sheet, row, self.header, distinct[k], self.params[k], self.severity)

    def messages_by_value(self, lang: str = "zh") -> pa.Array:
        """The message of each distinct value, in the dictionary's order."""
        distinct = self.values.dictionary.to_pylist()
        words = [
            render(self.code, lang, value=value, header=self.header, **params)
            for value, params in zip(distinct, self.params, strict=True)
        ]
        import pyarrow as pa

        return pa.array(words, pa.string())

    def messages(self, lang: str = "zh") -> pa.Array:
        """Every row's message, rendered once per distinct value."""
        return self.messages_by_value(lang).take(self.values.indices)


class Findings:
    """A version's findings: single ones as objects, big uniform runs as :class:`FindingRun`.

    It iterates, counts and indexes like the list of every finding (singles first, then each
    run in order); the filters below skip a run whose code or severity cannot match without
    making its objects."""

    __slots__ = ("_items", "_runs")

    def __init__(self, items: Iterable[Finding] = ()) -> None:
        self._items: list[Finding] = list(items)
        self._runs: list[FindingRun] = []

    @property
    def single(self) -> list[Finding]:
        return self._items

    @property
    def runs(self) -> list[FindingRun]:
        return self._runs

    def append(self, finding: Finding) -> None:
        self._items.append(finding)

    def add_run(self, run: FindingRun) -> None:
        if len(run):
            self._runs.append(run)

    def extend(self, findings: Iterable[Finding]) -> None:
        if isinstance(findings, Findings):
            self._items.extend(findings._items)
            self._runs.extend(findings._runs)
        else:
            self._items.extend(findings)

    def __iadd__(self, findings: Iterable[Finding]) -> Findings:
        self.extend(findings)
        return self

    def __iter__(self) -> Iterator[Finding]:
        yield from self._items
        for run in self._runs:
            yield from run

    def __len__(self) -> int:
        return len(self._items) + sum(map(len, self._runs))

    def __bool__(self) -> bool:
        return bool(self._items or self._runs)

    def __getitem__(self, index: int) -> Finding:
        if 0 <= index < len(self._items):
            return self._items[index]
        return list(self)[index]

    def __repr__(self) -> str:
        return f"Findings({len(self._items)} single, {len(self._runs)} runs, {len(self)} in all)"

    def where(self, *, code: str | None = None, severity: Severity | None = None) -> list[Finding]:
        """The findings with this code and/or severity."""

        def fits(f: Finding | FindingRun) -> bool:
            return (code is None or f.code == code) and (severity is None or f.severity is severity)

        found = [f for f in self._items if fits(f)]
        for run in self._runs:
            if fits(run):
                found.extend(run)
        return found

    def first(
        self, per_code: int, *, in_full: Callable[[Finding | FindingRun], bool] = lambda f: False
    ) -> tuple[list[Finding], dict[str, int]]:
        """The findings in order, at most ``per_code`` of each code (those ``in_full`` picks all
        listed), and per code how many were left out. A run's findings past the limit are
        counted, not made."""
        taken: Counter[str] = Counter()
        total: Counter[str] = Counter()
        listed: list[Finding] = []
        for f in self._items:
            total[f.code] += 1
            if in_full(f) or taken[f.code] < per_code:
                taken[f.code] += 1
                listed.append(f)
        for run in self._runs:
            total[run.code] += len(run)
            room = len(run) if in_full(run) else max(0, per_code - taken[run.code])
            made = list(islice(run, room))
            taken[run.code] += len(made)
            listed.extend(made)
        return listed, {code: n - taken[code] for code, n in total.items() if n > taken[code]}

    def rows_by_sheet(
        self, *, severity: Severity | None = None, skip: frozenset[str] = frozenset()
    ) -> dict[str, set[int]]:
        """The Excel rows named by a finding, per sheet: of one severity, codes in ``skip`` left out."""
        rows: dict[str, set[int]] = {}
        for f in self._items:
            if (
                f.row is not None
                and f.sheet is not None
                and (severity is None or f.severity is severity)
                and f.code not in skip
            ):
                rows.setdefault(f.sheet, set()).add(f.row)
        for run in self._runs:
            if (severity is None or run.severity is severity) and run.code not in skip:
                rows.setdefault(run.sheet, set()).update(run.rows.to_pylist())
        return rows
