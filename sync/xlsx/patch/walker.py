"""The element-by-element walk of a worksheet part: every row and cell seen by expat, in one pass.

Each ``<row>`` is looked at when it ends, with the offsets of its cells, and the edits are byte
ranges (a cell's start tag with a new style index, a cell replaced by an inline string, a cell or
row inserted in order). The header row (row 1) is read first, so the caller decides where things go
once, when row 1 ends.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from sync.xlsx.patch import Unsupported
from sync.xlsx.patch.sheet_edit import Cell, Header, RowSeen, SheetEdit, SheetPass
from sync.xlsx.patch.xmlbits import (
    MAX_COLUMN,
    MAX_ROW,
    Splice,
    column_letters,
    element_end,
    local,
    pairs,
    parse,
    parse_ref,
    parser,
    prefix_of,
    ref,
    start_tag,
    tag_end,
    text,
)

STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
# children of <worksheet> that come after <legacyDrawing>, in schema order
_AFTER_LEGACY = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                 "tableParts", "extLst")  # fmt: skip


class Walker:
    def __init__(
        self,
        data: bytes,
        part: str,
        decide: Callable[[Header], SheetEdit],
        strings: Callable[[list[int]], list[str]],
    ) -> None:
        self.data, self.part, self.decide, self.strings = data, part, decide, strings
        self.out = SheetPass(data, Splice(), "")
        self.edit: SheetEdit | None = None
        self.depth = 0
        self.top = ""
        self.in_rph = False
        self.grab = False
        self.row: RowSeen | None = None
        self.cell: list[object] | None = None  # column, start, attributes, formula kind
        self.capture: list[str] | None = None  # text of a row-1 cell being read
        self.header_raw: dict[int, tuple[str, str, int]] = {}  # column -> (type, text, style)
        self.sheet_data: tuple[int, int, str] | None = None  # start, start-tag end, name
        self.sheet_data_close = -1
        self.dimension: tuple[int, int, str, list[tuple[str, str]]] | None = None
        self.cols: tuple[int, int, str] | None = None  # start, start-tag end, name
        self.cols_close = -1
        self.col_ranges: list[tuple[int, int, int]] = []  # min, max, start offset
        self.new_rows: list[int] = []
        self.new_cells: dict[int, list[int]] = {}
        self.next_new = 0
        self.last_row = 0
        self.extent = (0, 0)  # the furthest row and column written

    # -- the pass ----------------------------------------------------------------------------------

    def run(self) -> SheetPass:
        p = parser()
        self.p = p
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.CharacterDataHandler = self.chars
        parse(p, self._document(), self.part)
        if self.sheet_data is None:
            raise Unsupported(f"工作表部件 {self.part} 缺少 sheetData")
        self._finish()
        return self.out

    def start(self, name: str, ordered: list[str]) -> None:
        at = self._at()
        depth = self.depth
        self.depth += 1
        here = local(name)
        if self.top == "sheetData":
            if depth == 2 and here == "row":
                self._row_start(name, at, pairs(ordered))
            elif depth == 3 and here == "c" and self.row is not None:
                self._cell_start(at, pairs(ordered))
            elif self.cell is not None:
                if depth == 4 and here == "f":
                    self.cell[3] = dict(pairs(ordered)).get("t", "normal")
                elif here == "rPh":
                    self.in_rph = True
                elif self.capture is not None and here in ("v", "t") and not self.in_rph:
                    self.grab = True
        elif depth == 1:
            self.top = here
            self._top(here, name, at, ordered)
        elif depth == 0:
            self.out.prefix = prefix_of(name)
            if STRICT_NS in ordered:
                raise Unsupported("工作簿为 Strict Open XML 格式")
        elif depth == 2 and here == "col" and self.top == "cols":
            values = dict(pairs(ordered))
            try:
                self.col_ranges.append((int(values.get("min", "0")), int(values.get("max", "0")), at))
            except ValueError as exc:
                raise Unsupported(f"工作表 {self.part} 的列宽定义有误") from exc

    def _row_start(self, name: str, at: int, attrs: list[tuple[str, str]]) -> None:
        number = dict(attrs).get("r")
        if number is None or not number.isdigit() or not self.last_row < int(number) <= MAX_ROW:
            raise Unsupported(f"工作表 {self.part} 的行号缺失或顺序错误（{number}）")
        self.last_row = int(number)
        self.out.rows_seen += 1
        self.row = RowSeen(int(number), at, tag_end(self.data, at), -1, -1, name, attrs)

    def _cell_start(self, at: int, attrs: list[tuple[str, str]]) -> None:
        assert self.row is not None
        where = dict(attrs).get("r")
        cell = parse_ref(where) if where else None
        if cell is None or cell[0] != self.row.number:
            raise Unsupported(f"工作表 {self.part} 第 {self.row.number} 行有缺少或错误位置的单元格")
        self.out.cells_seen += 1
        self.cell = [cell[1], at, attrs, ""]
        if self.row.number == 1 and self.edit is None:
            self.capture = []

    def _top(self, here: str, name: str, at: int, ordered: list[str]) -> None:
        if here == "sheetData":
            self.sheet_data = (at, tag_end(self.data, at), name)
        elif here == "dimension":
            self.dimension = (at, tag_end(self.data, at), name, pairs(ordered))
        elif here == "cols":
            self.cols = (at, tag_end(self.data, at), name)
        elif here == "legacyDrawing":
            self.out.legacy_rid = next((v for k, v in pairs(ordered) if local(k) == "id"), None)
        elif here in _AFTER_LEGACY and self.out.legacy_at < 0:
            self.out.legacy_at = at

    def chars(self, content: str) -> None:
        if self.grab and self.capture is not None:
            self.capture.append(content)

    def _at(self) -> int:
        return self.p.CurrentByteIndex

    def _document(self) -> bytes:
        return self.data

    def _rows(self) -> None:
        """The rows, when they are not walked element by element (see ``RowScanner``)."""

    def end(self, name: str) -> None:
        at = self._at()
        self.depth -= 1
        depth = self.depth
        here = local(name)
        if depth == 1:
            if here == "sheetData" and self.sheet_data is not None:
                closing, _ = element_end(self.data, at, name, self.sheet_data[0])
                self.sheet_data_close = at if closing else -2
                self._rows()
                self._after_rows()
            elif here == "cols" and self.cols is not None:
                closing, _ = element_end(self.data, at, name, self.cols[0])
                self.cols_close = at if closing else -2
            self.top = ""
        elif depth == 0:
            if self.out.legacy_at < 0:
                self.out.legacy_at = at  # before </worksheet>
        elif self.top != "sheetData":
            return
        elif depth == 3 and self.cell is not None and self.row is not None:
            column, begin, attrs, formula = self.cell
            assert isinstance(column, int) and isinstance(begin, int) and isinstance(attrs, list)
            _, finish = element_end(self.data, at, name, begin)
            self.row.cells.append((column, begin, finish, attrs, str(formula)))
            if self.capture is not None:
                values = dict(attrs)
                style = int(values.get("s", "0") or 0)
                self.header_raw[column] = (values.get("t", "n"), "".join(self.capture), style)
                self.capture = None
            self.cell = None
        elif depth == 2 and self.row is not None:
            closing, finish = element_end(self.data, at, name, self.row.start)
            self.row.close, self.row.end = (at if closing else -1), finish
            self._row_done(self.row)
            self.row = None
        elif here == "rPh":
            self.in_rph = False
        elif here in ("v", "t"):
            self.grab = False

    # -- decisions ---------------------------------------------------------------------------------

    def _plan(self) -> SheetEdit:
        if self.edit is None:
            wanted = sorted(
                {int(t) for kind, t, _ in self.header_raw.values() if kind == "s" and t.strip().isdigit()}
            )
            found = dict(zip(wanted, self.strings(wanted), strict=True)) if wanted else {}
            header: Header = {}
            for column, (kind, raw, style) in sorted(self.header_raw.items()):
                value = found.get(int(raw), "") if kind == "s" and raw.strip().isdigit() else raw
                header[column] = (value, style)
            self.edit = self.decide(header)
            targets = set(self.edit.create) | {c for c, v in self.edit.texts.items() if v is not None}
            for row, column in targets:
                if not (1 <= row <= MAX_ROW and 1 <= column <= MAX_COLUMN):
                    raise Unsupported(f"单元格位置超出范围：{row}, {column}")
                self.new_cells.setdefault(row, []).append(column)
            for columns in self.new_cells.values():
                columns.sort()
            self.new_rows = sorted(self.new_cells)
        return self.edit

    def _row_done(self, row: RowSeen) -> None:
        edit = self._plan()
        self._rows_before(row.number, row.start)
        splice = self.out.splice
        wanted = self.new_cells.get(row.number, [])
        pending = 0
        inserted = False
        for column, begin, finish, attrs, formula in row.cells:
            while pending < len(wanted) and wanted[pending] < column:
                splice.insert(begin, self._new_cell(row.number, wanted[pending]))
                pending += 1
                inserted = True
            if pending < len(wanted) and wanted[pending] == column:
                pending += 1
            self._existing_cell(edit, row.number, column, begin, finish, attrs, formula)
        rest = b"".join(self._new_cell(row.number, c) for c in wanted[pending:])
        if rest and row.close >= 0:
            splice.insert(row.close, rest)
        if rest or inserted:
            attrs = [(k, v) for k, v in row.attrs if k != "spans"]  # the hint would be stale
            if row.close < 0:
                splice.replace(
                    row.start, row.end, start_tag(row.name, attrs) + rest + f"</{row.name}>".encode()
                )
            elif len(attrs) != len(row.attrs):
                splice.replace(row.start, row.head_end, start_tag(row.name, attrs))

    def _existing_cell(
        self,
        edit: SheetEdit,
        row: int,
        column: int,
        begin: int,
        finish: int,
        attrs: list[tuple[str, str]],
        formula: str,
    ) -> None:
        cell = (row, column)
        values = dict(attrs)
        style = int(values.get("s", "0") or 0)
        if cell in edit.texts or (edit.clear_column == column and row > 1):
            if formula in ("shared", "array", "dataTable"):
                raise Unsupported(f"单元格 {ref(row, column)} 含有共享或数组公式，无法写入同步状态")
            if "vm" in values or "cm" in values:
                raise Unsupported(f"单元格 {ref(row, column)} 含有嵌入的图片或富值，无法写入同步状态")
            self.out.splice.replace(begin, finish, self._cell_xml(cell, style, edit.texts.get(cell)))
            return
        new_style = edit.restyle(cell, style)
        if new_style != style:
            head = tag_end(self.data, begin)
            empty = self.data[head - 2 : head] == b"/>"
            rest = [(k, v) for k, v in attrs if k != "s"]
            rest.insert(1 if rest and rest[0][0] == "r" else 0, ("s", str(new_style)))
            name = f"{self.out.prefix}c"
            self.out.splice.replace(begin, head, start_tag(name, rest, empty=empty))

    def _cell_xml(self, cell: Cell, style: int, value: str | None) -> bytes:
        edit = self._plan()
        style = edit.restyle(cell, style)
        p = self.out.prefix
        attrs = [("r", ref(*cell))] + ([("s", str(style))] if style else [])
        if value is None:
            return start_tag(f"{p}c", attrs, empty=True) if style else b""
        self.extent = (max(self.extent[0], cell[0]), max(self.extent[1], cell[1]))
        body = f'<{p}is><{p}t xml:space="preserve">{text(value)}</{p}t></{p}is></{p}c>'
        return start_tag(f"{p}c", [*attrs, ("t", "inlineStr")]) + body.encode()

    def _new_cell(self, row: int, column: int) -> bytes:
        edit = self._plan()
        cell = (row, column)
        self.extent = (max(self.extent[0], row), max(self.extent[1], column))
        return self._cell_xml(cell, edit.base_style.get(cell, 0), edit.texts.get(cell)) or start_tag(
            f"{self.out.prefix}c", [("r", ref(*cell))], empty=True
        )

    def _rows_before(self, number: int, at: int) -> None:
        """Insert at ``at`` the new rows numbered below ``number``."""
        out = []
        p = self.out.prefix
        while self.next_new < len(self.new_rows) and self.new_rows[self.next_new] < number:
            row = self.new_rows[self.next_new]
            cells = b"".join(self._new_cell(row, c) for c in self.new_cells[row])
            out.append(start_tag(f"{p}row", [("r", str(row))]) + cells + f"</{p}row>".encode())
            self.next_new += 1
        if self.next_new < len(self.new_rows) and self.new_rows[self.next_new] == number:
            self.next_new += 1
        if out:
            self.out.splice.insert(at, b"".join(out))

    def _after_rows(self) -> None:
        self._plan()
        assert self.sheet_data is not None
        start, head, name = self.sheet_data
        if self.sheet_data_close >= 0:
            self._rows_before(MAX_ROW + 1, self.sheet_data_close)
            return
        splice = Splice()
        self.out.splice, saved = splice, self.out.splice
        self._rows_before(MAX_ROW + 1, 0)
        self.out.splice = saved
        rows = b"".join(content for *_, content in splice.edits)
        if rows:
            opened = self.data[start : head - 2].rstrip() + b">"
            self.out.splice.replace(start, head, opened + rows + f"</{name}>".encode())

    def _finish(self) -> None:
        edit = self._plan()
        self._widths(edit.widths)
        self._dimension()

    def _widths(self, widths: dict[int, float]) -> None:
        p = self.out.prefix
        added: list[tuple[int, bytes]] = []
        for column, width in sorted(widths.items()):
            if any(low <= column <= high for low, high, _ in self.col_ranges):
                continue
            col = start_tag(f"{p}col", [("min", str(column)), ("max", str(column)), ("width", f"{width:g}"),
                                        ("customWidth", "1")], empty=True)  # fmt: skip
            added.append((column, col))
        if not added:
            return
        if self.cols is None:
            assert self.sheet_data is not None
            body = b"".join(col for _, col in added)
            self.out.splice.insert(self.sheet_data[0], f"<{p}cols>".encode() + body + f"</{p}cols>".encode())
            return
        if self.cols_close < 0:
            start, head, name = self.cols
            opened = self.data[start : head - 2].rstrip() + b">"
            body = b"".join(col for _, col in added)
            self.out.splice.replace(start, head, opened + body + f"</{name}>".encode())
            return
        lows = [low for low, _, _ in self.col_ranges]
        for column, col in added:
            index = bisect.bisect_left(lows, column)
            at = self.col_ranges[index][2] if index < len(self.col_ranges) else self.cols_close
            self.out.splice.insert(at, col)

    def _dimension(self) -> None:
        rows, columns = self.extent
        if self.dimension is None or not rows:
            return
        start, head, name, attrs = self.dimension
        declared = dict(attrs).get("ref", "")
        first, _, last = declared.partition(":")
        top, bottom = parse_ref(first), parse_ref(last or first)
        if top is None or bottom is None:
            return
        new_bottom = (max(bottom[0], rows), max(bottom[1], columns))
        if new_bottom == bottom:
            return
        value = f"{column_letters(top[1])}{top[0]}:{column_letters(new_bottom[1])}{new_bottom[0]}"
        self.out.splice.replace(start, head, start_tag(name, [(k, value if k == "ref" else v) for k, v in attrs],
                                                       empty=self.data[head - 2 : head] == b"/>"))  # fmt: skip
