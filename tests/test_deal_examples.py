"""The generated 销控 and 收款 workbooks: the same arguments give the same bytes, and the edited copy
differs from the plain one in exactly the rows asked for (what the bench's re-save counts on)."""

from __future__ import annotations

from pathlib import Path

import fastexcel

from sync.kinds.finance import RECEIPTS
from sync.kinds.sales_control import CONTRACTS, ROOM_CONTROLS, SPECIALS, SUBSCRIPTIONS
from sync.tools.deal_examples import read_master, write_receipts_workbook, write_sales_control_workbook
from sync.tools.examples import write_project_master


def _rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    frame = fastexcel.read_excel(path).load_sheet(sheet).to_pandas()
    return [tuple(r) for r in frame.astype(str).itertuples(index=False)]


def test_deal_workbooks_are_deterministic_and_edited_exactly(tmp_path: Path) -> None:
    master = read_master(write_project_master(tmp_path / "项目资料.xlsx", rooms=400, seed=2))
    assert len(master.rooms) == 400
    a = write_sales_control_workbook(tmp_path / "a.xlsx", master, seed=2)
    b = write_sales_control_workbook(tmp_path / "b.xlsx", master, seed=2)
    assert a.read_bytes() == b.read_bytes()
    edited = write_sales_control_workbook(tmp_path / "e.xlsx", master, seed=2, edited=7)
    changed = 0
    for sheet in (ROOM_CONTROLS, SUBSCRIPTIONS, CONTRACTS, SPECIALS):
        plain, other = _rows(a, sheet.name), _rows(edited, sheet.name)
        assert len(plain) == len(other)
        changed += sum(x != y for x, y in zip(plain, other, strict=True))
    assert changed == 7
    subs = _rows(a, SUBSCRIPTIONS.name)
    saleable = sum(r.status == "可售" for r in master.rooms)
    assert 0.6 * saleable < len(subs) < 0.9 * saleable  # about three rooms on sale in four
    receipts = write_receipts_workbook(tmp_path / "r.xlsx", master, seed=2)
    again = write_receipts_workbook(tmp_path / "r2.xlsx", master, seed=2, edited=5)
    plain, other = _rows(receipts, RECEIPTS.name), _rows(again, RECEIPTS.name)
    assert len(plain) >= len(subs)  # a 定金 on every deal, a 首付款 on every contract
    assert sum(x != y for x, y in zip(plain, other, strict=True)) == 5
