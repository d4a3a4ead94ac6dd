"""A stale copy's conflict names the version that made the change it conflicts with."""

from __future__ import annotations

import shutil
from pathlib import Path

from sync.app import Salesync
from sync.pipeline.outcome import Verdict
from tests.workbooks import customer_rows, edit, fill_template


def test_stale_conflict_names_the_version_that_changed_the_value(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    path = fill_template("customers", customer_rows(3), tmp_path / "客户登记.xlsx")
    assert app.ingest(path, "rep_a").seq == 1
    stale = tmp_path / "stale-copy.xlsx"
    shutil.copy(path, stale)  # someone keeps v1 open

    edit(path, "客户", 2, "备注", "v2 的备注")
    assert app.ingest(path, "rep_a").seq == 2
    edit(path, "客户", 3, "备注", "v3 改的是另一位客户")
    assert app.ingest(path, "rep_a").seq == 3

    edit(stale, "客户", 2, "备注", "旧副本的备注")
    shutil.copy(stale, path)
    outcome = app.ingest(path, "rep_a")

    assert outcome.verdict is Verdict.ACCEPTED and outcome.based_on_seq == 1
    (conflict,) = [f for f in outcome.findings if f.code == "stale-conflict"]
    assert (conflict.row, conflict.header, conflict.params["latest"]) == (2, "备注", 2)
    assert "已在 v2 中改为“v2 的备注”" in conflict.message()
