"""What the benchmarks share: a fresh database per run and an initialised salesync with one rep."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def fresh_database(url: str | None, tmp: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in ``tmp``, or a new database on the given PostgreSQL server."""
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def salesync_app(db_url: str, tmp: Path) -> Any:
    """An initialised Salesync with region SZ and the rep ``rep_a`` (not timed)."""
    from sync.app import Salesync
    from sync.core.config import Config
    from sync.domain import accounts

    app = Salesync(Config(database_url=db_url, data_dir=tmp / "data", drive_root=tmp / "drive"))
    app.init()
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        accounts.add_user(
            session, "rep_a", name="张丽", roles=["sales_rep"], password="bench-only", region="SZ"
        )
    return app
