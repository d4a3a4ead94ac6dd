"""The hostile corpus through every door: ``salesync ingest``, the watcher and the portal's upload.
Each file gets one clear line, the process survives, nothing but the rejected version is written,
and the next good file is ingested."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import func, select

from schema.models import Customer, ReconciliationRun, StoredFile, VersionFinding
from sync.app import Salesync
from sync.cli import main
from tests.hostile.corpus import CORPUS, build, good_workbook
from tests.watching import jobs, running_watcher, settled, sha, version_of, versions, wait_for
from tests.web.conftest import csrf_token
from tests.web.conftest import login as login
from tests.web.conftest import portal as portal


def customers(app: Salesync) -> int:
    with app.transaction() as session:
        return session.scalar(select(func.count()).select_from(Customer)) or 0


def codes_of(app: Salesync, version_id: int) -> list[str]:
    with app.transaction() as session:
        return list(
            session.scalars(select(VersionFinding.code).where(VersionFinding.version_id == version_id))
        )


@pytest.mark.parametrize("case", list(CORPUS))
def test_cli(app: Salesync, people: dict[str, str], tmp_path: Path, case: str) -> None:
    path = tmp_path / "客户登记.xlsx"
    path.write_bytes(build(tmp_path, case))
    args = ["--db", app.config.database_url, "ingest", str(path), "--as", "rep_a"]

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    (version,) = versions(app)
    assert version.outcome == "rejected" and codes_of(app, version.id) == [CORPUS[case][1]]
    assert customers(app) == 0

    path.write_bytes(good_workbook(tmp_path))
    assert CliRunner().invoke(main, args).exit_code == 0
    assert customers(app) == 3


def test_watcher(app: Salesync, people: dict[str, str], tmp_path: Path) -> None:
    home = app.config.drive_root / "SZ" / "rep_a"
    home.mkdir(parents=True)
    hostile = {f"恶意{i:02d}.xlsx": case for i, case in enumerate(CORPUS)}
    for name, case in hostile.items():
        (home / name).write_bytes(build(tmp_path, case))
    good = good_workbook(tmp_path)

    with running_watcher(app, app.config.drive_root) as watcher:
        wait_for(
            "every hostile file to be handled",
            lambda: sum(j.state == "done" for j in jobs(app)) == len(hostile),
            timeout=300,
        )
        (home / "客户登记.xlsx").write_bytes(good)
        wait_for("the good save", lambda: version_of(app, sha(good)))
        settled(app, watcher)

    by_name = {Path(v.path).name: v for v in versions(app)}
    for name, case in hostile.items():
        version = by_name[name]
        assert (case, version.outcome, codes_of(app, version.id)) == (case, "rejected", [CORPUS[case][1]])
    assert by_name["客户登记.xlsx"].outcome == "accepted"
    assert len(by_name) == len(hostile) + 1
    assert customers(app) == 3


@pytest.mark.parametrize("case", list(CORPUS))
def test_portal_upload(
    app: Salesync, login: Callable[..., FlaskClient], people: dict[str, str], tmp_path: Path, case: str
) -> None:
    client = login("manager")
    token = csrf_token(client, "/reconcile/")
    fields = {"csrf_token": token, "file": (io.BytesIO(build(tmp_path, case)), "来电来访明细表.xlsx")}

    response = client.post("/reconcile/upload", data=fields, content_type="multipart/form-data")

    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Traceback" not in page
    with app.transaction() as session:
        written = [
            session.scalar(select(func.count()).select_from(m)) for m in (ReconciliationRun, StoredFile)
        ]
    assert written == [0, 0]
    assert client.get("/reconcile/").status_code == 200  # the portal is still up
