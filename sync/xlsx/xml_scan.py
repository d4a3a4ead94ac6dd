"""The XML of a workbook's parts, parsed as XML before any reader sees it.

Every XML part is fed, chunk by chunk, to expat with document type declarations and entities
refused and only UTF-8 or UTF-16 accepted, so what the safety inspection checks is what a parser
sees: a cell written ``<c r='XFD1048576'>``, with a character reference in its reference, or inside
a part with an unusual name is a cell like any other. :class:`SheetScan` follows a worksheet's cells
(their extent, how many, the formulas saved without a value, the size of inline strings) and
:class:`SharedStringsScan` the shared strings (their size). A worksheet has millions of elements and
a call into Python per element costs several times expat's own parsing, so a sheet's cells are read
by compiled patterns (``sync.xlsx.cell_scan``) while expat parses it without handlers; the element
handlers take over only from the first piece the patterns cannot read with certainty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.parsers import expat

from sync.xlsx.cell_scan import CellState, plain, scan_piece, scan_plain_piece
from validators.findings import Finding

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
_ENCODINGS = frozenset({"utf-8", "utf8", "utf-16", "utf16", "utf-16le", "utf-16be"})
_DECLARATION = re.compile(rb"<\?xml\s[^>]*?\bencoding\s*=\s*([\"'])([^\"']*)\1")
_REF = re.compile(r"([A-Za-z]+)([0-9]+)")
_MAX_CARRY = 8 << 20  # text this long without a tag is left to the element handlers


class Refusal(Exception):
    """The one finding that ends an inspection."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        sheet = params.get("sheet")
        self.finding = Finding(code, sheet=str(sheet) if sheet else None, params=dict(params))


@dataclass(frozen=True)
class SheetLimits:
    max_rows: int = EXCEL_ROWS  # no reference, declared or used, below Excel's last row
    max_columns: int = EXCEL_COLUMNS  # … nor right of its last column
    max_cells: int = 5_000_000  # the grid a reader allocates: the rows × columns holding values
    max_cell_elements: int = 10_000_000  # cells written in one sheet, with or without a value
    max_string_chars: int = 32_767  # Excel's own limit on the text of one cell


def check_encoding(head: bytes, part: str) -> None:
    """Refuse a part whose XML declaration names an encoding other than UTF-8 or UTF-16.

    expat would decode some single-byte encodings (``cp037``) through Python's codecs, and
    the text then no longer looks like XML to a byte-level check: such a part is refused,
    not decoded."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:1] == b"\0" or head[1:2] == b"\0":
        return  # UTF-16, declared or not: expat reads it, and it cannot name another encoding
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if text and not text.startswith(b"<"):
        raise Refusal("file-xml-encoding", part=part, encoding="?")
    match = _DECLARATION.match(text)
    if match is not None and match.group(2).decode("ascii", "replace").strip().lower() not in _ENCODINGS:
        raise Refusal("file-xml-encoding", part=part, encoding=match.group(2).decode("ascii", "replace")[:40])


class XmlStream:
    """One part fed to expat: a DTD, an entity or a malformed document ends the inspection.

    ``strict`` parts (the ones a reader parses) must be well formed; other parts (drawings,
    VML) are refused only for what makes them hostile, since Excel's own VML is not always
    well-formed XML."""

    def __init__(self, part: str, *, strict: bool = True, label: str = "") -> None:
        self.part, self.strict, self.label = part, strict, label or part
        self.parser = expat.ParserCreate()
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._dtd
        self.parser.EntityDeclHandler = self._dtd
        self.parser.ExternalEntityRefHandler = self._external
        self.parser.ordered_attributes = True
        self._head: bytes | None = b""
        self._broken = False

    def _dtd(self, *_: object) -> None:
        raise Refusal("file-xml-entities", part=self.part)

    def _external(self, *_: object) -> int:
        raise Refusal("file-xml-entities", part=self.part)

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self._head is not None:  # nothing is parsed before the declaration is checked
            self._head += chunk
            if len(self._head) < 256 and not final:
                return
            chunk, self._head = self._head, None
            check_encoding(chunk[:256], self.part)
        if self._broken:
            return
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            if self.strict:
                raise Refusal(
                    "file-corrupt", detail=f"{self.label}无法读取：XML 格式错误（{exc}）"[:200]
                ) from None
            self._broken = True

    def close(self) -> None:
        self.feed(b"", True)


class SheetScan:
    """A worksheet's cells, as a reader will see them.

    The extent is that of the cells holding a value (a ``<v>`` or an inline string): the grid
    calamine allocates runs from the first to the last of them, so that grid is what
    :meth:`check` bounds. Cells with only a format cost a reader nothing and are only counted.
    Every cell's reference is read, whatever its quoting or the length of its column letters.

    The sheet is cut into pieces of complete tags (at a row's start where there is one). A piece
    of plain rows is read in bulk (:func:`~sync.xlsx.cell_scan.scan_plain_piece`), other pieces
    element by element with compiled patterns (:func:`~sync.xlsx.cell_scan.scan_piece`); expat
    parses each piece without handlers. From the first piece neither can read with certainty (a
    comment, a reference to resolve, a lower-case reference, anything that may be refused), the
    element handlers read the rest of the sheet, starting from the state the patterns left: every
    refusal comes from them, in document order, as before. The handler of element starts is a
    closure over plain local variables, and text is collected only in inline strings (for their
    size) and formulas (for their cached value).
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
        self._state = CellState()
        self._carry = b""  # bytes after the last complete tag fed, read with the next chunk
        self._started = False
        self._handled: tuple[Callable[[], None], Callable[[], None]] | None = None

    def feed(self, chunk: bytes) -> None:
        """Read the complete tags of ``chunk`` (with what was left of the last) by the fast scan,
        or from the first piece it cannot be sure of on, by the element handlers."""
        if self._handled is not None:
            self.stream.feed(chunk)
            return
        buf = self._carry + chunk if self._carry else chunk
        cut = buf.rfind(b"<row ")  # pieces of whole rows can be read in bulk
        if cut <= 0 or buf[cut - 1] != 62:  # not right after a ">"
            last_tag = buf.rfind(b"<")
            cut = buf.rfind(b">", 0, last_tag) + 1 if last_tag > 0 else 0
        if cut == 0 or (not self._started and cut < 256):
            self._carry = buf  # no complete tag yet (or too little to check the declaration)
            if len(buf) > _MAX_CARRY:
                self._carry = b""
                self._hand_over()
                self.stream.feed(buf)
            return
        self._carry = buf[cut:]
        self._piece(buf[:cut], final=False)
        if self._handled is not None and self._carry:
            self.stream.feed(self._carry)
            self._carry = b""

    def close(self) -> None:
        if self._handled is None:
            piece, self._carry = self._carry, b""
            self._piece(piece, final=True)
        if self._handled is None:
            self.stream.close()
            self._settle()
            return
        self.stream.close()
        end_cell, sync = self._handled
        end_cell()
        sync()

    def _piece(self, piece: bytes, *, final: bool) -> None:
        """One piece of complete tags: scanned fast and then parsed by expat without handlers, or
        parsed by expat with the element handlers (for this piece and the rest of the sheet)."""
        first, self._started = not self._started, True
        if not first or plain(piece):
            limits = self.limits
            state = None
            if not first and not final:
                state = scan_plain_piece(
                    self._state,
                    piece,
                    columns=_COLUMNS_BYTES,
                    max_rows=limits.max_rows,
                    max_cols=limits.max_columns,
                    max_elements=limits.max_cell_elements,
                    max_chars=limits.max_string_chars,
                )
            state = state or scan_piece(
                self._state,
                piece,
                final=final,
                columns=_COLUMNS_BYTES,
                max_rows=limits.max_rows,
                max_cols=limits.max_columns,
                max_elements=limits.max_cell_elements,
                max_chars=limits.max_string_chars,
                check_dimension=self._check_dimension,
                first=first,
            )
            if state is not None:
                self._state = state
                self.stream.feed(piece)
                return
        self._hand_over()
        self.stream.feed(piece)

    def _check_dimension(self, dimension: str) -> None:
        """Refuses (raises) a declared dimension the handlers would refuse."""
        for corner in dimension.split(":"):
            if corner:
                match = _REF.fullmatch(corner.strip())
                if match is None or len(match.group(1)) > 3:
                    raise ValueError(corner)
                if _column(match.group(1).upper()) > self.limits.max_columns:
                    raise ValueError(corner)
                digits = match.group(2).strip()
                if not digits.isdigit() or len(digits) > 9 or not 0 < int(digits) <= self.limits.max_rows:
                    raise ValueError(corner)

    def _hand_over(self) -> None:
        self._handled = self._handlers(self._state)

    def _settle(self) -> None:
        """The fast scan's findings as this scan's attributes."""
        state = self._state
        self.first_row, self.first_col = state.first_row, state.first_col
        self.last_row, self.last_col = state.last_row, state.last_col
        self.cells = state.cells
        self.formulas[:] = state.formulas
        if state.dimension is not None:
            self.dimension = state.dimension

    def _handlers(self, state: CellState) -> tuple[Callable[[], None], Callable[[], None]]:
        """The element handlers, taking over from ``state`` (where the fast scan stopped)."""
        self._settle()
        parser, limits, name_of_sheet = self.stream.parser, self.limits, self.name
        max_rows, max_cols, max_elements = limits.max_rows, limits.max_columns, limits.max_cell_elements
        max_chars = limits.max_string_chars
        local_of: dict[str, str] = {}  # qualified name → local name, as met
        formulas = self.formulas
        row, col, cells = state.row, state.col, state.cells
        first_row, first_col = state.first_row, state.first_col
        last_row, last_col = state.last_row, state.last_col
        in_cell, formula, cached, collecting = state.in_cell, state.formula, state.cached, state.collecting
        cell_type: str | None = state.cell_type()
        size = state.size() if collecting else 0
        text: list[str] = ["…"] if state.has_text else []

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
        if collecting:
            parser.CharacterDataHandler = chars
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


_DIGITS = "0123456789"


def _column(letters: str) -> int:
    """1-based column of upper-case letters."""
    col = 0
    for char in letters:
        col = col * 26 + ord(char) - 64
    return col


#: every column Excel has, by its letters: a reference's column is one dictionary look-up
_COLUMNS: dict[str, int] = {}
for _first in ["", *(chr(c) for c in range(65, 91))]:
    for _second in ["", *(chr(c) for c in range(65, 91))] if _first else [""]:
        for _third in (chr(c) for c in range(65, 91)):
            _letters = _first + _second + _third
            if (_number := _column(_letters)) <= EXCEL_COLUMNS:
                _COLUMNS[_letters] = _number


_COLUMNS_BYTES = {letters.encode(): number for letters, number in _COLUMNS.items()}


class SharedStringsScan:
    """The shared strings: none longer than a cell may hold."""

    def __init__(self, part: str, limits: SheetLimits) -> None:
        self.part, self.limits = part, limits
        self.count = 0
        self.stream = XmlStream(part)
        self.stream.parser.buffer_text = True
        self._size = 0
        self._in_text = 0
        self._open = False
        self._carry = b""  # bytes from the last ``<si>`` on, read with the next chunk
        self._started = False
        self._handled = False

    def feed(self, chunk: bytes) -> None:
        """Pieces of plain strings (``<si><t>…</t></si>``, none longer than the limit in bytes, so
        none in characters) are counted by one pattern while expat parses them without handlers;
        from the first other piece on, the element handlers read the rest."""
        if self._handled:
            self.stream.feed(chunk)
            return
        buf = self._carry + chunk if self._carry else chunk
        cut = buf.rfind(b"<si>")
        if cut <= 0 or (not self._started and cut < 256):
            self._carry = buf
            if len(buf) > _MAX_CARRY:
                self._carry = b""
                self._hand_over()
                self.stream.feed(buf)
            return
        self._carry = buf[cut:]
        self._piece(buf[:cut], final=False)
        if self._handled and self._carry:
            self.stream.feed(self._carry)
            self._carry = b""

    def close(self) -> None:
        if not self._handled:
            piece, self._carry = self._carry, b""
            self._piece(piece, final=True)
        self.stream.close()
        if self._open:
            self._finish()

    def _piece(self, piece: bytes, *, final: bool) -> None:
        first, self._started = not self._started, True
        if not self._handled:
            plain_strings = _plain_strings(self.limits.max_string_chars)
            start = 0
            if first:
                head = _STRINGS_HEAD.match(piece)
                start = head.end() if head is not None else -1
            end = _strings_end(piece, final)
            if 0 <= start <= end and plain_strings.fullmatch(piece, start, end):
                self.count += piece.count(b"<si>")
                self.stream.feed(piece)
                return
            self._hand_over()
        self.stream.feed(piece)

    def _hand_over(self) -> None:
        parser = self.stream.parser
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        self._handled = True

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


_STRINGS_HEAD = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml [^<>]*\?>\s*<sst(?:\s+[^\s=<>/"']+="[^"<]*")*\s*>""")
_STRINGS_END = re.compile(rb"</sst>\s*\Z")
_PLAIN_STRINGS: dict[int, re.Pattern[bytes]] = {}


def _plain_strings(max_chars: int) -> re.Pattern[bytes]:
    """Shared strings of one plain text each, at most ``max_chars`` bytes (so characters) long."""
    pattern = _PLAIN_STRINGS.get(max_chars)
    if pattern is None:
        pattern = _PLAIN_STRINGS[max_chars] = re.compile(
            rb'(?:<si><t(?: xml:space="preserve")?>[^<]{0,%d}</t></si>)*+' % max_chars
        )
    return pattern


def _strings_end(piece: bytes, final: bool) -> int:
    """Where the strings of a piece end: before ``</sst>`` in the last piece."""
    if not final:
        return len(piece)
    end = _STRINGS_END.search(piece)
    return end.start() if end is not None else -1


def _ref(row: int, col: int) -> str:
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"
