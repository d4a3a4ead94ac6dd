"""A work log that proves its completeness (issue: deleting every entry and the head, or putting an
older head back, used to verify as intact): checkpoints of the head in an append-only file in the
data directory, and ``salesync audit verify`` against the latest — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from sync.app import Salesync
from sync.cli import main
from sync.core.keys import load_key
from sync.domain.anchors import ANCHOR_FILE, read_anchors
from sync.domain.worklog import LogWriter

#: what a database user with full rights does to hide their tracks: drop the append-only trigger,
#: rewrite the log, and put the trigger back
DROP = {
    "sqlite": ["DROP TRIGGER work_log_no_update", "DROP TRIGGER work_log_no_delete"],
    "postgresql": ["DROP TRIGGER work_log_append_only ON work_log"],
}
RESTORE = {
    "sqlite": [
        "CREATE TRIGGER work_log_no_update BEFORE UPDATE ON work_log "
        "BEGIN SELECT RAISE(ABORT, 'work_log is append-only'); END",
        "CREATE TRIGGER work_log_no_delete BEFORE DELETE ON work_log "
        "BEGIN SELECT RAISE(ABORT, 'work_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE TRIGGER work_log_append_only BEFORE UPDATE OR DELETE ON work_log "
        "FOR EACH ROW EXECUTE FUNCTION work_log_append_only()"
    ],
}


def verify(app: Salesync) -> tuple[int, dict[str, Any]]:
    url = app.config.database_url
    result = CliRunner().invoke(
        main,
        ["--db", url, "--data-dir", str(app.config.data_dir), "audit", "verify", "--json", "--lang", "en"],
        catch_exceptions=False,
    )
    return result.exit_code, json.loads(result.output)


def log(app: Salesync, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        with app.transaction() as session:
            LogWriter(session, None).append("test", str(i), "add", new=str(i))


def tamper(app: Salesync, *statements: str, restore: bool = True) -> None:
    dialect = app.engine.dialect.name
    with app.engine.begin() as conn:
        for sql in [*DROP[dialect], *statements, *(RESTORE[dialect] if restore else [])]:
            conn.execute(text(sql))


def test_every_commit_is_anchored_outside_the_database(app: Salesync, people: dict[str, str]) -> None:
    log(app, 3)
    path = app.config.data_dir / ANCHOR_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    anchors, bad = read_anchors(path, load_key(app.config))
    assert bad is None and max(a.seq for a in anchors) == 8  # 5 accounts, 3 entries
    code, report = verify(app)
    assert code == 0 and report["ok"] and report["entries"] == 8 and report["anchors"] == len(anchors)


def test_every_entry_and_the_head_deleted(app: Salesync, people: dict[str, str]) -> None:
    log(app, 2)
    tamper(app, "DELETE FROM work_log", "DELETE FROM work_log_head")
    code, report = verify(app)
    assert code == 1 and report["problem"] == "log-anchor-missing", report
    assert "records entry 7" in report["message"]


def test_an_older_head_put_back_after_deleting_what_followed(app: Salesync, people: dict[str, str]) -> None:
    with app.engine.connect() as conn:
        old = conn.execute(text("SELECT seq, hash, legacy, seal FROM work_log_head")).one()
    log(app, 3)
    tamper(
        app,
        f"DELETE FROM work_log WHERE seq > {old.seq}",
        f"UPDATE work_log_head SET seq = {old.seq}, hash = '{old.hash}', legacy = {old.legacy}, seal = '{old.seal}'",
    )
    code, report = verify(app)
    assert code == 1 and report["problem"] == "log-anchor-missing", report


def test_the_tail_truncated(app: Salesync, people: dict[str, str]) -> None:
    log(app, 3)
    tamper(app, "DELETE FROM work_log WHERE seq > 6")
    code, report = verify(app)
    assert code == 1 and report["problem"] in ("log-missing-tail", "log-anchor-missing"), report


def test_the_trigger_dropped_and_an_entry_edited(app: Salesync, people: dict[str, str]) -> None:
    log(app, 2)
    tamper(app, "UPDATE work_log SET new = 'forged' WHERE seq = 6", restore=False)
    code, report = verify(app)
    assert code == 1 and report["problem"] == "log-edited" and report["seq"] == 6, report


def test_the_trigger_dropped_alone_is_named(app: Salesync, people: dict[str, str]) -> None:
    tamper(app, restore=False)
    code, report = verify(app)
    assert code == 1 and report["problem"] == "log-trigger-missing", report


def test_a_forged_anchor_line_is_named(app: Salesync, people: dict[str, str]) -> None:
    path: Path = app.config.data_dir / ANCHOR_FILE
    with path.open("a") as fh:
        fh.write(
            json.dumps({"seq": 1, "hash": "0" * 64, "at": "2026-01-01T00:00:00+00:00", "seal": "x"}) + "\n"
        )
    code, report = verify(app)
    assert code == 1 and report["problem"] == "log-anchor-forged", report


def test_the_sqlite_file_is_created_readable_by_its_owner_only(app: Salesync) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("a PostgreSQL server keeps its own files")
    database = app.engine.url.database
    assert database is not None
    assert stat.S_IMODE(Path(database).stat().st_mode) == 0o600
