"""The example workbooks (demo drive, benchmark): realistic, deterministic, and they ingest as intended."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import fastexcel
import pyarrow as pa
from sqlalchemy import func, select

from schema.models import Account, Customer, Room
from sync.app import Salesync
from sync.pipeline.outcome import Verdict
from sync.tools.examples import id_check_digit, phone_for, write_customers_workbook, write_project_master
from sync.xlsx.reader import read_workbook
from tests.signers import sign_off
from validators import normalize


def cells(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every sheet's values as fastexcel reads them back."""
    reader = fastexcel.read_excel(path)
    return {name: reader.load_sheet(name).to_arrow().to_pylist() for name in reader.sheet_names}


def test_phone_for_gives_distinct_valid_mobiles() -> None:
    phones = [phone_for(i) for i in range(100_000)]
    assert len(set(phones)) == len(phones)
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)


def test_a_rep_workbook_ingests_whole_and_the_rep_owns_every_customer(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = write_customers_workbook(tmp_path / "客户登记.xlsx", 50, seed=3, events_per_customer=2)
    outcome = app.ingest(path, "rep_a")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.findings
    with app.transaction() as session:
        owners = session.execute(
            select(Account.username, func.count())
            .join(Customer, Customer.owner_id == Account.id)
            .group_by(Account.username)
        ).all()
        assert owners == [("rep_a", 50)]
        phones = set(session.scalars(select(Customer.phone)))
    assert phones == {phone_for(i) for i in range(50)}  # every typed shape normalised to the same mobile


def test_mixed_phone_shapes_and_valid_id_cards_are_what_a_rep_types(tmp_path: Path) -> None:
    path = write_customers_workbook(tmp_path / "客户登记.xlsx", 400, seed=1)
    raw = read_workbook(path.read_bytes())
    assert raw.kind is not None and raw.kind.id == "customers" and not raw.findings
    typed = raw.sheets["customer"].frame["phone"].astype(str).tolist()
    assert any(" " in p for p in typed) and any(p.startswith("+86") for p in typed)
    assert any("１" in p for p in typed) and any(p.isdigit() for p in typed)
    normalised = normalize.mobile(pa.array(raw.sheets["customer"].frame["phone"], pa.string()))
    assert normalised.values.to_pylist() == [phone_for(i) for i in range(400)]
    ids = [r["证件号码"] for r in cells(path)["客户"] if r["证件类型"] == "身份证"]
    assert 0.2 < len(ids) / 400 < 0.4
    assert all(len(i) == 18 and id_check_digit(i[:17]) == i[17] for i in ids)


def test_bad_rows_are_rejected_and_the_rest_synced(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = write_customers_workbook(tmp_path / "客户登记.xlsx", 50, seed=4, bad_rows=3)
    outcome = app.ingest(path, "rep_a")
    assert outcome.verdict is Verdict.PARTIAL
    rejected = {(f.row, f.code) for f in outcome.errors if f.sheet == "客户"}
    assert len({row for row, _ in rejected}) == 3
    assert {code for _, code in rejected} == {"phone-invalid", "id-checksum", "required"}
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 47


def test_project_master_ingests_as_one_accepted_change_set(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = write_project_master(tmp_path / "项目资料.xlsx", rooms=150, buildings=3)
    outcome = app.ingest(path, "operator")
    assert outcome.verdict is Verdict.ACCEPTED, outcome.findings
    assert outcome.change_set_id is not None
    sign_off(app, outcome)
    with app.transaction() as session:
        codes = list(session.scalars(select(Room.code)))
    assert len(codes) == len(set(codes)) == 150
    assert all(re.fullmatch(r"SZ-HW01-[1-3]-\d-\d{4}", c) for c in codes)


def test_same_arguments_give_the_same_workbook(tmp_path: Path) -> None:
    def customers(name: str, **kw: Any) -> dict[str, list[dict[str, Any]]]:
        return cells(
            write_customers_workbook(tmp_path / name, 120, seed=7, events_per_customer=3, bad_rows=2, **kw)
        )

    first, again, other = customers("a.xlsx"), customers("b.xlsx"), customers("c.xlsx", first_phone=1)
    assert first == again
    assert first != other
    assert len(first["客户"]) == 120 and len(first["客户事件"]) == 360
    master = [cells(write_project_master(tmp_path / f"m{i}.xlsx", rooms=40, seed=2)) for i in range(2)]
    assert master[0] == master[1] and len(master[0]["房间"]) == 40


def test_an_edited_copy_differs_only_in_the_edited_notes(tmp_path: Path) -> None:
    base = cells(write_customers_workbook(tmp_path / "a.xlsx", 200, seed=5))
    edited = cells(write_customers_workbook(tmp_path / "b.xlsx", 200, seed=5, edited=4))
    assert edited["客户事件"] == base["客户事件"]
    changed = [(a, b) for a, b in zip(base["客户"], edited["客户"], strict=True) if a != b]
    assert len(changed) == 4
    assert all({k for k in a if a[k] != b[k]} <= {"备注"} for a, b in changed)
