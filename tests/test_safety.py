"""sync.xlsx.safety: hostile bytes become exactly one structural finding, never an exception."""

from __future__ import annotations

import random
import tracemalloc
import zlib

import pytest

from sync.xlsx.safety import DEFAULT_LIMITS, Inspection, Limits, inspect
from tests import hostile
from tests.hostile import xml as hostile_xml

ROWS = [["客户姓名", "手机号码"], ["张三", "13800138000"], ["李四", "13900139000"]]


@pytest.fixture(scope="module")
def plain() -> bytes:
    return hostile.workbook({"客户": ROWS})


def only(inspection: Inspection) -> tuple[str, dict[str, object]]:
    assert len(inspection.findings) == 1, inspection.findings
    finding = inspection.findings[0]
    assert finding.structural
    assert "{" not in finding.message(), finding.message()  # every parameter filled in
    return finding.code, finding.params


def test_plain_workbook_passes(plain: bytes) -> None:
    inspection = inspect(plain)
    assert inspection.ok
    assert inspection.sheet_parts == {
        "客户": "xl/worksheets/sheet1.xml",
        "_salesync": "xl/worksheets/sheet2.xml",
    }
    assert inspection.first_rows == {"客户": 1, "_salesync": 1}
    assert inspection.formula_cells == {}


def test_empty_file() -> None:
    assert only(inspect(b""))[0] == "file-empty"


@pytest.mark.parametrize(
    ("data", "actual"),
    [
        ("客户姓名,手机号码\n张三,13800138000\n".encode(), "CSV/文本"),
        ("客户姓名\t手机号码\n".encode("gb18030"), "CSV/文本"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "图片"),
        (bytes(range(256)), "未知"),
    ],
)
def test_not_a_zip(data: bytes, actual: str) -> None:
    assert only(inspect(data)) == ("file-not-xlsx", {"actual": actual})


def test_zip_that_is_not_a_workbook(plain: bytes) -> None:
    assert only(inspect(hostile.rewrite(plain, {"xl/workbook.xml": None}))) == (
        "file-not-xlsx",
        {"actual": "ZIP 压缩包"},
    )
    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"
    ods = hostile.raw_zip([("mimetype", mimetype, 0, zlib.crc32(mimetype), len(mimetype))])
    assert only(inspect(ods)) == ("file-not-xlsx", {"actual": "ODS 表格"})


def test_truncated_zip(plain: bytes) -> None:
    assert only(inspect(hostile.truncated(plain)))[0] == "file-corrupt"


def test_damaged_member(plain: bytes) -> None:
    code, params = only(inspect(hostile.corrupt_member(plain)))
    assert code == "file-corrupt"
    assert "sheet1.xml" in str(params["detail"])


def test_encrypted_workbook(plain: bytes) -> None:
    assert only(inspect(hostile.encrypted(plain)))[0] == "file-encrypted"


def test_legacy_xls() -> None:
    assert only(inspect(hostile.legacy_xls()))[0] == "file-legacy-xls"


def test_macros(plain: bytes) -> None:
    assert only(inspect(hostile.with_macro(plain)))[0] == "file-macro"
    types = hostile.members(plain)["[Content_Types].xml"].replace(
        b"sheet.main+xml", b"sheet.macroEnabled.main+xml"
    )
    assert only(inspect(hostile.rewrite(plain, {"[Content_Types].xml": types})))[0] == "file-macro"


@pytest.mark.parametrize(
    "part",
    [
        hostile.SHEET1,
        "xl/workbook.xml",
        "[Content_Types].xml",
        "xl/_rels/workbook.xml.rels",
        "docProps/app.xml",
    ],
)
def test_billion_laughs(plain: bytes, part: str) -> None:
    assert only(inspect(hostile.with_entities(plain, part))) == ("file-xml-entities", {"part": part})


@pytest.mark.parametrize(
    "prolog",
    [
        b'<?xml version="1.0"?><!-- <worksheet> --><!DOCTYPE x [<!ENTITY a "b">]>',
        b"<?xml version='1.0'?>\n<?pi <x>?>\n<!DOCTYPE x SYSTEM 'file:///etc/passwd'>",
        b"<!-- " + hostile.numbers(3) + b" -->\n<!DOCTYPE x>",  # past the first chunk
    ],
)
def test_hidden_doctype(plain: bytes, prolog: bytes) -> None:
    assert only(inspect(hostile.with_entities(plain, prolog=prolog)))[0] == "file-xml-entities"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_doctype(plain: bytes, encoding: str) -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    )
    bad = hostile.rewrite(plain, {hostile.SHEET1: xml.encode(encoding)})
    assert only(inspect(bad))[0] == "file-xml-entities"


def test_zip_bomb_with_default_limits(plain: bytes) -> None:
    bomb = hostile.with_bomb(plain, 600)  # 600 MiB of zeros in 600 KiB
    tracemalloc.start()
    try:
        code, params = only(inspect(bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (code, "xl/media/image1.png" in str(params["detail"])) == ("file-too-large", True)
    assert peak < 64 << 20


def test_zip_bomb_lying_about_its_size(plain: bytes) -> None:
    bomb = hostile.with_bomb(plain, 600, declared=1000)
    tracemalloc.start()
    try:
        code, params = only(inspect(bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (code, "压缩比" in str(params["detail"])) == ("file-too-large", True)
    assert peak < 64 << 20


@pytest.mark.parametrize("declared", [100_000 - 1, 100_000 + 1])
def test_size_lies_within_the_limits(plain: bytes, declared: int) -> None:
    lying = hostile.with_parts(plain, [("xl/media/image1.png", bytes(100_000), declared)])
    assert only(inspect(lying))[0] == "file-corrupt"


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        (Limits(max_member_uncompressed=2 << 20), "解压后超过 2 MiB"),
        (Limits(max_total_uncompressed=3 << 20), "解压后共"),
        (Limits(max_ratio=2), "压缩比超过 2:1"),
        (Limits(max_members=5), "个文件"),
    ],
)
def test_each_limit(plain: bytes, limits: Limits, words: str) -> None:
    bomb = hostile.with_parts(plain, [("xl/media/image1.png", hostile.numbers(3), None)])
    assert inspect(bomb).ok
    code, params = only(inspect(bomb, limits=limits))
    assert code == "file-too-large"
    assert words in str(params["detail"])


def test_too_many_members_with_default_limits() -> None:
    tiny = hostile.raw_zip((f"x/{i}.xml", b"", 0, 0, 0) for i in range(10_001))
    assert only(inspect(tiny)) == ("file-too-large", {"detail": "压缩包内有 10001 个文件"})


def test_streamed_total_is_counted(plain: bytes) -> None:
    """Two members whose declared sizes are small but whose real bytes add up past the total."""
    bomb = hostile.with_parts(plain, [("a.bin", 2, None), ("b.bin", 2, 10)])
    code, params = only(inspect(bomb, limits=Limits(max_total_uncompressed=3 << 20, max_ratio=10_000)))
    assert (code, params["detail"]) == ("file-too-large", "解压后超过 3 MiB")


def test_formulas_without_cached_value() -> None:
    data = hostile.workbook({"客户": [["a", "b", "c"], [1, "=A2*2", '=""'], [2, "=A3*2", None]]})
    assert inspect(data).formula_cells == {"客户": ["B2", "C2", "B3"]}


def test_formulas_with_cached_values(plain: bytes) -> None:
    xml = hostile.members(plain)[hostile.SHEET1]
    xml = xml.replace(
        b'<c r="B2" t="inlineStr"><is><t>13800138000</t></is></c>',
        b'<c r="B2"><f>1+1</f><v>2</v></c><c r="C2" t="str"><f>""</f><v></v></c>'
        b'<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="E2"><f t="shared" si="0"/><v>3</v></c>',
    )
    assert b"<f>1+1" in xml
    assert inspect(hostile.rewrite(plain, {hostile.SHEET1: xml})).formula_cells == {}


def test_prefixed_sheet_xml(plain: bytes) -> None:
    xml = (
        b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheetData><x:row r="4"><x:c r="B4" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row>'
        b'<x:row r="5"><x:c r="B5"><x:f>1+1</x:f></x:c><x:c r="C5"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
        b"</x:sheetData></x:worksheet>"
    )
    inspection = inspect(hostile.rewrite(plain, {hostile.SHEET1: xml}))
    assert (inspection.formula_cells, inspection.first_rows["客户"]) == ({"客户": ["B5"]}, 4)


def test_first_row_is_where_values_start() -> None:
    data = hostile.workbook({"客户": ROWS}, at={"客户": (3, 2)}, styled=[("客户", "A1")])
    assert inspect(data).first_rows["客户"] == 3


def test_styled_cell_on_the_last_row_is_fine() -> None:
    data = hostile.workbook({"客户": ROWS}, styled=[("客户", "B1048576")])
    assert inspect(data).ok


def test_value_on_the_last_row_of_a_wide_sheet() -> None:
    """calamine would allocate every cell from A1 to F1048576: about 100 bytes each."""
    wide = [[f"列{i}" for i in range(6)], ["x"] * 6]
    data = hostile.workbook({"客户": wide}, cells=[("客户", "B1048576", " ")])
    code, params = only(inspect(data))
    assert (code, params["sheet"], params["last_row"]) == ("sheet-too-large", "客户", 1048576)


@pytest.mark.parametrize(("rows", "ok"), [(100, True), (400, False)])
def test_value_in_the_last_column(rows: int, ok: bool) -> None:
    """A1 to XFD100 is 1.6 million cells, to XFD400 more than the limit of 5 million."""
    table = [[f"列{i}" for i in range(6)], *[["x"] * 6] * (rows - 1)]
    data = hostile.workbook({"客户": table}, cells=[("客户", "XFD2", "stray")], styled=[("客户", "XFD3")])
    assert inspect(data).ok is ok
    if not ok:
        assert only(inspect(data))[0] == "sheet-too-large"


def test_never_raises_on_damaged_bytes(plain: bytes) -> None:
    rng = random.Random(20261126)
    for _ in range(300):
        data = bytearray(plain)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        result = inspect(bytes(data[: rng.randint(1, len(data))] if rng.random() < 0.3 else data))
        assert isinstance(result, Inspection)
        assert len(result.findings) <= 1


def test_default_limits() -> None:
    assert (
        Limits(
            max_total_uncompressed=1 << 30,
            max_member_uncompressed=512 << 20,
            max_ratio=200,
            ratio_floor=1 << 20,
            max_members=10_000,
        )
        == DEFAULT_LIMITS
    )


# -- what a parser sees, whatever the bytes look like -------------------------------------------


@pytest.mark.parametrize("quote", [b"'", b'"'])
def test_far_value_whatever_the_quoting(plain: bytes, quote: bytes) -> None:
    code, params = only(inspect(hostile_xml.far_cell(plain, quote=quote)))
    assert (code, params["sheet"], params["last_row"]) == ("sheet-too-large", "客户", 1048576)


def test_far_value_in_a_column_with_as_many_letters_as_the_header(plain: bytes) -> None:
    """The header ends at B: a value in Z (one letter too) far down spans 26 columns."""
    code, params = only(inspect(hostile_xml.far_cell(plain, b"Z1048576")))
    assert (code, params["last_row"]) == ("sheet-too-large", 1048576)


def test_reference_written_with_character_references(plain: bytes) -> None:
    assert only(inspect(hostile_xml.char_ref_cell(plain)))[0] == "sheet-too-large"


@pytest.mark.parametrize("ref", [b"XFE1", b"A1048577", b"AAAA1", b"A0", b"1A"])
def test_reference_outside_excel(plain: bytes, ref: bytes) -> None:
    assert only(inspect(hostile_xml.far_cell(plain, ref)))[0] == "sheet-bad-reference"


def test_declared_dimension_outside_excel(plain: bytes) -> None:
    xml = hostile.members(plain)[hostile.SHEET1].replace(
        b'<dimension ref="A1:B3"', b'<dimension ref="A1:XFD9999999"'
    )
    assert only(inspect(hostile.rewrite(plain, {hostile.SHEET1: xml})))[0] == "sheet-bad-reference"


def test_declared_dimension_to_the_last_cell_is_fine(plain: bytes) -> None:
    """Excel writes this when one cell far down is formatted: nothing there to read."""
    xml = hostile.members(plain)[hostile.SHEET1].replace(
        b'<dimension ref="A1:B3"', b'<dimension ref="A1:XFD1048576"'
    )
    assert inspect(hostile.rewrite(plain, {hostile.SHEET1: xml})).ok


@pytest.mark.parametrize("part", [hostile.SHEET1, "xl/workbook.xml", "xl/styles.xml", "docProps/app.xml"])
def test_foreign_encoding_does_not_hide_a_dtd(plain: bytes, part: str) -> None:
    code, params = only(inspect(hostile_xml.foreign_encoding(plain, part)))
    assert (code, params["part"]) == ("file-xml-encoding", part)


def test_latin1_declaration_is_refused(plain: bytes) -> None:
    code, params = only(inspect(hostile_xml.foreign_encoding(plain, encoding="latin-1", dtd=False)))
    assert (code, params["encoding"]) == ("file-xml-encoding", "latin-1")


@pytest.mark.parametrize(
    ("name", "declared"), [("xl/macro.dat", True), ("xl/macro.dat", False), ("xl/media/image9.png", True)]
)
def test_macro_under_another_name(plain: bytes, name: str, declared: bool) -> None:
    assert only(inspect(hostile_xml.renamed_macro(plain, name, declared=declared)))[0] == "file-macro"


def test_embedded_ole_object_without_vba_is_fine(plain: bytes) -> None:
    ole = hostile.OLE_MAGIC + bytes(1024)
    assert inspect(hostile.rewrite(plain, {"xl/embeddings/oleObject1.bin": ole})).ok
    vba = ole + hostile_xml.VBA_STREAM
    assert only(inspect(hostile.rewrite(plain, {"xl/embeddings/oleObject1.bin": vba})))[0] == "file-macro"


def test_content_type_hidden_behind_a_character_reference(plain: bytes) -> None:
    types = hostile.members(plain)["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Default Extension="dat" ContentType="application/vnd.ms-office.vba&#80;roject"/></Types>',
    )
    assert only(inspect(hostile.rewrite(plain, {"[Content_Types].xml": types})))[0] == "file-macro"


def test_too_many_cells(plain: bytes) -> None:
    data = hostile_xml.many_cells(plain, 3000)
    assert inspect(data).ok  # formats only: nothing for a reader to allocate
    code, params = only(inspect(data, limits=Limits(max_cell_elements=2000)))
    assert (code, params["sheet"]) == ("sheet-too-many-cells", "客户")


def test_long_inline_string(plain: bytes) -> None:
    """openpyxl cuts a value at Excel's limit; a hand-made file need not."""
    cell = '<row r="4"><c r="A4" t="inlineStr"><is><r><t>长</t></r><r><t>{}</t></r></is></c></row>'
    assert inspect(hostile_xml.with_rows(plain, cell.format("长" * 32_766).encode())).ok
    code, params = only(inspect(hostile_xml.with_rows(plain, cell.format("长" * 40_000).encode())))
    assert (code, params["cell"], params["sheet"]) == ("cell-text-too-long", "A4", "客户")


def test_long_shared_string(plain: bytes) -> None:
    assert inspect(hostile_xml.shared_strings(plain, ["短", "x" * 32_767])).ok
    code, params = only(inspect(hostile_xml.shared_strings(plain, ["短", "x" * 32_768])))
    assert (code, params["cell"]) == ("cell-text-too-long", "#2")


def test_file_size_is_bounded(plain: bytes) -> None:
    assert only(inspect(plain, limits=Limits(max_file_bytes=len(plain) - 1)))[0] == "file-too-large"


def test_date_system_and_hidden_sheets(plain: bytes) -> None:
    workbook = hostile.members(plain)["xl/workbook.xml"]
    workbook = workbook.replace(b"<workbookPr", b'<workbookPr date1904="1"', 1)
    inspection = inspect(hostile.rewrite(plain, {"xl/workbook.xml": workbook}))
    assert inspection.date1904
    assert inspection.hidden_sheets == {"_salesync"}
    assert (inspection.last_rows["客户"], inspection.last_columns["客户"]) == (3, 2)


def test_a_tiny_part_is_not_parsed_before_its_declaration_is_checked() -> None:
    from sync.xlsx.xml_scan import Refusal, XmlStream

    stream = XmlStream("xl/tiny.xml")
    stream.feed('<?xml version="1.0" encoding="cp037"?><a/>'.encode("cp037"))
    with pytest.raises(Refusal) as refused:
        stream.close()
    assert refused.value.finding.code == "file-xml-encoding"
