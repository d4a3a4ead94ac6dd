"""A re-saved workbook: untouched rows are recognised from their raw cells and go no further,
while every rule still sees what a changed row relates to."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from schema.base import now
from schema.models import Account, Customer, Reassignment, SettledRows
from sync.app import Salesync
from sync.pipeline import settled
from sync.pipeline.outcome import Verdict
from tests.workbooks import customer_rows, edit, fill_template, phone


def _codes(outcome: object) -> list[str]:
    return [f.code for f in outcome.findings]  # type: ignore[attr-defined]


def test_only_changed_rows_and_their_customer_go_the_full_way(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = fill_template("customers", customer_rows(50), tmp_path / "客户登记.xlsx")
    first = app.ingest(path, "rep_a")
    assert first.verdict is Verdict.ACCEPTED and first.rows_unchanged == 0
    with app.transaction() as session:
        kept = {r.entity: r.rows for r in session.scalars(select(SettledRows))}
    assert kept == {"customer": 50, "customer_event": 50, "questionnaire": 0}

    edit(path, "客户", 3, "备注", "想要高楼层")  # customer 1: its event comes along (same phone)
    edit(path, "客户事件", 20, "事件内容", "第二次看房")  # customer 18's event: its customer comes along
    again = app.ingest(path, "rep_a")
    assert again.verdict is Verdict.ACCEPTED
    assert again.rows_written == 2
    assert again.rows_total == 100 and again.rows_accepted == 100
    assert again.rows_unchanged == 96
    assert "未改动 96" in again.summary()
    with app.transaction() as session:
        note = session.scalar(select(Customer.note).where(Customer.phone == phone(1)))
    assert note == "想要高楼层"


def test_a_changed_row_repeating_an_untouched_phone_is_still_a_duplicate(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = fill_template("customers", customer_rows(20), tmp_path / "客户登记.xlsx")
    app.ingest(path, "rep_a")
    edit(path, "客户", 12, "手机号码", f"+86 {phone(3)}")  # row 12 now repeats row 5's phone
    edit(path, "客户", 12, "客户姓名", "新名字")
    again = app.ingest(path, "rep_a")
    dup = [f for f in again.findings if f.code == "duplicate-key"]
    assert [(f.sheet, f.row) for f in dup] == [("客户", 12)]
    assert dup[0].params["first_row"] == 5
    with app.transaction() as session:
        name = session.scalar(select(Customer.name).where(Customer.phone == phone(3)))
    assert name != "新名字"


def test_collisions_and_rejected_rows_come_back_on_every_save(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    app.ingest(fill_template("customers", customer_rows(10), tmp_path / "a.xlsx"), "rep_a")
    rows = customer_rows(10, start=5)  # customers 5..9 are rep A's
    rows["客户"][9]["手机号码"] = "12345"  # customer 14: a bad phone
    path = fill_template("customers", rows, tmp_path / "b.xlsx")
    first = app.ingest(path, "rep_b")
    assert first.verdict is Verdict.PARTIAL
    assert _codes(first).count("collision") == 5 and "phone-invalid" in _codes(first)

    edit(path, "客户", 3, "备注", "回访")  # customer 6: a collision, changed
    edit(path, "客户", 8, "备注", "回访")  # customer 11: rep B's own
    again = app.ingest(path, "rep_b")
    assert _codes(again).count("collision") == 5
    assert "phone-invalid" in _codes(again)
    # go again, each with its event: the 5 collided customers, the rejected one and the changed one
    assert again.rows_unchanged == 20 - 2 * (5 + 1 + 1)
    assert again.rows_written == 1


def test_a_customer_given_to_another_rep_is_reported_on_the_next_save(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = fill_template("customers", customer_rows(10), tmp_path / "客户登记.xlsx")
    app.ingest(path, "rep_a")
    with app.transaction() as session:
        accounts = {a.username: a.id for a in session.scalars(select(Account))}
        customer = session.scalars(select(Customer).where(Customer.phone == phone(4))).one()
        customer.owner_id = accounts["rep_b"]
        session.add(
            Reassignment(
                customer_id=customer.id,
                from_account_id=accounts["rep_a"],
                to_account_id=accounts["rep_b"],
                by_account_id=accounts["rep_b"],
                reason="长期未跟进",
                at=now(),
            )
        )
    edit(path, "客户", 2, "备注", "回访")
    again = app.ingest(path, "rep_a")
    # the former owner is told the customer was reassigned (not a collision: nobody entered it twice)
    told = [f for f in again.findings if f.code == "customer-reassigned"]
    assert [(f.row, f.params["owner"]) for f in told] == [(6, "rep_b")]


def test_fingerprints_made_another_way_are_not_trusted(
    app: Salesync, people: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fill_template("customers", customer_rows(10), tmp_path / "客户登记.xlsx")
    app.ingest(path, "rep_a")
    monkeypatch.setattr(settled, "METHOD", "another-hash")
    edit(path, "客户", 2, "备注", "回访")
    again = app.ingest(path, "rep_a")
    assert again.rows_unchanged == 0 and again.rows_written == 1
    edit(path, "客户", 3, "备注", "回访")
    third = app.ingest(path, "rep_a")  # the second save's fingerprints were made the new way
    assert third.rows_unchanged == 18 and third.rows_written == 1


def test_fingerprints_ignore_column_order_and_row_position() -> None:
    import pandas as pd

    from sync.kinds.customers import CUSTOMERS

    row = {f: None for f in CUSTOMERS.fields} | {"phone": "13900000001", "name": "张伟"}
    other = row | {"name": "王芳"}
    a = pd.DataFrame([row, other], index=[2, 3], dtype="string[pyarrow]")
    b = pd.DataFrame([other, row], index=[7, 9], dtype="string[pyarrow]")[list(reversed(CUSTOMERS.fields))]
    fa, fb = settled.fingerprints(a, CUSTOMERS), settled.fingerprints(b, CUSTOMERS)
    assert fa[0] == fb[1] and fa[1] == fb[0] and fa[0] != fa[1]


def test_a_changed_questionnaire_repeating_an_untouched_number_is_still_a_duplicate(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(6)
    rows["成交问卷"] = [
        {"手机号码": phone(i), "认购编号": f"RG-{i:03d}", "购房目的": "自住", "填写日期": "2026-11-20"}
        for i in range(6)
    ]
    path = fill_template("customers", rows, tmp_path / "客户登记.xlsx")
    first = app.ingest(path, "rep_a")
    assert first.verdict is Verdict.ACCEPTED
    edit(path, "成交问卷", 6, "认购编号", "rg-001")  # customer 4's questionnaire now repeats row 3's number
    again = app.ingest(path, "rep_a")
    dup = [(f.sheet, f.row, f.code) for f in again.findings if f.severity == "error"]
    assert dup == [("成交问卷", 6, "duplicate-key")]
    assert again.rows_written == 0


def test_fingerprints_are_kept_for_the_last_few_versions_only(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    from schema.models import WorkbookVersion

    path = fill_template("customers", customer_rows(5), tmp_path / "客户登记.xlsx")
    app.ingest(path, "rep_a")
    for n in range(5):
        edit(path, "客户", 2, "备注", f"第 {n} 次回访")
        assert app.ingest(path, "rep_a").rows_unchanged == 8
    with app.transaction() as session:
        kept = session.execute(
            select(WorkbookVersion.seq)
            .join(SettledRows, SettledRows.version_id == WorkbookVersion.id)
            .distinct()
        )
        assert sorted(seq for (seq,) in kept) == [4, 5, 6]


def test_a_row_typed_twice_over_is_a_duplicate_on_every_save(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(5)
    rows["客户"].append(dict(rows["客户"][2]))  # row 7 repeats row 4 cell for cell
    path = fill_template("customers", rows, tmp_path / "客户登记.xlsx")
    first = app.ingest(path, "rep_a")
    assert [(f.row, f.code) for f in first.errors] == [(7, "duplicate-key")]
    edit(path, "客户", 2, "备注", "回访")
    again = app.ingest(path, "rep_a")
    assert [(f.row, f.code) for f in again.errors] == [(7, "duplicate-key")]
    assert again.verdict is Verdict.PARTIAL


def test_fingerprints_are_the_same_on_every_installed_version() -> None:
    """Fixed values: a polars, pandas or numpy upgrade (polars 2 changed ``hash_rows``) must not
    change them, or every stored fingerprint would silently stop matching. An empty cell and an
    empty text are different cells."""
    import pandas as pd
    import pyarrow as pa

    from sync.kinds.customers import CUSTOMERS

    row = {f: None for f in CUSTOMERS.fields} | {"phone": "13900000001", "name": "张伟"}
    frame = pd.DataFrame([row, row | {"name": ""}, row | {"name": None}], dtype="string[pyarrow]")
    assert [int(f) for f in settled.fingerprints(frame, CUSTOMERS)] == [
        13045908711114110127,
        18300261924026157407,
        14282399592723851465,
    ]
    assert [int(h) for h in settled.link_hashes(pa.array(["13900000001", None]))] == [17880933146798128352, 0]
    assert settled.METHOD == "siphash24-utf8-1"
