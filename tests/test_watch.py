"""The watcher on the real filesystem, in a thread of the test process: saves, stability, ignore
rules, folders, polling, a dead observer, Excel's owner file and the stamp that waits for it."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from schema.models import Customer, Workbook
from sync.app import Salesync
from sync.kinds import get_kind
from sync.pipeline.feedback import result_path
from sync.watch import observer as observer_module
from sync.xlsx.stamp import STAMP_SHEET
from sync.xlsx.templates import template_bytes
from tests.watching import (
    DEADLINE,
    excel_save,
    jobs,
    no_duplicate_versions,
    running_watcher,
    settled,
    sha,
    version_of,
    versions,
    wait_for,
)
from tests.workbooks import customer_rows, fill_template, master_rows


def workbook_bytes(tmp_path: Path, count: int, *, start: int = 0, note: str | None = None) -> bytes:
    rows = customer_rows(count, start=start)
    if note is not None:
        rows["客户"][0]["备注"] = note
    path = fill_template("customers", rows, tmp_path / "build" / f"{count}-{start}-{note}.xlsx")
    return path.read_bytes()


@pytest.fixture
def home(app: Salesync, people: dict[str, str]) -> Path:
    folder = app.config.drive_root / "SZ" / "rep_a"
    folder.mkdir(parents=True)
    return folder


def test_excel_style_save_is_one_ingest_of_the_new_content(app: Salesync, home: Path, tmp_path: Path) -> None:
    first, second = workbook_bytes(tmp_path, 3), workbook_bytes(tmp_path, 4)
    path = home / "客户登记.xlsx"
    with running_watcher(app, app.config.drive_root) as watcher:
        path.write_bytes(first)
        wait_for("the first save", lambda: version_of(app, sha(first)))
        settled(app, watcher)
        excel_save(path, second)
        wait_for("the Excel-style save", lambda: version_of(app, sha(second)))
        settled(app, watcher)
    new = [v for v in versions(app) if v.sha256 == sha(second)]
    assert len(new) == 1 and new[0].outcome == "accepted" and new[0].rows_total == 8
    assert [v.sha256 for v in versions(app)] == [sha(first), sha(second)]
    done = [j for j in jobs(app) if j.sha256 == sha(second)]
    assert [(j.state, j.verdict) for j in done] == [("done", "accepted")]
    assert result_path(path).exists()


def test_a_file_written_in_three_chunks_is_ingested_once_complete(
    app: Salesync, home: Path, tmp_path: Path
) -> None:
    data = workbook_bytes(tmp_path, 30)
    path = home / "客户登记.xlsx"
    third = len(data) // 3
    with running_watcher(app, app.config.drive_root) as watcher:
        with path.open("wb") as fh:
            for chunk in (data[:third], data[third : 2 * third], data[2 * third :]):
                fh.write(chunk)
                fh.flush()
                # a pause longer than the settle time: only the zip check holds the file back
                time.sleep(2.5 * watcher.settings.settle)
        wait_for("the complete file", lambda: version_of(app, sha(data)))
        settled(app, watcher)
    assert [(v.sha256, v.outcome) for v in versions(app)] == [(sha(data), "accepted")]
    # one job for the file as saved; salesync's stamped copy is seen too, and is nothing new
    assert [(j.sha256, j.verdict) for j in jobs(app) if j.verdict != "unchanged"] == [(sha(data), "accepted")]


def test_fifty_saves_in_five_seconds_leave_the_last_content(
    app: Salesync, home: Path, tmp_path: Path
) -> None:
    saves = [workbook_bytes(tmp_path, 3, note=f"第 {i} 次保存") for i in range(50)]
    path = home / "客户登记.xlsx"
    with running_watcher(app, app.config.drive_root) as watcher:
        for data in saves:  # about 3.5 s for the 50 (no timing is asserted: busy machines are slower)
            excel_save(path, data)
            time.sleep(0.06)
        wait_for("the last save", lambda: version_of(app, sha(saves[-1])))
        settled(app, watcher)
    no_duplicate_versions(app)
    assert len(versions(app)) < 50  # the burst collapsed
    with app.transaction() as session:
        notes = session.scalars(select(Customer.note).where(Customer.phone == "13900000000")).all()
    assert notes == ["第 49 次保存"]


def test_polling_alone_picks_up_every_change(app: Salesync, home: Path, tmp_path: Path) -> None:
    contents = [workbook_bytes(tmp_path, n) for n in (2, 3, 4)]
    other = home / "sub" / "另一本.xlsx"
    with running_watcher(app, app.config.drive_root, polling=True, rescan=3600) as watcher:
        assert watcher.observer_kind == "polling"
        path = home / "客户登记.xlsx"
        path.write_bytes(contents[0])  # a new file
        wait_for("a new file", lambda: version_of(app, sha(contents[0])))
        settled(app, watcher)
        path.write_bytes(contents[1])  # overwritten in place
        wait_for("an overwrite", lambda: version_of(app, sha(contents[1])))
        settled(app, watcher)
        other.parent.mkdir()
        excel_save(other, contents[2])  # in a new subfolder, saved the Excel way
        wait_for("a new subfolder", lambda: version_of(app, sha(contents[2])))
        settled(app, watcher)
    no_duplicate_versions(app)
    assert [v.sha256 for v in versions(app)] == [sha(c) for c in contents]


def test_native_observer_failure_falls_back_to_polling(
    app: Salesync,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Unavailable(observer_module.PollingObserver):
        def start(self) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(observer_module, "Observer", Unavailable)
    data = workbook_bytes(tmp_path, 2)
    with (
        caplog.at_level(logging.INFO, logger="salesync.watch"),
        running_watcher(app, app.config.drive_root) as watcher,
    ):
        assert watcher.observer_kind == "polling"
        (home / "客户登记.xlsx").write_bytes(data)
        wait_for("the save", lambda: version_of(app, sha(data)))
    assert any(getattr(r, "event", "") == "watch-observer-fallback" for r in caplog.records)


def test_a_dead_observer_is_restarted(
    app: Salesync, home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = workbook_bytes(tmp_path, 2)
    with (
        caplog.at_level(logging.INFO, logger="salesync.watch"),
        running_watcher(app, app.config.drive_root, rescan=3600) as watcher,
    ):
        dead = watcher.observer
        assert dead is not None
        dead.stop()
        dead.join(timeout=DEADLINE)
        wait_for("a new observer", lambda: watcher.observer is not None and watcher.observer is not dead)
        (home / "客户登记.xlsx").write_bytes(data)
        wait_for("the save after the restart", lambda: version_of(app, sha(data)))
    assert any(getattr(r, "event", "") == "watch-observer-restarted" for r in caplog.records)


def test_owner_files_temp_files_and_feedback_are_never_ingested(
    app: Salesync, home: Path, tmp_path: Path
) -> None:
    data = workbook_bytes(tmp_path, 2)
    with running_watcher(app, app.config.drive_root) as watcher:
        for name in (
            "~$客户登记.xlsx",
            ".~lock.客户登记.xlsx#",
            "客户登记.xlsx.tmp",
            "A1B2.tmp",
            "客户登记.反馈.xlsx",
        ):
            (home / name).write_bytes(data)
        (home / "ok.xlsx").write_bytes(workbook_bytes(tmp_path, 1))
        wait_for("the real workbook", lambda: len(versions(app)) == 1)
        settled(app, watcher)
    assert [Path(j.path).name for j in jobs(app)] == ["ok.xlsx"] or {
        Path(j.path).name for j in jobs(app)
    } == {"ok.xlsx"}


def test_unmapped_places_and_kinds_not_permitted_are_reported_not_ingested(
    app: Salesync, home: Path, tmp_path: Path
) -> None:
    root = app.config.drive_root
    customers = workbook_bytes(tmp_path, 2)
    master = fill_template("project_master", master_rows(), tmp_path / "build" / "项目资料.xlsx").read_bytes()
    stray, nobody, wrong_region = (
        root / "SZ" / "客户登记.xlsx",
        root / "SZ" / "nobody" / "a.xlsx",
        root / "BJ" / "rep_a" / "a.xlsx",
    )
    for path in (stray, nobody, wrong_region):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(customers)
    (home / "项目资料.xlsx").write_bytes(master)
    with running_watcher(app, root) as watcher:
        wait_for("four refusals", lambda: sum(j.state == "refused" for j in jobs(app)) == 4)
        settled(app, watcher)
    assert versions(app) == []
    refused = {Path(j.path).relative_to(root).as_posix(): j.code for j in jobs(app)}
    assert refused == {
        "SZ/客户登记.xlsx": "watch-unmapped",
        "SZ/nobody/a.xlsx": "watch-unmapped",
        "BJ/rep_a/a.xlsx": "watch-unmapped",
        "SZ/rep_a/项目资料.xlsx": "watch-not-permitted",
    }
    assert result_path(stray).exists() and result_path(home / "项目资料.xlsx").exists()


def test_blank_templates_are_skipped(app: Salesync, home: Path) -> None:
    (home / "客户登记.xlsx").write_bytes(template_bytes(get_kind("customers")))
    with running_watcher(app, app.config.drive_root) as watcher:
        wait_for("the template", lambda: [j.state for j in jobs(app)] == ["skipped"])
        settled(app, watcher)
    assert versions(app) == []


def _stamped_version(path: Path) -> int | None:
    wb = load_workbook(path, read_only=True)
    rows = {r[0]: r[1] for r in wb[STAMP_SHEET].iter_rows(values_only=True)}
    wb.close()
    value = rows.get("accepted_version")
    return int(value) if value is not None else None


def test_the_stamp_waits_for_excel_to_close_the_file(app: Salesync, home: Path, tmp_path: Path) -> None:
    data = workbook_bytes(tmp_path, 2)
    path, lock = home / "客户登记.xlsx", home / "~$客户登记.xlsx"
    lock.write_bytes(b"owner")
    with running_watcher(app, app.config.drive_root) as watcher:
        path.write_bytes(data)
        wait_for("the save", lambda: version_of(app, sha(data)))
        settled(app, watcher)
        assert path.read_bytes() == data  # Excel has it open: nothing written into it
        assert [j.stamp_pending for j in jobs(app)] == [True]
        assert result_path(path).exists()  # the result workbook beside it is written at once
        lock.unlink()
        wait_for("the stamp", lambda: path.read_bytes() != data and _stamped_version(path) == 1)
        settled(app, watcher)
    assert len(versions(app)) == 1  # the stamped file is a known digest, not a new version
    assert [j.stamp_pending for j in jobs(app) if j.sha256 == sha(data)] == [False]
    with app.transaction() as session:  # the stamp has reached the file: recorded on the workbook
        assert [(w.accepted_seq, w.stamped_seq) for w in session.scalars(select(Workbook))] == [(1, 1)]


def test_a_save_while_excel_holds_the_file_continues_its_workbook(
    app: Salesync, home: Path, tmp_path: Path
) -> None:
    first, second = workbook_bytes(tmp_path, 2), workbook_bytes(tmp_path, 3)
    path, lock = home / "客户登记.xlsx", home / "~$客户登记.xlsx"
    lock.write_bytes(b"owner")
    with running_watcher(app, app.config.drive_root) as watcher:
        path.write_bytes(first)
        wait_for("the first save", lambda: version_of(app, sha(first)))
        settled(app, watcher)
        path.write_bytes(second)  # saved again in Excel: still no stamp in it
        wait_for("the second save", lambda: version_of(app, sha(second)))
        settled(app, watcher)
        lock.unlink()
        wait_for("the stamp", lambda: _stamped_version(path) == 2)
        settled(app, watcher)
    with app.transaction() as session:
        books = session.scalars(select(Workbook)).all()
        assert [(w.accepted_seq, w.stamped_seq) for w in books] == [(2, 2)]


def test_a_restarted_watcher_does_not_read_recorded_files_again(
    app: Salesync, home: Path, tmp_path: Path
) -> None:
    data = workbook_bytes(tmp_path, 2)
    (home / "客户登记.xlsx").write_bytes(data)
    with running_watcher(app, app.config.drive_root) as watcher:
        wait_for("the save", lambda: version_of(app, sha(data)))
        settled(app, watcher)
    before = [(j.id, j.state) for j in jobs(app)]
    with running_watcher(app, app.config.drive_root) as watcher:
        settled(app, watcher)
        assert watcher.stabilizer.known  # learnt from the job table
    assert [(j.id, j.state) for j in jobs(app)] == before
