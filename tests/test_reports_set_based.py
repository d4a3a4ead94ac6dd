"""The set-based report builders against the previous per-deal implementation (kept as
``tests.report_reference``), on a generated project of a few thousand deals with cancellations, room
changes, reversed and later-deleted receipts, loans and surveys: the same rows, the same figures,
as of the period's end and as of a day inside it (when later transactions must be undone)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from sync.app import Salesync
from sync.core.config import Config
from sync.reports import Scope, build
from sync.reports.board import board_cells
from sync.tools.report_project import DAYS, FIRST_DAY, insert_sold_project
from tests import report_reference

PROJECT = "GEN"
END = FIRST_DAY + dt.timedelta(days=DAYS)
SCOPES = [
    Scope(PROJECT, FIRST_DAY, END),
    Scope(PROJECT, dt.date(2025, 6, 1), dt.date(2025, 6, 30)),  # as of its end: later changes undone
    Scope(PROJECT, dt.date(2025, 3, 1), dt.date(2025, 12, 31), at=dt.date(2025, 9, 15)),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One generated project for the module (its own SQLite file: both implementations read it)."""
    tmp = tmp_path_factory.mktemp("generated")
    app = Salesync(
        Config(database_url=f"sqlite:///{tmp / 'gen.db'}", data_dir=tmp / "data", drive_root=tmp / "drive")
    )
    app.init()
    with app.transaction() as session:
        insert_sold_project(session, PROJECT, 3000, seed=5)
    yield app
    app.close()


def rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """A frame's rows with blanks as None and numbers as Decimal (exact, whatever the dtype)."""

    def one(v: Any) -> Any:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        if isinstance(v, float | int) and not isinstance(v, bool):
            return Decimal(str(v))
        return v

    return [tuple(one(v) for v in row) for row in frame.itertuples(index=False, name=None)]


@pytest.mark.parametrize("report", ["sales_detail", "receipts", "mortgages", "sales_summary"])
@pytest.mark.parametrize("scope", SCOPES, ids=["all", "june", "as-of-september"])
def test_the_same_rows_as_before(generated: Salesync, report: str, scope: Scope) -> None:
    with generated.transaction() as session:
        new = build(session, report, scope)
        old = getattr(report_reference, report)(session, scope)
    assert len(new) > 0
    assert list(new.columns) == list(old.columns)
    assert rows(new) == rows(old)


@pytest.mark.parametrize("day", [END, dt.date(2025, 6, 30)], ids=["end", "june"])
def test_the_same_board_as_before(generated: Salesync, day: dt.date) -> None:
    with generated.transaction() as session:
        new = board_cells(session, PROJECT, day)
        old = report_reference.board_cells(session, PROJECT, day)
    assert sum(len(cells) for cells in new.values()) > 3000
    assert new == old


def test_a_project_without_deals(generated: Salesync) -> None:
    """Rooms and no deal yet: every report and the board built, empty or all 可售."""
    with generated.transaction() as session:
        insert_sold_project(session, "BARE", 0, rooms=30, seed=6)
        scope = Scope("BARE", FIRST_DAY, END)
        for report in ("sales_detail", "receipts", "mortgages"):
            assert build(session, report, scope).empty
        summary = build(session, "sales_summary", scope)
        assert list(summary["rooms"]) == [30] and list(summary["available"]) == [30]
        cells = board_cells(session, "BARE", END)
        assert {c.status for grid in cells.values() for c in grid.values()} == {"可售"}
