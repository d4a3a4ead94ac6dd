"""A reconciliation upload that kills the reader's process costs that worker process, not the
portal: the page says the file cannot be read, nothing is written, and the next upload works."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from schema.models import ReconciliationRun, StoredFile, WorkbookVersion
from sync.app import Salesync
from sync.isolated import FAULTS_ENV, close_shared
from tests.manual_reports import REPORT_NAME, Rows, manual_report_file, synced_visits
from tests.web.conftest import csrf_token


def upload(client: FlaskClient, data: bytes, name: str) -> Any:
    token = csrf_token(client, "/reconcile/")
    fields: dict[str, Any] = {"csrf_token": token, "file": (io.BytesIO(data), name)}
    return client.post("/reconcile/upload", data=fields, content_type="multipart/form-data")


def count(app: Salesync, model: type[Any]) -> int:
    with app.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_upload_that_kills_the_reader_is_refused_and_the_portal_goes_on(
    app: Salesync,
    login: Callable[..., FlaskClient],
    people: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visits: Rows = synced_visits(app, people, tmp_path, 3)
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"毒.xlsx": "exit"}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv(FAULTS_ENV, str(faults))
    close_shared()  # a worker started now sees the fault file
    report = manual_report_file(visits, tmp_path / "built" / REPORT_NAME).read_bytes()
    before = [count(app, m) for m in (ReconciliationRun, WorkbookVersion, StoredFile)]
    client = login("manager")
    response = upload(client, report, "毒.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "无法读取此文件" in page and "exit code 134" in page
    assert [count(app, m) for m in (ReconciliationRun, WorkbookVersion, StoredFile)] == before
    response = upload(client, report, REPORT_NAME)  # a fresh worker reads the next one
    assert response.status_code == 302, response.get_data(as_text=True)
    assert count(app, ReconciliationRun) == before[0] + 1
    close_shared()
