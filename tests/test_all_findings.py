"""One save reports every fault at once: a customer row with a bad cell and no first event gets both
findings in the same pass, so the author is not sent back a second time."""

from __future__ import annotations

from pathlib import Path

from sync.app import Salesync
from sync.pipeline.outcome import Verdict
from tests.workbooks import customer_rows, fill_template


def test_a_bad_cell_and_a_missing_first_event_are_reported_together(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    rows = customer_rows(3)
    rows["客户"][1]["客户来源"] = "朋友介绍"  # not a source the list offers
    rows["客户事件"] = [rows["客户事件"][0], rows["客户事件"][2]]  # and customer 1 has no first event
    rows["客户"][2]["手机号码"] = "139-bad"  # an unreadable phone: its event cannot be matched, said once
    rows["客户事件"][1]["手机号码"] = "139-bad"
    outcome = app.ingest(fill_template("customers", rows, tmp_path / "客户登记.xlsx"), "rep_a")
    assert outcome.verdict is Verdict.PARTIAL
    assert sorted((f.sheet, f.row, f.code) for f in outcome.errors) == [
        ("客户", 3, "choice"),
        ("客户", 3, "customer-needs-event"),
        ("客户", 4, "phone-invalid"),
        ("客户事件", 3, "phone-invalid"),
    ]
