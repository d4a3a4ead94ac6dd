"""The service object handed to every interface (CLI, watcher, portal): config, engine, sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from schema.db import is_initialised, make_engine, session_factory, upgrade
from sync import anchors
from sync.anchors import ANCHOR_FILE
from sync.config import Config
from sync.errors import NotInitialised
from sync.outcome import Outcome
from sync.progress import Progress
from sync.worklog import load_key


class Salesync:
    def __init__(self, config: Config, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine or make_engine(config.database_url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        # Whatever writes inside a transaction can append to the work log with the configured key.
        self.sessions.configure(
            info={
                "audit_key": lambda: load_key(config),
                "anchor_file": config.data_dir / ANCHOR_FILE,  # checkpoints of the log's head
                "sign_hold": dt.timedelta(hours=config.admin_password_hold_hours),
            }
        )
        event.listen(self.sessions, "after_commit", anchors.after_commit)
        event.listen(self.sessions, "after_rollback", anchors.after_rollback)

    def init(self) -> None:
        """Create or upgrade the database schema (idempotent)."""
        upgrade(self.engine)

    def require_initialised(self) -> None:
        if not is_initialised(self.engine):
            raise NotInitialised()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def ingest(
        self,
        path: Path | str,
        username: str,
        *,
        allow_removals: bool = False,
        write_back: bool | None = None,
        data: bytes | None = None,
        progress: Progress | None = None,
    ) -> Outcome:
        """Ingest one saved workbook as ``username``; ``progress`` hears each stage as it begins
        (``sync.progress.STAGES``)."""
        from sync.ingest import ingest_file

        return ingest_file(
            self,
            Path(path),
            username,
            allow_removals=allow_removals,
            write_back=self.config.write_back if write_back is None else write_back,
            data=data,
            progress=progress,
        )

    def close(self) -> None:
        self.engine.dispose()
