"""A workbook opened for patching: its sheets by name, shared strings, styles, and the parts edited.

:class:`Book` finds the parts through the package's relationships (never by conventional names),
collects the edits of each sheet, its notes, ``xl/styles.xml``, the relationships and
``[Content_Types].xml``, and writes the zip once with only those members changed or added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sync.xlsx.patch import Unsupported
from sync.xlsx.patch.members import Package, rewrite
from sync.xlsx.patch.notes import patch_comments, patch_vml
from sync.xlsx.patch.rels import Rels, rels_name
from sync.xlsx.patch.sheet import Cell, Header, SheetEdit, SheetPass, patch_sheet
from sync.xlsx.patch.styles import Styles
from sync.xlsx.patch.xmlbits import Splice, element_end, local, pairs, parse, parser, start_tag

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
COMMENTS_TYPE = f"{REL}/comments"
VML_TYPE = f"{REL}/vmlDrawing"
WORKSHEET_TYPE = f"{REL}/worksheet"
COMMENTS_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CONTENT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str
    state: str  # visible, hidden, veryHidden


class Book:
    """One workbook being patched."""

    def __init__(self, data: bytes) -> None:
        self.package = Package(data)
        self.replaced: dict[str, bytes] = {}
        self.added: dict[str, bytes] = {}
        self.content_types: list[bytes] = []
        self.rels: dict[str, Rels] = {}
        package_rels = self._rels("")
        book = next((r.target for r in package_rels.items if r.type.endswith("/officeDocument")), None)
        if book is None or not self.package.has(book):
            raise Unsupported("找不到工作簿主部件")
        self.workbook_part = book
        self.sheets, self._sheets_close = self._scan_workbook()
        workbook_rels = self._rels(book)
        shared = [r.target for r in workbook_rels.items if r.type.endswith("/sharedStrings")]
        self.shared_part = shared[0] if shared and self.package.has(shared[0]) else None
        styles = [r.target for r in workbook_rels.items if r.type.endswith("/styles")]
        if not styles or not self.package.has(styles[0]):
            raise Unsupported("工作簿缺少样式部件")
        self.styles_part = styles[0]
        self._styles: Styles | None = None
        self._strings: list[str] = []
        self._strings_done = False
        self._sheet_added: list[bytes] = []
        self._defaults: dict[str, str] = {}

    def _rels(self, owner: str) -> Rels:
        if owner not in self.rels:
            self.rels[owner] = Rels(self.package, owner)
        return self.rels[owner]

    def _scan_workbook(self) -> tuple[list[SheetInfo], int]:
        data = self.package.read(self.workbook_part)
        rels = self._rels(self.workbook_part)
        sheets: list[SheetInfo] = []
        close = -1
        p = parser()
        depth = 0

        def start(name: str, ordered: list[str]) -> None:
            nonlocal depth
            depth += 1
            if depth == 1 and "http://purl.oclc.org/ooxml/spreadsheetml/main" in ordered:
                raise Unsupported("工作簿为 Strict Open XML 格式")
            if depth == 3 and local(name) == "sheet":
                a = pairs(ordered)
                rid = next((v for k, v in a if local(k) == "id" and k != "sheetId"), "")
                values = dict(a)
                rel = rels.get(rid)
                if rel is not None and rel.type == WORKSHEET_TYPE:
                    sheets.append(
                        SheetInfo(values.get("name", ""), rel.target, values.get("state", "visible"))
                    )

        def end(name: str) -> None:
            nonlocal depth, close
            if depth == 2 and local(name) == "sheets":
                closing, _ = element_end(data, p.CurrentByteIndex, name, 0)
                close = p.CurrentByteIndex if closing else -1
            depth -= 1

        p.StartElementHandler = start
        p.EndElementHandler = end
        parse(p, data, self.workbook_part)
        return sheets, close

    def sheet(self, name: str) -> SheetInfo | None:
        return next((s for s in self.sheets if s.name == name), None)

    # -- shared strings and styles ---------------------------------------------------------------

    def strings(self, wanted: list[int]) -> list[str]:
        """The shared strings at ``wanted``, reading the part only as far as the largest index."""
        need = max(wanted, default=-1)
        if need >= len(self._strings) and not self._strings_done and self.shared_part is not None:
            self._read_strings(need)
        return [self._strings[i] if i < len(self._strings) else "" for i in wanted]

    def _read_strings(self, need: int) -> None:
        strings: list[str] = []
        grab: list[str] | None = None
        in_phonetic = False
        p = parser()

        class Enough(Exception):
            pass

        def start(name: str, _ordered: list[str]) -> None:
            nonlocal grab, in_phonetic
            here = local(name)
            if here == "si":
                grab = []
            elif here == "rPh":
                in_phonetic = True

        def chars(content: str) -> None:
            if grab is not None and not in_phonetic:
                grab.append(content)

        def end(name: str) -> None:
            nonlocal grab, in_phonetic
            here = local(name)
            if here == "si" and grab is not None:
                strings.append("".join(grab))
                grab = None
                if len(strings) > need:
                    raise Enough
            elif here == "rPh":
                in_phonetic = False

        p.StartElementHandler = start
        p.EndElementHandler = end
        p.CharacterDataHandler = chars
        assert self.shared_part is not None
        try:
            with self.package.open(self.shared_part) as stream:
                while chunk := stream.read(1 << 16):
                    p.Parse(chunk, False)
                p.Parse(b"", True)
            self._strings_done = True
        except Enough:
            pass
        except Exception as exc:  # expat errors and bad zip data alike
            if isinstance(exc, Unsupported):
                raise
            raise Unsupported(f"共享字符串部件无法读取（{exc}）") from exc
        self._strings = strings

    @property
    def styles(self) -> Styles:
        if self._styles is None:
            self._styles = Styles(self.package.read(self.styles_part), self.styles_part)
        return self._styles

    # -- edits ------------------------------------------------------------------------------------

    def edit_sheet(self, sheet: SheetInfo, decide: Callable[[Header], SheetEdit]) -> SheetPass:
        return patch_sheet(self.package.read(sheet.part), sheet.part, decide, self.strings)

    def set_notes(
        self,
        sheet: SheetInfo,
        edited: SheetPass,
        author: str,
        add: dict[Cell, str],
        *,
        remove_own: bool,
        replace: bool = False,
    ) -> None:
        """Remove ``author``'s notes on the sheet (when ``remove_own``) and add ``add`` (over any
        note already on those cells when ``replace``, else only where there is none)."""
        rels = self._rels(sheet.part)
        comments = rels.of_type(COMMENTS_TYPE)
        if len(comments) > 1:
            raise Unsupported(f"工作表“{sheet.name}”有多个批注部件")
        comments_part = comments[0].target if comments else None
        vml = rels.get(edited.legacy_rid) if edited.legacy_rid else None
        if edited.legacy_rid and (vml is None or not self.package.has(vml.target)):
            raise Unsupported(f"工作表“{sheet.name}”的批注绘图缺失")
        if comments_part is not None and vml is None:
            raise Unsupported(f"工作表“{sheet.name}”的批注没有对应的绘图")
        if comments_part is None and not add:
            return
        if comments_part is not None and not self.package.has(comments_part):
            raise Unsupported(f"工作表“{sheet.name}”的批注部件缺失")
        old = self.package.read(comments_part) if comments_part else None
        patched = patch_comments(old, author, add, remove_own=remove_own, replace=replace)
        if not patched.removed and not patched.added:
            return
        if comments_part is None:
            comments_part = self._unused("xl/comments/salesyncComments{}.xml")
            self.added[comments_part] = patched.content
            rels.add(COMMENTS_TYPE, comments_part)
            self._override(comments_part, COMMENTS_CONTENT)
        else:
            self.replaced[comments_part] = patched.content
        if vml is None:
            vml_part = self._unused("xl/drawings/salesyncNotes{}.vml")
            block = 100 + sum(1 for n in self.added if n.endswith(".vml"))
            self.added[vml_part] = patch_vml(None, set(), patched.added, block)
            edited.add_legacy_drawing(rels.add(VML_TYPE, vml_part))
            self._default("vml", VML_CONTENT)
        else:
            old_vml = self.package.read(vml.target)
            block = 100 + sum(1 for n in self.added if n.endswith(".vml"))
            self.replaced[vml.target] = patch_vml(old_vml, patched.removed, patched.added, block)

    def add_sheet(self, name: str, content: bytes) -> None:
        """A new worksheet after the last one."""
        if self._sheets_close < 0:
            raise Unsupported("工作簿的工作表列表无法识别")
        part = self._unused("xl/worksheets/salesyncSheet{}.xml")
        self.added[part] = content
        rid = self._rels(self.workbook_part).add(WORKSHEET_TYPE, part)
        self._override(part, WORKSHEET_CONTENT)
        sheet_id = self._next_sheet_id()
        tag = start_tag("sheet", [("xmlns:r", REL), ("name", name), ("sheetId", str(sheet_id)), ("r:id", rid)],
                        empty=True)  # fmt: skip
        prefix = self._workbook_prefix()
        if prefix:
            tag = tag.replace(b"<sheet ", f"<{prefix}sheet ".encode(), 1)
        self._sheet_added.append(tag)

    def _workbook_prefix(self) -> str:
        data = self.package.read(self.workbook_part)
        start = data.find(b"<", data.find(b"?>") + 1 if data.startswith(b"<?") else 0)
        name = data[start + 1 : start + 64].split(maxsplit=1)[0].split(b">")[0].decode()
        head, _, _ = name.rpartition(":")
        return f"{head}:" if head else ""

    def _next_sheet_id(self) -> int:
        data = self.package.read(self.workbook_part)
        ids = [0]
        p = parser()

        def start(name: str, ordered: list[str]) -> None:
            if local(name) == "sheet":
                value = dict(pairs(ordered)).get("sheetId", "0")
                ids.append(int(value) if value.isdigit() else 0)

        p.StartElementHandler = start
        parse(p, data, self.workbook_part)
        return max(ids) + 1

    def rels_of(self, part: str) -> str | None:
        """The member holding ``part``'s relationships, if it has one."""
        name = rels_name(part)
        return name if self.package.has(name) else None

    def header(self, sheet: SheetInfo) -> Header:
        """Row 1 of ``sheet`` (the walk stops there)."""

        class Found(Exception):
            def __init__(self, header: Header) -> None:
                self.header = header

        def stop(header: Header) -> SheetEdit:
            raise Found(header)

        try:
            self.edit_sheet(sheet, stop)
        except Found as found:
            return found.header
        return {}

    def _unused(self, pattern: str) -> str:
        """A member name of ``pattern`` that is neither in the package nor added already."""
        n = 1
        while pattern.format(n) in self.package.names or pattern.format(n) in self.added:
            n += 1
        return pattern.format(n)

    def replace(self, part: str, content: bytes) -> None:
        self.replaced[part] = content

    def _override(self, member: str, content_type: str) -> None:
        self.content_types.append(
            start_tag("Override", [("PartName", "/" + member), ("ContentType", content_type)], empty=True)
        )

    def _default(self, extension: str, content_type: str) -> None:
        self._defaults[extension] = content_type

    # -- writing ----------------------------------------------------------------------------------

    def save(self, sheets: dict[str, bytes] | None = None) -> bytes:
        replaced = dict(self.replaced)
        replaced.update(sheets or {})
        if self._styles is not None and self._styles.changed():
            replaced[self.styles_part] = self._styles.content()
        for rels in self.rels.values():
            content = rels.content()
            if content is None:
                continue
            if rels.data is None:
                self.added[rels.name] = content
            else:
                replaced[rels.name] = content
        if self._sheet_added:
            data = replaced.get(self.workbook_part, self.package.read(self.workbook_part))
            splice = Splice()
            splice.insert(self._sheets_close, b"".join(self._sheet_added))
            replaced[self.workbook_part] = splice.apply(data)
        types = self._content_types()
        if types is not None:
            replaced["[Content_Types].xml"] = types
        return rewrite(self.package, replaced, self.added)

    def _content_types(self) -> bytes | None:
        defaults = self._defaults
        if not self.content_types and not defaults:
            return None
        data = self.package.read("[Content_Types].xml")
        present: set[str] = set()
        close = -1
        p = parser()
        depth = 0

        def start(name: str, ordered: list[str]) -> None:
            nonlocal depth
            depth += 1
            if depth == 2 and local(name) == "Default":
                present.add(dict(pairs(ordered)).get("Extension", "").lower())

        def end(name: str) -> None:
            nonlocal depth, close
            depth -= 1
            if depth == 0:
                closing, _ = element_end(data, p.CurrentByteIndex, name, 0)
                close = p.CurrentByteIndex if closing else -1

        p.StartElementHandler = start
        p.EndElementHandler = end
        parse(p, data, "[Content_Types].xml")
        if close < 0:
            raise Unsupported("[Content_Types].xml 格式无法识别")
        body = b"".join(
            start_tag("Default", [("Extension", ext), ("ContentType", kind)], empty=True)
            for ext, kind in defaults.items()
            if ext not in present
        )
        splice = Splice()
        splice.insert(close, body + b"".join(self.content_types))
        return splice.apply(data)
