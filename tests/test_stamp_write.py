"""Stamping a saved workbook: only the hidden stamp sheet changes, whoever wrote the file."""

from __future__ import annotations

import base64
import io
import os
import time
import zipfile
from pathlib import Path

import fastexcel
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from sync.kinds import get_kind
from sync.xlsx.stamp import STAMP_SHEET, Stamp
from sync.xlsx.stamp_write import StampError, read_stamp, write_stamp
from sync.xlsx.templates import build_template

KIND = get_kind("customers")
FRESH = Stamp(template_id="customers", template_version="1")
ACCEPTED = Stamp(
    "customers", "1", workbook_uid="3f0c9a", accepted_version=4, accepted_at="2026-11-26T10:03:00+08:00"
)
SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture
def user_workbook(tmp_path: Path) -> bytes:
    """A rep's workbook: the template with rows typed in, their own colours, widths and sheet."""
    wb = load_workbook(io.BytesIO(build_template(KIND)))
    customers, events = wb["客户"], wb["客户事件"]
    assert isinstance(customers, Worksheet) and isinstance(events, Worksheet)
    customers.append(["王小明", "13800138000", None, "身份证", "11010519491231002X", "来访", "2026-11-20"])
    customers.append(["李华", "13900139000", "0755-88886666", None, None, "来电", "2026-11-21"])
    events.append(["13800138000", "首次来访", "2026-11-20 10:30", "看了 3 号楼"])
    customers["A2"].fill = PatternFill("solid", fgColor="FFFF00")
    customers.column_dimensions["L"].width = 50
    mine = wb.create_sheet("我的统计")
    mine.append(["客户数", "=COUNTA(客户!A:A)-1"])
    mine.column_dimensions["A"].width = 30
    path = tmp_path / "张丽-客户登记.xlsx"
    wb.save(path)
    return path.read_bytes()


def _members(data: bytes) -> dict[str, tuple[int, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {i.filename: (i.compress_type, archive.read(i)) for i in archive.infolist()}


def _stamp_part(data: bytes) -> str:
    """The stamp sheet's member, found the plain way: the one whose text holds ``template_id``."""
    parts = [
        n
        for n, (_, body) in _members(data).items()
        if n.startswith("xl/worksheets/") and b"template_id" in body
    ]
    assert len(parts) == 1
    return parts[0]


def _values(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets if ws.title != STAMP_SHEET}


def test_template_carries_its_stamp() -> None:
    assert read_stamp(build_template(KIND)) == FRESH


def test_write_then_read_gives_the_new_stamp(user_workbook: bytes) -> None:
    assert read_stamp(user_workbook) == FRESH
    assert read_stamp(write_stamp(user_workbook, ACCEPTED)) == ACCEPTED


def test_every_other_member_is_unchanged(user_workbook: bytes) -> None:
    part = _stamp_part(user_workbook)
    before, after = _members(user_workbook), _members(write_stamp(user_workbook, ACCEPTED))
    assert list(after) == list(before)
    assert {n for n in before if before[n] != after[n]} == {part}
    assert after[part][0] == before[part][0]


def test_workbook_opens_with_the_same_data_and_formatting(user_workbook: bytes) -> None:
    stamped = write_stamp(user_workbook, ACCEPTED)
    assert _values(stamped) == _values(user_workbook)
    wb = load_workbook(io.BytesIO(stamped))
    customers, mine, stamp_sheet = wb["客户"], wb["我的统计"], wb[STAMP_SHEET]
    assert (
        isinstance(customers, Worksheet)
        and isinstance(mine, Worksheet)
        and isinstance(stamp_sheet, Worksheet)
    )
    assert customers["A2"].fill.fgColor.rgb == "00FFFF00"
    assert customers.column_dimensions["L"].width == 50
    assert len(customers.data_validations.dataValidation) == len(KIND.sheet("customer").columns)
    assert mine["B1"].value == "=COUNTA(客户!A:A)-1"
    assert stamp_sheet.sheet_state == "hidden"
    assert Stamp.from_rows(stamp_sheet.iter_rows(values_only=True)) == ACCEPTED
    for name in ("客户", "客户事件", "我的统计"):
        new = fastexcel.read_excel(stamped).load_sheet_by_name(name, header_row=None).to_pandas()
        old = fastexcel.read_excel(user_workbook).load_sheet_by_name(name, header_row=None).to_pandas()
        assert new.equals(old), name


def test_stamping_twice(user_workbook: bytes) -> None:
    later = Stamp(
        "customers", "1", workbook_uid="3f0c9a", accepted_version=5, accepted_at="2026-11-27T09:00:00+08:00"
    )
    twice = write_stamp(write_stamp(user_workbook, ACCEPTED), later)
    assert read_stamp(twice) == later
    assert _values(twice) == _values(user_workbook)


def _as_excel_saves_it(data: bytes, stamp: Stamp) -> bytes:
    """The workbook as Excel writes it: the stamp sheet's strings kept in ``xl/sharedStrings.xml``.

    openpyxl writes inline strings, so this is built by hand, the way Excel lays the parts out.
    """
    part = _stamp_part(data)
    strings: list[str] = []
    rows = []
    for n, (key, value) in enumerate(stamp.rows(), start=1):
        cells = [f'<c r="A{n}" t="s"><v>{len(strings)}</v></c>']
        strings.append(key)
        if isinstance(value, int):
            cells.append(f'<c r="B{n}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="B{n}" t="s"><v>{len(strings)}</v></c>')
            strings.append(value)
        rows.append(f'<row r="{n}">{"".join(cells)}</row>')
    sheet = f'<worksheet xmlns="{SPREADSHEET_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    shared = (
        f'<sst xmlns="{SPREADSHEET_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    )
    rel = (
        '<Relationship Id="rId99" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    )
    override = (
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name).decode()
            if name == part:
                body = sheet
            elif name == "xl/_rels/workbook.xml.rels":
                body = body.replace("</Relationships>", rel + "</Relationships>")
            elif name == "[Content_Types].xml":
                body = body.replace("</Types>", override + "</Types>")
            dst.writestr(name, body)
        dst.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def test_stamp_in_shared_strings_is_replaced(user_workbook: bytes) -> None:
    old = Stamp(
        "customers", "1", workbook_uid="3f0c9a", accepted_version=3, accepted_at="2026-11-25T18:00:00+08:00"
    )
    excel_saved = _as_excel_saves_it(user_workbook, old)
    assert read_stamp(excel_saved) == old
    stamped = write_stamp(excel_saved, ACCEPTED)
    assert read_stamp(stamped) == ACCEPTED
    assert _members(stamped)["xl/sharedStrings.xml"] == _members(excel_saved)["xl/sharedStrings.xml"]
    assert _values(stamped) == _values(user_workbook)


def test_stamp_values_are_escaped(user_workbook: bytes) -> None:
    odd = Stamp("customers", "1", workbook_uid=' <a href="x">&amp;</a> ', accepted_version=1, accepted_at="'")
    stamped = write_stamp(user_workbook, odd)
    assert read_stamp(stamped) == Stamp("customers", "1", '<a href="x">&amp;</a>', 1, "'")
    load_workbook(io.BytesIO(stamped))


def test_streamed_zip_with_data_descriptors_is_copied(user_workbook: bytes) -> None:
    """Some tools stream the archive and put sizes after each member's data: those must survive too."""

    class Unseekable(io.BytesIO):
        def seek(self, pos: int, whence: int = 0, /) -> int:
            raise OSError("a pipe cannot seek")

    sink = Unseekable()
    with (
        zipfile.ZipFile(io.BytesIO(user_workbook)) as src,
        zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for name in src.namelist():
            with dst.open(name, "w") as member:
                member.write(src.read(name))
    streamed = sink.getvalue()
    with zipfile.ZipFile(io.BytesIO(streamed)) as archive:
        assert all(info.flag_bits & 0x08 for info in archive.infolist())
    stamped = write_stamp(streamed, ACCEPTED)
    assert read_stamp(stamped) == ACCEPTED
    assert _values(stamped) == _values(user_workbook)


def test_workbook_without_stamp_sheet(tmp_path: Path) -> None:
    path = tmp_path / "自建表.xlsx"
    Workbook().save(path)
    data = path.read_bytes()
    assert read_stamp(data) is None
    with pytest.raises(StampError, match=STAMP_SHEET):
        write_stamp(data, ACCEPTED)


def test_not_a_workbook() -> None:
    with pytest.raises(StampError):
        write_stamp(b"PK\x03\x04 not really a zip", ACCEPTED)


@pytest.mark.slow
def test_large_workbook_is_stamped_quickly(user_workbook: bytes) -> None:
    """A 20 MB workbook: the members are copied, not recompressed."""
    rows = [
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{base64.b64encode(os.urandom(81)).decode()}</t></is></c>'
        f'<c r="B{n}"><v>{13800000000 + n}</v></c></row>'
        for n in range(1, 200_001)
    ]
    big = f'<worksheet xmlns="{SPREADSHEET_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>'.encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(user_workbook)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for name in src.namelist():
            dst.writestr(name, big if name == "xl/worksheets/sheet1.xml" else src.read(name), compresslevel=1)
    data = out.getvalue()
    assert len(data) > 20_000_000
    started = time.perf_counter()
    stamped = write_stamp(data, ACCEPTED)
    assert time.perf_counter() - started < 1.0
    with zipfile.ZipFile(io.BytesIO(stamped)) as archive:
        assert archive.read("xl/worksheets/sheet1.xml") == big
    assert read_stamp(stamped) == ACCEPTED


def test_a_workbook_part_declaring_entities_is_not_parsed(user_workbook: bytes) -> None:
    """The file may have changed on the share since it was inspected: the parser itself refuses a
    DTD (an entity expansion bomb), it does not rely on the inspection having seen it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(user_workbook)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                head, _, rest = data.partition(b"?>")
                data = head + b'?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + rest
            dst.writestr(info, data)
    with pytest.raises(StampError):
        write_stamp(out.getvalue(), ACCEPTED)
