"""SQLite's big inserts through a scratch database store exactly what the row-by-row path stores,
inside the version's transaction, and leave no scratch file or attached database behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import schema.db
from sync.app import Salesync
from sync.core import staging
from sync.core.config import Config
from sync.domain import accounts
from sync.tools.examples import write_customers_workbook

pytestmark = pytest.mark.skipif(
    bool(__import__("os").environ.get("SALESYNC_TEST_DATABASE_URL")),
    reason="the scratch path is SQLite's; PostgreSQL takes rows by COPY",
)

# columns set from the clock when the version is seen, different in every run
CLOCK = {"owned_since", "updated_at", "detected_at", "at"}
TABLES = {
    "customer": "id",
    "customer_event": "id",
    "questionnaire": "id",
    "version_finding": "id",
    "work_log": "seq",
}


@pytest.fixture
def scratch_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "scratch"
    root.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(root))
    return root


def _app(tmp_path: Path, name: str) -> Salesync:
    config = Config(
        database_url=f"sqlite:///{tmp_path / name / 'salesync.db'}",
        data_dir=tmp_path / name / "data",
        drive_root=tmp_path / name / "drive",
    )
    app = Salesync(config)
    app.init()
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        accounts.add_user(
            session, "rep_a", name="张丽", roles=["sales_rep"], password="pw-123456", region="SZ"
        )
    return app


def _dump(app: Salesync) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored value with its SQLite storage class, table by table."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with app.engine.connect() as connection:
        for table, order in TABLES.items():
            names = [r[1] for r in connection.execute(text(f"PRAGMA table_info({table})"))]
            kept = [n for n in names if n not in CLOCK and n not in {"hash", "prev_hash"}]
            columns = ", ".join(f'typeof("{n}"), "{n}"' for n in kept)
            out[table] = [
                tuple(r) for r in connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY {order}"))
            ]
    return out


def _attached(app: Salesync) -> list[str]:
    """Databases attached to the pooled connection besides ``main`` and ``temp``."""
    with app.engine.connect() as connection:
        return [
            r[1] for r in connection.execute(text("PRAGMA database_list")) if r[1] not in {"main", "temp"}
        ]


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[tuple[Salesync, Salesync]]:
    """Two databases, each with the rep: one for the row-by-row path, one for the scratch path."""
    plain, staged = _app(tmp_path, "plain"), _app(tmp_path, "staged")
    yield plain, staged
    plain.close()
    staged.close()


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_customers_workbook(
        tmp_path / "客户登记.xlsx", 300, seed=5, events_per_customer=2, bad_rows=4
    )


@pytest.fixture
def staged_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    calls: list[bool] = []
    real = staging.insert_staged

    def spy(*args: Any, **kwargs: Any) -> bool:
        done = real(*args, **kwargs)
        calls.append(done)
        return done

    monkeypatch.setattr(staging, "insert_staged", spy)
    yield calls


@pytest.mark.parametrize("scratch_max", [schema.db.SCRATCH_MAX, 1])
def test_staged_rows_are_the_rows_the_row_by_row_path_stores(
    apps: tuple[Salesync, Salesync],
    workbook: Path,
    scratch_root: Path,
    staged_calls: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    scratch_max: int,
) -> None:
    plain, staged = apps
    first = plain.ingest(workbook, "rep_a", write_back=False)
    assert not staged_calls

    monkeypatch.setattr(staging, "STAGE_MIN_ROWS", 1)
    monkeypatch.setattr(schema.db, "SCRATCH_MAX", scratch_max)
    second = staged.ingest(workbook, "rep_a", write_back=False)

    # customers, events, questionnaires, findings; past the limit the rest go row by row
    assert staged_calls.count(True) == min(4, scratch_max)
    assert staged_calls.count(False) == 4 - min(4, scratch_max)
    assert second.summary() == first.summary()
    assert first.rows_written > 600
    assert _dump(staged) == _dump(plain)
    assert not list(scratch_root.iterdir())  # detached and deleted with the transaction
    assert _attached(staged) == []


def test_a_failed_version_leaves_nothing_of_its_staged_rows(
    tmp_path: Path,
    workbook: Path,
    scratch_root: Path,
    staged_calls: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(tmp_path, "app")
    try:
        before = _dump(app)  # the accounts' own work-log entries
        monkeypatch.setattr(staging, "STAGE_MIN_ROWS", 1)

        def crash(*_args: Any) -> None:
            raise RuntimeError("power cut")

        monkeypatch.setattr("sync.pipeline.ingest._finish", crash)
        with pytest.raises(RuntimeError, match="power cut"):
            app.ingest(workbook, "rep_a", write_back=False)
        assert True in staged_calls
        assert _dump(app) == before
        assert not list(scratch_root.iterdir())
        assert _attached(app) == []

        monkeypatch.undo()
        monkeypatch.setattr("tempfile.tempdir", str(scratch_root))
        outcome = app.ingest(workbook, "rep_a", write_back=False)
        assert outcome.rows_written > 600
    finally:
        app.close()


def test_a_scratch_file_that_cannot_be_written_falls_back_to_row_by_row(
    apps: tuple[Salesync, Salesync],
    workbook: Path,
    scratch_root: Path,
    staged_calls: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain, staged = apps
    plain.ingest(workbook, "rep_a", write_back=False)
    monkeypatch.setattr(staging, "STAGE_MIN_ROWS", 1)

    def full_disk(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staging, "_write_scratch", full_disk)
    staged.ingest(workbook, "rep_a", write_back=False)
    assert staged_calls and not any(staged_calls)
    assert _dump(staged) == _dump(plain)
    assert not list(scratch_root.iterdir())
