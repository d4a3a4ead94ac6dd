"""The audit trail proven by digest: a version's new rows are sealed in the work log by the digest of
their canonical form and the kept file's SHA-256, and ``salesync audit verify --deep`` recomputes both
from the database, naming the first row altered behind the log — on SQLite and PostgreSQL alike (the
tampering is plain SQL on the real database). A row a later version changed is not tampering."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from click.testing import CliRunner
from sqlalchemy import select, text

from schema.models import Customer, SealedRows, WorkbookVersion, WorkLogEntry
from sync.app import Salesync
from sync.cli import main
from sync.domain import row_digest, sealed_audit
from sync.pipeline import kept_rows
from tests.workbooks import customer_rows, edit, fill_template, phone, today


def cli(app: Salesync, *args: str) -> tuple[int, str]:
    db, data = app.config.database_url, str(app.config.data_dir)
    result = CliRunner().invoke(main, ["--db", db, "--data-dir", data, *args], catch_exceptions=False)
    return result.exit_code, result.output


def deep(app: Salesync) -> tuple[int, dict[str, Any]]:
    code, output = cli(app, "audit", "verify", "--deep", "--json", "--lang", "en")
    return code, json.loads(output)


def sql(app: Salesync, statement: str, **params: object) -> None:
    """Alter the data as someone with write access to the database would."""
    with app.engine.begin() as conn:
        conn.execute(text(statement), params)


def workbook(tmp_path: Path, count: int = 5) -> Path:
    rows = customer_rows(count)
    rows["成交问卷"] = [
        {"手机号码": phone(1), "认购编号": "RG-0001", "购房目的": "自住", "填写日期": today()},
        {"手机号码": phone(3), "认购编号": "RG-0002", "购房目的": "投资", "填写日期": today()},
    ]
    return fill_template("customers", rows, tmp_path / "客户登记.xlsx")


def test_each_sheet_is_one_sealed_entry_with_the_kept_files_digest(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    outcome = app.ingest(workbook(tmp_path), "rep_a")
    with app.transaction() as session:
        sealed = {e.entity: (e, d) for e, d in sealed_audit.sealed_entries(session)}
        version = session.get(WorkbookVersion, outcome.version_id)
        assert version is not None
        assert sorted(sealed) == ["customer", "customer_event", "questionnaire"]
        entry, detail = sealed["customer"]
        assert (entry.version_id, detail["count"], detail["file_sha256"]) == (version.id, 5, version.sha256)
        assert detail["columns"][0] == "phone" and "客户姓名" in detail["headers"]
        assert sealed["questionnaire"][1]["count"] == 2
        hashes = session.get(SealedRows, entry.seq)
        assert hashes is not None and len(hashes.hashes) == 5 * row_digest.ROW_HASH_BYTES
    code, report = deep(app)
    assert code == 0 and report["ok"], report
    assert report["deep"]["entries"] == 3 and report["deep"]["rows"] == 5 + 5 + 2


def test_a_value_changed_in_the_database_is_caught_and_its_row_named(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    app.ingest(workbook(tmp_path), "rep_a")
    sql(app, "UPDATE customer SET budget = 1 WHERE phone = :p", p=phone(2))
    code, _ = cli(app, "audit", "verify")
    assert code == 0  # the chain itself holds: the log was not touched
    code, report = deep(app)
    assert code == 1 and not report["ok"]
    problem = report["deep"]
    assert (problem["problem"], problem["table"], problem["key"]) == (
        "seal-row-changed",
        "customer",
        phone(2),
    )
    assert (problem["column"], problem["expected"], problem["found"]) == ("价格预算", "3000000.00", "1.00")
    assert phone(2) in problem["message"] and "价格预算" in problem["message"]
    code, output = cli(app, "audit", "verify", "--deep")
    assert code == 1 and phone(2) in output and "价格预算" in output


def test_a_later_version_changing_a_row_is_not_tampering(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = workbook(tmp_path)
    app.ingest(path, "rep_a")
    edit(path, "客户", 3, "备注", "想要南向")  # Excel row 3: the second customer
    edit(path, "客户", 3, "价格预算", 3_200_000)
    edit(path, "客户事件", 4, "事件内容", "二次看房")  # the third customer's event
    edit(path, "成交问卷", 2, "购房目的", "改善")
    app.ingest(path, "rep_a")
    code, report = deep(app)
    assert code == 0 and report["ok"], report["deep"]["message"]
    assert report["deep"]["later_changes"] == 3

    sql(app, "UPDATE customer SET name = '假名' WHERE phone = :p", p=phone(1))  # the same row, behind the log
    code, report = deep(app)
    problem = report["deep"]
    assert code == 1 and (problem["table"], problem["key"], problem["column"]) == (
        "customer",
        phone(1),
        "客户姓名",
    )
    assert problem["found"] == "假名"


def test_an_event_altered_or_deleted_behind_the_log_is_named(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    app.ingest(workbook(tmp_path), "rep_a")
    with app.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.phone == phone(4))).one()
        cid = customer.id
    sql(app, "UPDATE customer_event SET content = '改过' WHERE customer_id = :c", c=cid)
    code, report = deep(app)
    problem = report["deep"]
    assert code == 1 and problem["table"] == "customer_event"
    assert problem["key"] == f"{phone(4)} {today()} 10:30:00 首次来访"
    assert (problem["column"], problem["expected"], problem["found"]) == ("事件内容", "看样板间", "改过"), (
        problem["message"]
    )

    sql(app, "DELETE FROM customer_event WHERE customer_id = :c", c=cid)
    code, report = deep(app)
    assert code == 1 and report["deep"]["problem"] == "seal-row-missing"
    assert report["deep"]["table"] == "customer_event"


def test_the_kept_file_altered_is_caught(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    outcome = app.ingest(workbook(tmp_path), "rep_a")
    with app.transaction() as session:
        version = session.get(WorkbookVersion, outcome.version_id)
        assert version is not None
        digest = version.sha256
    sql(app, "UPDATE stored_file SET content = :c WHERE sha256 = :s", c=b"PK forged", s=digest)
    code, report = deep(app)
    problem = report["deep"]
    assert code == 1 and problem["problem"] == "seal-file-changed"
    assert (problem["expected"], problem["found"]) == (digest, hashlib.sha256(b"PK forged").hexdigest())


def test_a_row_hash_list_altered_with_the_row_still_shows_the_digest_broken(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    app.ingest(workbook(tmp_path), "rep_a")
    with app.transaction() as session:
        entry = session.scalars(
            select(WorkLogEntry).where(WorkLogEntry.entity == "customer").order_by(WorkLogEntry.seq)
        ).first()
        assert entry is not None
        seq = entry.seq
    sql(app, "UPDATE customer SET note = 'x' WHERE phone = :p", p=phone(0))
    sql(app, "UPDATE sealed_rows SET hashes = :h WHERE seq = :s", h=b"\x00" * 16 * 5, s=seq)
    code, report = deep(app)
    assert code == 1 and report["deep"]["problem"] == "seal-list-changed"
    assert report["deep"]["table"] == "customer"


def test_the_frame_and_the_database_give_the_same_canonical_rows() -> None:
    """The two sides of a seal: typed frame values (naive date-times are Shanghai time, floats) and
    database values (aware UTC date-times, decimals) encode to the same text."""
    import datetime as dt
    from decimal import Decimal

    from schema.models import CustomerEvent

    table = Customer.__table__
    forms = row_digest.column_forms(table, ["phone", "first_contact_date", "budget", "note"])  # type: ignore[arg-type]
    frame = pd.DataFrame(
        {
            "phone": pd.array(["13900000001", "13900000000"], dtype="string[pyarrow]"),
            "first_contact_date": pd.array([dt.date(2026, 1, 2), None], dtype=pd.ArrowDtype(pa.date32())),
            "budget": pd.array([3000000.0, 85.5], dtype=pd.ArrowDtype(pa.float64())),
            "note": pd.array(['说"要"\t高层', None], dtype="string[pyarrow]"),
        }
    )
    order = ["phone", "first_contact_date", "budget", "note"]
    from_frame = row_digest.canonical_rows(row_digest.frame_columns(frame, order), forms, order, ["phone"])
    stored = {
        "phone": ["13900000000", "13900000001"],
        "first_contact_date": [None, dt.date(2026, 1, 2)],
        "budget": [Decimal("85.50"), Decimal("3000000.00")],
        "note": [None, '说"要"\t高层'],
    }
    arrays = {k: row_digest.python_array(v, forms[k]) for k, v in stored.items()}
    from_db = row_digest.canonical_rows(arrays, forms, order, ["phone"])
    assert from_frame.hashes == from_db.hashes and from_frame.digest == from_db.digest
    assert from_frame.keys.to_pylist() == ["13900000000", "13900000001"]

    at = row_digest.column_forms(CustomerEvent.__table__, ["at"])["at"]  # type: ignore[arg-type]
    naive = pa.array([dt.datetime(2026, 3, 14, 12, 37)], pa.timestamp("s"))
    aware = row_digest.python_array([dt.datetime(2026, 3, 14, 4, 37, tzinfo=dt.UTC)], at)
    assert row_digest.canonical_text(naive, at).to_pylist() == ["2026-03-14 04:37:00.000000"]
    assert row_digest.canonical_text(aware, at).to_pylist() == ["2026-03-14 04:37:00.000000"]


def test_the_kept_file_gives_a_row_as_applied(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    path = workbook(tmp_path)
    row = kept_rows.applied_row("customer", path.read_bytes(), phone(2))
    assert row is not None and row["phone"] == phone(2) and row["budget"] == 3_000_000
    assert kept_rows.applied_row("customer", path.read_bytes(), "13000000000") is None
