"""The set-based 销售服务 plan gives, row for row, what the row-by-row plan gave: the same findings, the
same true-ups and move-ins, the same work log — on a generated project set up through the real
ingest, with receipts entered first (a move-in with money owed is warned), a first version and a
second one with some measurements changed and an unknown room."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from schema.models import AreaTrueUp, MoveIn
from sync.app import Salesync
from sync.pipeline.outcome import Outcome, Verdict
from sync.plans import service
from sync.plans.context import PLANS
from tests.deal_books import build_site, clone, drop_clone, finance_workbook, service_workbook
from tests.sealed_logs import compare
from tests.test_receipts_set import _log, _sealed

ROOMS = 500


def _findings(outcome: Outcome) -> list[tuple[Any, ...]]:
    return [(f.code, f.sheet, f.row, f.header, f.value, f.params, f.severity) for f in outcome.findings]


def _rows(app: Salesync) -> dict[str, list[tuple[Any, ...]]]:
    with app.transaction() as session:
        return {
            model.__tablename__: [
                tuple(r) for r in session.execute(select(*model.__table__.columns).order_by(model.id))
            ]
            for model in (AreaTrueUp, MoveIn)
        }


def _run(app: Salesync, folder: Path, deals: list[Any]) -> dict[str, Any]:
    book = folder / "service" / "销售服务.xlsx"
    first = app.ingest(service_workbook(book, deals), "service", write_back=False)
    second = app.ingest(service_workbook(book, deals, second=True), "service", write_back=False)
    return {
        "outcomes": [(o.verdict, o.rows_written, _findings(o)) for o in (first, second)],
        "rows": _rows(app),
        "log": _log(app, "service"),
        **_sealed(app),
    }


def test_set_based_service_matches_the_row_by_row_plan(
    app: Salesync, people: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deals = build_site(app, tmp_path / "site", ROOMS)
    paid = app.ingest(
        finance_workbook(tmp_path / "site" / "finance" / "收款.xlsx", deals), "finance", write_back=False
    )
    assert paid.verdict is Verdict.PARTIAL
    make_copy = clone(app, tmp_path / "copy")

    reference_app = Salesync(app.config)
    try:
        with monkeypatch.context() as patched:
            patched.setitem(PLANS._entries, "service", service.apply_service_rowwise)
            reference = _run(reference_app, tmp_path / "reference", deals)
    finally:
        reference_app.close()

    set_app = make_copy()
    try:
        assert PLANS.get("service") is service.apply_service
        setwise = _run(set_app, tmp_path / "setwise", deals)
    finally:
        drop_clone(set_app)

    codes = {f[0] for _, _, findings in reference["outcomes"] for f in findings}
    assert codes >= {
        "trueup-split",
        "trueup-beyond-3",
        "trueup-no-contract",
        "movein-no-contract",
        "movein-balance",
        "date-order",
        "unknown-room",
    }, codes
    assert len(reference["rows"]["area_true_up"]) > ROOMS // 5
    assert (
        0 < reference["outcomes"][1][1] < reference["outcomes"][0][1]
    )  # the second version: its changes only

    for step, (expected, got) in enumerate(zip(reference["outcomes"], setwise["outcomes"], strict=True)):
        assert got[:2] == expected[:2], step
        assert got[2] == expected[2], step
    assert setwise["rows"] == reference["rows"]
    compare(setwise["log"], reference["log"], setwise["sealed"])  # new true-ups, move-ins: sealed
    assert setwise["deep"]
