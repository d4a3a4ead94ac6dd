"""A sheet made by openpyxl in a workbook of its own, moved into the workbook being patched.

Some sheets salesync adds are easiest to build with openpyxl (the reconciliation's results sheet),
but loading the user's workbook to add them would rewrite all of it. Instead the sheet is built in
a fresh workbook and its part moved across: shared strings become inline strings (the target's
shared strings are never touched) and each cell format becomes a format appended to the target's
styles with the same font and built-in number format.
"""

from __future__ import annotations

import io
import re

from openpyxl import Workbook

from sync.xlsx.patch import Unsupported
from sync.xlsx.patch.book import Book
from sync.xlsx.patch.styles import Styles
from sync.xlsx.patch.xmlbits import Splice, element_end, local, pairs, parse, parser, start_tag, tag_end, text

_BUILTIN_FORMATS = 164  # number formats below this id need no definition
_TAG_NAME = re.compile(rb"<(/?)([A-Za-z_][\w.-]*)(?=[\s/>])")


def add_openpyxl_sheet(book: Book, workbook: Workbook, title: str) -> None:
    """Add ``workbook``'s sheet ``title`` to ``book`` (replacing a sheet of that name if it has one)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    fresh = Book(buffer.getvalue())
    info = fresh.sheet(title)
    if info is None:
        raise Unsupported(f"找不到工作表 {title}")
    content = _moved(fresh.package.read(info.part), fresh, book.styles)
    existing = book.sheet(title)
    if existing is None:
        book.add_sheet(title, content)
        return
    book.replace(existing.part, content)
    rels = book.rels_of(existing.part)
    if rels is not None:  # the old sheet's notes or drawings no longer belong to anything
        book.replace(rels, b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>')  # fmt: skip


def _font(fresh: Styles, data: bytes, xf: int, prefix: str) -> tuple[bytes, int, bool]:
    attrs = fresh.xf_attrs[xf] if 0 <= xf < len(fresh.xf_attrs) else {}
    fonts = fresh.lists["fonts"].items
    font = int(attrs.get("fontId", "0") or 0)
    start, end = fonts[font] if 0 <= font < len(fonts) else fonts[0]
    element = data[start:end]
    if prefix:
        element = _TAG_NAME.sub(lambda m: b"<" + m[1] + prefix.encode() + m[2], element)
    number = int(attrs.get("numFmtId", "0") or 0)
    quoted = attrs.get("quotePrefix", "0") in ("1", "true")  # text kept as typed, never a formula
    return element, number if number < _BUILTIN_FORMATS else 0, quoted


def _moved(data: bytes, fresh: Book, target: Styles) -> bytes:
    fresh_styles = fresh.styles
    formats: dict[int, int] = {}
    splice = Splice()
    p = parser()
    cell: list[object] | None = None
    value: list[str] | None = None

    def start(name: str, ordered: list[str]) -> None:
        nonlocal cell, value
        here = local(name)
        if here == "c":
            cell = [p.CurrentByteIndex, pairs(ordered), None]
        elif here == "v" and cell is not None:
            value = []

    def chars(content: str) -> None:
        if value is not None:
            value.append(content)

    def end(name: str) -> None:
        nonlocal cell, value
        here = local(name)
        if here == "v" and cell is not None and value is not None:
            cell[2] = "".join(value)
            value = None
        elif here == "c" and cell is not None:
            begin, attrs, raw = cell
            assert isinstance(begin, int) and isinstance(attrs, list)
            _, finish = element_end(data, p.CurrentByteIndex, name, begin)
            values = dict(attrs)
            xf = int(values.get("s", "0") or 0)
            if xf and xf not in formats:
                font, number, quoted = _font(fresh_styles, fresh_styles.data, xf, target.prefix)
                formats[xf] = target.with_font(font, number, quote_prefix=quoted)
            kept = [("r", values.get("r", ""))] + ([("s", str(formats[xf]))] if xf else [])
            if values.get("t") == "s" and isinstance(raw, str) and raw.isdigit():
                shown = fresh.strings([int(raw)])[0]
                body = f'<is><t xml:space="preserve">{text(shown)}</t></is></c>'.encode()
                splice.replace(begin, finish, start_tag("c", [*kept, ("t", "inlineStr")]) + body)
            elif xf:
                head_end = tag_end(data, begin)
                rest = [(k, v) for k, v in attrs if k not in ("r", "s")]
                empty = data[head_end - 2 : head_end] == b"/>"
                splice.replace(begin, head_end, start_tag("c", [*kept, *rest], empty=empty))
            cell = None

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    parse(p, data, "sheet")
    return splice.apply(data)
