"""Look at a saved workbook's bytes before any parser does.

:func:`inspect` refuses what must never reach calamine or openpyxl — empty files, renamed CSV/PDF,
legacy and password-protected (OLE) files, broken or hostile zips (bombs, CRC faults), macros and
XML that declares a DTD — and, in the same streaming pass over every zip member, notes per
worksheet the formulas saved without a cached value and the first row holding a value (where
calamine's range, and so the reader's row numbers, start); it refuses a sheet whose values span
more cells than calamine should allocate. It never raises on bad input and holds at most one
decompressed chunk of a member in memory at a time.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from validators.findings import Finding

MiB = 1 << 20
GiB = 1 << 30
CHUNK = MiB  # decompressed bytes handled at a time
_FEED = 256 << 10  # compressed bytes handed to zlib at a time
PARALLEL_MEMBER_BYTES = 256 << 10  # members this big (compressed) are inspected two at a time

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_XML_SUFFIXES = (".xml", ".rels", ".vml")


@dataclass(frozen=True)
class Limits:
    max_total_uncompressed: int = GiB
    max_member_uncompressed: int = 512 * MiB
    max_ratio: float = 200
    ratio_floor: int = MiB  # the ratio rule applies to members that expand beyond this
    max_members: int = 10_000
    max_parsed_part: int = 16 * MiB  # parts parsed whole: [Content_Types].xml, the workbook and its rels
    max_cells: int = 5_000_000  # a sheet's rows × header width: what the reader would allocate


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Inspection:
    findings: list[Finding] = field(default_factory=list)  # at most one, structural
    formula_cells: dict[str, list[str]] = field(default_factory=dict)  # sheet → refs ("F12") with no value
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet → zip part
    first_rows: dict[str, int] = field(default_factory=dict)  # sheet → Excel row of its first value

    @property
    def ok(self) -> bool:
        return not self.findings


# What zipfile, zlib and expat raise on junk that the checks below did not name first.
_JUNK = (
    zipfile.BadZipFile,
    zlib.error,
    ET.ParseError,
    struct.error,
    ValueError,
    OSError,
    EOFError,
    NotImplementedError,
    LookupError,
    ArithmeticError,
)


class _Refusal(Exception):
    """The one finding that ends an inspection."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        sheet = params.get("sheet")
        self.finding = Finding(code, sheet=str(sheet) if sheet else None, params=dict(params))


def inspect(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Inspection:
    try:
        return _inspect(data, limits)
    except _Refusal as refusal:
        return Inspection(findings=[refusal.finding])
    except _JUNK as exc:
        return Inspection(findings=[Finding("file-corrupt", params={"detail": str(exc)[:200]})])


def _inspect(data: bytes, limits: Limits) -> Inspection:
    if not data:
        raise _Refusal("file-empty")
    if data.startswith(OLE_MAGIC):
        encrypted = any(name in data for name in _ENCRYPTED_STREAMS)
        raise _Refusal("file-encrypted" if encrypted else "file-legacy-xls")
    if not data.startswith(b"PK"):
        raise _Refusal("file-not-xlsx", actual=guess_format(data))
    _check_directory(data, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _Refusal("file-corrupt", detail="压缩包不完整或已损坏") from None
    members = [info for info in archive.infolist() if not info.filename.endswith("/")]
    _check_declared(members, limits)
    parts = {info.filename.lower(): info for info in members}
    _check_package(data, parts, limits)

    content_types = _read_part(data, parts["[content_types].xml"], limits).lower()
    if b"macroenabled" in content_types or b"vbaproject" in content_types or b"macrosheet" in content_types:
        raise _Refusal("file-macro")
    sheet_parts = _sheet_parts(data, parts, limits)

    scans = {part.lower(): (name, _SheetScan()) for name, part in sheet_parts.items()}
    budget = _Budget(limits.max_total_uncompressed)

    def inspect_member(info: zipfile.ZipInfo) -> None:
        name, scan = scans.get(info.filename.lower(), ("", None))
        _stream(data, info, limits, budget, scan)
        if scan is not None:
            scan.check(name, limits)

    big = sum(info.compress_size >= PARALLEL_MEMBER_BYTES for info in members)
    # zlib inflates without the GIL: two big sheets are inspected side by side; the first refusal
    # in member order is the one reported
    if big < 2:
        for info in members:
            inspect_member(info)
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(inspect_member, info) for info in members]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return Inspection(
        formula_cells={name: scan.formulas for name, scan in scans.values() if scan.formulas},
        sheet_parts=sheet_parts,
        first_rows={name: scan.first_row for name, scan in scans.values() if scan.first_row},
    )


def guess_format(data: bytes) -> str:
    """What a file that is not a zip probably is, in the words of the file-not-xlsx message."""
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return "PDF"
    if (
        head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*"))
        or head[8:12] == b"WEBP"
    ):
        return "图片"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (
        text.startswith((b"<!doctype html", b"<html"))
        or b"<html" in text[:1024]
        or text.startswith(b"mime-version")
    ):
        return "HTML"
    if text.startswith(b"<?xml"):
        return "XML"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in head:
        return "CSV/文本"
    return "未知"


def _check_directory(data: bytes, limits: Limits) -> None:
    """Refuse, from the end record alone, a central directory too big for zipfile to list."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if end < 0 or len(data) < end + 22:
        return  # zipfile reports the damage
    count, size = struct.unpack("<HI", data[end + 10 : end + 16])
    zip64 = data.rfind(b"PK\x06\x06", max(0, end - 4096), end)
    if (count == 0xFFFF or size == 0xFFFFFFFF) and zip64 >= 0 and len(data) >= zip64 + 48:
        count, size = struct.unpack("<QQ", data[zip64 + 32 : zip64 + 48])
    if count > limits.max_members:
        raise _Refusal("file-too-large", detail=f"压缩包内有 {count} 个文件")
    if size > limits.max_members * 1024:
        raise _Refusal("file-too-large", detail=f"压缩包目录有 {_size(size)}")


def _check_declared(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Sizes as the central directory declares them; the stream counts the real ones."""
    if len(members) > limits.max_members:
        raise _Refusal("file-too-large", detail=f"压缩包内有 {len(members)} 个文件")
    if len({info.filename.lower() for info in members}) != len(members):
        raise _Refusal("file-corrupt", detail="压缩包内有重名文件")
    if sum(info.file_size for info in members) > limits.max_total_uncompressed:
        raise _Refusal("file-too-large", detail=f"解压后共 {_size(sum(i.file_size for i in members))}")
    for info in members:
        _check_size(info, info.file_size, limits)


def _check_size(info: zipfile.ZipInfo, size: int, limits: Limits) -> None:
    if size > limits.max_member_uncompressed:
        raise _Refusal(
            "file-too-large", detail=f"{info.filename} 解压后超过 {_size(limits.max_member_uncompressed)}"
        )
    if size > limits.ratio_floor and size > limits.max_ratio * max(info.compress_size, 1):
        raise _Refusal("file-too-large", detail=f"{info.filename} 压缩比超过 {limits.max_ratio:g}:1")


def _check_package(data: bytes, parts: dict[str, zipfile.ZipInfo], limits: Limits) -> None:
    if "[content_types].xml" not in parts or "xl/workbook.xml" not in parts:
        raise _Refusal("file-not-xlsx", actual=_zip_kind(data, parts, limits))
    if any(name.endswith("vbaproject.bin") for name in parts):
        raise _Refusal("file-macro")


def _zip_kind(data: bytes, parts: dict[str, zipfile.ZipInfo], limits: Limits) -> str:
    mimetype = parts.get("mimetype")
    if mimetype is not None and mimetype.file_size < 200:
        text = _read_part(data, mimetype, limits)
        if text.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ODS 表格"
        if text.startswith(b"application/vnd.oasis.opendocument"):
            return "OpenDocument 文档"
    for marker, kind in (
        ("xl/workbook.bin", "XLSB 工作簿"),
        ("word/document.xml", "Word 文档"),
        ("ppt/presentation.xml", "PowerPoint 演示文稿"),
        ("index/document.iwa", "Numbers 表格"),
    ):
        if marker in parts:
            return kind
    return "ZIP 压缩包"


def _sheet_parts(data: bytes, parts: dict[str, zipfile.ZipInfo], limits: Limits) -> dict[str, str]:
    """Worksheet name → zip part, through the workbook and its relationships."""
    rels_info = parts.get("xl/_rels/workbook.xml.rels")
    if rels_info is None:
        raise _Refusal("file-corrupt", detail="缺少 xl/_rels/workbook.xml.rels")
    workbook = _parse(data, parts["xl/workbook.xml"], limits)
    rels = _parse(data, rels_info, limits)
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels.iterfind(".//{*}Relationship")
        if rel.get("Type", "").endswith("/worksheet") and rel.get("TargetMode") != "External"
    }
    found: dict[str, str] = {}
    for sheet in workbook.iterfind(".//{*}sheet"):
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        if rid not in targets:
            continue  # a chart sheet or dialog sheet: no cells to read
        target = targets[rid]
        part = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        )
        info = parts.get(part.lower())
        if info is None:
            raise _Refusal("file-corrupt", detail=f"缺少工作表“{sheet.get('name')}”的内容")
        found[sheet.get("name", "")] = info.filename
    return found


def _parse(data: bytes, info: zipfile.ZipInfo, limits: Limits) -> ET.Element:
    try:  # defusedxml as well as the DTD check: the parser itself refuses entities and DTDs
        return defused_fromstring(_read_part(data, info, limits))
    except ET.ParseError:
        raise _Refusal("file-corrupt", detail=f"{info.filename} 格式错误") from None
    except DefusedXmlException:
        raise _Refusal("file-xml-entities", part=info.filename) from None


def _read_part(data: bytes, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """A small part in full, refused if it is big or declares a DTD."""
    if info.file_size > limits.max_parsed_part:
        raise _Refusal("file-too-large", detail=f"{info.filename} 有 {_size(info.file_size)}")
    out = bytearray()
    for chunk in _member_bytes(data, info):
        out += chunk
        if len(out) > limits.max_parsed_part:
            raise _Refusal("file-too-large", detail=f"{info.filename} 超过 {_size(limits.max_parsed_part)}")
    if _declares_dtd(bytes(out)):
        raise _Refusal("file-xml-entities", part=info.filename)
    return bytes(out)


class _Budget:
    """The uncompressed bytes of the whole package, counted as members are inflated (by threads)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.total = limit, 0
        self._lock = threading.Lock()

    def spend(self, n: int) -> None:
        with self._lock:
            self.total += n
            over = self.total > self.limit
        if over:
            raise _Refusal("file-too-large", detail=f"解压后超过 {_size(self.limit)}")


def _stream(
    data: bytes, info: zipfile.ZipInfo, limits: Limits, budget: _Budget, scan: _SheetScan | None
) -> None:
    """Decompress one member chunk by chunk, counting real bytes against its limit and the budget."""
    size = 0
    prolog: bytes | None = b"" if info.filename.lower().endswith(_XML_SUFFIXES) else None
    for chunk in _member_bytes(data, info):
        size += len(chunk)
        _check_size(info, size, limits)
        budget.spend(len(chunk))
        if prolog is not None:
            prolog += chunk
            verdict = _declares_dtd(prolog)
            if verdict:
                raise _Refusal("file-xml-entities", part=info.filename)
            if verdict is not None or len(prolog) > 16 * MiB:
                prolog = None
        if scan is not None:
            scan.feed(chunk)
    if size != info.file_size:
        raise _Refusal("file-corrupt", detail=f"{info.filename} 的大小与声明不符")
    if scan is not None:
        scan.close()


def _member_bytes(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes as stored in ``data``, inflated at most CHUNK at a time, CRC checked."""
    start = info.header_offset
    if info.flag_bits & 0x1:
        raise _Refusal("file-corrupt", detail=f"{info.filename} 设置了压缩包密码")
    if data[start : start + 4] != b"PK\x03\x04":
        raise _Refusal("file-corrupt", detail=f"{info.filename} 无法读取")
    name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
    start += 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) < info.compress_size:
        raise _Refusal("file-corrupt", detail="压缩包不完整")
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for pos in range(0, len(raw), CHUNK):
            chunk = bytes(raw[pos : pos + CHUNK])
            crc = zlib.crc32(chunk, crc)
            yield chunk
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        for chunk in _inflate(raw, info.filename):
            crc = zlib.crc32(chunk, crc)
            yield chunk
    else:
        raise _Refusal("file-corrupt", detail=f"{info.filename} 使用了 Excel 不支持的压缩方式")
    if crc != info.CRC:
        raise _Refusal("file-corrupt", detail=f"{info.filename} 校验失败（CRC）")


def _inflate(raw: memoryview, name: str) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-15)
    try:
        for pos in range(0, len(raw), _FEED):
            chunk = inflater.decompress(raw[pos : pos + _FEED], CHUNK)
            while chunk:
                yield chunk
                chunk = inflater.decompress(inflater.unconsumed_tail, CHUNK)
            if inflater.eof:
                return
    except zlib.error:
        raise _Refusal("file-corrupt", detail=f"{name} 解压出错") from None
    raise _Refusal("file-corrupt", detail=f"{name} 数据不完整")


def _declares_dtd(head: bytes) -> bool | None:
    """Whether the XML prolog declares a DTD (``<!DOCTYPE``, ``<!ENTITY``); None: read more first."""
    encoding = _utf16(head)
    if encoding:
        head = head[: len(head) // 2 * 2].decode(encoding, errors="ignore").encode()
    pos = 0
    while True:
        pos = head.find(b"<", pos)
        if pos < 0 or len(head) - pos < 4:
            return None
        if head.startswith(b"<?", pos):
            end, skip = head.find(b"?>", pos), 2
        elif head.startswith(b"<!--", pos):
            end, skip = head.find(b"-->", pos), 3
        else:
            return head.startswith(b"<!", pos)  # a declaration, or the root element
        if end < 0:
            return None
        pos = end + skip


def _utf16(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head[:1] == b"\0":
        return "utf-16-be"
    if head[1:2] == b"\0":
        return "utf-16-le"
    return None


_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData\b")
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_ROW_REF = re.compile(rb'\br="([0-9]+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')


class _SheetScan:
    """Per worksheet: formulas saved without a cached value, and the extent of the cells holding values.

    calamine allocates a dense grid from the first to the last row and column holding a value, so
    that extent is what :meth:`check` bounds: rows come in order, so the last value of each chunk
    gives the last row; the columns are the header's, unless a value sits in a column with more
    letters (a search that finds nothing in an ordinary sheet). The stream is cut at ``<row``
    starts, so a cell never straddles two scans.
    """

    def __init__(self) -> None:
        self.formulas: list[str] = []
        self.first_row = 0
        self.last_row = 0
        self.last_col = 0  # 0-based
        self._carry = b""
        self._prefix: bytes | None = None  # of the sheet's element names, e.g. b"x:"

    def feed(self, chunk: bytes) -> None:
        buf = self._carry + chunk
        if self._prefix is None:
            root = _SHEET_DATA.search(buf)
            if root is None:
                self._carry = buf if len(buf) < 16 * MiB else b""
                return
            self._compile(root.group(1) or b"")
        cut = buf.rfind(self._row)
        if cut <= 0:
            if len(buf) < 16 * MiB:
                self._carry = buf
                return
            cut = len(buf)
        self._scan(buf, cut)
        self._carry = buf[cut:]

    def close(self) -> None:
        if self._prefix is not None:
            self._scan(self._carry, len(self._carry))
        self._carry = b""

    def check(self, sheet: str, limits: Limits) -> None:
        cells = (self.last_row - self.first_row + 1) * (self.last_col + 1) if self.first_row else 0
        if cells > limits.max_cells:
            raise _Refusal("sheet-too-large", sheet=sheet, last_row=self.last_row, cells=f"{cells:,}")

    def _compile(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self._prefix = prefix
        self._row, self._row_end = b"<" + prefix + b"row", b"</" + prefix + b"row>"
        self._cell, self._bare_cell = b"<" + prefix + b"c ", b"<" + prefix + b"c>"
        self._value, self._inline = b"<" + prefix + b"v>", b"<" + prefix + b"is>"
        formula = b"<" + p + rb"f\b[^>]*?(?:/>|>[^<]*</" + p + rb"f>)"
        self._holds_value = re.compile(rb"[^>]*>(?:" + formula + rb")?<" + p + rb"(?:v>[^<]|is>)")
        self._first_value = re.compile(b"<" + p + rb"(?:v>[^<]|is>)")
        self._cell_cols = re.compile(b"<" + p + rb'c\b[^>]*?\br="([A-Z]{1,3})')
        self._bare_formula = re.compile(formula + rb"(?!\s*<" + p + rb"v(?:\s[^>]*)?>[^<])")  # no value after
        self._far = self._far_cells()

    def _far_cells(self) -> re.Pattern[bytes]:
        """Cell references with more column letters than ``last_col`` has."""
        letters = 1 if self.last_col < 26 else 2 if self.last_col < 702 else 3
        return re.compile(rb' r="([A-Z]{%d,})([0-9]+)"' % (letters + 1))

    def _scan(self, text: bytes, end: int) -> None:
        first = None if self.first_row else self._first_value.search(text, 0, end)
        if first is not None:  # the header row
            self.first_row = self._row_of(text, first.start()) or 1
            row_start = max(text.rfind(self._row, 0, first.start()), 0)
            row_end = text.find(self._row_end, first.start(), end)
            cols = self._cell_cols.findall(text, row_start, row_end if row_end >= 0 else end)
            self.last_col = max(map(_col_index, cols), default=0)
            self._far = self._far_cells()
        last = self._last_value(text, end)
        if last >= 0:
            self.last_row = max(self.last_row, self._row_of(text, last))
        self._scan_far(text, end)
        for match in self._bare_formula.finditer(text, 0, end):
            tag = self._cell_tag(text, match.start())
            cell_type = _TYPE.search(tag)
            cached = text[match.end() : match.end() + 64].lstrip().startswith(self._value[:-1])
            if cached and cell_type is not None and cell_type.group(1) in (b"str", b"inlineStr"):
                continue  # a formula whose cached result is the empty string
            ref = _REF.search(tag)
            self.formulas.append((ref.group(1) + ref.group(2)).decode() if ref else "")

    def _scan_far(self, text: bytes, end: int) -> None:
        last_col = self.last_col
        for match in self._far.finditer(text, 0, end):
            if self._holds_value.match(text, match.end()):
                last_col = max(last_col, _col_index(match.group(1)))
                self.last_row = max(self.last_row, int(match.group(2)))
        if last_col > self.last_col:
            self.last_col = last_col
            self._far = self._far_cells()

    def _last_value(self, text: bytes, end: int) -> int:
        for start in (max(end - 65536, 0), 0):  # the last rows first: a whole backward scan is rare
            pos = max(text.rfind(self._value, start, end), text.rfind(self._inline, start, end))
            if pos >= 0 or start == 0:
                return pos
        return -1

    def _cell_tag(self, text: bytes, pos: int) -> bytes:
        start = text.rfind(self._cell, 0, pos)
        start = max(start, text.rfind(self._bare_cell, max(start, 0), pos))
        return text[start : text.find(b">", start)] if start >= 0 else b""

    def _row_of(self, text: bytes, pos: int) -> int:
        ref = _REF.search(self._cell_tag(text, pos))
        if ref is not None:
            return int(ref.group(2))
        row_start = text.rfind(self._row, 0, pos)
        row = _ROW_REF.search(text, row_start, text.find(b">", row_start)) if row_start >= 0 else None
        return int(row.group(1)) if row else 0


def _col_index(letters: bytes) -> int:
    index = 0
    for char in letters:
        index = index * 26 + char - 64
    return index - 1


def _size(n: int) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / MiB:.0f} MiB" if n >= MiB else f"{n} 字节"
