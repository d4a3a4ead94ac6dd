"""The fast worksheet scan against the element-handler scan it replaced: same refusals (code and
parameters), same extents, cell counts, formulas and declared dimension, on every sheet of a corpus
— the example workbooks, the hostile files, prefixed and LibreOffice-saved sheets and randomised
sheets full of odd references — fed in chunks of many sizes, so pieces end everywhere."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from sync.tools import examples
from sync.xlsx.xml_scan import Refusal, SharedStringsScan, SheetLimits, SheetScan
from tests import hostile
from tests.hostile import corpus
from tests.hostile import xml as hostile_xml
from tests.xml_scan_reference import ReferenceSharedStringsScan, ReferenceSheetScan

Outcome = tuple[object, ...]
DEFAULT = SheetLimits()
SMALL = SheetLimits(
    max_rows=5000, max_columns=60, max_cells=10_000, max_cell_elements=400, max_string_chars=300
)


def outcome(scan_class: type, xml: bytes, chunks: list[int], limits: SheetLimits) -> Outcome:
    scan = scan_class("客户", hostile.SHEET1, limits)
    try:
        pos = 0
        for size in chunks:
            scan.feed(xml[pos : pos + size])
            pos += size
        scan.feed(xml[pos:])
        scan.close()
        scan.check()
    except Refusal as refusal:
        return ("refused", refusal.finding.code, refusal.finding.params)
    except ValueError as exc:  # what inspect() reports as a corrupt file
        return ("junk", type(exc).__name__)
    return (
        scan.first_row,
        scan.first_col,
        scan.last_row,
        scan.last_col,
        scan.cells,
        scan.formulas,
        scan.dimension,
    )


def chunkings(xml: bytes, rng: random.Random) -> list[list[int]]:
    """Whole, in production-sized chunks, and in small random chunks (pieces end anywhere)."""
    small = [rng.choice([1, 7, 64, 255, 256, 300, 1000, 4096]) for _ in range(len(xml) // 200 + 2)]
    return [[len(xml)], [1 << 20], [rng.randint(200, 5000) for _ in range(len(xml) // 200 + 2)], small]


def assert_same(xml: bytes, limits: SheetLimits = DEFAULT, seed: int = 0) -> Outcome:
    rng = random.Random(seed)
    expected = outcome(ReferenceSheetScan, xml, [len(xml)], limits)
    for chunks in chunkings(xml, rng):
        assert outcome(SheetScan, xml, chunks, limits) == expected, (chunks[:5], xml[:300])
    return expected


def sheets_of(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [zf.read(name) for name in zf.namelist() if name.startswith("xl/worksheets/sheet")]


# -- the corpus --------------------------------------------------------------------------------------


def test_example_workbooks(tmp_path: Path) -> None:
    written = [
        examples.write_customers_workbook(tmp_path / "customers.xlsx", 400, seed=1, bad_rows=5),
        examples.write_project_master(tmp_path / "master.xlsx", rooms=120),
    ]
    for path in written:
        for xml in sheets_of(path.read_bytes()):
            assert_same(xml)
            assert_same(xml, SMALL)


@pytest.mark.parametrize("case", sorted(corpus.CORPUS))
def test_hostile_corpus(tmp_path: Path, case: str) -> None:
    if case in ("zip bomb", "legacy xls", "truncated"):
        pytest.skip("refused before any sheet is read")
    for xml in sheets_of(corpus.build(tmp_path, case)):
        assert_same(xml)


def test_hostile_builders() -> None:
    plain = hostile.workbook({"客户": [["客户姓名", "手机号码"], ["张三", "13800138000"], ["李四", 1]]})
    cases = [
        hostile_xml.far_cell(plain, quote=b'"'),
        *(hostile_xml.far_cell(plain, ref) for ref in [b"XFE1", b"A1048577", b"AAAA1", b"A0", b"1A", b"a5"]),
        hostile_xml.char_ref_cell(plain),
        hostile_xml.many_cells(plain, 3000),
        hostile.workbook({"客户": [["a", "b", "c"], [1, "=A2*2", '=""'], [2, "=A3*2", None]]}),
        hostile.workbook({"客户": [["x"] * 6, ["y"] * 6]}, cells=[("客户", "B1048576", " ")]),
        hostile.workbook({"客户": [["x"]]}, at={"客户": (3, 2)}, styled=[("客户", "A1"), ("客户", "XFD9")]),
    ]
    for data in cases:
        for xml in sheets_of(data):
            assert_same(xml)
            assert_same(xml, SheetLimits(max_cell_elements=2000))


PREFIXED = (
    b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<x:dimension ref="B4:C5"/><x:sheetData><x:row r="4"><x:c r="B4" t="inlineStr"><x:is><x:t>a</x:t>'
    b'</x:is></x:c></x:row><x:row r="5"><x:c r="B5"><x:f>1+1</x:f></x:c><x:c r="C5"><x:f>1+1</x:f>'
    b"<x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>"
)


def test_prefixed_sheet() -> None:
    assert assert_same(PREFIXED)[5] == ["B5"]


def test_libreoffice_saved_workbook(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is needed for this comparison")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["客户姓名", "手机号码", "金额", "合计"])
    for n in range(2, 60):
        ws.append([f"客户{n}", f"138{n:08d}", n * 10, f"=C{n}*2"])
    ws["F70"] = "远处"
    source = tmp_path / "source.xlsx"
    wb.save(source)
    out = tmp_path / "out"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    xml = sheets_of((out / "source.xlsx").read_bytes())[0]
    assert b"customFormat" in xml  # LibreOffice's own way of writing rows
    assert assert_same(xml)[2:4] == (70, 6)


# -- randomised sheets -------------------------------------------------------------------------------

REFS = [
    "A1", "B2", "Z9", "AA10", "XFD1048576", "XFE1", "A1048577", "AAAA1", "A0", "1A", "a5", " B3",
    "C4 ", "A01", "B0012", "ZZ99999999", "&#66;7", "C&#52;", "", "A", "7", "Ａ1", "BA60", "BH61",
]  # fmt: skip
TEXTS = ["", "x", "长" * 120, "&amp;&lt;", " ", "\r\n", "y" * 310, "<![CDATA[z]]>", "&#x1F600;"]


def random_cell(rng: random.Random, row: int) -> str:
    kind = rng.random()
    if kind < 0.5:
        ref = f"{rng.choice(['A', 'B', 'C', 'AB', 'BG'])}{row}"
    elif kind < 0.9:
        ref = rng.choice(REFS)
    else:
        ref = None
    quote = rng.choice(['"', "'"])
    prefix = rng.choice(["", "", "", "x:"])
    attrs = "" if ref is None else f" r={quote}{ref}{quote}"
    if rng.random() < 0.3:
        attrs += rng.choice([' s="1"', ' t="str"', ' t="inlineStr"', ' t="s"', "\n t='e'", ' t="st&#114;"'])
    text = rng.choice(TEXTS)
    body = rng.choice(
        [
            "",
            f"<{prefix}v>{rng.randint(0, 99)}</{prefix}v>",
            f"<{prefix}v>{text}</{prefix}v>",
            f"<{prefix}is><{prefix}t>{text}</{prefix}t></{prefix}is>",
            f"<{prefix}is><{prefix}r><{prefix}t>{text}</{prefix}t></{prefix}r><{prefix}r><{prefix}t>{text}"
            f"</{prefix}t></{prefix}r></{prefix}is>",
            f"<{prefix}f>A1+1</{prefix}f>",
            f"<{prefix}f>A1+1</{prefix}f><{prefix}v>{text}</{prefix}v>",
            f"<{prefix}f t='shared' si='0'/><{prefix}v/>",
            f"<{prefix}f>1</{prefix}f><{prefix}is><{prefix}t>{text}</{prefix}t></{prefix}is>",
            "<!-- <c r='XFD1048576'><v>1</v></c> -->",
            "<v/>",
        ]
    )
    after = rng.choice(["", "", "", " ", "\n", "x"])
    if not body and rng.random() < 0.3:
        return f"<{prefix}c{attrs}/>{after}"
    return f"<{prefix}c{attrs}>{body}</{prefix}c>{after}"


def random_sheet(rng: random.Random) -> bytes:
    rows = []
    row = 0
    for _ in range(rng.randint(1, 120)):
        row += rng.choice([1, 1, 1, 2, 40])
        number = rng.choice([f' r="{row}"'] * 8 + ["", ' r="0"', ' r="05"', " r='9999999'", ' r=" 7 "'])
        cells = "".join(random_cell(rng, row) for _ in range(rng.randint(0, 8)))
        rows.append(f"<row{number}>{cells}</row>" if cells or rng.random() < 0.5 else f"<row{number}/>")
        if rng.random() < 0.05:
            rows.append("<x:sheetPr><x:f>ignored</x:f></x:sheetPr>")
    dimension = rng.choice(["A1:C9", "A1:XFD1048576", "A1:XFD9999999", "", "b2", "A1:ZZZZ1"])
    tail = rng.choice(["", "<extLst><ext><xm:f>Sheet2!A1</xm:f></ext></extLst>", "<!-- end -->\n"])
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x="x" xmlns:xm="m">'
        f'<dimension ref="{dimension}"/><sheetData>{"".join(rows)}</sheetData>{tail}</worksheet>'
    ).encode()


@pytest.mark.parametrize("seed", range(40))
def test_random_sheets(seed: int) -> None:
    rng = random.Random(seed)
    for n in range(10):
        xml = random_sheet(rng)
        assert_same(xml, seed=seed * 100 + n)
        assert_same(xml, SMALL, seed=seed * 100 + n)


def test_plain_rows_in_bulk_agree_on_large_sheets() -> None:
    """Thousands of plain rows: most pieces are read in bulk, a few odd cells among them."""
    rng = random.Random(7)
    rows = []
    for r in range(1, 4000):
        cells = [
            f'<c r="A{r}" t="inlineStr"><is><t>客户{r}</t></is></c>',
            f'<c r="B{r}" s="1"><v>{r * 3}</v></c>',
            f'<c r="C{r}" s="2"/>',
        ]
        if rng.random() < 0.01:
            cells.append(
                rng.choice([f'<c r="D{r}"><f>A{r}</f></c>', f"<c r='E{r}'><v>1</v></c>", "<c><v>2</v></c>"])
            )
        rows.append(f'<row r="{r}" spans="1:5">{"".join(cells)}</row>')
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="urn:x"><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>"
    ).encode()
    assert_same(xml)
    assert_same(xml, SheetLimits(max_cell_elements=12_000))
    assert_same(xml, SheetLimits(max_rows=3000))


# -- shared strings ----------------------------------------------------------------------------------


def strings_outcome(scan_class: type, xml: bytes, chunks: list[int], limits: SheetLimits) -> Outcome:
    scan = scan_class("xl/sharedStrings.xml", limits)
    try:
        pos = 0
        for size in chunks:
            scan.feed(xml[pos : pos + size])
            pos += size
        scan.feed(xml[pos:])
        scan.close()
    except Refusal as refusal:
        return ("refused", refusal.finding.code, refusal.finding.params)
    return ("counted", scan.count)


def random_strings(rng: random.Random) -> bytes:
    items = []
    for _ in range(rng.randint(0, 400)):
        text = rng.choice(["客户", "x" * rng.choice([1, 299, 300, 301]), "&amp;", "", "a\r\nb", "长" * 101])
        items.append(
            rng.choice(
                [
                    f"<si><t>{text}</t></si>",
                    f'<si><t xml:space="preserve">{text} </t></si>',
                    f"<si><r><t>{text}</t></r><r><t>{text}</t></r></si>",
                    f"<si><t>{text}</t><rPh sb='0' eb='1'><t>ke</t></rPh></si>",
                    "<si/>",
                    f"<x:si><x:t>{text}</x:t></x:si>",
                ]
            )
            if rng.random() < 0.3
            else f"<si><t>{text}</t></si>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<sst xmlns="urn:s" xmlns:x="urn:s" '
        f'count="{len(items)}">{"".join(items)}</sst>{rng.choice(["", chr(10)])}'
    ).encode()


@pytest.mark.parametrize("seed", range(20))
def test_shared_strings(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(5):
        xml = random_strings(rng)
        for limits in (DEFAULT, SMALL):
            expected = strings_outcome(ReferenceSharedStringsScan, xml, [len(xml)], limits)
            for chunks in chunkings(xml, rng):
                assert strings_outcome(SharedStringsScan, xml, chunks, limits) == expected


def test_shared_strings_of_saved_workbooks() -> None:
    plain = hostile.workbook({"客户": [["客户姓名", "手机号码"], ["张三", "13800138000"]]})
    for strings in (["短", "x" * 32_767], ["短", "x" * 32_768], [f"客户{n}" for n in range(5000)]):
        data = hostile_xml.shared_strings(plain, strings)
        xml = hostile.members(data)["xl/sharedStrings.xml"]
        expected = strings_outcome(ReferenceSharedStringsScan, xml, [len(xml)], DEFAULT)
        for chunks in chunkings(xml, random.Random(len(strings))):
            assert strings_outcome(SharedStringsScan, xml, chunks, DEFAULT) == expected
