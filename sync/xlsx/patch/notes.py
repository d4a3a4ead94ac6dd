"""Cell comments (notes): the sheet's comments part and the legacy VML shapes that show them.

A note is two things in a workbook: a ``<comment>`` in the sheet's comments part and a VML shape
anchored at the cell. Both are edited in place: notes of one author (salesync's own, from an
earlier write) can be removed, new ones appended; every other note, author and shape — and
whatever else the VML drawing holds, such as form controls — stays byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sync.xlsx.patch import Unsupported
from sync.xlsx.patch.sheet import Cell
from sync.xlsx.patch.xmlbits import Splice, element_end, local, pairs, parse, parse_ref, parser, ref, text

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
VML_NS = "urn:schemas-microsoft-com:vml"
OFFICE_NS = "urn:schemas-microsoft-com:office:office"
EXCEL_NS = "urn:schemas-microsoft-com:office:excel"
_SHAPE_ID = re.compile(r"_x0000_s(\d+)")
NOTE_TYPE = "_x0000_t202"


@dataclass
class CommentsPatch:
    """The comments part after the edit, and which cells lost or gained a note."""

    content: bytes
    removed: set[Cell] = field(default_factory=set)
    added: dict[Cell, str] = field(default_factory=dict)


def patch_comments(
    data: bytes | None, author: str, add: dict[Cell, str], *, remove_own: bool, replace: bool = False
) -> CommentsPatch:
    """Remove ``author``'s notes (when ``remove_own``) and add ``add`` on cells left without one
    (or, with ``replace``, on every cell of ``add``, whoever's note was there)."""
    if data is None:
        body = "".join(_comment(cell, 0, note) for cell, note in sorted(add.items()))
        content = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<comments xmlns="{MAIN_NS}"><authors><author>{text(author)}</author></authors>'
            f"<commentList>{body}</commentList></comments>"
        ).encode()
        return CommentsPatch(content, set(), dict(add))
    scan = _CommentsScan(data)
    splice = Splice()
    removed: set[Cell] = set()
    kept: set[Cell] = set()
    own = scan.authors.index(author) if author in scan.authors else -1
    for cell, author_id, start, end in scan.comments:
        if (remove_own and author_id == own and own >= 0) or (replace and cell in add):
            splice.replace(start, end, b"")
            removed.add(cell)
        else:
            kept.add(cell)
    added = {cell: note for cell, note in sorted(add.items()) if cell not in kept}
    if added:
        p = scan.prefix
        if own < 0:
            own = len(scan.authors)
            author_xml = f"<{p}author>{text(author)}</{p}author>".encode()
            if scan.authors_close < 0:
                raise Unsupported("批注部件缺少作者列表")
            splice.insert(scan.authors_close, author_xml)
        xml = "".join(_comment(cell, own, note, p) for cell, note in added.items()).encode()
        if scan.list_close >= 0:
            splice.insert(scan.list_close, xml)
        elif scan.list_span is not None:
            start, end, name = scan.list_span
            splice.replace(start, end, f"<{name}>".encode() + xml + f"</{name}>".encode())
        else:
            raise Unsupported("批注部件缺少批注列表")
    return CommentsPatch(splice.apply(data) if splice else data, removed, added)


def _comment(cell: Cell, author_id: int, note: str, p: str = "") -> str:
    return (
        f'<{p}comment ref="{ref(*cell)}" authorId="{author_id}" shapeId="0"><{p}text>'
        f'<{p}t xml:space="preserve">{text(note)}</{p}t></{p}text></{p}comment>'
    )


class _CommentsScan:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.prefix = ""
        self.authors: list[str] = []
        self.authors_close = -1
        self.list_close = -1
        self.list_span: tuple[int, int, str] | None = None
        self.comments: list[tuple[Cell, int, int, int]] = []
        p = parser()
        stack: list[tuple[str, int, list[tuple[str, str]]]] = []
        grab: list[str] | None = None

        def start(name: str, ordered: list[str]) -> None:
            nonlocal grab
            here = local(name)
            at = p.CurrentByteIndex
            if not stack:
                self.prefix = name[: -len(here)]
            if len(stack) == 2 and here == "author":
                grab = []
            stack.append((here, at, pairs(ordered)))

        def chars(content: str) -> None:
            if grab is not None:
                grab.append(content)

        def end(name: str) -> None:
            nonlocal grab
            at = p.CurrentByteIndex
            here, begin, attrs = stack.pop()
            closing, finish = element_end(data, at, name, begin)
            if len(stack) == 2 and here == "author" and grab is not None:
                self.authors.append("".join(grab))
                grab = None
            elif len(stack) == 1 and here == "authors":
                self.authors_close = at if closing else -1
            elif len(stack) == 1 and here == "commentList":
                self.list_close = at if closing else -1
                self.list_span = (begin, finish, name)
            elif len(stack) == 2 and here == "comment":
                values = dict(attrs)
                cell = parse_ref(values.get("ref", ""))
                if cell is None or not values.get("authorId", "0").isdigit():
                    raise Unsupported("批注部件中有无法识别的批注")
                self.comments.append((cell, int(values.get("authorId", "0")), begin, finish))

        p.StartElementHandler = start
        p.EndElementHandler = end
        p.CharacterDataHandler = chars
        parse(p, data, "批注")


# -- the VML drawing ---------------------------------------------------------------------------------


def patch_vml(data: bytes | None, removed: set[Cell], added: dict[Cell, str], block: int) -> bytes:
    """The VML drawing without the shapes of ``removed`` and with a note shape for each of ``added``.

    ``block`` numbers a new drawing's shapes (Excel gives each drawing its own block of 1024 ids).
    """
    if data is None:
        shapes = "".join(_shape(cell, note, block * 1024 + n, "v:", "o:", "x:") for n, (cell, note) in
                         enumerate(sorted(added.items()), start=1))  # fmt: skip
        return (
            f'<xml xmlns:v="{VML_NS}" xmlns:o="{OFFICE_NS}" xmlns:x="{EXCEL_NS}">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
            f"{_shapetype('v:', 'o:')}{shapes}</xml>"
        ).encode()
    scan = _VmlScan(data)
    splice = Splice()
    for cell, start, end in scan.notes:
        if cell in removed:
            splice.replace(start, end, b"")
    if added:
        v, o, x = (scan.prefixes.get(ns) for ns in (VML_NS, OFFICE_NS, EXCEL_NS))
        if v is None or o is None or x is None or scan.root_close < 0:
            raise Unsupported("批注的 VML 绘图格式无法识别")
        content = "" if scan.has_note_type else _shapetype(v, o)
        number = scan.max_id or block * 1024
        for n, (cell, note) in enumerate(sorted(added.items()), start=1):
            content += _shape(cell, note, number + n, v, o, x)
        splice.insert(scan.root_close, content.encode())
    return splice.apply(data) if splice else data


def _shapetype(v: str, o: str) -> str:
    return (
        f'<{v}shapetype id="{NOTE_TYPE}" coordsize="21600,21600" {o}spt="202" path="m,l,21600r21600,l21600,xe">'
        f'<{v}stroke joinstyle="miter"/><{v}path gradientshapeok="t" {o}connecttype="rect"/></{v}shapetype>'
    )


def _shape(cell: Cell, note: str, number: int, v: str, o: str, x: str) -> str:
    row, column = cell[0] - 1, cell[1] - 1
    lines = sum(len(line) // 20 + 1 for line in note.split("\n"))
    height = 18 + 13.5 * lines
    anchor = f"{column + 1}, 15, {max(row - 1, 0)}, 10, {column + 4}, 15, {row + 2 + lines}, 4"
    return (
        f'<{v}shape id="_x0000_s{number}" type="#{NOTE_TYPE}" style="position:absolute;'
        f"margin-left:59.25pt;margin-top:1.5pt;width:195pt;height:{height:g}pt;z-index:{number % 1024};"
        f'visibility:hidden" fillcolor="#ffffe1" {o}insetmode="auto"><{v}fill color2="#ffffe1"/>'
        f'<{v}shadow on="t" color="black" obscured="t"/><{v}path {o}connecttype="none"/>'
        f'<{v}textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></{v}textbox>'
        f'<{x}ClientData ObjectType="Note"><{x}MoveWithCells/><{x}SizeWithCells/>'
        f"<{x}Anchor>{anchor}</{x}Anchor><{x}AutoFill>False</{x}AutoFill>"
        f"<{x}Row>{row}</{x}Row><{x}Column>{column}</{x}Column></{x}ClientData></{v}shape>"
    )


class _VmlScan:
    """The note shapes of a VML drawing (cell and span), its namespace prefixes and largest id."""

    def __init__(self, data: bytes) -> None:
        self.prefixes: dict[str, str] = {}
        self.notes: list[tuple[Cell, int, int]] = []
        self.max_id = 0
        self.has_note_type = False
        self.root_close = -1
        p = parser()
        depth = 0
        shape: dict[str, object] | None = None
        grab: list[str] | None = None

        def start(name: str, ordered: list[str]) -> None:
            nonlocal depth, shape, grab
            attrs = dict(pairs(ordered))
            here = local(name)
            if depth == 0:
                for key, value in attrs.items():
                    if key.startswith("xmlns:"):
                        self.prefixes.setdefault(value, key[6:] + ":")
            if here == "shapetype" and attrs.get("id") == NOTE_TYPE:
                self.has_note_type = True
            if depth == 1 and here == "shape":
                shape = {"start": p.CurrentByteIndex, "name": name}
                found = _SHAPE_ID.fullmatch(attrs.get("id", ""))
                if found:
                    self.max_id = max(self.max_id, int(found[1]))
            elif shape is not None and here == "ClientData":
                shape["note"] = attrs.get("ObjectType") == "Note"
            elif shape is not None and here in ("Row", "Column"):
                grab = []
            depth += 1

        def chars(content: str) -> None:
            if grab is not None:
                grab.append(content)

        def end(name: str) -> None:
            nonlocal depth, shape, grab
            depth -= 1
            at = p.CurrentByteIndex
            here = local(name)
            if shape is not None and here in ("Row", "Column") and grab is not None:
                shape[here] = "".join(grab).strip()
                grab = None
            elif depth == 1 and shape is not None and here == "shape":
                begin = shape["start"]
                assert isinstance(begin, int)
                _, finish = element_end(data, at, name, begin)
                row, column = str(shape.get("Row", "")), str(shape.get("Column", ""))
                if shape.get("note") and row.isdigit() and column.isdigit():
                    self.notes.append(((int(row) + 1, int(column) + 1), begin, finish))
                shape = None
            elif depth == 0:
                self.root_close = at if element_end(data, at, name, 0)[0] else -1

        p.StartElementHandler = start
        p.EndElementHandler = end
        p.CharacterDataHandler = chars
        parse(p, data, "批注绘图（VML）")
