"""Look at a saved workbook's bytes before any parser does.

:func:`inspect` refuses what must never reach calamine or openpyxl — empty files, renamed CSV/PDF,
legacy and password-protected (OLE) files, broken or hostile zips (bombs, CRC faults), macros
(found by content type and by content, whatever the part is called) and XML that declares a DTD or
an encoding other than UTF-8/16. In the same streaming pass every XML member goes through expat
(``sync.xlsx.xml_scan``), and per worksheet it notes the formulas saved without a cached value and the
first row holding a value (where calamine's range, and so the reader's row numbers, start); it
refuses a sheet whose references leave Excel's grid, whose values span more cells than calamine
should allocate, that writes too many cells, or a string longer than a cell may hold. It never
raises on bad input and holds at most one decompressed chunk of a member in memory at a time.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
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

from sync.xlsx.xml_scan import Refusal, SharedStringsScan, SheetLimits, SheetScan, XmlStream
from validators.findings import Finding

MiB = 1 << 20
GiB = 1 << 30
CHUNK = MiB  # decompressed bytes handled at a time
_FEED = 256 << 10  # compressed bytes handed to zlib at a time
PARALLEL_MEMBER_BYTES = 256 << 10  # members this big (compressed) are inspected two at a time

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_VBA_STREAM = "_VBA_PROJECT".encode("utf-16-le")
_MACRO_TYPES = (b"vbaproject", b"macroenabled", b"macrosheet", b"ms-office.activex", b"ms-excel.intl")
_SHARED_STRINGS = "/sharedStrings"


@dataclass(frozen=True)
class Limits(SheetLimits):
    """Every bound of the inspection: the zip's (here) and each sheet's (``SheetLimits``)."""

    max_file_bytes: int = 256 * MiB  # checked on the file's size, before it is read
    max_total_uncompressed: int = GiB
    max_member_uncompressed: int = 512 * MiB
    max_ratio: float = 200
    ratio_floor: int = MiB  # the ratio rule applies to members that expand beyond this
    max_members: int = 10_000
    max_parsed_part: int = 16 * MiB  # parts parsed whole: [Content_Types].xml, the workbook and its rels


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Inspection:
    findings: list[Finding] = field(default_factory=list)  # at most one, structural
    formula_cells: dict[str, list[str]] = field(default_factory=dict)  # sheet → refs ("F12") with no value
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet → zip part
    first_rows: dict[str, int] = field(default_factory=dict)  # sheet → Excel row of its first value
    last_rows: dict[str, int] = field(default_factory=dict)  # sheet → Excel row of its last value
    last_columns: dict[str, int] = field(
        default_factory=dict
    )  # sheet → its last column holding a value (1-based)
    hidden_sheets: frozenset[str] = frozenset()  # sheets the workbook marks hidden or very hidden
    date1904: bool = False  # serial numbers count days from 1904-01-01 (old Mac workbooks)

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


_Refusal = Refusal


def inspect(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> Inspection:
    """The verdict on ``data``; the same bytes are inspected once (the watcher peeks at the
    stamp before the ingest reads the workbook, and the scan of a big sheet takes seconds)."""
    key = (hashlib.blake2b(data, digest_size=16).digest(), limits)
    with _RECENT_LOCK:
        known = _RECENT.get(key)
    if known is not None:
        return known
    try:
        inspection = _inspect(data, limits)
    except _Refusal as refusal:
        inspection = Inspection(findings=[refusal.finding])
    except _JUNK as exc:
        inspection = Inspection(findings=[Finding("file-corrupt", params={"detail": str(exc)[:200]})])
    with _RECENT_LOCK:
        _RECENT[key] = inspection
        while len(_RECENT) > 8:
            _RECENT.pop(next(iter(_RECENT)))
    return inspection


_RECENT: dict[tuple[bytes, Limits], Inspection] = {}  # the last few verdicts, by content
_RECENT_LOCK = threading.Lock()


def _inspect(data: bytes, limits: Limits) -> Inspection:
    if not data:
        raise _Refusal("file-empty")
    if len(data) > limits.max_file_bytes:
        raise _Refusal("file-too-large", detail=f"文件有 {_size(len(data))}")
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
    if any(kind in content_types for kind in _MACRO_TYPES):
        raise _Refusal("file-macro")
    book = _book(data, parts, limits)
    sheet_parts = book.sheets

    scans: dict[str, SheetScan | SharedStringsScan] = {
        part.lower(): SheetScan(name, part, limits) for name, part in sheet_parts.items()
    }
    if book.shared_strings:
        scans[book.shared_strings.lower()] = SharedStringsScan(book.shared_strings, limits)
    budget = _Budget(limits.max_total_uncompressed)

    def inspect_member(info: zipfile.ZipInfo) -> None:
        scan = scans.get(info.filename.lower())
        _stream(data, info, limits, budget, scan)
        if isinstance(scan, SheetScan):
            scan.check()

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
    sheets = [scan for scan in scans.values() if isinstance(scan, SheetScan)]
    return Inspection(
        formula_cells={scan.name: scan.formulas for scan in sheets if scan.formulas},
        sheet_parts=sheet_parts,
        first_rows={scan.name: scan.first_row for scan in sheets if scan.first_row},
        last_rows={scan.name: scan.last_row for scan in sheets if scan.last_row},
        last_columns={scan.name: scan.last_col for scan in sheets if scan.last_col},
        hidden_sheets=book.hidden,
        date1904=book.date1904,
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


@dataclass(frozen=True)
class _Book:
    sheets: dict[str, str]  # worksheet name → zip part
    shared_strings: str | None
    hidden: frozenset[str]
    date1904: bool


def _book(data: bytes, parts: dict[str, zipfile.ZipInfo], limits: Limits) -> _Book:
    """The worksheets (name → zip part, through the workbook and its relationships), the shared
    strings part, which sheets are hidden and the date system; a macro named in the content types
    or the relationships is refused here, whatever the part holding it is called."""
    types = _parse(data, parts["[content_types].xml"], limits)
    for entry in types.iter():
        if any(kind.decode() in entry.get("ContentType", "").lower() for kind in _MACRO_TYPES):
            raise _Refusal("file-macro")
    rels_info = parts.get("xl/_rels/workbook.xml.rels")
    if rels_info is None:
        raise _Refusal("file-corrupt", detail="缺少 xl/_rels/workbook.xml.rels")
    workbook = _parse(data, parts["xl/workbook.xml"], limits)
    rels = _parse(data, rels_info, limits)
    targets: dict[str | None, str] = {}
    shared: str | None = None
    for rel in rels.iterfind(".//{*}Relationship"):
        kind = rel.get("Type", "")
        if kind.lower().endswith(("/vbaproject", "/vbaprojectsignature", "/activexcontrol")):
            raise _Refusal("file-macro")
        if rel.get("TargetMode") == "External":
            continue
        if kind.endswith("/worksheet"):
            targets[rel.get("Id")] = rel.get("Target", "")
        elif kind.endswith(_SHARED_STRINGS):
            info = parts.get(_resolve(rel.get("Target", "")).lower())
            shared = info.filename if info is not None else None
    found: dict[str, str] = {}
    hidden: set[str] = set()
    for sheet in workbook.iterfind(".//{*}sheet"):
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        if rid not in targets:
            continue  # a chart sheet or dialog sheet: no cells to read
        info = parts.get(_resolve(targets[rid]).lower())
        if info is None:
            raise _Refusal("file-corrupt", detail=f"缺少工作表“{sheet.get('name')}”的内容")
        found[sheet.get("name", "")] = info.filename
        if sheet.get("state") in ("hidden", "veryHidden"):
            hidden.add(sheet.get("name", ""))
    properties = workbook.find("{*}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
    return _Book(found, shared, frozenset(hidden), date1904)


def _resolve(target: str) -> str:
    """A relationship target of the workbook as a zip part name."""
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _parse(data: bytes, info: zipfile.ZipInfo, limits: Limits) -> ET.Element:
    try:  # defusedxml as well as the DTD check: the parser itself refuses entities and DTDs
        return defused_fromstring(_read_part(data, info, limits))
    except ET.ParseError:
        raise _Refusal("file-corrupt", detail=f"{info.filename} 格式错误") from None
    except DefusedXmlException:
        raise _Refusal("file-xml-entities", part=info.filename) from None


def _read_part(data: bytes, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """A small part in full, refused if it is big, declares a DTD or another encoding than UTF-8/16."""
    if info.file_size > limits.max_parsed_part:
        raise _Refusal("file-too-large", detail=f"{info.filename} 有 {_size(info.file_size)}")
    out = bytearray()
    for chunk in _member_bytes(data, info):
        out += chunk
        if len(out) > limits.max_parsed_part:
            raise _Refusal("file-too-large", detail=f"{info.filename} 超过 {_size(limits.max_parsed_part)}")
    if _declares_dtd(bytes(out)):
        raise _Refusal("file-xml-entities", part=info.filename)
    if info.filename.lower().endswith(_XML_SUFFIXES):
        XmlStream(info.filename).feed(bytes(out), final=True)
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
    data: bytes,
    info: zipfile.ZipInfo,
    limits: Limits,
    budget: _Budget,
    scan: SheetScan | SharedStringsScan | None,
) -> None:
    """Decompress one member chunk by chunk, counting real bytes against its limit and the budget,
    each XML member through expat (a sheet's or the shared strings' with their scan), each OLE
    member looked at for macros."""
    size = 0
    xml = info.filename.lower().endswith(_XML_SUFFIXES)
    prolog: bytes | None = b"" if xml else None
    parser = scan if scan is not None else XmlStream(info.filename, strict=False) if xml else None
    ole: bytes | None = None  # the tail of the previous chunk of an OLE member
    for chunk in _member_bytes(data, info):
        if size == 0 and chunk.startswith(OLE_MAGIC):
            ole = b""
            if posixpath.dirname(info.filename.lower()) != "xl/embeddings":
                raise _Refusal("file-macro")  # VBA, whatever the part is called
        if ole is not None:
            if _VBA_STREAM in ole + chunk:
                raise _Refusal("file-macro")
            ole = chunk[-len(_VBA_STREAM) :]
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
        if parser is not None:
            parser.feed(chunk)
    if size != info.file_size:
        raise _Refusal("file-corrupt", detail=f"{info.filename} 的大小与声明不符")
    if scan is not None:
        scan.close()
    elif parser is not None:
        parser.close()


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


def _size(n: int) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / MiB:.0f} MiB" if n >= MiB else f"{n} 字节"
