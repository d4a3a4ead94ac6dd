"""Byte-level helpers for editing XML located by expat: tag ends, start tags, splices, cell refs.

expat reports where each element starts (``CurrentByteIndex``); the edits below replace or insert
byte ranges there and leave every other byte of the part as it was.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from sync.xlsx.patch import Unsupported

_TAG = re.compile(rb"""</?[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_ROW, MAX_COLUMN = 1_048_576, 16_384


def tag_end(data: bytes, start: int) -> int:
    """The offset just past the tag that begins at ``start`` (quotes may hold ``>``)."""
    match = _TAG.match(data, start)
    if match is None:
        raise Unsupported(f"无法识别位置 {start} 处的 XML 标记")
    return match.end()


def element_end(data: bytes, at: int, name: str, begin: int) -> tuple[bool, int]:
    """At expat's end event for ``name`` (started at ``begin``): was there an end tag, and where
    does the element end? For an empty element expat reports the offset just past it, which may
    be the parent's end tag — told apart by its name (our elements never nest in their own kind).
    """
    tag = b"</" + name.encode()
    if (
        at > begin
        and data.startswith(tag, at)
        and data[at + len(tag) : at + len(tag) + 1] in (b">", b" ", b"\t", b"\r", b"\n")
    ):
        return True, tag_end(data, at)
    return False, at


def local(name: str) -> str:
    return name.rpartition(":")[2]


def prefix_of(name: str) -> str:
    """``"x:c"`` → ``"x:"``; an unprefixed name gives ``""``, ready to put before a local name."""
    head, _, _ = name.rpartition(":")
    return f"{head}:" if head else ""


def text(value: str) -> str:
    """Element text without the control characters XML 1.0 cannot hold."""
    return escape(_ILLEGAL.sub("", value))


def start_tag(name: str, attrs: Iterable[tuple[str, str]], *, empty: bool = False) -> bytes:
    inner = "".join(f" {k}={quoteattr(_ILLEGAL.sub('', v))}" for k, v in attrs)
    return f"<{name}{inner}{'/' if empty else ''}>".encode()


def pairs(ordered: list[str]) -> list[tuple[str, str]]:
    """expat's ``ordered_attributes`` list as (name, value) pairs, in document order."""
    return list(zip(ordered[::2], ordered[1::2], strict=True))


def parser() -> xml.parsers.expat.XMLParserType:
    """An expat parser that refuses DTDs (no entity tricks) and keeps attributes in order."""
    p = xml.parsers.expat.ParserCreate()
    p.ordered_attributes = True

    def no_dtd(*_: object) -> None:
        raise Unsupported("XML 部件含有 DTD")

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    return p


def parse(p: xml.parsers.expat.XMLParserType, data: bytes, part: str) -> None:
    try:
        p.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise Unsupported(f"部件 {part} 不是有效的 XML（{exc}）") from exc


def column_letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def ref(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"


def parse_ref(value: str) -> tuple[int, int] | None:
    """``"B12"`` → (12, 2); anything else (or beyond Excel's grid) → None."""
    match = _REF.fullmatch(value.strip().upper())
    if match is None:
        return None
    row, column = int(match[2]), column_number(match[1])
    return (row, column) if 1 <= row <= MAX_ROW and 1 <= column <= MAX_COLUMN else None


class Splice:
    """Edits of one part as byte ranges; applied once, in order, to give the new part."""

    def __init__(self) -> None:
        self.edits: list[tuple[int, int, int, bytes]] = []

    def replace(self, start: int, end: int, content: bytes) -> None:
        self.edits.append((start, end, len(self.edits), content))

    def insert(self, at: int, content: bytes) -> None:
        self.replace(at, at, content)

    def __bool__(self) -> bool:
        return bool(self.edits)

    def apply(self, data: bytes) -> bytes:
        out: list[bytes] = []
        done = 0
        for start, end, _, content in sorted(self.edits):
            if start < done:
                raise Unsupported("内部错误：XML 编辑区重叠")
            out.append(data[done:start])
            out.append(content)
            done = end
        out.append(data[done:])
        return b"".join(out)
