"""The hostile corpus: each entry turns a good 客户登记 workbook's bytes into a hostile one, and
names the one finding it must be refused with. Files are generated in the test's tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests import hostile
from tests.hostile import xml
from tests.workbooks import customer_rows, fill_template

Make = Callable[[bytes], bytes]

CORPUS: dict[str, tuple[Make, str]] = {
    # bounds before work: what a parser sees, whatever the bytes look like
    "far cell in single quotes": (lambda d: xml.far_cell(d, b"XFD1048576", quote=b"'"), "sheet-too-large"),
    "far cell with header-length letters": (lambda d: xml.far_cell(d, b"Z1048576"), "sheet-too-large"),
    "reference by character references": (xml.char_ref_cell, "sheet-too-large"),
    "reference outside the grid": (lambda d: xml.far_cell(d, b"XFE1"), "sheet-bad-reference"),
    "DTD behind cp037": (xml.foreign_encoding, "file-xml-encoding"),
    "macro stored as xl/macro.dat": (xml.renamed_macro, "file-macro"),
    "macro bytes without a declaration": (lambda d: xml.renamed_macro(d, declared=False), "file-macro"),
    "40,000-character inline string": (
        lambda d: xml.with_rows(
            d,
            b'<row r="900"><c r="A900" t="inlineStr"><is><t>'
            + "长".encode() * 40_000
            + b"</t></is></c></row>",
        ),
        "cell-text-too-long",
    ),
    "40,000-character shared string": (lambda d: xml.shared_strings(d, ["x" * 40_000]), "cell-text-too-long"),
    # the classics, refused before and still
    "zip bomb": (lambda d: hostile.with_bomb(d, 2048), "file-too-large"),
    "billion laughs": (hostile.with_entities, "file-xml-entities"),
    "truncated": (hostile.truncated, "file-corrupt"),
    "legacy xls": (lambda _: hostile.legacy_xls(), "file-legacy-xls"),
}


def good_workbook(tmp_path: Path, count: int = 3, start: int = 0) -> bytes:
    name = f"good-{count}-{start}.xlsx"
    return fill_template(
        "customers", customer_rows(count, start=start), tmp_path / "built" / name
    ).read_bytes()


def build(tmp_path: Path, case: str) -> bytes:
    make, _ = CORPUS[case]
    return make(good_workbook(tmp_path, 2, 500))
