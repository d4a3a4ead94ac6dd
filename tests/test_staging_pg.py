"""PostgreSQL's big inserts through a temporary staging table store exactly what ``COPY`` row by row
into the real tables stores, inside the version's transaction, and leave no staging table behind."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sync.app import Salesync
from sync.core import staging
from sync.core.config import Config
from sync.domain import accounts
from sync.tools.examples import write_customers_workbook
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="the staging table is PostgreSQL's; SQLite's is tests/test_staging.py"
)

# columns set from the clock when the version is seen, different in every run (an event's ``at``
# is the sheet's time and is compared; the work log's is the clock's)
CLOCK = {"owned_since", "updated_at", "detected_at"}
TABLES = {
    "customer": "id",
    "customer_event": "id",
    "questionnaire": "id",
    "version_finding": "id",
    "work_log": "seq",
}


@pytest.fixture
def server_databases() -> Iterator[list[str]]:
    """Fresh databases on the test server, made on demand and dropped afterwards."""
    assert PG_URL
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []
    yield made
    with admin.connect() as conn:
        for url in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _app(tmp_path: Path, name: str, made: list[str]) -> Salesync:
    assert PG_URL
    database = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    url = make_url(PG_URL).set(database=database).render_as_string(hide_password=False)
    made.append(url)
    app = Salesync(
        Config(database_url=url, data_dir=tmp_path / name / "data", drive_root=tmp_path / name / "drive")
    )
    app.init()
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        accounts.add_user(
            session, "rep_a", name="张丽", roles=["sales_rep"], password="pw-123456", region="SZ"
        )
    return app


def _dump(app: Salesync) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored value with its PostgreSQL type, table by table."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with app.engine.connect() as connection:
        for table, order in TABLES.items():
            names = [
                r[0]
                for r in connection.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = :t ORDER BY ordinal_position"
                    ),
                    {"t": table},
                )
            ]
            skipped = CLOCK | {"hash", "prev_hash"} | ({"at"} if table == "work_log" else set())
            kept = [n for n in names if n not in skipped]
            columns = ", ".join(f'pg_typeof("{n}")::text, "{n}"' for n in kept)
            out[table] = [
                tuple(r) for r in connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY {order}"))
            ]
    return out


def _staging_tables(app: Salesync) -> list[str]:
    with app.engine.connect() as connection:
        return [
            r[0]
            for r in connection.execute(
                text("SELECT relname FROM pg_class WHERE relname LIKE 'salesync_stage%'")
            )
        ]


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


def test_staged_rows_are_the_rows_copy_row_by_row_stores(
    tmp_path: Path,
    server_databases: list[str],
    workbook: Path,
    staged_calls: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain, staged = _app(tmp_path, "plain", server_databases), _app(tmp_path, "staged", server_databases)
    try:
        monkeypatch.setattr(staging, "PG_STAGE_MIN_ROWS", 10**9)
        first = plain.ingest(workbook, "rep_a", write_back=False)
        assert not staged_calls

        monkeypatch.setattr(staging, "PG_STAGE_MIN_ROWS", 1)
        second = staged.ingest(workbook, "rep_a", write_back=False)
        assert staged_calls == [True] * 4  # customers, events, questionnaires, findings
        assert second.summary() == first.summary()
        assert first.rows_written > 600
        assert _dump(staged) == _dump(plain)
        assert _staging_tables(staged) == []

        # the next save, edited, goes the same way on both
        edited = write_customers_workbook(
            tmp_path / "edited" / "客户登记.xlsx", 320, seed=5, events_per_customer=2, bad_rows=4, edited=7
        )
        again_plain = plain.ingest(edited, "rep_a", write_back=False)
        again_staged = staged.ingest(edited, "rep_a", write_back=False)
        assert again_staged.summary() == again_plain.summary()
        assert _dump(staged) == _dump(plain)
    finally:
        plain.close()
        staged.close()


def test_a_failed_version_leaves_nothing_of_its_staged_rows(
    tmp_path: Path,
    server_databases: list[str],
    workbook: Path,
    staged_calls: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(tmp_path, "app", server_databases)
    try:
        before = _dump(app)
        monkeypatch.setattr(staging, "PG_STAGE_MIN_ROWS", 1)

        def crash(*_args: Any) -> None:
            raise RuntimeError("power cut")

        monkeypatch.setattr("sync.pipeline.ingest._finish", crash)
        with pytest.raises(RuntimeError, match="power cut"):
            app.ingest(workbook, "rep_a", write_back=False)
        assert True in staged_calls
        assert _dump(app) == before
        assert _staging_tables(app) == []

        monkeypatch.undo()
        outcome = app.ingest(workbook, "rep_a", write_back=False)
        assert outcome.rows_written > 600
    finally:
        app.close()


def _events(customer_ids: list[int]) -> dict[str, Any]:
    """customer_event columns for one event a day per customer id, as the staging path takes them."""
    import pyarrow as pa

    n = len(customer_ids)
    return {
        "customer_id": pa.array(customer_ids, pa.int64()),
        "kind": pa.array(["跟进"] * n),
        "at": pa.array([f"2026-03-{1 + i % 28:02d} 10:00:00+08" for i in range(n)]),
        "content": pa.array(["再联系"] * n),
        "row_hash": pa.array([f"{i:016x}" for i in range(n)]),
    }


def _version(app: Salesync, workbook: Path) -> tuple[int, int, list[int]]:
    """An accepted version's id, its author's and the customer ids it wrote."""
    app.ingest(workbook, "rep_a", write_back=False)
    with app.engine.connect() as connection:
        version_id, account_id = connection.execute(
            text("SELECT id, account_id FROM workbook_version ORDER BY id DESC LIMIT 1")
        ).one()
        ids = [r[0] for r in connection.execute(text("SELECT id FROM customer ORDER BY id"))]
    return version_id, account_id, ids


def test_a_key_that_does_not_hold_is_refused_by_the_row_check(
    tmp_path: Path, server_databases: list[str], workbook: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from schema.models import CustomerEvent

    psycopg = pytest.importorskip("psycopg")
    app = _app(tmp_path, "app", server_databases)
    try:
        version_id, account_id, ids = _version(app, workbook)
        constant = {"account_id": account_id, "version_id": version_id}
        caplog.set_level("DEBUG", logger="salesync.staging")
        with app.transaction() as session:  # every key holds: checked once for the batch
            assert staging.insert_staged(session, CustomerEvent.__table__, _events(ids[:50]), constant)
        assert "checked once" in caplog.text
        with pytest.raises(psycopg.errors.ForeignKeyViolation), app.transaction() as session:
            staging.insert_staged(
                session, CustomerEvent.__table__, _events([*ids[50:60], max(ids) + 1]), constant
            )
        with pytest.raises(psycopg.errors.ForeignKeyViolation), app.transaction() as session:
            staging.insert_staged(
                session,
                CustomerEvent.__table__,
                _events(ids[60:70]),
                {**constant, "version_id": version_id + 99},
            )
        with app.engine.connect() as connection:
            count = connection.execute(
                text("SELECT count(*) FROM customer_event WHERE kind = '跟进'")
            ).scalar()
        assert count == 50
        assert _staging_tables(app) == []
    finally:
        app.close()


def test_a_table_with_a_trigger_of_its_own_keeps_the_row_checks(
    tmp_path: Path, server_databases: list[str], workbook: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The per-row checks go off only where nothing else hangs on the table's triggers."""
    from schema.models import CustomerEvent

    app = _app(tmp_path, "app", server_databases)
    try:
        version_id, account_id, ids = _version(app, workbook)
        with app.engine.begin() as connection:
            connection.execute(text("CREATE TABLE seen_event (id bigint)"))
            connection.execute(
                text(
                    "CREATE FUNCTION note_event() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN INSERT INTO seen_event VALUES (NEW.id); RETURN NEW; END $$"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER note_event AFTER INSERT ON customer_event FOR EACH ROW EXECUTE FUNCTION note_event()"
                )
            )
        caplog.set_level("DEBUG", logger="salesync.staging")
        with app.transaction() as session:
            staging.insert_staged(
                session,
                CustomerEvent.__table__,
                _events(ids[:40]),
                {"account_id": account_id, "version_id": version_id},
            )
        assert "row by row" in caplog.text
        with app.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM seen_event")).scalar() == 40
    finally:
        app.close()


def test_times_before_1992_and_odd_values_are_stored_as_copy_stores_them(
    tmp_path: Path, server_databases: list[str], workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asia/Shanghai kept summer time from 1986 to 1991: such a time goes through the bind
    processor; text with quotes, commas, line breaks and an empty string stays what it was."""
    import datetime as dt

    import pandas as pd

    from schema.models import CustomerEvent

    app = _app(tmp_path, "app", server_databases)
    try:
        version_id, account_id, ids = _version(app, workbook)
        times = [
            dt.datetime(1988, 7, 1, 10, 0),
            dt.datetime(1991, 9, 15, 1, 30),
            dt.datetime(2026, 3, 1, 23, 59, 59),
        ]
        texts = ['他说"好",明天\n再来', "", None]
        stored = {}
        for kind, least in (("direct", 10**9), ("staged", 1)):
            monkeypatch.setattr(staging, "PG_STAGE_MIN_ROWS", least)
            frame = pd.DataFrame(
                {
                    "customer_id": ids[:3],
                    "kind": [kind] * 3,
                    "at": pd.Series(times, dtype="datetime64[s]"),
                    "content": texts,
                    "next_follow_up": [dt.date(1990, 1, 1), None, dt.date(2026, 12, 31)],
                    "row_hash": ["a", "b", "c"],
                }
            )
            with app.transaction() as session:
                staging.insert_frame(
                    session,
                    CustomerEvent.__table__,
                    frame,
                    ["customer_id", "kind", "at", "content", "next_follow_up", "row_hash"],
                    account_id=account_id,
                    version_id=version_id,
                )
            with app.engine.connect() as connection:
                stored[kind] = [
                    tuple(r)
                    for r in connection.execute(
                        text(
                            "SELECT customer_id, at, content, next_follow_up, row_hash FROM customer_event "
                            "WHERE kind = :k ORDER BY id"
                        ),
                        {"k": kind},
                    )
                ]
        assert stored["staged"] == stored["direct"]
        assert stored["staged"][0][1] == dt.datetime(1988, 7, 1, 1, 0, tzinfo=dt.UTC)  # +09 that summer
        assert [r[2] for r in stored["staged"]] == texts
    finally:
        app.close()
