"""``salesync backup`` then ``salesync restore`` into a fresh database: every table's rows come back,
the work log verifies, and a restore never goes into a database that already holds data."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sync.app import Salesync
from sync.cli import main
from sync.core.config import Config
from sync.domain.backup import table_counts
from tests.conftest import PG_URL
from tests.signers import sign_off
from tests.workbooks import customer_rows, fill_template, master_rows


def cli(db: str, data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", db, "--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test's."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'restored' / 'salesync.db'}"
        return
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_restore is not installed")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"r_{tmp_path.name[-20:].lower().replace('-', '_')}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_backup_restored_into_a_fresh_database_verifies_and_counts_match(
    app: Salesync, people: dict[str, str], tmp_path: Path, fresh_url: str
) -> None:
    sign_off(app, app.ingest(fill_template("project_master", master_rows(), tmp_path / "m.xlsx"), "operator"))
    app.ingest(fill_template("customers", customer_rows(5), tmp_path / "c.xlsx"), "rep_a")
    before = table_counts(app.engine)
    assert before["work_log"] > 0 and before["stored_file"] == 2 and before["customer"] == 5
    db, data = app.engine.url.render_as_string(hide_password=False), app.config.data_dir
    target = tmp_path / "backups" / "salesync.backup"
    code, out = cli(db, data, "backup", str(target))
    assert code == 0 and target.exists(), out
    assert cli(db, data, "backup", str(target))[0] == 4  # never over an existing backup: not done

    code, out = cli(fresh_url, data, "restore", str(target))  # the same data dir: the same audit key
    assert code == 0, out
    restored = Salesync(Config(database_url=fresh_url, data_dir=data, drive_root=tmp_path / "d"))
    try:
        assert table_counts(restored.engine) == before
    finally:
        restored.close()
    code, out = cli(fresh_url, data, "audit", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"], out
    code, out = cli(fresh_url, data, "restore", str(target))  # now it holds data: refused, one line
    assert code == 4 and "只能恢复到一个新的空数据库" in out and "Traceback" not in out
