"""The command line, run as a user runs it (through Click's runner, on a real database)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sync.cli import main
from tests.workbooks import customer_rows, fill_template

README = Path(__file__).resolve().parent.parent / "README.md"


def invoke(db: str, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", db, *args], input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_accounts_and_ingest_end_to_end(database_url: str, tmp_path: Path) -> None:
    assert invoke(database_url, "init")[0] == 0
    assert invoke(database_url, "init")[0] == 0  # idempotent
    assert invoke(database_url, "region", "add", "SZ", "深圳地区公司")[0] == 0
    code, out = invoke(
        database_url,
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
        input="s3cret-password\n",
    )
    assert code == 0, out
    path = fill_template("customers", customer_rows(4), tmp_path / "客户登记.xlsx")
    code, out = invoke(database_url, "ingest", str(path), "--as", "zhangli", "--json")
    assert code == 0, out
    payload = json.loads(out)
    assert payload["verdict"] == "accepted" and payload["counts"]["rows"] == 8 and payload["version"] == 1

    rows = customer_rows(2, start=10)
    rows["客户"][1]["手机号码"] = "12345"
    bad = fill_template("customers", rows, tmp_path / "bad.xlsx")
    code, out = invoke(database_url, "ingest", str(bad), "--as", "zhangli", "--json")
    assert code == 1
    findings = json.loads(out)["findings"]
    assert [(f["code"], f["sheet"], f["row"], f["header"]) for f in findings] == [
        ("phone-invalid", "客户", 3, "手机号码"),
        ("event-unknown-customer", "客户事件", 3, "手机号码"),
    ]
    assert all(f["message"] for f in findings)

    assert invoke(database_url, "user", "disable", "zhangli")[0] == 0
    code, out = invoke(database_url, "user", "list", "--json")
    assert json.loads(out)[0]["active"] is False
    code, out = invoke(
        database_url,
        "ingest",
        str(fill_template("customers", customer_rows(1, start=50), tmp_path / "late.xlsx")),
        "--as",
        "zhangli",
    )
    assert code == 2 and "已停用" in out


def test_user_add_refuses_to_prompt_without_a_terminal(database_url: str) -> None:
    invoke(database_url, "init")
    invoke(database_url, "region", "add", "SZ", "深圳")
    result = CliRunner().invoke(
        main,
        ["--db", database_url, "user", "add", "x", "--name", "X", "--role", "sales_rep", "--region", "SZ"],
        input="",
    )
    assert result.exit_code == 2 and "--password-stdin" in result.output


def test_unknown_account_is_a_clear_error(database_url: str, tmp_path: Path) -> None:
    invoke(database_url, "init")
    path = fill_template("customers", customer_rows(1), tmp_path / "a.xlsx")
    code, out = invoke(database_url, "ingest", str(path), "--as", "nobody")
    assert code == 4 and "账号不存在：nobody" in out


def test_templates_command_regenerates_identical_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["templates", "--out", str(tmp_path)])
    assert result.exit_code == 0
    shipped = Path(__file__).resolve().parent.parent / "templates_xlsx"
    for made in tmp_path.glob("*.xlsx"):
        assert made.read_bytes() == (shipped / made.name).read_bytes()


def test_docs_are_generated_from_the_specs() -> None:
    from sync.tools import docs

    assert docs.DOCS_PATH.read_text(encoding="utf-8") == docs.render(), "run `salesync docs`"


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            names += _commands(command, f"{full} ")
        else:
            names.append(full)
    return names


def test_every_command_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"`salesync ([a-z]+(?: [a-z]+)?)", readme))
    missing = [c for c in _commands(main) if c not in documented]
    assert not missing, f"README lacks: {missing}"


def with_rep(db: str) -> None:
    """An initialised database with region SZ and the sales rep zhangli, made through the CLI."""
    invoke(db, "init")
    invoke(db, "region", "add", "SZ", "深圳")
    invoke(
        db,
        *("user", "add", "zhangli", "--name", "张丽", "--role", "sales_rep", "--region", "SZ"),
        "--password-stdin",
        input="s3cret-password\n",
    )


def test_ingest_shows_its_stages_on_stderr_and_the_results_on_stdout(
    database_url: str, tmp_path: Path
) -> None:
    with_rep(database_url)
    first = fill_template("customers", customer_rows(3), tmp_path / "客户登记.xlsx")
    second = fill_template("customers", customer_rows(2, start=10), tmp_path / "客户登记2.xlsx")
    runner = CliRunner()
    args = ["--db", database_url, "ingest", str(first), str(second), "--as", "zhangli"]
    shown = runner.invoke(main, [*args, "--progress"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert shown.stderr.startswith("同步")  # the bar (drawn only on a terminal), on stderr only
    assert "同步" not in shown.stdout
    assert shown.stdout.count("已全部接收") == 2, shown.stdout  # both results, after the bar

    quiet = runner.invoke(main, [*args, "--no-progress"], catch_exceptions=False)
    assert quiet.stderr == ""  # not a terminal, or told not to: no bar


def test_ingest_reports_each_stage_as_it_begins(app, people, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sync.pipeline.progress import STAGES

    stages: list[str] = []
    path = fill_template("customers", customer_rows(3), tmp_path / "客户登记.xlsx")
    app.ingest(path, "rep_a", progress=stages.append)
    assert stages == list(STAGES)

    stages.clear()
    app.ingest(path, "rep_a", write_back=False, progress=stages.append)  # same bytes as written back
    assert stages == []  # known bytes: nothing to do

    stages.clear()
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    app.ingest(broken, "rep_a", write_back=False, progress=stages.append)
    assert stages == ["read", "commit"]  # refused whole: never checked or written


def test_many_findings_of_one_code_are_counted_after_the_first_twenty(
    database_url: str, tmp_path: Path
) -> None:
    with_rep(database_url)
    rows = customer_rows(25, first_contact="2026-09-30")  # every one entered late
    rows["客户"][4]["手机号码"] = "12345"
    path = fill_template("customers", rows, tmp_path / "客户登记.xlsx")

    code, out = invoke(database_url, "ingest", str(path), "--as", "zhangli", "--no-write-back")
    assert code == 1, out
    lines = out.splitlines()
    assert sum("[late-entry] 客户!" in line for line in lines) == 20
    assert "  [late-entry] 另有 4 条同类问题未列出，完整列表见 --json 输出" in lines
    assert sum("[phone-invalid]" in line for line in lines) == 1  # under the limit: listed, no count line

    again = fill_template(
        "customers", customer_rows(25, start=100, first_contact="2026-09-30"), tmp_path / "b.xlsx"
    )
    code, out = invoke(database_url, "ingest", str(again), "--as", "zhangli", "--json", "--no-write-back")
    assert code == 0
    assert sum(f["code"] == "late-entry" for f in json.loads(out)["findings"]) == 25  # --json lists them all


def _not_done(*args: str) -> tuple[int, str]:
    """Run the command as a script would, stdout and stderr together; any traceback would show."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_operational_errors_exit_4_with_one_line(tmp_path: Path) -> None:
    typo = tmp_path / "salesync.toml"
    typo.write_text('[salesync]\ndatabse_url = "sqlite:///elsewhere.db"\n', encoding="utf-8")
    code, out = _not_done("--config", str(typo), "init")
    assert code == 4 and "databse_url" in out and "database_url" in out, out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out

    (tmp_path / "a-file").write_text("not a folder")
    unreachable = f"sqlite:///{tmp_path / 'a-file' / 'salesync.db'}"
    code, out = _not_done("--db", unreachable, "init")
    assert code == 4 and len(out.strip().splitlines()) == 1, out

    blank = f"sqlite:///{tmp_path / 'blank.db'}"
    code, out = _not_done("--db", blank, "region", "add", "SZ", "深圳")
    assert code == 4 and "数据库尚未初始化" in out and len(out.strip().splitlines()) == 1, out

    code, out = _not_done("--db", blank, "init", "--no-such-option")
    assert code == 2, out  # a usage error stays Click's 2


def test_a_database_server_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    code, out = _not_done("--db", "postgresql+psycopg://nobody@127.0.0.1:1/salesync", "init")
    assert code == 4 and out.startswith("Error: 数据库无法访问：") and len(out.strip().splitlines()) == 1, out
