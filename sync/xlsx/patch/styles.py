"""``xl/styles.xml``: the cell formats a mark needs, appended once; every existing format kept.

A cell's look is an index into ``<cellXfs>``. Marking a cell gives it a twin of its own format
that differs only in the fill, so its font, border, number format and alignment stay; clearing an
earlier mark gives the twin without a fill. Twins, fills and fonts are appended at the ends of
their lists (with the ``count`` updated), never inserted, so every index already used in the
workbook keeps its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.xlsx.patch import Unsupported
from sync.xlsx.patch.xmlbits import (
    Splice,
    element_end,
    local,
    pairs,
    parse,
    parser,
    prefix_of,
    start_tag,
    tag_end,
)


@dataclass
class _List:
    """One of ``<fonts>``, ``<fills>``, ``<cellXfs>``: where it is and what is appended to it."""

    tag: tuple[int, int] = (0, 0)  # the start tag's span
    name: str = ""
    attrs: list[tuple[str, str]] = field(default_factory=list)
    close: int = -1  # offset of its end tag (-1: written as an empty element)
    items: list[tuple[int, int]] = field(default_factory=list)  # each child element's span
    added: list[bytes] = field(default_factory=list)

    def count(self) -> int:
        return len(self.items) + len(self.added)


class Styles:
    """The workbook's styles part, read once; ``content()`` gives the part with what was appended."""

    def __init__(self, data: bytes, part: str = "xl/styles.xml") -> None:
        self.data = data
        self.lists: dict[str, _List] = {"fonts": _List(), "fills": _List(), "cellXfs": _List()}
        self.xf_attrs: list[dict[str, str]] = []
        self.fill_rgb: list[str | None] = []
        self.font_rgb: list[str | None] = []
        self.prefix = ""
        self._twins: dict[tuple[int, int], int] = {}
        self._fills: dict[str, int] = {}
        self._scan(part)
        if self.lists["cellXfs"].close < 0 and not self.lists["cellXfs"].items:
            raise Unsupported("样式部件缺少 cellXfs")

    def _scan(self, part: str) -> None:
        p = parser()
        path: list[str] = []
        starts: list[int] = []

        def start(name: str, ordered: list[str]) -> None:
            at = p.CurrentByteIndex
            here = local(name)
            parent = path[-1] if path else ""
            if not path:
                self.prefix = prefix_of(name)
            if len(path) == 1 and here in self.lists:
                lst = self.lists[here]
                lst.tag, lst.name, lst.attrs = (at, tag_end(self.data, at)), name, pairs(ordered)
            elif len(path) == 2 and parent in self.lists:
                if parent == "cellXfs":
                    self.xf_attrs.append(dict(pairs(ordered)))
                elif parent == "fills":
                    self.fill_rgb.append(None)
                elif parent == "fonts":
                    self.font_rgb.append(None)
            elif len(path) >= 3 and path[1] == "fills" and here == "patternFill":
                if dict(pairs(ordered)).get("patternType") != "solid":
                    self.fill_rgb[-1] = "none"
            elif len(path) >= 3 and path[1] == "fills" and here == "fgColor" and self.fill_rgb[-1] is None:
                self.fill_rgb[-1] = dict(pairs(ordered)).get("rgb", "").upper() or "other"
            elif len(path) == 3 and path[1] == "fonts" and here == "color":
                self.font_rgb[-1] = dict(pairs(ordered)).get("rgb", "").upper() or None
            path.append(here)
            starts.append(at)

        def end(name: str) -> None:
            at = p.CurrentByteIndex
            begin = starts.pop()
            path.pop()
            here = local(name)
            closing, finish = element_end(self.data, at, name, begin)
            if len(path) == 1 and here in self.lists:
                self.lists[here].close = at if closing else -1
            elif len(path) == 2 and path[1] in self.lists:
                self.lists[path[1]].items.append((begin, finish))

        p.StartElementHandler = start
        p.EndElementHandler = end
        parse(p, self.data, part)

    # -- questions -----------------------------------------------------------------------------

    def fill_of(self, xf: int) -> str | None:
        """The solid fill colour (``AARRGGBB``) of format ``xf``, if it has one."""
        if not 0 <= xf < len(self.xf_attrs):
            return None
        fill = int(self.xf_attrs[xf].get("fillId", "0") or 0)
        return self.fill_rgb[fill] if 0 <= fill < len(self.fill_rgb) else None

    def font_color_of(self, xf: int) -> str | None:
        if not 0 <= xf < len(self.xf_attrs):
            return None
        font = int(self.xf_attrs[xf].get("fontId", "0") or 0)
        return self.font_rgb[font] if 0 <= font < len(self.font_rgb) else None

    # -- appending -----------------------------------------------------------------------------

    def _fill_id(self, rgb: str) -> int:
        if rgb not in self._fills:
            p = self.prefix
            fill = (
                f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{rgb}"/>'
                f'<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>'
            )
            self._fills[rgb] = self._append("fills", fill.encode())
        return self._fills[rgb]

    def _append(self, which: str, element: bytes) -> int:
        lst = self.lists[which]
        if not lst.name:
            raise Unsupported(f"样式部件缺少 {which}")
        lst.added.append(element)
        return lst.count() - 1

    def _twin(self, xf: int, fill: int) -> int:
        """Format ``xf`` with fill ``fill`` (0: none), appended once."""
        xfs = self.lists["cellXfs"]
        if not 0 <= xf < len(xfs.items):
            xf = 0
        key = (xf, fill)
        if key not in self._twins:
            start, end = xfs.items[xf]
            head = tag_end(self.data, start)
            attrs = [(k, v) for k, v in self.xf_attrs[xf].items() if k not in ("fillId", "applyFill")]
            attrs += [("fillId", str(fill)), ("applyFill", "1")]
            name = f"{self.prefix}xf"
            empty = head == end
            self._twins[key] = self._append(
                "cellXfs", start_tag(name, attrs, empty=empty) + (b"" if empty else self.data[head:end])
            )
        return self._twins[key]

    def filled(self, xf: int, rgb: str) -> int:
        return self._twin(xf, self._fill_id(rgb))

    def unfilled(self, xf: int) -> int:
        return self._twin(xf, 0)

    def with_font(self, font: bytes, number_format: int = 0, *, quote_prefix: bool = False) -> int:
        """A new format with the font ``font``, a built-in number format, no fill and no border
        (and Excel's quote prefix: the cell's text is shown as typed, never taken for a formula)."""
        font_id = self._append("fonts", font)
        attrs = [
            ("numFmtId", str(number_format)),
            ("fontId", str(font_id)),
            ("fillId", "0"),
            ("borderId", "0"),
            ("xfId", "0"),
            ("applyFont", "1"),
        ]
        if quote_prefix:
            attrs.append(("quotePrefix", "1"))
        xf = start_tag(f"{self.prefix}xf", attrs, empty=True)
        return self._append("cellXfs", xf)

    def changed(self) -> bool:
        return any(lst.added for lst in self.lists.values())

    def content(self) -> bytes:
        splice = Splice()
        for lst in self.lists.values():
            if not lst.added:
                continue
            attrs = [(k, str(lst.count()) if k == "count" else v) for k, v in lst.attrs]
            body = b"".join(lst.added)
            if lst.close < 0:  # <fills/>: open it up
                splice.replace(*lst.tag, start_tag(lst.name, attrs) + body + f"</{lst.name}>".encode())
            else:
                splice.replace(*lst.tag, start_tag(lst.name, attrs))
                splice.insert(lst.close, body)
        return splice.apply(self.data)
