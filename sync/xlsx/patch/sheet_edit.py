"""What a sheet edit asks for (:class:`SheetEdit`) and what the walk of the part gives back (:class:`SheetPass`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sync.xlsx.patch.xmlbits import Splice, start_tag

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

Cell = tuple[int, int]  # (row, column), 1-based as Excel numbers them
Header = dict[int, tuple[str, int]]  # column -> (text of row 1's cell, its style index)


@dataclass
class SheetEdit:
    """What to write into one sheet, decided once its header row is known."""

    texts: dict[Cell, str | None] = field(default_factory=dict)  # a value as text; None clears it
    clear_column: int | None = None  # values below row 1 in this column not in ``texts`` are cleared
    create: set[Cell] = field(default_factory=set)  # cells to add when absent (to carry a style)
    base_style: dict[Cell, int] = field(default_factory=dict)  # the style of a cell added here
    widths: dict[int, float] = field(default_factory=dict)  # column -> width, unless it has one
    restyle: Callable[[Cell, int], int] = lambda cell, s: s  # a cell's new style index
    # the style indices ``restyle`` may change on a cell not named above (None: any of them);
    # rows holding none of them and no named cell are copied without looking at their cells
    restyled: frozenset[int] | None = None


@dataclass
class RowSeen:
    number: int
    start: int
    head_end: int
    close: int  # offset of </row>, or -1 when written empty
    end: int
    name: str
    attrs: list[tuple[str, str]]
    cells: list[tuple[int, int, int, list[tuple[str, str]], str]] = field(default_factory=list)
    # each cell: column, start, end, attributes, the kind of its formula ("" for none)


@dataclass
class SheetPass:
    """The outcome of the pass: the edits and what the caller needs to finish the part."""

    data: bytes
    splice: Splice
    prefix: str
    legacy_rid: str | None = None  # the r:id of an existing <legacyDrawing>
    legacy_at: int = -1  # where a new <legacyDrawing> goes
    cells_seen: int = 0  # work done, for the tests that hold it to the data
    rows_seen: int = 0

    def add_legacy_drawing(self, rid: str) -> None:
        self.splice.insert(
            self.legacy_at,
            start_tag(f"{self.prefix}legacyDrawing", [("xmlns:r", REL_NS), ("r:id", rid)], empty=True),
        )

    def content(self) -> bytes:
        return self.splice.apply(self.data) if self.splice else self.data
