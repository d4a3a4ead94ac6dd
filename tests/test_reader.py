"""sync.xlsx.reader: real .xlsx files in, raw string frames indexed by the Excel row out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from schema.spec import ColType, Column, Sheet, WorkbookKind
from sync.xlsx.reader import RawWorkbook, read_workbook
from tests import hostile

T = ColType
CUSTOMERS = Sheet(
    name="客户",
    entity="customer",
    columns=(
        Column("name", "客户姓名", T.TEXT, required=True),
        Column("phone", "手机号码", T.PHONE, required=True),
        Column("qq", "QQ号", T.TEXT),
        Column("budget", "价格预算", T.DECIMAL),
        Column("first_contact", "首次接触日期", T.DATE),
        Column("note", "备注", T.TEXT),
    ),
)
EVENTS = Sheet(
    name="客户事件",
    entity="customer_event",
    required=False,
    columns=(Column("phone", "手机号码", T.PHONE, required=True), Column("at", "事件时间", T.DATETIME)),
)
KIND = WorkbookKind(
    id="test",
    title="测试",
    version="1",
    sheets=(CUSTOMERS, EVENTS),
    submit_roles=frozenset(),
    plan="customers",
)
KINDS = {"test": KIND}
HEADER = ["客户姓名*", "手机号码*", "QQ号", "价格预算", "首次接触日期", "备注"]


def read(sheets: dict[str, list[list[Any]]], **options: Any) -> RawWorkbook:
    return read_workbook(hostile.workbook(sheets, **options), KINDS)


def rows(book: RawWorkbook, entity: str = "customer") -> dict[int, dict[str, Any]]:
    frame = book.sheets[entity].frame
    records = frame.to_dict("records")
    return {
        int(r): {str(k): v for k, v in rec.items() if not pd.isna(v)}
        for r, rec in zip(frame.index, records, strict=True)
    }


def flat(book: RawWorkbook) -> list[tuple[int | None, str | None, str]]:
    return [f.flat() for f in book.findings]


def test_rows_and_their_excel_numbers() -> None:
    book = read({"客户": [HEADER, ["张三", "13800138000"], [], [], ["李四", "13900139000", None, 5000]]})
    assert book.ok and book.findings == []
    assert (book.kind, book.stamp and book.stamp.template_version) == (KIND, "1")
    frame = book.sheets["customer"].frame
    assert list(frame.columns) == CUSTOMERS.fields
    assert all(dtype == pd.ArrowDtype(pa.string()) for dtype in frame.dtypes)
    assert frame.index.name is None
    assert rows(book) == {
        2: {"name": "张三", "phone": "13800138000"},
        5: {"name": "李四", "phone": "13900139000", "budget": "5000"},
    }


def test_value_shapes() -> None:
    values = [
        ("客户姓名", "  张三\u3000"),
        ("手机号码", 13800138000),
        ("价格预算", 123.45),
        ("QQ号", 98765432.12),
        ("首次接触日期", dt.datetime(2026, 11, 26)),
        ("备注", True),
    ]
    book = read({"客户": [[h for h, _ in values], [v for _, v in values]]})
    assert rows(book)[2] == {
        "name": "张三",
        "phone": "13800138000",
        "budget": "123.45",
        "qq": "98765432.12",
        "first_contact": "2026-11-26 00:00:00",
        "note": "true",
    }
    more = read(
        {
            "客户": [
                HEADER,
                ["a", "1", 1 / 3, 0.1 + 0.2, dt.datetime(2026, 11, 26, 14, 30), "\u3000"],
                ["b", "2", 46000.0, -7.5, dt.date(2026, 1, 2), ""],
            ]
        }
    )
    assert rows(more) == {
        2: {
            "name": "a",
            "phone": "1",
            "qq": "0.333333333",
            "budget": "0.3",
            "first_contact": "2026-11-26 14:30:00",
        },
        3: {
            "name": "b",
            "phone": "2",
            "qq": "46000",
            "budget": "-7.5",
            "first_contact": "2026-01-02 00:00:00",
        },
    }


def test_headers_reordered_padded_full_width_and_extra() -> None:
    header = ["备注", "\u3000手机号码＊ ", "ＱＱ号", "客户姓名 *", "自用列", "同步状态", None]
    book = read({" 客户\u3000": [header, ["n", "13800138000", "12345", "张三", "x", "已同步 v1", "y"]]})
    assert book.findings == []
    assert rows(book)[2] == {"note": "n", "phone": "13800138000", "qq": "12345", "name": "张三"}
    assert book.sheets["customer"].extra_headers == ["自用列"]


def test_missing_and_duplicate_columns() -> None:
    book = read({"客户": [["客户姓名", "QQ号", "客户姓名"], ["张三", "1", "李四"]]})
    assert not book.ok
    assert flat(book) == [(None, "客户姓名", "column-duplicate"), (None, "手机号码", "column-missing")]
    assert "customer" not in book.sheets


def test_optional_column_and_sheet_may_be_absent() -> None:
    book = read({"客户": [["客户姓名", "手机号码"], ["张三", "138"]]})
    assert book.ok
    assert list(book.sheets["customer"].frame.columns) == CUSTOMERS.fields
    events = book.sheets["customer_event"].frame
    assert (list(events.columns), len(events)) == (["phone", "at"], 0)


def test_optional_sheet_with_only_headers_or_nothing() -> None:
    book = read({"客户": [HEADER], "客户事件": [["手机号码", "事件时间"]]})
    assert (
        book.ok and len(book.sheets["customer"].frame) == 0 and len(book.sheets["customer_event"].frame) == 0
    )
    assert read({"客户": [HEADER], "客户事件": []}).ok


def test_required_sheet_missing() -> None:
    book = read({"客户事件": [["手机号码"]]})
    assert [(f.code, f.sheet, f.message()) for f in book.findings] == [
        ("sheet-missing", "客户", "缺少工作表“客户”")
    ]


@pytest.mark.parametrize(
    ("template", "code", "value"),
    [
        (None, "not-template", None),
        (("", "1"), "not-template", None),
        (("other", "1"), "unknown-kind", "other"),
        (("test", "0"), "template-version", "0"),
    ],
)
def test_template_stamp(template: tuple[str, str] | None, code: str, value: str | None) -> None:
    book = read({"客户": [HEADER]}, template=template)
    assert [(f.code, f.value) for f in book.findings] == [(code, value)]
    assert not book.ok and book.sheets == {}
    assert "{" not in book.findings[0].message()


def test_formula_without_cached_value() -> None:
    book = read(
        {
            "客户": [
                HEADER,
                ["张三", "13800138000", None, 100],
                ["李四", "139", None, "=D2*2", '=""'],
                [None, None, None, "=D2*3"],
            ]
        }
    )
    assert flat(book) == [(3, "价格预算", "formula-no-value"), (3, "首次接触日期", "formula-no-value")]
    assert [f.params["cell"] for f in book.findings] == ["D3", "E3"]
    assert book.ok  # row findings: the other rows still sync
    assert sorted(rows(book)) == [2, 3]


def test_used_range_not_starting_at_a1() -> None:
    book = read(
        {"客户": [HEADER, ["张三", "138"], [], ["李四", "139"]]}, at={"客户": (3, 2)}, styled=[("客户", "A1")]
    )
    assert sorted(rows(book)) == [4, 6]
    book = read({"客户": [HEADER, ["张三", "138", None, "=1/0"]]}, at={"客户": (2, 3)})
    assert flat(book) == [(3, "价格预算", "formula-no-value")]


def test_used_range_to_the_last_row() -> None:
    body = [[f"客户{i}", f"1380013{i:04d}"] for i in range(50)]
    book = read({"客户": [HEADER, *body]}, styled=[("客户", "F1048576")])
    assert book.ok
    assert sorted(rows(book)) == list(range(2, 52))


def test_value_on_the_last_row() -> None:
    book = read({"客户": [HEADER, ["张三", "138"]]}, cells=[("客户", "A1048576", " ")])
    assert [(f.code, f.sheet, f.params["last_row"]) for f in book.findings] == [
        ("sheet-too-large", "客户", 1048576)
    ]


def test_workbook_calamine_cannot_read() -> None:
    good = hostile.workbook({"客户": [HEADER, ["张三", "138"]]})
    xml = hostile.members(good)[hostile.SHEET1]
    book = read_workbook(hostile.rewrite(good, {hostile.SHEET1: xml[: len(xml) // 2]}), KINDS)
    assert [f.code for f in book.findings] == ["file-corrupt"]
    assert book.findings[0].message().startswith("工作簿已损坏，无法打开（工作表“客户”无法读取：")


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (hostile.truncated, "file-corrupt"),
        (lambda data: b"a,b\n1,2\n", "file-not-xlsx"),
        (hostile.encrypted, "file-encrypted"),
        (hostile.with_macro, "file-macro"),
        (hostile.with_entities, "file-xml-entities"),
        (lambda data: hostile.with_bomb(data, 600), "file-too-large"),
        (lambda data: hostile.legacy_xls(), "file-legacy-xls"),
    ],
)
def test_hostile_files(make: Any, code: str) -> None:
    book = read_workbook(make(hostile.workbook({"客户": [HEADER, ["张三", "138"]]})), KINDS)
    assert [f.code for f in book.findings] == [code]
    assert (book.ok, book.kind, book.sheets) == (False, None, {})


def test_default_kinds() -> None:
    data = hostile.workbook(
        {
            "客户": [
                ["客户姓名*", "手机号码*", "客户来源*", "首次接触日期*"],
                ["张三", 13800138000, "来电", dt.date(2026, 11, 26)],
            ],
            "客户事件": [["手机号码*", "事件类型*", "事件时间*"]],
        },
        template=("customers", "1"),
    )
    book = read_workbook(data)
    assert book.ok and book.kind is not None and book.kind.id == "customers"
    assert rows(book)[2] == {
        "name": "张三",
        "phone": "13800138000",
        "source": "来电",
        "first_contact_date": "2026-11-26 00:00:00",
    }


def test_rows_and_cells_without_references() -> None:
    """Writers other than Excel may leave out ``r=``: rows count from the first, a blank ``<row/>`` too."""
    good = hostile.workbook({"客户": [HEADER]})

    def row(*values: str) -> bytes:
        cells = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % v.encode() for v in values)
        return b"<row>" + cells + b"</row>"

    xml = hostile.members(good)[hostile.SHEET1]
    head, tail = xml.split(b"<sheetData>")[0], xml.split(b"</sheetData>")[1]
    body = row(*HEADER) + row("张三", "138") + b"<row/>" + row("李四", "139")
    book = read_workbook(
        hostile.rewrite(good, {hostile.SHEET1: head + b"<sheetData>" + body + b"</sheetData>" + tail}), KINDS
    )
    assert book.findings == []
    assert sorted(rows(book)) == [2, 4]


# -- small hostile things: look-alike sheets, the 1904 date system, title rows, control characters --


def _book(sheets: list[tuple[str, list[list[Any]], str]], *, epoch_1904: bool = False) -> bytes:
    """A workbook of (name, rows, state) sheets in this order, with the template's stamp sheet."""
    import io

    from openpyxl import Workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb = Workbook()
    wb.remove(wb.worksheets[0])
    if epoch_1904:
        wb.epoch = CALENDAR_MAC_1904
    for name, table, state in sheets:
        ws = wb.create_sheet(name)
        for row in table:
            ws.append(row)
        ws.sheet_state = state
    stamp = wb.create_sheet("_salesync")
    stamp.append(["template_id", "test"])
    stamp.append(["template_version", "1"])
    stamp.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD = [HEADER, ["张三", "13800138000"]]
DECOY = [HEADER, ["冒名", "13900000000"]]


def test_hidden_look_alike_sheet_does_not_shadow_the_visible_one() -> None:
    data = _book([("客户 ", DECOY, "hidden"), ("客户", GOOD, "visible")])
    assert rows(read_workbook(data, KINDS)) == {2: {"name": "张三", "phone": "13800138000"}}
    data = _book([("客户", GOOD, "visible"), ("客户 ", DECOY, "hidden")])
    assert rows(read_workbook(data, KINDS)) == {2: {"name": "张三", "phone": "13800138000"}}


def test_visible_look_alikes_read_the_exact_name_or_are_refused() -> None:
    data = _book([("客户\u3000", DECOY, "visible"), ("客户", GOOD, "visible")])
    assert rows(read_workbook(data, KINDS)) == {2: {"name": "张三", "phone": "13800138000"}}
    book = read_workbook(_book([("客户 ", DECOY, "visible"), (" 客户", GOOD, "visible")]), KINDS)
    assert [(f.code, f.structural) for f in book.findings] == [("sheet-ambiguous", True)]
    assert "“客户 ”、“ 客户”" in book.findings[0].message()


def test_1904_date_system() -> None:
    """Date cells are converted by calamine; a bare number in a date column counts from 1904 too."""
    table = [HEADER, ["张三", "1", None, None, dt.datetime(2026, 11, 26)], ["李四", "2", None, None, 45_000]]
    book = read_workbook(_book([("客户", table, "visible")], epoch_1904=True), KINDS)
    assert {r: v["first_contact"] for r, v in rows(book).items()} == {
        2: "2026-11-26 00:00:00",
        3: "2027-03-16 00:00:00",  # 1904-01-01 + 45,000 days (2023-03-15 in the 1900 system)
    }
    plain = read_workbook(_book([("客户", table, "visible")]), KINDS)
    assert rows(plain)[3]["first_contact"] == "45000"  # the 1900 system: validators count from 1899-12-30


def test_header_under_title_rows_is_one_hint() -> None:
    table = [["客户登记表（2026年11月）"], ["制表人：张丽"], HEADER, ["张三", "13800138000"]]
    book = read_workbook(_book([("客户", table, "visible")]), KINDS)
    assert [(f.code, f.params.get("found")) for f in book.findings] == [("header-not-first-row", 3)]
    assert book.findings[0].message() == "表头应在第 1 行，发现在第 3 行；请删除表头上方的标题行"


def test_control_characters_are_removed_with_a_warning() -> None:
    """Excel writes a control character as ``_x0001_``; calamine gives the character back."""
    data = hostile.workbook(
        {"客户": [HEADER, ["张CTRL三VT", "13800138000", None, None, None, "第一行\n第二行\t"]]}
    )
    xml = hostile.members(data)[hostile.SHEET1].replace(b"CTRL", b"_x0001_").replace(b"VT", b"_x000B_")
    book = read_workbook(hostile.rewrite(data, {hostile.SHEET1: xml}), KINDS)
    assert rows(book)[2] == {"name": "张三", "phone": "13800138000", "note": "第一行\n第二行"}
    assert [(f.flat(), f.severity.value, f.value) for f in book.findings] == [
        ((2, "客户姓名", "control-chars-removed"), "warning", "张三")
    ]


# -- cost bounded by the data, not the used range ---------------------------------------------------

_MEASURE = """
import sys, tracemalloc
from pathlib import Path
from sync.xlsx.reader import read_workbook
data = Path(sys.argv[1]).read_bytes()
def status(key):
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
try:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM back to the current RSS
except OSError:
    pass
before = status("VmRSS")
tracemalloc.start()
book = read_workbook(data)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
assert book.ok, book.findings
print(peak, status("VmHWM") - before, len(book.sheets["customer"].frame))
"""


def _cost(path: Any) -> tuple[int, int, int]:
    """(Python peak, process peak growth, rows read) of reading ``path`` in a fresh process: the
    process figure counts what calamine allocates, which tracemalloc does not see."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    )
    python_peak, process_peak, rows_read = map(int, out.stdout.split())
    return python_peak, process_peak, rows_read


@pytest.mark.parametrize("formatting", ["last cell", "whole columns"])
def test_a_used_range_to_the_last_cell_costs_what_the_data_costs(tmp_path: Any, formatting: str) -> None:
    """A formatted cell at XFD1048576, or formatting on whole columns, makes Excel's used range (and
    the sheet's declared dimension) the whole grid; reading 300 rows must still cost 300 rows."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    from tests.workbooks import customer_rows, fill_template

    plain = fill_template("customers", customer_rows(300), tmp_path / "plain.xlsx")
    wb = load_workbook(plain)
    ws = wb["客户"]
    if formatting == "last cell":
        ws["XFD1048576"].font = Font(bold=True)
    else:
        for letter in "ABCDEFGHIJKL":
            ws.column_dimensions[letter].font = Font(bold=True)
        ws["L1048576"].font = Font(bold=True)
    wide = tmp_path / "wide.xlsx"
    wb.save(wide)
    sheet = hostile.members(wide.read_bytes())["xl/worksheets/sheet1.xml"]
    assert b'<dimension ref="A1:' in sheet and b"1048576" in sheet[:2000]

    base, widened = _cost(plain), _cost(wide)

    assert base[2] == widened[2] == 300
    assert widened[0] <= 1.5 * base[0], (base, widened)
    assert widened[1] <= 1.5 * base[1] + (8 << 20), (base, widened)
