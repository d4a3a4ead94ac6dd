"""Folders belong to people: ``salesync folders sync`` and ``salesync status``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sync.app import Salesync
from sync.cli import main
from sync.domain import accounts
from sync.domain.folders import sync_folders
from sync.kinds import all_kinds, get_kind
from sync.xlsx.templates import template_bytes
from tests.watching import running_watcher, settled, versions, wait_for
from tests.workbooks import customer_rows, fill_template


def templates_of(role: str) -> list[str]:
    """The files folders sync puts in a folder: hand-made reports go into its 对账/ subfolder."""
    return sorted(
        f"对账/{k.template_name}" if k.plan == "reconcile" else k.template_name
        for k in all_kinds().values()
        if role in {r.value for r in k.submit_roles}
    )


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_folders_sync_creates_personal_folders_with_the_templates_of_each_role(
    app: Salesync, people: dict[str, str]
) -> None:
    root = app.config.drive_root
    with app.transaction() as session:
        accounts.disable_user(session, "rep_b")
    (root / "SZ" / "rep_a").mkdir(parents=True)
    (root / "SZ" / "rep_a" / "客户登记.xlsx").write_bytes(b"the rep's own work")
    results = {r.account: r for r in sync_folders(app, root)}

    assert set(results) == {"rep_a", "operator", "manager", "senior"}  # rep_b is disabled
    own_work = root / "SZ" / "rep_a" / "客户登记.xlsx"
    assert own_work.read_bytes() == b"the rep's own work"  # never overwritten
    assert not results["rep_a"].created and results["operator"].created
    for username, role in [("rep_a", "sales_rep"), ("operator", "operator"), ("manager", "sales_manager")]:
        expected = templates_of(role)
        assert files_in(root / "SZ" / username) == expected
        put = sorted(str(p.relative_to(root / "SZ" / username)) for p in results[username].templates)
        assert put == [n for n in expected if (root / "SZ" / username / n) != own_work]
    assert "项目资料.xlsx" in templates_of("operator")
    assert (root / "SZ" / "operator" / "项目资料.xlsx").read_bytes() == template_bytes(
        get_kind("project_master")
    )
    assert not (root / "SZ" / "rep_b").exists()
    assert all(r.templates == [] for r in sync_folders(app, root))  # idempotent


def test_folders_sync_command(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--db", database_url]
    assert runner.invoke(main, [*base, "init"]).exit_code == 0
    assert runner.invoke(main, [*base, "region", "add", "SZ", "深圳"]).exit_code == 0
    result = runner.invoke(
        main,
        [
            *base,
            "user",
            "add",
            "zhangli",
            "--name",
            "张丽",
            "--role",
            "sales_rep",
            "--region",
            "SZ",
            "--password-stdin",
        ],
        input="s3cret-password\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, [*base, "folders", "sync", str(tmp_path / "drive")])
    assert result.exit_code == 0, result.output
    assert "已放入空白模板" in result.output
    assert (tmp_path / "drive" / "SZ" / "zhangli" / "客户登记.xlsx").exists()


def test_status_shows_each_folder_its_last_version_pending_and_errors(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    root = app.config.drive_root
    fill_template("customers", customer_rows(3), root / "SZ" / "rep_a" / "客户登记.xlsx")
    fill_template("customers", customer_rows(1, start=50), root / "SZ" / "stray.xlsx")
    with running_watcher(app, root) as watcher:
        wait_for("both files", lambda: len(versions(app)) == 1 and watcher.backlog == {})
        settled(app, watcher)
    url = app.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--db", url, "status", "--json"])
    assert result.exit_code == 0, result.output
    by_folder = {row["folder"]: row for row in json.loads(result.output)}
    rep = by_folder["SZ/rep_a"]
    assert (rep["account"], rep["last_file"], rep["last_version"], rep["last_outcome"], rep["pending"]) == (
        "rep_a",
        "客户登记.xlsx",
        1,
        "accepted",
        0,
    )
    assert rep["last_seen"].endswith("+08:00") and rep["errors"] == []
    assert [e["code"] for e in by_folder["SZ"]["errors"]] == ["watch-unmapped"]
    text = CliRunner().invoke(main, ["--db", url, "status"]).output
    assert "SZ/rep_a" in text and "已全部接收" in text and "不在任何在职账号的个人文件夹" in text


def test_folders_sync_never_writes_outside_the_drive(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    """Accounts made before the name rule (or rows edited in the database) with names that climb
    out of the drive, and a region folder that is a link elsewhere, get no folder and nothing written."""
    from sqlalchemy import update

    from schema.models import Account

    with app.transaction() as session:
        accounts.add_user(session, "rep_c", name="某人", roles=["sales_rep"], password="x" * 12, region="SZ")
        session.execute(update(Account).where(Account.username == "rep_c").values(username="../../../x"))
        accounts.add_region(session, "GZ", "广州")
        accounts.add_user(session, "gz_rep", name="某人", roles=["sales_rep"], password="x" * 12, region="GZ")
    root = tmp_path / "drive"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root.mkdir()
    (root / "GZ").symlink_to(outside, target_is_directory=True)
    before = sorted(p for p in tmp_path.rglob("*") if not p.is_relative_to(root))

    results = {r.account: r for r in sync_folders(app, root)}

    assert results["../../../x"].refused and results["gz_rep"].refused
    assert not results["rep_a"].refused and (root / "SZ" / "rep_a" / "客户登记.xlsx").exists()
    assert sorted(p for p in tmp_path.rglob("*") if not p.is_relative_to(root)) == before
    assert list(outside.iterdir()) == []
    url = app.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--db", url, "folders", "sync", str(root)])
    assert result.exit_code == 0 and "未建立 ../../../x 的个人文件夹" in result.output
