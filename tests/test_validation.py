"""Cell and row rules as findings: (row, header, code) at the cell the user sees."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from sync.kinds import get_kind
from validators.frames import pandera_schema, prepare

STRING = pd.ArrowDtype(pa.string())


def raw(rows: list[dict[str, str | None]], start: int = 2) -> pd.DataFrame:
    return pd.DataFrame(rows, index=range(start, start + len(rows))).astype(STRING)


def test_cell_rules_collect_every_failure_at_once() -> None:
    sheet = get_kind("customers").sheet("customer")
    prepared = prepare(
        sheet,
        raw(
            [
                {
                    "name": "张三",
                    "phone": "13800138000",
                    "source": "来访",
                    "first_contact_date": "2026-11-26",
                },
                {"name": None, "phone": "1380013800", "source": "朋友", "first_contact_date": "明天"},
                {
                    "name": "李四",
                    "phone": "139 0013 9000",
                    "source": "来电",
                    "first_contact_date": "2026/11/26",
                    "intended_area": "-5",
                    "budget": "1.005",
                },
                {
                    "name": "王五",
                    "phone": "+86 13800138000",
                    "source": "网络",
                    "first_contact_date": "2026-11-26",
                    "id_type": "身份证",
                    "id_number": "110105194912310021",
                },
            ]
        ),
    )
    assert sorted(f.flat() for f in prepared.findings) == sorted(
        [
            (3, "客户姓名", "required"),
            (3, "手机号码", "phone-invalid"),
            (3, "客户来源", "choice"),
            (3, "首次接触日期", "not-date"),
            (4, "意向面积", "not-positive"),
            (4, "价格预算", "too-many-decimals"),
            (5, "证件号码", "id-checksum"),
            (5, "手机号码", "duplicate-key"),
        ]
    )
    duplicate = next(f for f in prepared.findings if f.code == "duplicate-key")
    assert duplicate.params["first_row"] == 2 and duplicate.value == "+86 13800138000"
    assert prepared.bad_rows() == {3, 4, 5}


def test_unreadable_required_cell_is_reported_once() -> None:
    sheet = get_kind("customers").sheet("customer_event")
    prepared = prepare(sheet, raw([{"phone": "13800138000", "kind": "来访", "at": "下午三点"}]))
    assert [f.flat() for f in prepared.findings] == [(2, "事件时间", "not-datetime")]


def test_pandera_schema_derives_from_the_spec() -> None:
    sheet = get_kind("project_master").sheet("room")
    schema = pandera_schema(sheet)
    assert list(schema.columns) == sheet.fields
    assert not schema.columns["code"].nullable
    assert [c.name for c in schema.columns["initial_status"].checks] == ["isin"]
