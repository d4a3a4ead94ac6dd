"""Hostile drive entries: FIFOs, devices and links out of a personal folder are refused with a
line in ``salesync status``; the watcher keeps going and the next good save is ingested."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.app import Salesync
from sync.cli import main
from sync.watch.status import folder_status
from sync.xlsx.admission import NotAdmitted, check_link, drive_root_of, read_file
from tests.watching import jobs, running_watcher, settled, sha, version_of, versions, wait_for
from tests.workbooks import customer_rows, fill_template

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and links as on a Linux share")


@pytest.fixture
def home(app: Salesync, people: dict[str, str]) -> Path:
    folder = app.config.drive_root / "SZ" / "rep_a"
    folder.mkdir(parents=True)
    return folder


def test_read_file_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "客户登记.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(NotAdmitted) as refused:
        read_file(fifo)  # would block forever if it were opened for reading
    assert refused.value.finding.params["what"] == "FIFO"
    with pytest.raises(NotAdmitted) as refused:
        read_file(Path("/dev/zero"))
    assert refused.value.finding.code == "file-not-regular"
    big = tmp_path / "big.xlsx"
    big.write_bytes(bytes(2048))
    with pytest.raises(NotAdmitted) as refused:
        read_file(big, max_bytes=1024)
    assert refused.value.finding.code == "file-oversize"
    assert read_file(big, max_bytes=2048) == bytes(2048)


def test_links_stay_inside_their_personal_folder(tmp_path: Path) -> None:
    root = tmp_path / "drive"
    mine, theirs = root / "SZ" / "rep_a", root / "SZ" / "rep_b"
    mine.mkdir(parents=True)
    theirs.mkdir(parents=True)
    (mine / "sub").mkdir()
    (mine / "sub" / "a.xlsx").write_bytes(b"x")
    (theirs / "b.xlsx").write_bytes(b"x")
    (tmp_path / "secret.txt").write_bytes(b"x")
    (mine / "ok.xlsx").symlink_to(mine / "sub" / "a.xlsx")
    (mine / "rel.xlsx").symlink_to(Path("sub") / "a.xlsx")
    (mine / "theirs.xlsx").symlink_to(theirs / "b.xlsx")
    (mine / "up.xlsx").symlink_to(Path("..") / "rep_b" / "b.xlsx")
    (mine / "看看.xlsx").symlink_to(tmp_path / "secret.txt")
    (mine / "dir").symlink_to(theirs)
    check_link(mine / "ok.xlsx", root)
    check_link(mine / "rel.xlsx", root)
    for name in ("theirs.xlsx", "up.xlsx", "看看.xlsx", "dir/b.xlsx"):
        with pytest.raises(NotAdmitted) as refused:
            check_link(mine / name, root)
        assert refused.value.finding.code == "file-link-outside", name


def test_watcher_refuses_hostile_entries_and_goes_on(app: Salesync, home: Path, tmp_path: Path) -> None:
    root = app.config.drive_root
    other = root / "SZ" / "rep_b"
    other.mkdir(parents=True)
    theirs = fill_template("customers", customer_rows(2, start=50), other / "客户登记.xlsx")
    secret = tmp_path / "secret.txt"
    secret.write_text("工资表")
    elsewhere = fill_template(
        "customers", customer_rows(2, start=70), tmp_path / "elsewhere" / "客户登记.xlsx"
    )
    before = elsewhere.read_bytes()
    os.mkfifo(home / "管道.xlsx")
    (home / "零.xlsx").symlink_to("/dev/zero")
    (home / "看看.xlsx").symlink_to(secret)
    (home / "别人的.xlsx").symlink_to(theirs)
    (home / "外面的.xlsx").symlink_to(elsewhere)
    good = fill_template("customers", customer_rows(3), tmp_path / "build" / "good.xlsx").read_bytes()

    with running_watcher(app, root) as watcher:
        wait_for(
            "five refusals",
            lambda: sum(j.state == "refused" and "rep_a" in j.folder for j in jobs(app)) == 5,
        )
        (home / "客户登记.xlsx").write_bytes(good)
        wait_for("the good save", lambda: version_of(app, sha(good)))
        settled(app, watcher)

    refused = {Path(j.path).name: j.code for j in jobs(app) if j.state == "refused"}
    assert refused == {
        "管道.xlsx": "file-not-regular",
        "零.xlsx": "file-link-outside",
        "看看.xlsx": "file-link-outside",
        "别人的.xlsx": "file-link-outside",
        "外面的.xlsx": "file-link-outside",
    }
    mine = [v for v in versions(app) if v.sha256 == sha(good)]
    assert len(mine) == 1 and mine[0].outcome == "accepted"
    assert not any(v.sha256 == sha(secret) for v in versions(app))
    assert elsewhere.read_bytes() == before  # never stamped
    assert sorted(p.name for p in elsewhere.parent.iterdir()) == ["客户登记.xlsx"]  # no feedback beside it
    status = next(s for s in folder_status(app) if s.folder == "SZ/rep_a")
    messages = {Path(e["file"]).name: e["message"] for e in status.errors}
    assert "不是普通文件（FIFO）" in messages["管道.xlsx"]
    assert "本人文件夹以外" in messages["看看.xlsx"]


def test_cli_ingest_of_a_fifo_is_one_line(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    fifo = tmp_path / "客户登记.xlsx"
    os.mkfifo(fifo)
    result = CliRunner().invoke(main, ["--db", app.config.database_url, "ingest", str(fifo), "--as", "rep_a"])
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1
    assert "不是普通文件" in result.output


def test_drive_root_of_a_recorded_job() -> None:
    assert drive_root_of(Path("/d/r/SZ/rep_a/sub/x.xlsx"), "SZ/rep_a") == Path("/d/r")
    assert drive_root_of(Path("/d/SZ/rep_a/SZ/rep_a/x.xlsx"), "SZ/rep_a") == Path("/d")
    assert drive_root_of(Path("/d/r/SZ/x.xlsx"), "SZ") is None
