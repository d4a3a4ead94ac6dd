"""Engines, sessions and migrations, identical on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings salesync relies on (SQLite: WAL, foreign keys, busy timeout)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            _create_private(Path(database))
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        event.listen(engine, "checkin", _detach_scratch)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _create_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only (600) before SQLite opens it; SQLite gives
    its -wal and -shm files the database file's mode. An existing file is left as it is."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


SCRATCH_KEY = "salesync.scratch"  # connection info: the scratch databases attached to it
SCRATCH_MAX = 6  # SQLite attaches at most 10 databases to a connection; leave room for others


def attach_scratch(connection: Any) -> tuple[str, Path] | None:
    """A new, empty scratch database file for a SQLite connection (a SQLAlchemy ``Connection``),
    to be filled by another writer and then attached to this connection with ``attach``.

    Returns the schema name it will have and its path, or None when the connection already holds
    as many as it may. A scratch database is read inside the caller's transaction, so it can be
    detached only once that has ended: the pool's check-in detaches and deletes them all."""
    info = connection.connection.info
    held: list[tuple[str, str]] = info.setdefault(SCRATCH_KEY, [])
    if len(held) >= SCRATCH_MAX:
        return None
    folder = tempfile.mkdtemp(prefix="salesync-scratch-")
    name = f"scratch_{len(held)}"
    held.append((name, folder))
    return name, Path(folder) / "rows.db"


def attach(connection: Any, name: str, path: Path) -> None:
    connection.connection.driver_connection.execute(f"ATTACH DATABASE ? AS {name}", (str(path),))


def _detach_scratch(dbapi_connection: Any, record: Any) -> None:
    """Detach and delete the scratch databases of a connection coming back to the pool."""
    held: list[tuple[str, str]] = record.info.pop(SCRATCH_KEY, [])
    for name, folder in held:
        if dbapi_connection is not None:  # never attached, or the connection is gone: only the file remains
            with contextlib.suppress(sqlite3.Error):
                dbapi_connection.execute(f"DETACH DATABASE {name}")
        shutil.rmtree(folder, ignore_errors=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to ``revision`` (creating it on an empty database)."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")
