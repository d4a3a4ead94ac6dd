"""The workbook as a zip: read members, then write it again with a few members replaced or added.

Members that are not replaced are copied raw — the compressed bytes, CRC, method, timestamps and
order as they were — so a picture or a chart comes back bit for bit. Replaced members keep their
place and method; added members go after the last original one.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Mapping

from sync.xlsx.patch import Unsupported

# zip records: local file header, central directory entry, end of central directory
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s2B5H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_DATA_DESCRIPTOR = 0x08  # general-purpose flag: sizes follow the data (we always write them in the header)
_UTF8_NAME = 0x800
_ZIP32_LIMIT = 0xFFFFFFFF


class Package:
    """The members of one xlsx held in memory, read lazily by name."""

    def __init__(self, data: bytes) -> None:
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise Unsupported(f"不是有效的 xlsx 文件（{exc}）") from exc
        self.data = data
        self.infos = self.archive.infolist()
        self.names = {info.filename for info in self.infos}

    def read(self, name: str) -> bytes:
        try:
            return self.archive.read(name)
        except (KeyError, zipfile.BadZipFile, zlib.error) as exc:
            raise Unsupported(f"部件 {name} 无法读取（{exc}）") from exc

    def open(self, name: str) -> io.BufferedIOBase:
        """A member as a stream, for parts read only as far as needed."""
        return self.archive.open(name)  # type: ignore[return-value]

    def has(self, name: str) -> bool:
        return name in self.names


def _deflate(content: bytes) -> bytes:
    level = 6 if len(content) < (1 << 22) else 1  # a big sheet: speed over the last few per cent
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)  # raw deflate, as zip members hold it
    return packer.compress(content) + packer.flush()


def rewrite(
    package: Package, replaced: Mapping[str, bytes], added: Mapping[str, bytes] | None = None
) -> bytes:
    """The archive again, member by member, with ``replaced`` written in place and ``added`` appended."""
    added = dict(added or {})
    infos = package.infos
    if len(infos) + len(added) >= 0xFFFF:
        raise Unsupported("工作簿的部件过多")
    data = package.data
    view = memoryview(data)
    out = io.BytesIO()
    central: list[bytes] = []
    template: tuple[int, int, int, int] | None = None
    for info in infos:
        start = info.header_offset
        sig, needed, flags, method, time, date, _, _, _, name_len, extra_len = _LOCAL.unpack_from(data, start)
        if sig != b"PK\x03\x04":
            raise Unsupported(f"zip 成员 {info.filename} 已损坏")
        name = bytes(view[start + _LOCAL.size : start + _LOCAL.size + name_len])
        template = template or (needed, time, date, info.create_system)
        if info.filename in replaced:
            content = replaced[info.filename]
            crc, size = zlib.crc32(content), len(content)
            body: bytes | memoryview = content
            if method != zipfile.ZIP_STORED:
                body, method, flags = _deflate(content), zipfile.ZIP_DEFLATED, flags & ~0x06
        else:
            begin = start + _LOCAL.size + name_len + extra_len
            body, crc, size = view[begin : begin + info.compress_size], info.CRC, info.file_size
        head = (needed, flags & ~_DATA_DESCRIPTOR, method, time, date, crc, len(body), size, name_len, 0)
        attrs = (len(info.comment), 0, info.internal_attr, info.external_attr)
        central.append(
            _member(out, head, name, body, info.create_version, info.create_system, attrs, info.comment)
        )
    needed, time, date, system = template or (20, 0, 0x21, 0)
    for filename, content in added.items():
        name = filename.encode("utf-8")
        flags = 0 if filename.isascii() else _UTF8_NAME
        body = _deflate(content)
        head = (
            needed,
            flags,
            zipfile.ZIP_DEFLATED,
            time,
            date,
            zlib.crc32(content),
            len(body),
            len(content),
            len(name),
            0,
        )
        central.append(_member(out, head, name, body, 20, system, (0, 0, 0, 0), b""))
    directory = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - directory
    comment = package.archive.comment
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), size, directory, len(comment)))
    out.write(comment)
    return out.getvalue()


def _member(
    out: io.BytesIO,
    head: tuple[int, ...],
    name: bytes,
    body: bytes | memoryview,
    create_version: int,
    create_system: int,
    attrs: tuple[int, int, int, int],
    comment: bytes,
) -> bytes:
    """Write one local header and its data; return its central directory entry."""
    offset = out.tell()
    if max(offset, len(body), head[7]) >= _ZIP32_LIMIT:
        raise Unsupported("工作簿过大（超过 4 GB）")
    out.write(_LOCAL.pack(b"PK\x03\x04", *head) + name)
    out.write(body)
    return _CENTRAL.pack(b"PK\x01\x02", create_version, create_system, *head, *attrs, offset) + name + comment
