"""The worksheet scan as it was before the fast path: one Python call per XML element.

Kept only as the reference the fast scan (``sync.xlsx.xml_scan.SheetScan``) is compared with, on
every workbook of the comparison corpus: the two must refuse the same way and record the same
extents and formulas.
"""

from __future__ import annotations

from collections.abc import Callable

from sync.xlsx.xml_scan import _COLUMNS, _DIGITS, _REF, Refusal, SheetLimits, XmlStream, _column, _ref


class ReferenceSheetScan:
    """A worksheet's cells, as a reader will see them.

    The extent is that of the cells holding a value (a ``<v>`` or an inline string): the grid
    calamine allocates runs from the first to the last of them, so that grid is what
    :meth:`check` bounds. Cells with only a format cost a reader nothing and are only counted.
    Every cell's reference is read, whatever its quoting or the length of its column letters.

    The handler of element starts is the hot path (a call per element, millions in a big sheet):
    it is a closure over plain local variables, and text is collected only in inline strings
    (for their size) and formulas (for their cached value).
    """

    def __init__(self, name: str, part: str, limits: SheetLimits) -> None:
        self.name, self.part, self.limits = name, part, limits
        self.formulas: list[str] = []  # refs ("F12") of formulas saved without a value
        self.first_row = 0  # the Excel row of the first value
        self.first_col = 0
        self.last_row = 0
        self.last_col = 0  # 1-based
        self.cells = 0
        self.dimension = ""
        self.stream = XmlStream(part, label=f"工作表“{name}”")
        self.stream.parser.ordered_attributes = False
        self._end_cell, self._sync = self._handlers()

    def feed(self, chunk: bytes) -> None:
        self.stream.feed(chunk)

    def close(self) -> None:
        self.stream.close()
        self._end_cell()
        self._sync()

    def _handlers(self) -> tuple[Callable[[], None], Callable[[], None]]:
        parser, limits, name_of_sheet = self.stream.parser, self.limits, self.name
        max_rows, max_cols, max_elements = limits.max_rows, limits.max_columns, limits.max_cell_elements
        max_chars = limits.max_string_chars
        local_of: dict[str, str] = {}  # qualified name → local name, as met
        formulas = self.formulas
        row = col = cells = 0
        first_row = first_col = last_row = last_col = 0
        in_cell = formula = cached = collecting = False
        cell_type: str | None = None
        size = 0
        text: list[str] = []

        def bad(ref: str) -> Refusal:
            return Refusal("sheet-bad-reference", sheet=name_of_sheet, ref=ref[:40])

        def row_number(digits: str, ref: str) -> int:
            digits = digits.strip()
            if not digits.isdigit() or len(digits) > 9 or not 0 < int(digits) <= max_rows:
                raise bad(ref)
            return int(digits)

        def position(ref: str) -> tuple[int, int]:
            """A reference outside the fast path: lower case, spaces, or junk (refused)."""
            match = _REF.fullmatch(ref.strip())
            if match is None or len(match.group(1)) > 3:
                raise bad(ref)
            number = _column(match.group(1).upper())
            if number > max_cols:
                raise bad(ref)
            return row_number(match.group(2), ref), number

        def chars(chunk: str) -> None:
            nonlocal size
            size += len(chunk)
            if size > max_chars:
                raise Refusal(
                    "cell-text-too-long",
                    sheet=name_of_sheet,
                    cell=_ref(row, col),
                    length=f"{size:,}+",
                    limit=f"{max_chars:,}",
                )
            if formula and len(text) < 2:
                text.append(chunk)

        def collect() -> None:
            nonlocal collecting, size
            collecting, size = True, 0
            parser.CharacterDataHandler = chars

        def end_cell() -> None:
            """A formula cell or an inline string, once the cell after it starts."""
            nonlocal collecting, formula, cached
            if collecting:
                parser.CharacterDataHandler = None
                collecting = False
            if formula:
                if not (cached and ("".join(text) or cell_type in ("str", "inlineStr"))):
                    formulas.append(_ref(row, col))
                formula = cached = False
                text.clear()

        def start(qualified: str, attrs: dict[str, str]) -> None:
            nonlocal row, col, cells, first_row, first_col, last_row, last_col
            nonlocal in_cell, formula, cached, cell_type
            name = local_of.get(qualified)
            if name is None:
                name = local_of[qualified] = qualified.rpartition(":")[2]
            if name == "c":
                if collecting or formula:
                    end_cell()
                cells += 1
                if cells > max_elements:
                    raise Refusal("sheet-too-many-cells", sheet=name_of_sheet, cells=f"{max_elements:,}")
                in_cell = True
                cell_type = attrs.get("t")
                ref = attrs.get("r")
                if ref is None:
                    col += 1
                    if col > max_cols:
                        raise bad(_ref(row, col))
                    return
                letters = ref.rstrip(_DIGITS)
                number = _COLUMNS.get(letters)  # only ever upper-case letters, at most three
                digits = ref[len(letters) :]
                if number is None or not digits.isascii() or not digits.isdigit() or digits[0] == "0":
                    row, col = position(ref)  # the slow way: lower case, spaces, or refused
                    return
                row = int(digits)
                if number > max_cols or row > max_rows:
                    raise bad(ref)
                col = number
            elif name == "t":
                return  # text of an inline string (collected from <is>): the most frequent element
            elif name == "v" or name == "is":
                if not in_cell:
                    return
                if not first_row:
                    first_row, first_col = row, col
                elif row < first_row:
                    first_row = row
                if col < first_col:
                    first_col = col
                if row > last_row:
                    last_row = row
                if col > last_col:
                    last_col = col
                if name == "is":
                    collect()
                elif formula:
                    cached = True
                    collect()
            elif name == "f":
                formula = in_cell
            elif name == "row":
                if collecting or formula:
                    end_cell()
                in_cell = False
                number_text = attrs.get("r")
                row = row_number(number_text, number_text) if number_text is not None else row + 1
                col = 0
            elif name == "dimension":
                self.dimension = attrs.get("ref", "")[:40]
                for corner in self.dimension.split(":"):
                    if corner:
                        position(corner)

        def sync() -> None:
            self.first_row, self.first_col, self.last_row, self.last_col = (
                first_row,
                first_col,
                last_row,
                last_col,
            )
            self.cells = cells

        parser.StartElementHandler = start
        return end_cell, sync

    @property
    def grid(self) -> int:
        """The cells a reader allocates: from the first to the last row and column holding values."""
        if not self.first_row:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_col - self.first_col + 1)

    def check(self) -> None:
        if self.grid > self.limits.max_cells:
            raise Refusal("sheet-too-large", sheet=self.name, last_row=self.last_row, cells=f"{self.grid:,}")


class ReferenceSharedStringsScan:
    """The shared strings as they were read before: a call per element and per text."""

    def __init__(self, part: str, limits: SheetLimits) -> None:
        self.part, self.limits = part, limits
        self.count = 0
        self.stream = XmlStream(part)
        parser = self.stream.parser
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        parser.buffer_text = True
        self._size = 0
        self._in_text = 0
        self._open = False

    def feed(self, chunk: bytes) -> None:
        self.stream.feed(chunk)

    def close(self) -> None:
        self.stream.close()
        if self._open:
            self._finish()

    def _start(self, qualified: str, _attrs: list[str]) -> None:
        name = qualified.rpartition(":")[2]
        if name == "si":
            if self._open:
                self._finish()
            self._open = True
        elif name == "t":
            self._in_text += 1

    def _end(self, qualified: str) -> None:
        name = qualified.rpartition(":")[2]
        if name == "t":
            self._in_text -= 1
        elif name == "si" and self._open:
            self._finish()

    def _chars(self, text: str) -> None:
        if self._open and self._in_text > 0:
            self._size += len(text)
            if self._size > self.limits.max_string_chars:
                raise Refusal(
                    "cell-text-too-long",
                    sheet=None,
                    cell=f"#{self.count + 1}",
                    length=f"{self._size:,}+",
                    limit=f"{self.limits.max_string_chars:,}",
                )

    def _finish(self) -> None:
        self.count += 1
        self._size = 0
        self._open = False
