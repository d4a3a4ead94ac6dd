"""The shipped templates: generated from the spec, byte for byte reproducible, and what Excel needs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import fastexcel
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from schema.spec import ColType, WorkbookKind
from sync.kinds import all_kinds
from sync.xlsx.stamp import STAMP_SHEET, Stamp
from sync.xlsx.templates import GUIDE_SHEET, TEMPLATES_DIR, build_template, template_bytes, write_templates

KINDS = list(all_kinds().values())
by_id = pytest.mark.parametrize("kind", KINDS, ids=[k.id for k in KINDS])
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every kind's template written by ``write_templates`` into a temp folder."""
    out = tmp_path_factory.mktemp("templates") / "new"
    paths = write_templates(out)
    return {kind.id: path for kind, path in zip(KINDS, paths, strict=True)}


def _sheet(wb: Workbook, name: str) -> Worksheet:
    ws = wb[name]
    assert isinstance(ws, Worksheet)
    return ws


@by_id
def test_checked_in_template_matches_the_spec(kind: WorkbookKind) -> None:
    checked_in = TEMPLATES_DIR / kind.template_name
    assert checked_in.exists(), f"templates_xlsx/{kind.template_name} is missing: run `salesync templates`"
    assert checked_in.read_bytes() == build_template(kind), (
        f"templates_xlsx/{kind.template_name} differs from the spec: run `salesync templates`"
    )


@by_id
def test_generation_is_deterministic(kind: WorkbookKind) -> None:
    first = build_template(kind)
    assert build_template(kind) == first
    assert template_bytes(kind) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist()[0] == "[Content_Types].xml"
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
        core = archive.read("docProps/core.xml").decode()
    assert "<dc:creator>salesync</dc:creator>" in core
    assert core.count("2026-01-01T00:00:00Z") == 2


def test_generation_does_not_depend_on_the_process() -> None:
    """Another interpreter with another hash seed writes the same bytes (no set or dict-order luck)."""
    script = (
        "import hashlib, sys\n"
        "from sync.kinds import all_kinds\n"
        "from sync.xlsx.templates import build_template\n"
        "for kind in all_kinds().values():\n"
        "    print(kind.id, hashlib.sha256(build_template(kind)).hexdigest())\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_write_templates_names_files_and_leaves_up_to_date_files_alone(
    written: dict[str, Path], tmp_path: Path
) -> None:
    assert sorted(p.name for p in written.values()) == sorted(k.template_name for k in KINDS)
    assert {"客户登记.xlsx", "项目资料.xlsx"} <= {p.name for p in written.values()}
    kind = all_kinds()["customers"]
    (path,) = write_templates(tmp_path / "a" / "b", [kind])
    os.utime(path, (0, 0))
    assert write_templates(tmp_path / "a" / "b", [kind]) == [path]
    assert path.stat().st_mtime == 0  # same bytes: not rewritten


@by_id
def test_sheets_and_headers_follow_the_spec(kind: WorkbookKind, written: dict[str, Path]) -> None:
    wb = load_workbook(written[kind.id])
    assert wb.sheetnames == [s.name for s in kind.sheets] + [GUIDE_SHEET, STAMP_SHEET]
    assert wb.active is not None and wb.active.title == kind.sheets[0].name
    for sheet in kind.sheets:
        ws = _sheet(wb, sheet.name)
        assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
        assert ws.max_row == 1
        assert ws.freeze_panes == "A2"
        assert ws.sheet_state == "visible"
        for index, column in enumerate(sheet.columns, start=1):
            font = ws.cell(row=1, column=index).font
            assert font.b
            assert (font.color is not None and font.color.rgb == "00C00000") is column.required, column.header
            assert ws.column_dimensions[get_column_letter(index)].width == column.width


@by_id
def test_choice_columns_have_dropdowns_and_every_column_a_hint(
    kind: WorkbookKind, written: dict[str, Path]
) -> None:
    wb = load_workbook(written[kind.id])
    for sheet in kind.sheets:
        ws = _sheet(wb, sheet.name)
        by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            dv = by_range[f"{letter}2:{letter}1048576"]
            assert dv.promptTitle == column.header
            assert dv.showInputMessage
            assert dv.prompt and len(dv.prompt) <= 255
            assert dv.prompt.startswith("必填") is column.required, column.header
            if column.type is ColType.CHOICE:
                assert dv.type == "list" and dv.showErrorMessage
                assert dv.formula1 == '"' + ",".join(column.choices) + '"'
            elif column.type is ColType.YES_NO:
                assert dv.type == "list" and dv.formula1 == '"是,否"'
            else:
                assert dv.type is None


def test_columns_carry_number_formats(written: dict[str, Path]) -> None:
    wb = load_workbook(written["project_master"])
    rooms = _sheet(wb, "房间")
    columns = all_kinds()["project_master"].sheet("room").columns
    formats = {
        c.header: rooms.column_dimensions[get_column_letter(i)].number_format
        for i, c in enumerate(columns, 1)
    }
    assert formats["房间编码"] == "@"
    assert formats["楼层"] == "0"
    assert formats["建筑面积"] == "0.00"
    assert formats["户型"] == "General"
    lines = _sheet(wb, "付款方案明细")
    assert lines.column_dimensions["D"].number_format == "0.0000"  # 比例 keeps 6 decimals, shows 4
    customers = _sheet(load_workbook(written["customers"]), "客户")
    assert [customers.column_dimensions[x].number_format for x in "BCEG"] == ["@", "@", "@", "yyyy-mm-dd"]
    events = _sheet(load_workbook(written["customers"]), "客户事件")
    assert events.column_dimensions["C"].number_format == "yyyy-mm-dd hh:mm"


@by_id
def test_guide_sheet_explains_every_column(kind: WorkbookKind, written: dict[str, Path]) -> None:
    ws = _sheet(load_workbook(written[kind.id]), GUIDE_SHEET)
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert rows[1][0] == kind.description
    start = rows.index(("工作表", "列名", "必填", "类型", "可选值", "说明")) + 1
    described = [(r[0], r[1], r[2]) for r in rows[start:]]
    expected = [(s.name, c.header, "是" if c.required else "否") for s in kind.sheets for c in s.columns]
    assert described == expected


@by_id
def test_hidden_stamp_sheet_names_template_and_version(kind: WorkbookKind, written: dict[str, Path]) -> None:
    assert _sheet(load_workbook(written[kind.id]), STAMP_SHEET).sheet_state == "hidden"
    with CalamineWorkbook.from_path(written[kind.id]) as wb:
        rows = wb.get_sheet_by_name(STAMP_SHEET).to_python()
    assert Stamp.from_rows(rows) == Stamp(template_id=kind.id, template_version=kind.version)


@by_id
def test_fastexcel_reads_headers_and_no_rows(kind: WorkbookKind) -> None:
    reader = fastexcel.read_excel(build_template(kind))
    for sheet in kind.sheets:
        loaded = reader.load_sheet_by_name(sheet.name)
        assert loaded.height == 0
        assert [c.name for c in loaded.available_columns()] == [c.header for c in sheet.columns]
