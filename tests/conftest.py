"""Shared fixtures: a real database per test (SQLite in a temp dir, or PostgreSQL when
``SALESYNC_TEST_DATABASE_URL`` names a server), the service object, and workbook builders."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sync.app import Salesync
from sync.core.config import Config
from sync.domain import accounts

PG_URL = os.environ.get("SALESYNC_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """A test that leaves a thread running fails."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    assert not leaked, f"leaked threads: {leaked}"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'salesync.db'}"
        return
    # One fresh PostgreSQL database per test: nothing leaks between tests.
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return Config(database_url=database_url, data_dir=tmp_path / "data", drive_root=tmp_path / "drive")


@pytest.fixture
def app(config: Config) -> Iterator[Salesync]:
    service = Salesync(config)
    service.init()
    yield service
    service.close()


PASSWORD = "correct horse battery"


@pytest.fixture
def people(app: Salesync) -> dict[str, str]:
    """A region with two reps, an operator, a manager and a senior manager."""
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        for username, name, roles in [
            ("rep_a", "张丽", ["sales_rep"]),
            ("rep_b", "李强", ["sales_rep"]),
            ("operator", "王芳", ["operator"]),
            ("manager", "赵敏", ["sales_manager"]),
            ("senior", "陈刚", ["senior_manager"]),
        ]:
            accounts.add_user(session, username, name=name, roles=roles, password=PASSWORD, region="SZ")
    return {"rep_a": "张丽", "rep_b": "李强", "operator": "王芳"}


@pytest.fixture
def smtp() -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) collecting every mail."""
    from tests.notifying import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def robots() -> Iterator[Any]:
    """A local HTTP receiver standing in for the 企业微信/钉钉/飞书 robot webhooks."""
    from tests.notifying import RobotServer

    server = RobotServer().start()
    yield server
    server.stop()


@pytest.fixture
def notify_app(tmp_path: Path, database_url: str, smtp: Any, robots: Any) -> Iterator[Salesync]:
    """The service configured to mail through ``smtp`` and post robot messages to ``robots``."""
    config = Config(
        database_url=database_url,
        data_dir=tmp_path / "data",
        drive_root=tmp_path / "drive",
        notify={
            "base_url": "https://portal.example.com",
            "smtp": smtp.url,
            "robots": {"销售群": robots.url("wecom"), "财务群": robots.url("dingtalk")},
            "backoff": 0.01,
        },
    )
    service = Salesync(config)
    service.init()
    yield service
    service.close()
