"""A signed change set applied set-based writes what the row-by-row apply wrote, row for row, on a
generated project of a few thousand rooms: an initial load, then a later change that re-prices,
moves statuses and removes rooms, then one that brings the removed rooms back. A big load shows its
progress, and fails whole."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schema.models import ChangeSet, Room, RoomStatusChange, WorkLogEntry
from sync.app import Salesync
from sync.cli import main
from sync.core.rows import show
from sync.domain import changeset_apply, sealed_audit, signing
from sync.domain.changeset_apply import apply_in_bulk
from sync.domain.changesets import MODELS, apply_change_set, content_hash, row_text
from sync.domain.worklog import LogWriter, verify
from sync.kinds.project_master import KIND
from sync.pipeline import kept_rows
from sync.plans.master_rows import row_texts, shown
from sync.tools.examples import write_project_master
from tests.conftest import PASSWORD
from tests.sealed_logs import MASTER_ENTITIES, compare, sealed_keys
from tests.signers import GM, ensure_gm, sign_off

ROOMS = 3000


class Undo(Exception):
    """Raised to roll the reference apply back."""


Snapshot = dict[str, list[dict[str, Any]]]


def snapshot(session: Session, change_set_id: int) -> Snapshot:
    """Every master-data row (without its id and with a removal's time as a yes/no), the room
    status history master data wrote, and the change set's work-log entries, in id order."""
    out: Snapshot = {}
    for entity, model in MODELS.items():
        table = model.__table__
        columns = [c for c in table.c if c.name != "id"]
        rows = session.execute(select(*columns).order_by(table.c.id)).mappings()
        out[entity] = [{**r, "removed_at": r["removed_at"] is not None} for r in rows]
    moves = select(
        RoomStatusChange.room_code,
        RoomStatusChange.from_status,
        RoomStatusChange.to_status,
        RoomStatusChange.account_id,
        RoomStatusChange.version_id,
        RoomStatusChange.cause,
        RoomStatusChange.business_date,
    ).order_by(RoomStatusChange.id)
    out["room_status_change"] = [dict(r) for r in session.execute(moves).mappings()]
    e = WorkLogEntry
    log = (
        select(e.account_id, e.entity, e.key, e.op, e.field, e.old, e.new, e.changes, e.version_id, e.signers)
        .where(e.change_set_id == change_set_id, e.op.in_(["add", "change", "remove"]))
        .order_by(e.id)
    )
    out["work_log"] = [dict(r) for r in session.execute(log).mappings()]
    return out


def reference(app: Salesync, change_set_id: int) -> Snapshot:
    """What the row-by-row apply writes, read in its transaction, which is then rolled back."""
    taken: Snapshot = {}
    with pytest.raises(Undo), app.transaction() as session:
        cs = session.get_one(ChangeSet, change_set_id)
        log = LogWriter(
            session,
            cs.version.account_id,
            cs.version_id,
            cs.id,
            signers=[GM, "senior"] if cs.is_initial else ["senior"],
        )
        apply_change_set(session, cs, log)
        session.flush()
        taken.update(snapshot(session, change_set_id))
        raise Undo
    return taken


def submit(app: Salesync, path: Path) -> int:
    outcome = app.ingest(path, "operator", write_back=False)
    assert outcome.change_set_id is not None, outcome.findings
    return outcome.change_set_id


def both_ways(app: Salesync, change_set_id: int) -> Snapshot:
    """Apply by the reference (rolled back), then by signing (set-based); the rows must be equal."""
    expected = reference(app, change_set_id)
    sign_off(app, _Outcome(change_set_id))
    with app.transaction() as session:
        got = snapshot(session, change_set_id)
        assert verify(session).ok
        sealed = sealed_keys(session, MASTER_ENTITIES, "/")
        version = session.get_one(ChangeSet, change_set_id).version_id
        deep = sealed_audit.verify(session, kept_rows.applied_row)
        assert deep.ok, deep.message("en")
    # the new rows are sealed by digest: each stands for one of the reference's "add" entries
    compare(
        got["work_log"],
        expected["work_log"],
        sealed,
        ignore=(),
        row_op="add",
        entities=MASTER_ENTITIES,
        versions={version},
    )
    for table in expected:
        if table == "work_log":
            continue
        assert len(got[table]) == len(expected[table]), table
        assert got[table] == expected[table], table
    return got


class _Outcome:
    """What ``sign_off`` reads of an ingest's outcome."""

    def __init__(self, change_set_id: int) -> None:
        self.change_set_id = change_set_id


def edited(source: Path, target: Path, rows: range, change: dict[str, Any], drop: range = range(0)) -> Path:
    """A copy of ``source`` with the 房间 rows ``rows`` (Excel rows) changed and ``drop`` deleted."""
    book = load_workbook(source)
    sheet = book[KIND.sheet("room").name]
    headers = [c.value for c in sheet[1]]
    for row in rows:
        for header, value in change.items():
            sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    if drop:
        sheet.delete_rows(drop.start, len(drop))
    note = book[KIND.sheet("instruction").name]
    note.cell(row=2, column=3, value=f"{note.cell(row=2, column=3).value}（{target.stem}）")
    book.save(target)
    return target


def test_set_based_apply_writes_what_the_row_by_row_apply_wrote(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    ensure_gm(app)
    first = write_project_master(tmp_path / "v1.xlsx", rooms=ROOMS, buildings=6, seed=3)
    initial = both_ways(app, submit(app, first))
    assert len(initial["room"]) == ROOMS and len(initial["work_log"]) < 10  # the new rows: sealed
    assert [r["status"] for r in initial["room"]] == [r["initial_status"] for r in initial["room"]]

    change = {"朝向": "东南", "户型": "四房两厅", "初始状态": "不可售"}
    later = edited(first, tmp_path / "v2.xlsx", range(2, 202), change, range(900, 960))
    changed = both_ways(app, submit(app, later))
    assert {r["op"] for r in changed["work_log"]} == {"change", "remove"}
    moved = [r for r in changed["work_log"] if r["field"] == "initial_status"]
    assert len(changed["room_status_change"]) == len(moved) > 100
    assert sum(r["removed_at"] for r in changed["room"]) == 60  # kept, never erased

    back = edited(first, tmp_path / "v3.xlsx", range(0), {})
    returned = both_ways(app, submit(app, back))
    assert {r["op"] for r in returned["work_log"]} == {"add", "change"}
    assert not any(r["removed_at"] for r in returned["room"])


def test_the_fast_texts_are_the_texts_signers_sign(tmp_path: Path) -> None:
    sheet = KIND.sheet("room")
    values: list[Any] = [None, "", 'a"b\\c\n', "中文", 1.005, 0.1 + 0.2, -0.0, 12345678.125, 3, True, False]
    values += [Decimal("1.50"), dt.date(2026, 2, 1), dt.datetime(2026, 2, 1, 8, 30), float("nan")]
    assert shown(values) == [show(v) for v in values]
    columns = {
        f: [show(values[(n + k) % len(values)]) for k in range(len(values))]
        for n, f in enumerate(sheet.fields)
    }
    rows = [{f: columns[f][k] for f in sheet.fields} for k in range(len(values))]
    assert row_texts(sheet, columns) == [row_text(sheet, r) for r in rows]
    assert all(json.loads(t) for t in row_texts(sheet, columns))


def test_a_big_load_shows_its_progress_and_applies_whole(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    ensure_gm(app)
    cs_id = submit(app, write_project_master(tmp_path / "big.xlsx", rooms=ROOMS, buildings=6))
    with app.transaction() as session:
        assert signing.sign(session, cs_id, "senior", PASSWORD).missing == ["地区总经理"]

    # a failure in the middle of the work log (the new rows' seal) leaves nothing applied
    real = changeset_apply.seal_batch

    def failing(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise RuntimeError("database went away mid-apply")

    heard: list[tuple[int, int]] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(changeset_apply, "seal_batch", failing)
        with pytest.raises(RuntimeError), app.transaction() as session:
            signing.sign(
                session, cs_id, GM, PASSWORD, progress=lambda done, total: heard.append((done, total))
            )
    assert heard  # it had begun writing
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Room)) == 0
        assert session.get_one(ChangeSet, cs_id).status == "待签"

    db, data = app.config.database_url, str(app.config.data_dir)
    result = CliRunner().invoke(
        main,
        [
            "--db",
            db,
            "--data-dir",
            data,
            "changes",
            "sign",
            str(cs_id),
            "--as",
            GM,
            "--password-stdin",
            "--progress",
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "变更单生效，写入" in result.stderr
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Room)) == ROOMS
        cs = session.get_one(ChangeSet, cs_id)
        assert cs.status == "已生效" and content_hash(cs) == cs.content_hash


def test_progress_counts_up_to_the_whole_load(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    cs_id = submit(app, write_project_master(tmp_path / "big.xlsx", rooms=ROOMS, buildings=6))
    heard: list[tuple[int, int]] = []
    with app.transaction() as session:
        cs = session.get_one(ChangeSet, cs_id)
        log = LogWriter(session, cs.version.account_id, cs.version_id, cs.id)
        written = apply_in_bulk(session, cs, log, progress=lambda done, total: heard.append((done, total)))
    total = heard[-1][1]
    assert heard[-1] == (total, total) and total == 2 * written  # the rows, then their log entries
    assert [d for d, _ in heard] == sorted(d for d, _ in heard) and len(heard) > 3
