"""The set-based 收款 plan gives, row for row, what the row-by-row plan gave: the same findings (codes,
sheets, Excel rows, headers, values, parameters), the same receipts (revisions, 红冲, refunds,
deleted and corrected versions) and the same work log — on a generated project of a few thousand
deals set up through the real ingest, on two copies of the same database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import Receipt, Workbook, WorkbookVersion, WorkLogEntry
from sync.app import Salesync
from sync.domain import sealed_audit
from sync.pipeline import kept_rows
from sync.pipeline.outcome import Outcome, Verdict
from sync.plans import money
from sync.plans.context import PLANS
from tests.deal_books import build_site, clone, control_workbook, drop_clone, finance_workbook
from tests.sealed_logs import compare, sealed_keys

ROOMS = 2000  # ~1,500 on sale: ~1,500 deals, ~3,000 receipts a version


def _findings(outcome: Outcome) -> list[tuple[Any, ...]]:
    return [(f.code, f.sheet, f.row, f.header, f.value, f.params, f.severity) for f in outcome.findings]


def _receipts(app: Salesync) -> list[tuple[Any, ...]]:
    """Every receipt, every column; when it was deleted only as deleted or not (a clock time)."""
    columns = [c for c in Receipt.__table__.columns if c.name != "deleted_at"]
    with app.transaction() as session:
        rows = session.execute(select(*columns, Receipt.deleted_at.is_not(None)).order_by(Receipt.id)).all()
    return [tuple(r) for r in rows]


def _log(app: Salesync, kind: str) -> list[dict[str, Any]]:
    """The work log of the kind's versions, without the clock time and the chain's hashes."""
    with app.transaction() as session:
        versions = (
            select(WorkbookVersion.id)
            .join(Workbook, Workbook.id == WorkbookVersion.workbook_id)
            .where(Workbook.kind == kind)
        )
        rows = session.execute(
            select(
                WorkLogEntry.seq,
                WorkLogEntry.entity,
                WorkLogEntry.key,
                WorkLogEntry.op,
                WorkLogEntry.field,
                WorkLogEntry.old,
                WorkLogEntry.new,
                WorkLogEntry.changes,
                WorkLogEntry.version_id,
            )
            .where(WorkLogEntry.version_id.in_(versions))
            .order_by(WorkLogEntry.seq)
        ).all()
    return [dict(r._mapping) for r in rows]


def _run(app: Salesync, folder: Path, deals: list[Any]) -> dict[str, Any]:
    """收款 v1, then 销控 with the 退房 of some deals, then 收款 v2: every outcome and what is stored."""
    book = folder / "finance" / "收款.xlsx"
    first = app.ingest(finance_workbook(book, deals), "finance", write_back=False)
    control = folder / "control" / "销控.xlsx"
    cancelled = app.ingest(control_workbook(control, deals, cancellations=True), "control", write_back=False)
    second = app.ingest(finance_workbook(book, deals, second=True), "finance", write_back=False)
    return {
        "outcomes": [(o.verdict, o.rows_written, _findings(o)) for o in (first, cancelled, second)],
        "receipts": _receipts(app),
        "log": _log(app, "finance"),
        **_sealed(app),
    }


def _sealed(app: Salesync) -> dict[str, Any]:
    """The deal rows the log seals by digest, and whether the deep check holds."""
    with app.transaction() as session:
        return {
            "sealed": sealed_keys(session),
            "deep": sealed_audit.verify(session, kept_rows.applied_row).ok,
        }


def test_set_based_receipts_match_the_row_by_row_plan(
    app: Salesync, people: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deals = build_site(app, tmp_path / "site", ROOMS)
    make_copy = clone(app, tmp_path / "copy")

    reference_app = Salesync(app.config)
    try:
        with monkeypatch.context() as patched:
            patched.setitem(PLANS._entries, "finance", money.apply_finance_rowwise)
            reference = _run(reference_app, tmp_path / "reference", deals)
    finally:
        reference_app.close()

    set_app = make_copy()
    try:
        assert PLANS.get("finance") is money.apply_finance
        setwise = _run(set_app, tmp_path / "setwise", deals)
    finally:
        drop_clone(set_app)

    # the scenario holds what it is meant to: every kind of refusal and warning, corrections, deletions
    codes = {f[0] for _, _, findings in reference["outcomes"] for f in findings}
    assert codes >= {
        "receipt-overpaid",
        "reversal-exceeds",
        "reversal-unknown-original",
        "reversal-other-deal",
        "reversal-category",
        "receipt-reversed-twice",
        "refund-exceeds-credit",
        "unknown-subscription",
        "trueup-refund-none",
        "refund-exceeds-approved",
        "receipt-deal-ended",
        "receipt-reversed-locked",
        "receipt-delete-reversed",
        "deal-late-entry",
    }, codes
    assert all(verdict is not Verdict.REJECTED for verdict, _, _ in reference["outcomes"])
    reasons = {r[-2] for r in reference["receipts"]}  # deleted_reason
    assert reasons >= {None, "更正", "删除"}
    assert len(reference["receipts"]) > ROOMS

    for step, (expected, got) in enumerate(zip(reference["outcomes"], setwise["outcomes"], strict=True)):
        assert got[:2] == expected[:2], step
        assert got[2] == expected[2], step  # findings row for row, in order
    assert setwise["receipts"] == reference["receipts"]
    compare(setwise["log"], reference["log"], setwise["sealed"])  # new receipts: sealed by digest
    assert setwise["deep"]
