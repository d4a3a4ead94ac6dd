"""``salesync backup`` and ``salesync restore``: the whole database in one file, and back.

SQLite: SQLite's online backup API copies the database page by page while the watcher and the
portal keep running, into a file that is itself a SQLite database (open it, or restore it). The
copy is written beside the target and renamed, so a target that exists is always a whole backup.

PostgreSQL: ``pg_dump --format=custom`` when the client tools are installed (restored with
``pg_restore``), else the command to run is printed. Either way the work log's secret is not in the
database: back up the key file (``<data_dir>/audit.key``) or the configured ``audit_key`` apart from
the database, and give it to the restored system, or ``salesync audit verify`` cannot vouch for it.

A restore goes only into a fresh database (nothing in it yet); after it, ``salesync init`` brings a
backup of an older release up to the current schema (the restore does it).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import URL

from schema.base import Base
from schema.models import Account, WorkbookVersion, WorkLogEntry
from sync.core.errors import SalesyncError
from sync.core.store import Store


class BackupFailed(SalesyncError):
    """备份或恢复未完成："""


@dataclass
class BackupResult:
    path: Path
    method: str  # "sqlite-backup", "pg_dump", "pg_restore"
    counts: dict[str, int] = field(default_factory=dict)


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of salesync's schema (the tables this database has)."""
    present = set(inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in present:
                counts[table.name] = int(conn.scalar(select(func.count()).select_from(table)) or 0)
    return counts


def _libpq_url(url: URL) -> str:
    """The URL as libpq's tools take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupFailed("内存中的 SQLite 数据库无法备份")
    return Path(url.database)


def backup(app: Store, target: Path) -> BackupResult:
    """Write the whole database to ``target`` (which must not exist yet)."""
    target = target.absolute()
    if target.exists():
        raise BackupFailed(f"{target} 已存在，不覆盖")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    url = app.engine.url
    try:
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            copy = sqlite3.connect(partial)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
            method = "sqlite-backup"
        elif url.get_backend_name() == "postgresql":
            _run("pg_dump", "--format=custom", "--no-owner", f"--file={partial}", _libpq_url(url))
            method = "pg_dump"
        else:
            raise BackupFailed(f"不支持的数据库：{url.get_backend_name()}")
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupFailed(str(exc)) from exc
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, method, table_counts(app.engine))


def _fresh(app: Store) -> bool:
    """Nothing recorded yet: no accounts, no versions, no work log (an initialised empty one is fresh)."""
    present = set(inspect(app.engine).get_table_names())
    if "account" not in present:
        return True
    with app.transaction() as session:
        return not any(
            session.scalar(select(func.count()).select_from(model))
            for model in (Account, WorkbookVersion, WorkLogEntry)
        )


def restore(app: Store, source: Path) -> BackupResult:
    """Load the backup ``source`` into this (fresh) database, then bring it up to the current schema."""
    if not source.is_file():
        raise BackupFailed(f"{source} 不存在")
    if not _fresh(app):
        raise BackupFailed("只能恢复到一个新的空数据库（此数据库已有账号、版本或工作日志）")
    url = app.engine.url
    app.engine.dispose()
    if url.get_backend_name() == "sqlite":
        try:
            backup_db = sqlite3.connect(f"file:{source.absolute()}?mode=ro", uri=True)
            target = sqlite3.connect(_sqlite_path(url))
            try:
                with target:
                    backup_db.backup(target)
            finally:
                target.close()
                backup_db.close()
        except sqlite3.Error as exc:
            raise BackupFailed(f"{source}：{exc}") from exc
        method = "sqlite-backup"
    elif url.get_backend_name() == "postgresql":
        if inspect(app.engine).get_table_names():
            raise BackupFailed("PostgreSQL：请恢复到一个新建的空数据库（createdb），不要先运行 salesync init")
        _run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq_url(url)}", str(source))
        method = "pg_restore"
    else:
        raise BackupFailed(f"不支持的数据库：{url.get_backend_name()}")
    app.init()
    return BackupResult(source, method, table_counts(app.engine))


def _run(tool: str, *args: str) -> None:
    found = shutil.which(tool)
    if found is None:
        hint = (
            "pg_dump --format=custom --no-owner --file=备份文件 数据库URL"
            if tool == "pg_dump"
            else "pg_restore --no-owner --dbname=数据库URL 备份文件"
        )
        raise BackupFailed(f"找不到 {tool}（PostgreSQL 客户端工具）；请安装后重试，或手动运行：{hint}")
    done = subprocess.run([found, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise BackupFailed(f"{tool}：{detail}")
