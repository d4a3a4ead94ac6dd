"""Stamp a saved workbook: replace the hidden ``_salesync`` sheet's part and nothing else.

The workbook is never loaded as a whole. Its zip members are copied as they are, compressed bytes
included, so the user's sheets, formatting and formulas survive bit for bit and a 20 MB workbook
takes milliseconds. Only the stamp sheet's part is written anew, as a minimal worksheet of inline
strings that Excel, openpyxl and calamine all read.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from python_calamine import CalamineWorkbook

from sync.core.errors import SalesyncError
from sync.xlsx.stamp import STAMP_SHEET, Stamp

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# zip records: local file header, central directory entry, end of central directory
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s2B5H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_DATA_DESCRIPTOR = 0x08  # general-purpose flag: sizes follow the data (we always write them in the header)
_ZIP32_LIMIT = 0xFFFFFFFF
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class StampError(SalesyncError):
    """无法写入工作簿的版本戳："""


def read_stamp(data: bytes) -> Stamp | None:
    """The workbook's stamp, or None when it has no ``_salesync`` sheet."""
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
        if STAMP_SHEET not in workbook.sheet_names:
            return None
        return Stamp.from_rows(workbook.get_sheet_by_name(STAMP_SHEET).to_python(skip_empty_area=False))


def write_stamp(data: bytes, stamp: Stamp) -> bytes:
    """``data`` with its stamp sheet replaced by ``stamp``; every other zip member is copied unchanged."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part, namespace = _stamp_part(archive)
            infos, comment = archive.infolist(), archive.comment
        return _rewrite(data, infos, comment, part, stamp_sheet_xml(stamp, namespace))
    except (zipfile.BadZipFile, ET.ParseError, DefusedXmlException, KeyError, struct.error) as exc:
        raise StampError(f"不是有效的 xlsx 文件（{exc}）") from exc


def stamp_sheet_xml(stamp: Stamp, namespace: str = SPREADSHEET_NS) -> bytes:
    """A minimal worksheet holding the stamp's key/value rows in columns A and B."""
    rows = [
        f'<row r="{n}">{_cell(f"A{n}", key)}{_cell(f"B{n}", value)}</row>'
        for n, (key, value) in enumerate(stamp.rows(), start=1)
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns={quoteattr(namespace)}><dimension ref="A1:B{max(len(rows), 1)}"/>'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    ).encode()


def _cell(ref: str, value: str | int) -> str:
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = escape(_XML_ILLEGAL.sub("", value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _relationships(archive: zipfile.ZipFile, owner: str) -> dict[str, tuple[str, str]]:
    """The relationships of the part ``owner`` ("" for the package): id -> (type, member name)."""
    folder, name = posixpath.split(owner)
    root = defused_fromstring(archive.read(posixpath.join(folder, "_rels", f"{name}.rels")))
    found = {}
    for rel in root:
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            member = (
                target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            )
            found[rel.get("Id", "")] = (rel.get("Type", ""), member)
    return found


def _stamp_part(archive: zipfile.ZipFile) -> tuple[str, str]:
    """The member name of the stamp sheet and the workbook's spreadsheet namespace."""
    package = _relationships(archive, "")
    book = next((m for t, m in package.values() if t.endswith("/officeDocument")), "xl/workbook.xml")
    root = defused_fromstring(archive.read(book))
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else SPREADSHEET_NS
    for sheet in root.iter():
        if _local_name(sheet.tag) == "sheet" and sheet.get("name") == STAMP_SHEET:
            rel_id = next((v for k, v in sheet.attrib.items() if k.startswith("{") and k.endswith("}id")), "")
            rels = _relationships(archive, book)
            if rel_id in rels and rels[rel_id][1] in archive.NameToInfo:
                return rels[rel_id][1], namespace
    raise StampError(f"缺少隐藏工作表 {STAMP_SHEET}，不是由 salesync 模板生成的工作簿")


def _deflate(content: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as zip members hold it
    return packer.compress(content) + packer.flush()


def _rewrite(data: bytes, infos: list[zipfile.ZipInfo], comment: bytes, part: str, content: bytes) -> bytes:
    """Copy the archive member by member, raw, writing ``content`` in place of ``part``."""
    if len(infos) >= 0xFFFF:
        raise StampError("工作簿的部件过多")
    view = memoryview(data)
    out = io.BytesIO()
    central = []
    for info in infos:
        start = info.header_offset
        sig, needed, flags, method, time, date, _, _, _, name_len, extra_len = _LOCAL.unpack_from(data, start)
        if sig != b"PK\x03\x04":
            raise StampError(f"zip 成员 {info.filename} 已损坏")
        name = bytes(view[start + _LOCAL.size : start + _LOCAL.size + name_len])
        if info.filename == part:
            crc, size = zlib.crc32(content), len(content)
            body: bytes | memoryview = content
            if method != zipfile.ZIP_STORED:
                body, method, flags = _deflate(content), zipfile.ZIP_DEFLATED, flags & ~0x06
        else:
            begin = start + _LOCAL.size + name_len + extra_len
            body, crc, size = view[begin : begin + info.compress_size], info.CRC, info.file_size
        offset = out.tell()
        if max(offset, len(body), size) >= _ZIP32_LIMIT:
            raise StampError("工作簿过大（超过 4 GB）")
        head = (needed, flags & ~_DATA_DESCRIPTOR, method, time, date, crc, len(body), size, name_len, 0)
        out.write(_LOCAL.pack(b"PK\x03\x04", *head) + name)
        out.write(body)
        attrs = (len(info.comment), 0, info.internal_attr, info.external_attr, offset)
        entry = _CENTRAL.pack(b"PK\x01\x02", info.create_version, info.create_system, *head, *attrs)
        central.append(entry + name + info.comment)
    directory = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - directory
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), size, directory, len(comment)))
    out.write(comment)
    return out.getvalue()
