"""A worksheet's cells read by compiled regular expressions instead of a Python call per element.

The safety inspection must see a sheet's cells exactly as expat does, and it used to do so with
a handler per element start: millions of calls into Python for a big sheet, half the time of a
first ingest. Here the same element starts (``c``, ``v``, ``is``, ``f``, ``row``, ``dimension``,
whatever their prefix) are found in the decompressed bytes by one compiled pattern, most cells in
one match with the value tag that follows them, while expat still parses every byte (without
handlers) for well-formedness, DTDs and entities.

A piece of the sheet is only read this way when its reading is certain to be expat's: it holds no
comment, CDATA section or processing instruction, every interesting tag's attributes parse, the
references are the plain upper-case ones within the limits, no string could reach the length
limit and no limit is reached. Anything else — odd bytes, and every case that may end in a
refusal — makes :func:`scan_piece` answer ``None``, and the caller reads that piece and the rest
of the sheet with the element handlers, from the state left by the last piece read here. So every
refusal, with its parameters, comes from the handlers, as it always did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import compress

#: the start tag of an element the scan follows, most cells whole (one match each, so the engine
#: does not stop at every tag inside them): 1-2 the column letters and row of a cell whose first
#: attribute is a double-quoted ``r``, 3 its other attributes, 4 (``v``) or 5 (``is``) when its
#: whole content is one plain value or inline string; otherwise 6 the local name of any followed
#: element and 7 its attributes (None: they do not parse, so the piece is left to the handlers)
_ATTRS = rb"""((?:\s+[^\s=/<>"']+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)"""
_PREFIX = rb"""(?:[^\s/<>!?"'=]*:)?"""
_TOKENS = re.compile(
    rb"""<(?:c r="([A-Z]{1,3})([1-9][0-9]{0,6})"((?: [^\s=/<>"']+="[^"<]*+")*+)"""
    rb"""(?:/>|>(?:</c>|<(v)>[^<]*+</v></c>|<(is)><t(?: xml:space="preserve")?>[^<]*+</t></is></c>)?)"""
    rb"|" + _PREFIX + rb"(c|v|is|f|row|dimension)(?=[\s/>])(?:" + _ATTRS + rb"\s*/?>|))"
)
_ATTR = re.compile(rb"""\s([^\s=/<>"']+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")
_CELL_REF = re.compile(rb"([A-Z]{1,3})([1-9][0-9]*)")
_ROW = re.compile(rb"[1-9][0-9]{0,8}")
_MARKUP = re.compile(rb"""<(?:[^<>"']|"[^"]*"|'[^']*')*>""")
_ENTITY = re.compile(rb"&[^;&<]*;")
_PLAIN_VALUE = re.compile(rb"[^&\t\r\n]*")
_ODD = re.compile(rb"<[!?]")
_REFERENCE = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_SPACES = str.maketrans("\t\r\n", "   ")


def _resolve(match: re.Match[str]) -> str:
    name = match.group(1)
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    return chr(int(name[1:])) if name.startswith("#") else _NAMED[name]


@dataclass
class CellState:
    """What the element handlers keep between two elements, as the scan leaves it after a piece.

    ``region`` holds the raw bytes of the text being counted (an inline string, or a formula's
    cached value) when a piece ends inside it: the handlers taking over need its exact length."""

    row: int = 0
    col: int = 0
    cells: int = 0
    first_row: int = 0
    first_col: int = 0
    last_row: int = 0
    last_col: int = 0
    in_cell: bool = False
    formula: bool = False
    cached: bool = False
    cell_attrs: bytes = b""  # the attributes of the last cell, for its type (read only for formulas)
    collecting: bool = False
    region: bytes = b""
    has_text: bool = False  # text was seen in a formula's cell since its formula started
    dimension: str | None = None
    formulas: list[str] = field(default_factory=list)

    def cell_type(self) -> str | None:
        """The last cell's ``t`` as expat reports it: references resolved, white space made spaces."""
        for name, double, single in _ATTR.findall(self.cell_attrs):
            if name == b"t":
                value = (double if double or not single else single).decode("utf-8", "replace")
                value = value.replace("\r\n", " ").translate(_SPACES)
                return _REFERENCE.sub(_resolve, value)
        return None

    def size(self) -> int:
        """The characters expat reports for ``region``: markup dropped, entities and CR LF as one."""
        text = _MARKUP.sub(b"", self.region)
        entities = sum(len(entity) - 1 for entity in _ENTITY.findall(text))
        return len(text.decode("utf-8", "replace")) - entities - text.count(b"\r\n")


def attributes(raw: bytes) -> dict[bytes, str]:
    """Attribute values, as long as expat would report them unchanged (no reference, no tab or
    line break to normalise); raises ValueError otherwise."""
    found: dict[bytes, str] = {}
    for name, double, single in _ATTR.findall(raw):
        value = double if double or not single else single
        if _PLAIN_VALUE.fullmatch(value) is None:
            raise ValueError("attribute value expat would rewrite")
        found[name] = value.decode("utf-8")
    return found


def plain(head: bytes) -> bool:
    """Whether a sheet's first bytes are UTF-8 (or ASCII): UTF-16 is left to the handlers."""
    return not (head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:1] == b"\0" or head[1:2] == b"\0")


def has_text(segment: bytes) -> bool:
    return bool(_MARKUP.sub(b"", segment))


def scan_piece(
    state: CellState,
    piece: bytes,
    *,
    final: bool,
    columns: dict[bytes, int],
    max_rows: int,
    max_cols: int,
    max_elements: int,
    max_chars: int,
    check_dimension: Callable[[str], None],
    first: bool,
) -> CellState | None:
    """The state after ``piece`` (complete tags and text; the last piece when ``final``), or None
    when the piece must be read by the element handlers. ``state`` itself is left unchanged."""
    if _ODD.search(piece) is not None and not (first and _prolog_only(piece)):
        return None
    row, col, cells = state.row, state.col, state.cells
    first_row, first_col, last_row, last_col = (
        state.first_row,
        state.first_col,
        state.last_row,
        state.last_col,
    )
    in_cell, formula, cached, cell_attrs = state.in_cell, state.formula, state.cached, state.cell_attrs
    collecting, text_seen, dimension = state.collecting, state.has_text, state.dimension
    formulas: list[str] = []
    # where the counted text started in this piece (0: before it), and the bytes counted before it
    region_at, region_before = 0, len(state.region)
    text_at = 0  # where text starts counting as a formula's cached value, when collecting and formula
    end = len(piece)
    if final:
        end = piece.rfind(b">") + 1  # text after the root element is no character data

    def finish_cell(at: int) -> bool:
        """The old end of a cell at ``at``: False when the text counted may reach the limit."""
        nonlocal collecting, formula, cached, text_seen
        if collecting:
            if region_before + at - region_at > max_chars:
                return False
            if formula and not text_seen:
                text_seen = has_text(piece[text_at:at])
            collecting = False
        if formula:
            if not (cached and (text_seen or attributes(cell_attrs).get(b"t") in ("str", "inlineStr"))):
                formulas.append(_ref(row, col))
            formula = cached = text_seen = False
        return True

    try:
        for match in _TOKENS.finditer(piece, 0, end):
            letters, digits, attrs, value, inline, name, other = match.groups()
            if letters is not None:  # the common cell: <c r="B12" …>, whole when it holds a plain value
                if (collecting or formula) and not finish_cell(match.start()):
                    return None
                cells += 1
                number = columns.get(letters)
                row = int(digits)
                if cells > max_elements or number is None or number > max_cols or row > max_rows:
                    return None
                col, in_cell, cell_attrs = number, True, attrs
                if value is None and inline is None:
                    continue
                # a value (formula is off here: the cell has just started)
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
                if inline is not None:  # its text counts until the next cell: from the cell's start
                    collecting, region_at, region_before = True, match.start(), 0
                continue
            elif other is None:
                return None  # a followed element whose attributes do not parse
            elif name == b"c":
                if (collecting or formula) and not finish_cell(match.start()):
                    return None
                cells += 1
                if cells > max_elements:
                    return None
                in_cell, cell_attrs = True, other
                ref = attributes(other).get(b"r")
                if ref is None:
                    col += 1
                    if col > max_cols:
                        return None
                    continue
                parts = _CELL_REF.fullmatch(ref.encode())
                if parts is None:
                    return None
                number = columns.get(parts.group(1))
                row = int(parts.group(2))
                if number is None or number > max_cols or row > max_rows:
                    return None
                col = number
                continue
            elif name == b"row":
                if (collecting or formula) and not finish_cell(match.start()):
                    return None
                in_cell = False
                number_text = attributes(other).get(b"r")
                if number_text is None:
                    row += 1
                elif _ROW.fullmatch(number_text.encode()) is None or int(number_text) > max_rows:
                    return None
                else:
                    row = int(number_text)
                col = 0
                continue
            elif name == b"f":
                if collecting and formula and not text_seen:
                    text_seen = has_text(piece[text_at : match.start()])
                formula, text_at = in_cell, match.end()
                continue
            elif name == b"dimension":
                dimension = attributes(other).get(b"ref", "")[:40]
                try:
                    check_dimension(dimension)
                except Exception:
                    return None
                continue
            # a value: <v> or <is>
            if not in_cell:
                continue
            if collecting and formula and not text_seen:
                text_seen = has_text(piece[text_at : match.start()])
            text_at = match.end()
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
            if name == b"is":
                collecting, region_at, region_before = True, match.end(), 0
            elif formula:
                cached = collecting = True
                region_at, region_before = match.end(), 0
        if final:
            if (collecting or formula) and not finish_cell(end):
                return None
            region = b""
        elif collecting:
            if region_before + end - region_at > max_chars:
                return None
            if formula and not text_seen:
                text_seen = has_text(piece[text_at:end])
            region = (state.region if region_at == 0 else b"") + piece[region_at:end]
        else:
            region = b""
    except ValueError:  # an attribute expat would rewrite, or bytes that are not UTF-8
        return None
    return replace(
        state,
        row=row,
        col=col,
        cells=cells,
        first_row=first_row,
        first_col=first_col,
        last_row=last_row,
        last_col=last_col,
        in_cell=in_cell,
        formula=formula,
        cached=cached,
        cell_attrs=cell_attrs,
        collecting=collecting,
        region=region,
        has_text=text_seen,
        dimension=dimension,
        formulas=state.formulas + formulas if formulas else state.formulas,
    )


def _prolog_only(piece: bytes) -> bool:
    """A first piece whose only ``<?`` is the XML declaration at its very start."""
    body = piece.removeprefix(b"\xef\xbb\xbf")
    if not body.startswith(b"<?xml"):
        return False
    close = body.find(b"?>")
    return close > 0 and _ODD.search(body, close + 2) is None


def _ref(row: int, col: int) -> str:
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


# -- whole pieces of plain rows, without a Python step per cell -------------------------------------

_PLAIN_PIECES: dict[int, re.Pattern[bytes]] = {}


def _plain_piece(max_text: int) -> re.Pattern[bytes]:
    """Every construct of a piece made only of rows and plain cells, one match each: 1-3 a cell's
    column, row and value tag (``v``, ``is`` or nothing), 4 a row's number; 5 anything else."""
    pattern = _PLAIN_PIECES.get(max_text)
    if pattern is None:
        pattern = _PLAIN_PIECES[max_text] = re.compile(
            rb"""<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: [^\s=/<>"']+="[^"<&\t\r\n]*+")*+"""
            rb"""(?:/>|>(?:</c>|(?=<(v|is)>)(?:<v>[^<]*+</v></c>|<is><t(?: xml:space="preserve")?>"""
            + rb"[^<]{0,%d}</t></is></c>)))" % max_text
            + rb"""|<row r="([1-9][0-9]{0,8})"(?: [^\s=/<>"']+="[^"<]*+")*+ ?/?>|</row>|(<|[^<]++)"""
        )
    return pattern


def scan_plain_piece(
    state: CellState,
    piece: bytes,
    *,
    columns: dict[bytes, int],
    max_rows: int,
    max_cols: int,
    max_elements: int,
    max_chars: int,
) -> CellState | None:
    """The state after ``piece`` when it holds nothing but rows and plain cells (each starting
    with its double-quoted reference, a plain number or inline string or nothing in it, no text
    between them) — the bulk of a big sheet — computed from one ``findall`` and C-level
    aggregates; None for any other piece (the element-by-element scan reads it)."""
    if state.formula or max_chars < 256:
        return None
    found = _plain_piece(max_chars - 128).findall(piece)
    if not found:
        return None
    letters, digits, kinds, rows, other = zip(*found, strict=False)
    if any(other):
        return None
    cells = state.cells + len(found) - letters.count(b"")
    if cells > max_elements:
        return None
    used = set(letters)
    used.discard(b"")
    if max([columns.get(name, max_cols + 1) for name in used], default=0) > max_cols:
        return None
    width = len(str(max_rows))  # a number with fewer digits is below the limit
    for numbers in (digits, rows):
        if max(map(len, numbers)) >= width and max(map(int, filter(None, numbers))) > max_rows:
            return None
    first_row, first_col = state.first_row, state.first_col
    last_row, last_col = state.last_row, state.last_col
    value_digits = list(compress(digits, kinds))
    if value_digits:
        if len(set(map(len, value_digits))) == 1:  # as long as each other: compared as bytes
            low_row, high_row = int(min(value_digits)), int(max(value_digits))
        else:
            value_rows = list(map(int, value_digits))
            low_row, high_row = min(value_rows), max(value_rows)
        value_cols = [columns[name] for name in set(compress(letters, kinds))]
        low_col = min(value_cols)
        first_row = min(first_row, low_row) if first_row else low_row
        first_col = min(first_col, low_col) if state.first_row else low_col
        last_row, last_col = max(last_row, high_row), max(last_col, max(value_cols))
    row, col, in_cell, cell_attrs = state.row, state.col, state.in_cell, state.cell_attrs
    collecting, region = False, b""
    for at in range(len(found) - 1, -1, -1):  # the last cell or row start sets where the scan is
        name, number, kind, row_text, _ = found[at]
        if name:
            row, col, in_cell = int(number), columns[name], True
            start = piece.rfind(b'<c r="' + name + number + b'"')
            match = _TOKENS.match(piece, start)
            cell_attrs = match.group(3) if match is not None else b""
            if kind == b"is":
                collecting, region = True, piece[start:]
            break
        if row_text:
            row, col, in_cell = int(row_text), 0, False
            break
    else:
        return None  # no cell or row starts here: the element-by-element scan follows the text
    return replace(
        state,
        row=row,
        col=col,
        cells=cells,
        first_row=first_row,
        first_col=first_col,
        last_row=last_row,
        last_col=last_col,
        in_cell=in_cell,
        cell_attrs=cell_attrs,
        collecting=collecting,
        region=region,
        has_text=False,
    )
