"""Build workbooks for the reader's tests: plain ones with openpyxl, and hostile ones byte by byte."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from sync.xlsx.stamp import STAMP_SHEET

MiB = 1 << 20
SHEET1 = "xl/worksheets/sheet1.xml"


def workbook(
    sheets: Mapping[str, Sequence[Sequence[Any]]],
    *,
    template: tuple[str, str] | None = ("test", "1"),
    at: Mapping[str, tuple[int, int]] | None = None,
    styled: Iterable[tuple[str, str]] = (),
    cells: Iterable[tuple[str, str, Any]] = (),
) -> bytes:
    """A workbook whose sheets hold ``rows`` from row 1 (or from ``at[sheet]`` = (row, column)),
    with the hidden ``_salesync`` sheet a template carries; ``styled`` cells (sheet, ref) get a bold
    font and nothing else, ``cells`` (sheet, ref, value) are set one by one."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        top, left = (at or {}).get(name, (1, 1))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.cell(top + r, left + c, value)
    for name, ref in styled:
        wb[name][ref].font = Font(bold=True)
    for name, ref, value in cells:
        wb[name][ref] = value
    if template is not None:
        stamp = wb.create_sheet(STAMP_SHEET)
        stamp.append(["template_id", template[0]])
        stamp.append(["template_version", template[1]])
        stamp.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(data: bytes, replace: Mapping[str, bytes | None]) -> bytes:
    """The zip with members replaced, added, or (value None) removed."""
    parts = {**members(data), **replace}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            if content is not None:
                zf.writestr(name, content)
    return out.getvalue()


def raw_zip(entries: Iterable[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand from (name, stored bytes, method, crc, declared size): sizes may lie."""
    out, central, count = bytearray(), bytearray(), 0
    for name, stored, method, crc, declared in entries:
        count += 1
        encoded = name.encode()
        fields = (20, 0, method, 0, 0x21, crc, len(stored), declared, len(encoded), 0)
        central += (
            b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, *fields, 0, 0, 0, 0, len(out)) + encoded
        )
        out += b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields) + encoded + stored
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + eocd)


def deflated(content: bytes) -> tuple[bytes, int]:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(content) + packer.flush(), zlib.crc32(content)


def zeros(mib: int) -> tuple[bytes, int]:
    """``mib`` MiB of zeros, deflated in about a KiB each without compressing them all."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(bytes(MiB)) + packer.flush(zlib.Z_FULL_FLUSH)  # the same bytes every MiB
    tail = packer.flush()
    crc = 0
    one = bytes(MiB)
    for _ in range(mib):
        crc = zlib.crc32(one, crc)
    return block * mib + tail, crc


def with_parts(data: bytes, parts: Iterable[tuple[str, bytes | int, int | None]]) -> bytes:
    """A valid workbook plus members (name, content or MiB of zeros, declared size or None for the true one)."""
    entries = []
    for part, kept in members(data).items():
        stored, crc = deflated(kept)
        entries.append((part, stored, 8, crc, len(kept)))
    for name, content, declared in parts:
        stored, crc = zeros(content) if isinstance(content, int) else deflated(content)
        size = content * MiB if isinstance(content, int) else len(content)
        entries.append((name, stored, 8, crc, size if declared is None else declared))
    return raw_zip(entries)


def with_bomb(
    data: bytes, mib: int, *, declared: int | None = None, name: str = "xl/media/image1.png"
) -> bytes:
    """A valid workbook plus a member that inflates to ``mib`` MiB of zeros, declaring ``declared`` bytes."""
    return with_parts(data, [(name, mib, declared)])


def numbers(mib: int) -> bytes:
    """About ``mib`` MiB of text that deflates only about 4:1."""
    return b",".join(b"%07d" % (i * 7919 % 9999991) for i in range(mib * MiB // 8))


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def corrupt_member(data: bytes, part: str = SHEET1) -> bytes:
    """Flip bytes in the middle of one member's compressed data: a CRC or inflate error."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(part)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    return data[:start] + bytes(b ^ 0x5A for b in data[start : start + 4]) + data[start + 4 :]


def with_macro(data: bytes) -> bytes:
    types = members(data)["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
    )
    return rewrite(data, {"xl/vbaProject.bin": OLE_MAGIC + bytes(504), "[Content_Types].xml": types})


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)


def with_entities(data: bytes, part: str = SHEET1, prolog: bytes = BILLION_LAUGHS) -> bytes:
    """The part's XML declaration replaced by ``prolog`` (a billion-laughs DTD) and a use of it."""
    xml = members(data)[part]
    if xml.startswith(b"<?xml"):
        xml = xml[xml.index(b"?>") + 2 :]
    xml = xml.replace(b"<t>", b"<t>&lol9;", 1)
    return rewrite(data, {part: prolog + xml})


def encrypted(data: bytes, password: str = "secret") -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def legacy_xls(stream: str = "Workbook", content: bytes = b"\x09\x08" + bytes(4094)) -> bytes:
    """A minimal OLE compound file (the .xls container) with one 4 KiB stream."""
    sectors = len(content) // 512
    header = OLE_MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, _END, 0, _END, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108
    fat = [_FAT, _END, *range(3, 2 + sectors), _END]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", _FREE) * (128 - len(fat))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(encoded), kind, 1, _FREE, _FREE, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 1, _END, 0) + entry(stream, 2, _FREE, 2, len(content))
    directory += entry("", 0, _FREE, 0, 0) * 2
    return header + fat_sector + directory + content
