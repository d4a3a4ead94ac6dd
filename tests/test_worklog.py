"""The work log: every change, signature and account change is an entry in a keyed hash chain, and
editing, deleting or reordering any row in the database is detected, naming the entry (SQLite and
PostgreSQL alike: the tampering is plain SQL on the real database)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from schema.base import now
from schema.models import WorkLogEntry
from sync.app import Salesync
from sync.cli import main
from sync.core.rows import show
from sync.domain import accounts
from sync.domain.worklog import SEALED, LogWriter, verify
from tests.conftest import PG_URL
from tests.signers import sign_off
from tests.workbooks import fill_template, master_rows


@pytest.fixture
def logged(app: Salesync, people: dict[str, str], tmp_path: Path) -> list[WorkLogEntry]:
    """A work log with account changes, a submitted, signed and applied change set."""
    sign_off(app, app.ingest(fill_template("project_master", master_rows(), tmp_path / "m.xlsx"), "operator"))
    with app.transaction() as session:
        entries = list(session.scalars(select(WorkLogEntry).order_by(WorkLogEntry.id)))
        assert verify(session).ok
    return entries


def cli(app: Salesync, *args: str) -> tuple[int, str]:
    """Run salesync on the test's database and data directory (where its audit key lives)."""
    db, data = app.config.database_url, str(app.config.data_dir)
    result = CliRunner().invoke(main, ["--db", db, "--data-dir", data, *args], catch_exceptions=False)
    return result.exit_code, result.output


DROP_APPEND_ONLY = {
    "postgresql": ["DROP TRIGGER IF EXISTS work_log_append_only ON work_log"],
    "sqlite": ["DROP TRIGGER IF EXISTS work_log_no_update", "DROP TRIGGER IF EXISTS work_log_no_delete"],
}


def sql(app: Salesync, statement: str, **params: object) -> None:
    """Tamper as a database administrator would: first drop the append-only triggers."""
    with app.engine.begin() as conn:
        for drop in DROP_APPEND_ONLY[app.engine.dialect.name]:
            conn.execute(text(drop))
        conn.execute(text(statement), params)


@pytest.mark.parametrize("statement", ["UPDATE work_log SET new = 'x'", "DELETE FROM work_log"])
def test_the_database_itself_refuses_to_change_or_delete_entries(
    app: Salesync, logged: list[WorkLogEntry], statement: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"), app.engine.begin() as conn:
        conn.execute(text(statement))
    assert report(app) == (None, None, None)


def report(app: Salesync) -> tuple[str | None, int | None, int | None]:
    with app.transaction() as session:
        r = verify(session)
        assert r.message()
        return r.problem, r.seq, r.entry_id


def test_every_applied_field_records_who_what_when_where_and_signers(
    app: Salesync, logged: list[WorkLogEntry]
) -> None:
    ops = [(e.entity, e.op) for e in logged]
    assert ops.count(("account", "create")) == 6  # the five people and the GM
    assert ops.count(("change_set", "submit")) == 1 and ops.count(("change_set", "sign")) == 2
    room = next(e for e in logged if e.entity == "room" and e.op == SEALED)  # the new rooms, sealed
    assert room.version_id is not None and room.change_set_id is not None
    assert room.signers == "gm,senior"
    sealed = json.loads(room.changes or "{}")
    assert sealed["table"] == "room" and sealed["count"] > 0
    assert [e.seq for e in logged] == list(range(1, len(logged) + 1))


def test_a_price_change_is_one_entry_per_field_with_old_and_new(
    app: Salesync, logged: list[WorkLogEntry], tmp_path: Path
) -> None:
    rows = master_rows()
    rows["房间"][0]["单价"], rows["房间"][0]["总价"] = 33000, round(33000 * rows["房间"][0]["建筑面积"], 2)
    sign_off(app, app.ingest(fill_template("project_master", rows, tmp_path / "v2.xlsx"), "operator"))
    with app.transaction() as session:
        changed = session.scalars(select(WorkLogEntry).where(WorkLogEntry.op == "change")).all()
        room = rows["房间"][0]
        old_total = show(round(32000 * room["建筑面积"], 2))
        assert sorted((e.key, e.field, e.old, e.new, e.signers) for e in changed) == [
            (room["房间编码"], "total_price", old_total, show(room["总价"]), "senior"),
            (room["房间编码"], "unit_price", "32000", "33000", "senior"),
        ]
        assert verify(session).ok


def test_an_intact_log_verifies_on_the_command_line(app: Salesync, logged: list[WorkLogEntry]) -> None:
    code, out = cli(app, "audit", "verify")
    assert code == 0 and f"共 {len(logged)} 条" in out


Tamper = Callable[[Salesync, list[WorkLogEntry]], tuple[str, int, int | None]]


def _edit(app: Salesync, log: list[WorkLogEntry]) -> tuple[str, int, int | None]:
    target = next(e for e in log if e.entity == "room")
    sql(app, "UPDATE work_log SET new = :v WHERE id = :id", v='{"单价": "1"}', id=target.id)
    return "log-edited", target.seq, target.id


def _edit_who(app: Salesync, log: list[WorkLogEntry]) -> tuple[str, int, int | None]:
    target = next(e for e in log if e.op == "sign")  # claim someone else signed
    sql(app, "UPDATE work_log SET account_id = account_id + 1 WHERE id = :id", id=target.id)
    return "log-edited", target.seq, target.id


def _delete_middle(app: Salesync, log: list[WorkLogEntry]) -> tuple[str, int, int | None]:
    target = log[7]
    sql(app, "DELETE FROM work_log WHERE id = :id", id=target.id)
    return "log-broken-link", target.seq, log[8].id  # the entry now in its place no longer follows


def _delete_first(app: Salesync, log: list[WorkLogEntry]) -> tuple[str, int, int | None]:
    sql(app, "DELETE FROM work_log WHERE id = :id", id=log[0].id)
    return "log-broken-link", 1, log[1].id


def _delete_last(app: Salesync, log: list[WorkLogEntry]) -> tuple[str, int, int | None]:
    sql(app, "DELETE FROM work_log WHERE id = :id", id=log[-1].id)
    return "log-missing-tail", log[-1].seq, None


def _reorder(app: Salesync, log: list[WorkLogEntry]) -> tuple[str, int, int | None]:
    a, b = log[4], log[5]
    sql(app, "UPDATE work_log SET id = :tmp WHERE id = :a", tmp=-1, a=a.id)
    sql(app, "UPDATE work_log SET id = :a WHERE id = :b", a=a.id, b=b.id)
    sql(app, "UPDATE work_log SET id = :b WHERE id = :tmp", b=b.id, tmp=-1)
    return "log-broken-link", a.seq, a.id  # b's content now sits first


def _forge_repair(app: Salesync, log: list[WorkLogEntry]) -> tuple[str, int, int | None]:
    """Edit an entry and recompute every later hash the way someone without the key could."""
    target = log[10]
    sql(app, "UPDATE work_log SET old = :v WHERE id = :id", v="forged", id=target.id)
    prev = target.prev_hash
    for e in log[10:]:
        digest = hashlib.sha256(f"{prev}{e.id}forged".encode()).hexdigest()
        sql(app, "UPDATE work_log SET prev_hash = :p, hash = :h WHERE id = :id", p=prev, h=digest, id=e.id)
        prev = digest
    sql(app, "UPDATE work_log_head SET hash = :h", h=prev)
    return "log-edited", target.seq, target.id


def _append_behind_the_head(app: Salesync, log: list[WorkLogEntry]) -> tuple[str, int, int | None]:
    last = log[-1]
    with Session(app.engine) as session, session.begin():
        extra = WorkLogEntry(
            seq=last.seq + 1,
            at=last.at,
            entity="room",
            key="X",
            op="add",
            changes="{}",
            prev_hash=last.hash,
            hash="f" * 64,
        )
        session.add(extra)
        session.flush()
        new_id = extra.id
    return "log-edited", last.seq + 1, new_id


@pytest.mark.parametrize(
    "tamper",
    [
        _edit,
        _edit_who,
        _delete_middle,
        _delete_first,
        _delete_last,
        _reorder,
        _forge_repair,
        _append_behind_the_head,
    ],
)
def test_tampering_with_the_database_is_detected_and_named(
    app: Salesync, logged: list[WorkLogEntry], tamper: Tamper
) -> None:
    problem, seq, entry_id = tamper(app, logged)
    found = report(app)
    assert found[0] == problem
    if seq:
        assert found[1] == seq
    if entry_id is not None:
        assert found[2] == entry_id
    code, out = cli(app, "audit", "verify", "--json")
    assert code == 1
    payload = json.loads(out)
    assert payload["ok"] is False and payload["problem"] == problem and payload["message"]


def test_the_head_cannot_be_deleted_or_edited_silently(app: Salesync, logged: list[WorkLogEntry]) -> None:
    sql(app, "UPDATE work_log_head SET legacy = 5")
    assert report(app)[0] == "log-head-forged"
    sql(app, "DELETE FROM work_log_head")
    assert report(app)[0] == "log-head-missing"


def test_a_different_key_fails_verification(app: Salesync, logged: list[WorkLogEntry]) -> None:
    other = Salesync(app.config.with_(audit_key="someone else's secret"))
    try:
        with other.transaction() as session:
            assert not verify(session).ok
    finally:
        other.close()


def test_account_changes_are_logged(app: Salesync, people: dict[str, str]) -> None:
    with app.transaction() as session:
        accounts.disable_user(session, "rep_b")
    with app.transaction() as session:
        rows = session.execute(
            select(WorkLogEntry.entity, WorkLogEntry.key, WorkLogEntry.op).where(
                WorkLogEntry.entity == "account"
            )
        ).all()
        assert ("account", "rep_b", "disable") in rows and ("account", "rep_a", "create") in rows
        assert verify(session).ok


def test_writers_in_turn_extend_one_chain(app: Salesync, people: dict[str, str]) -> None:
    for i in range(3):
        with app.transaction() as session:
            LogWriter(session, None).append("test", str(i), "add", new=str(i))
    with app.transaction() as session:
        r = verify(session)
        assert r.ok and r.entries == 8


def test_legacy_entries_before_the_key_verify_only_as_sealed_by_the_head(app: Salesync) -> None:
    """Entries written by revision 0001 (unkeyed) stay verifiable once the first keyed entry seals them."""
    from sync.domain.worklog import GENESIS, _legacy_hash

    with app.transaction() as session:
        prev = GENESIS
        for seq in (1, 2):
            e = WorkLogEntry(
                seq=seq,
                at=now(),
                entity="room",
                key=f"R{seq}",
                op="add",
                changes="{}",
                prev_hash=prev,
                hash="",
            )
            e.hash = _legacy_hash(e)
            session.add(e)
            prev = e.hash
    with app.transaction() as session:
        assert verify(session).problem == "log-head-missing"
        LogWriter(session, None).append("test", "k", "add")
    with app.transaction() as session:
        r = verify(session)
        assert r.ok and (r.entries, r.legacy) == (3, 2) and "2" in r.message()


def test_export_writes_a_period_of_the_log_to_excel(
    app: Salesync, logged: list[WorkLogEntry], tmp_path: Path
) -> None:
    from tests.workbooks import today

    out = tmp_path / "日志.xlsx"
    code, output = cli(app, "audit", "export", "--from", today(), "--to", today(), "--out", str(out))
    assert code == 0, output
    wb = load_workbook(out)
    rows = list(wb["工作日志"].iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "时间（北京时间）", "操作人") and len(rows) == len(logged) + 1
    assert "新增" in {r[6] for r in rows[1:]}
    assert "完整" in str(wb["校验"]["B4"].value)
    code, output = cli(app, "audit", "export", "--to", "2020-01-01", "--out", str(out))
    assert code == 0 and "已导出 0 条" in output


@pytest.mark.skipif(
    not PG_URL, reason="concurrent writers wait on the head row's lock on PostgreSQL; SQLite has one writer"
)
def test_concurrent_writers_never_fork_the_chain(app: Salesync) -> None:
    """Writers lock the head row; (the very first entry's head is created once, by one writer)."""
    with app.transaction() as session:
        LogWriter(session, None).append("test", "first", "add")
    barrier = threading.Barrier(2)

    def write(name: str) -> None:
        for i in range(5):
            with app.transaction() as session:
                writer = LogWriter(session, None)
                barrier.wait(timeout=300)  # both transactions are open before either appends
                writer.append("test", f"{name}{i}", "add")
                time.sleep(0.01)

    threads = [threading.Thread(target=write, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    with app.transaction() as session:
        r = verify(session)
        assert r.ok and r.entries == 11, r.message()
