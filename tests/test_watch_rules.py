"""The watcher's building blocks on real files: which names are workbooks, whose folder a file is in,
and when a file is stable enough to read."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.watch.rules import Place, is_candidate, place_of
from sync.watch.stable import Stabilizer, opens_as_zip
from tests.workbooks import customer_rows, fill_template


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("客户登记.xlsx", True),
        ("旧表.xls", True),
        ("宏.xlsm", True),
        ("~$客户登记.xlsx", False),  # Excel's owner file
        (".~lock.客户登记.xlsx#", False),  # LibreOffice's
        ("客户登记.xlsx.tmp", False),
        ("A1B2C3D4", False),  # Excel's temp file during a save
        ("客户登记.反馈.xlsx", False),  # our result workbook
        (".~salesync-0123abcd.tmp", False),  # our own half-written file
        (".hidden.xlsx", False),
        ("notes.txt", False),
    ],
)
def test_which_files_are_workbooks(name: str, expected: bool, tmp_path: Path) -> None:
    assert is_candidate(tmp_path / "SZ" / "rep_a" / name, tmp_path) is expected


def test_files_in_hidden_folders_or_outside_the_root_are_not_candidates(tmp_path: Path) -> None:
    assert not is_candidate(tmp_path / "SZ" / ".Trash" / "a.xlsx", tmp_path)
    assert not is_candidate(tmp_path.parent / "elsewhere.xlsx", tmp_path)


def test_a_file_belongs_to_the_personal_folder_it_is_in(tmp_path: Path) -> None:
    assert place_of(tmp_path, tmp_path / "SZ" / "rep_a" / "a.xlsx") == Place("SZ/rep_a", "SZ", "rep_a")
    assert place_of(tmp_path, tmp_path / "SZ" / "rep_a" / "2026" / "a.xlsx") == Place(
        "SZ/rep_a", "SZ", "rep_a"
    )
    assert place_of(tmp_path, tmp_path / "SZ" / "a.xlsx") == Place("SZ", None, None)
    assert place_of(tmp_path, tmp_path / "a.xlsx") == Place("", None, None)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_ready_only_when_stable_across_polls_and_a_whole_zip(tmp_path: Path) -> None:
    data = fill_template("customers", customer_rows(2), tmp_path / "src.xlsx").read_bytes()
    path = tmp_path / "a.xlsx"
    clock = Clock()
    stabilizer = Stabilizer(settle=1.0, corrupt_after=5.0, clock=clock)

    path.write_bytes(data[: len(data) // 2])  # half written, then the writer pauses
    stabilizer.touch(path)
    assert stabilizer.tick() == []  # first sight
    clock.now = 2.0
    assert stabilizer.tick() == []  # stable, but not a whole zip
    assert not opens_as_zip(path.read_bytes())

    path.write_bytes(data)  # the rest arrives
    clock.now = 2.5
    assert stabilizer.tick() == []  # changed: the clock starts again
    clock.now = 3.0
    assert stabilizer.tick() == []  # not yet settled
    clock.now = 3.6
    [ready] = stabilizer.tick()
    assert ready.data == data and ready.size == len(data) and len(stabilizer) == 0


def test_a_file_that_never_becomes_a_zip_is_handed_on_for_its_feedback(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"not a workbook at all")
    clock = Clock()
    stabilizer = Stabilizer(settle=1.0, corrupt_after=5.0, clock=clock)
    stabilizer.touch(path)
    stabilizer.tick()
    clock.now = 4.0
    assert stabilizer.tick() == []
    clock.now = 5.5
    assert [r.path for r in stabilizer.tick()] == [path]


def test_a_deleted_file_is_forgotten_and_known_content_is_not_read_again(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"x")
    clock = Clock()
    stabilizer = Stabilizer(settle=1.0, corrupt_after=1.0, clock=clock)
    stabilizer.touch(path)
    stabilizer.tick()
    path.unlink()
    assert stabilizer.tick() == [] and len(stabilizer) == 0

    path.write_bytes(b"y")
    st = path.stat()
    stabilizer.known[path] = (st.st_size, st.st_mtime_ns)
    assert not stabilizer.changed(path)
    stabilizer.touch(path)
    stabilizer.tick()
    clock.now = 2.0
    assert stabilizer.tick() == [] and len(stabilizer) == 0


def test_polling_is_chosen_by_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sync.core.config import Config

    monkeypatch.delenv("SALESYNC_WATCH_POLLING", raising=False)
    monkeypatch.delenv("SALESYNC_WATCH_POLL_INTERVAL", raising=False)
    toml = tmp_path / "salesync.toml"
    toml.write_text("[salesync]\nwatch_polling = true\nwatch_poll_interval = 2.5\n", encoding="utf-8")
    config = Config.load(config_file=toml, data_dir=tmp_path)
    assert (config.watch_polling, config.watch_poll_interval) == (True, 2.5)
    monkeypatch.setenv("SALESYNC_WATCH_POLLING", "0")
    assert Config.load(config_file=toml, data_dir=tmp_path).watch_polling is False
    assert Config.load(data_dir=tmp_path).watch_polling is False
