"""The fast walk of a plain worksheet part: rows found by a scan in C, only the rows that need an edit parsed.

A part that holds no comments, CDATA sections or processing instructions has a ``<`` only where a
tag starts (expat has checked it is well-formed), so its rows can be found by plain byte search.
"""

from __future__ import annotations

import re

from sync.xlsx.patch import Unsupported
from sync.xlsx.patch.sheet_edit import SheetEdit
from sync.xlsx.patch.walker import Walker
from sync.xlsx.patch.xmlbits import MAX_ROW, parse, parser, ref, tag_end

PLAIN_BREAKERS = re.compile(rb"<!--|<!\[CDATA\[|<\?|<!DOCTYPE")
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData(?=[\s/>])")
_ROW = re.compile(rb"<(?:[\w.-]+:)?row(?=[\s/>])")
_ROW_NUMBER = re.compile(rb"\sr\s*=\s*([\"'])(\d+)\1")
_STYLE = re.compile(rb"\ss\s*=\s*[\"'](\d+)[\"']")


class RowScanner(Walker):
    """The walk of a plain part: expat sees it with ``<sheetData>`` emptied; the rows are found by
    regular expressions (exact here: no comments or CDATA, and text never holds ``<``), and a row
    is parsed cell by cell only when it is row 1, holds a cell to write, or may hold a style to change.
    """

    def _document(self) -> bytes:
        found = _SHEET_DATA.search(self.data)
        if found is None:
            return self.data
        head = tag_end(self.data, found.start())
        if self.data[head - 2 : head] == b"/>":
            return self.data
        name = self.data[found.start() + 1 : found.end()]
        close = self.data.find(b"</" + name, head)
        if close < 0:
            return self.data
        self.cut, self.shift = head, close - head  # expat's offsets past the cut move by ``shift``
        return self.data[:head] + self.data[close:]

    cut = -1
    shift = 0

    def _at(self) -> int:
        at = self.p.CurrentByteIndex
        return at + self.shift if self.cut >= 0 and at >= self.cut else at

    def _rows(self) -> None:
        if self.cut < 0:
            return
        data, pos, end = self.data, self.cut, self.cut + self.shift
        while (start := data.find(b"<", pos, end)) >= 0:
            found = _ROW.match(data, start)
            if found is None:
                raise Unsupported(f"工作表 {self.part} 的 sheetData 中有不是行的内容")
            head = tag_end(data, start)
            number = _ROW_NUMBER.search(data, start, head)
            if number is None or not self.last_row < int(number[2]) <= MAX_ROW:
                raise Unsupported(f"工作表 {self.part} 的行号缺失或顺序错误")
            row = int(number[2])
            if data[head - 2 : head] == b"/>":
                close, finish = -1, head
            else:
                closing = b"</" + data[start + 1 : found.end()]
                close = data.find(closing, head, end)
                while close >= 0 and data[close + len(closing) : close + len(closing) + 1] not in b"> \t\r\n":
                    close = data.find(closing, close + 1, end)  # </rowX> is not the row's end
                if close < 0:
                    raise Unsupported(f"工作表 {self.part} 第 {row} 行没有结束")
                finish = tag_end(data, close)
            edit = self._plan() if row > 1 or self.edit is not None else None
            if edit is None or self._needs_cells(edit, row, data, head, close):
                self._row_cells(start, finish)
            else:
                self.last_row = row
                self.out.rows_seen += 1
                self._rows_before(row, start)
            pos = finish

    def _needs_cells(self, edit: SheetEdit, row: int, data: bytes, head: int, close: int) -> bool:
        if row in self.new_cells:
            return True
        if close < 0:  # an empty row holds no cells
            return False
        if edit.clear_column is not None:
            where = ref(row, edit.clear_column).encode()
            if re.search(rb"\sr\s*=\s*[\"']" + where + rb"[\"']", data[head:close]):
                return True
        if edit.restyled is None:
            return True
        return bool(edit.restyled) and any(int(s) in edit.restyled for s in _STYLE.findall(data, head, close))

    def _row_cells(self, start: int, finish: int) -> None:
        """One row parsed by expat on its own, its offsets those of the whole part."""
        saved_p, saved_depth, saved_top = self.p, self.depth, self.top
        p = parser()
        self.p, self.depth, self.top = p, 2, "sheetData"
        base = start
        self._at = lambda: p.CurrentByteIndex + base  # type: ignore[method-assign]
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.CharacterDataHandler = self.chars
        try:
            parse(p, self.data[start:finish], self.part)
        finally:
            del self._at
            self.p, self.depth, self.top = saved_p, saved_depth, saved_top
