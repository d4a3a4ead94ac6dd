"""The retention policy of kept files: by default everything is kept; when configured, old
versions' bytes are dropped — never a workbook's accepted or latest version — and each dropped
file's digest, size and versions go into the work log, which still verifies."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, update

from schema.base import now
from schema.models import StoredFile, WorkbookVersion, WorkLogEntry
from sync.app import Salesync
from sync.cli import main
from sync.domain.kept_files import candidates, compact
from sync.domain.worklog import verify
from tests.workbooks import customer_rows, fill_template


def cli(app: Salesync, *args: str) -> tuple[int, str]:
    db, data = app.engine.url.render_as_string(hide_password=False), str(app.config.data_dir)
    result = CliRunner().invoke(main, ["--db", db, "--data-dir", data, *args])
    return result.exit_code, result.output


def three_saves(app: Salesync, tmp_path: Path) -> list[WorkbookVersion]:
    path = tmp_path / "drive" / "客户登记.xlsx"
    for count in (2, 3, 4):
        fill_template("customers", customer_rows(count), path)
        app.ingest(path, "rep_a", write_back=False)
    with app.transaction() as session:
        versions = list(session.scalars(select(WorkbookVersion).order_by(WorkbookVersion.id)))
        session.execute(update(WorkbookVersion).values(seen_at=now() - timedelta(days=40)))
        session.expunge_all()
    return versions


def test_by_default_everything_is_kept(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    three_saves(app, tmp_path)
    code, out = cli(app, "files", "compact")
    assert code == 0 and "保留所有版本" in out
    with app.transaction() as session:
        assert all(s.content for s in session.scalars(select(StoredFile)))


def test_old_versions_bytes_are_dropped_with_their_digests_in_the_work_log(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    versions = three_saves(app, tmp_path)
    assert len({v.workbook_id for v in versions}) == 1 and [v.seq for v in versions] == [1, 2, 3]
    assert candidates(app, timedelta(days=60)) == []  # not old enough
    code, out = cli(app, "files", "compact", "--older-than", "30", "--dry-run")
    assert code == 0 and "将清除 2 个文件" in out
    done = compact(app, timedelta(days=30))
    assert sorted(done.digests) == sorted(v.sha256 for v in versions[:2])
    with app.transaction() as session:
        kept = {s.sha256: bool(s.content) for s in session.scalars(select(StoredFile))}
        assert kept == {versions[0].sha256: False, versions[1].sha256: False, versions[2].sha256: True}
        logged = session.scalars(select(WorkLogEntry).where(WorkLogEntry.op == "compact")).all()
        assert sorted(e.key for e in logged) == sorted(done.digests)
        first = next(e for e in logged if e.key == versions[0].sha256)
        assert json.loads(first.changes)["versions"][0]["seq"] == 1
        assert verify(session).ok
    assert compact(app, timedelta(days=30)).files == 0  # nothing twice
    code, out = cli(app, "audit", "verify")
    assert code == 0, out
