"""Corrupt, foreign, encrypted, macro-carrying and hostile files: one clear line, domain data untouched."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from schema.models import Customer, CustomerEvent, WorkbookVersion
from sync.app import Salesync
from sync.cli import main
from sync.pipeline.outcome import Verdict
from tests import hostile
from tests.workbooks import customer_rows, fill_template

CASES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "corrupt zip": (hostile.truncated, "file-corrupt"),
    "damaged member": (hostile.corrupt_member, "file-corrupt"),
    "csv renamed": (lambda _: "客户姓名,手机号码\n张三,13800138000\n".encode(), "file-not-xlsx"),
    "encrypted": (hostile.encrypted, "file-encrypted"),
    "xlsm with macros": (hostile.with_macro, "file-macro"),
    "xml entities": (hostile.with_entities, "file-xml-entities"),
    "zip bomb": (lambda data: hostile.with_bomb(data, 2048), "file-too-large"),
    "lying zip bomb": (lambda data: hostile.with_bomb(data, 700, declared=1000), "file-too-large"),
    "legacy xls": (lambda _: hostile.legacy_xls(), "file-legacy-xls"),
}


def domain_counts(app: Salesync) -> tuple[int, int]:
    with app.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Customer)) or 0,
            session.scalar(select(func.count()).select_from(CustomerEvent)) or 0,
        )


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_rejected_with_one_clear_line(
    app: Salesync, people: dict[str, str], tmp_path: Path, case: str
) -> None:
    app.ingest(fill_template("customers", customer_rows(3), tmp_path / "good.xlsx"), "rep_a")
    before = domain_counts(app)
    make, code = CASES[case]
    good = fill_template("customers", customer_rows(5, start=100), tmp_path / "src.xlsx").read_bytes()
    path = tmp_path / "客户登记.xlsx"
    path.write_bytes(make(good))

    tracemalloc.start()
    try:
        outcome = app.ingest(path, "rep_a")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert outcome.verdict is Verdict.REJECTED
    assert [f.code for f in outcome.findings] == [code]
    assert domain_counts(app) == before
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    with app.transaction() as session:  # the attempt itself is on record, with its bytes
        version = session.scalar(select(WorkbookVersion).where(WorkbookVersion.id == outcome.version_id))
        assert version is not None and version.outcome == "rejected"

    result = CliRunner().invoke(main, ["--db", app.config.database_url, "ingest", str(path), "--as", "rep_a"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and outcome.findings[0].message() in lines[0]
