"""Hostile XML inside an otherwise valid workbook: what a byte-level check misses and a parser sees.

Each builder takes a valid workbook's bytes and returns them with one part rewritten.
"""

from __future__ import annotations

from tests.hostile import OLE_MAGIC, SHEET1, members, rewrite

VBA_STREAM = "_VBA_PROJECT".encode("utf-16-le")


def with_rows(data: bytes, rows: bytes, part: str = SHEET1) -> bytes:
    """``rows`` (raw XML) appended to the sheet's data."""
    xml = members(data)[part]
    close = b"</sheetData>"
    return rewrite(data, {part: xml.replace(close, rows + close, 1)})


def far_cell(data: bytes, ref: bytes = b"XFD1048576", *, quote: bytes = b"'", value: bytes = b"x") -> bytes:
    """One cell holding a value at ``ref``, its attributes quoted with ``quote``."""
    row = ref.lstrip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    q = quote
    return with_rows(
        data,
        b"<row r="
        + q
        + row
        + q
        + b"><c r="
        + q
        + ref
        + q
        + b" t="
        + q
        + b"inlineStr"
        + q
        + b"><is><t>"
        + value
        + b"</t></is></c></row>",
    )


def char_ref_cell(data: bytes) -> bytes:
    """The far cell's reference written with character references: ``&#88;FD1048576`` is XFD1048576."""
    return with_rows(data, b'<row r="1048576"><c r="&#88;&#70;D1048576"><v>1</v></c></row>')


def foreign_encoding(data: bytes, part: str = SHEET1, encoding: str = "cp037", *, dtd: bool = True) -> bytes:
    """The part re-encoded in a single-byte encoding Excel never writes, with a DTD in it."""
    xml = members(data)[part].decode()
    if xml.startswith("<?xml"):
        xml = xml[xml.index("?>") + 2 :]
    doctype = '<!DOCTYPE x [<!ENTITY a "b">]>' if dtd else ""
    text = f'<?xml version="1.0" encoding="{encoding}"?>{doctype}' + xml
    return rewrite(data, {part: text.encode(encoding, errors="xmlcharrefreplace")})


def renamed_macro(data: bytes, name: str = "xl/macro.dat", *, declared: bool = True) -> bytes:
    """A VBA project stored under an innocent name; ``declared``: also named in the content types
    and the workbook's relationships as Excel would."""
    parts = members(data)
    project = OLE_MAGIC + bytes(504) + VBA_STREAM + bytes(64)
    replace: dict[str, bytes | None] = {name: project}
    if declared:
        replace["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/'
            + name.encode()
            + b'" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
        )
        replace["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
            b'Target="' + name.removeprefix("xl/").encode() + b'"/></Relationships>',
        )
    return rewrite(data, replace)


def shared_strings(data: bytes, strings: list[str]) -> bytes:
    """A shared-strings part with ``strings``, declared in the content types and relationships."""
    parts = members(data)
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()
    return rewrite(
        data,
        {
            "xl/sharedStrings.xml": sst,
            "[Content_Types].xml": parts["[Content_Types].xml"].replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": parts["xl/_rels/workbook.xml.rels"].replace(
                b"</Relationships>",
                b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
            ),
        },
    )


def many_cells(data: bytes, count: int) -> bytes:
    """``count`` formatted, empty cells in one row (cheap for a reader, but each one is parsed)."""
    cells = b"".join(b'<c r="%s2000" s="0"/>' % _letters(i + 1).encode() for i in range(min(count, 16_384)))
    rows = [
        b'<row r="%d">' % (2000 + n) + cells.replace(b"2000", b"%d" % (2000 + n)) + b"</row>"
        for n in range((count + 16_383) // 16_384)
    ]
    return with_rows(data, b"".join(rows))


def _letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out
