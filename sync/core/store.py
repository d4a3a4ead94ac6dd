"""The storage half of the service object: configuration, the engine and its sessions.

Everything below the application facade (:class:`sync.app.Salesync`) takes a :class:`Store`: the
pipeline, the domain operations and the watcher need the database and the settings, never the use
cases built on top of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from schema.db import is_initialised, make_engine, session_factory, upgrade
from sync.core.config import Config
from sync.core.errors import NotInitialised
from sync.core.keys import load_key


class Store:
    def __init__(self, config: Config, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine or make_engine(config.database_url)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        # Whatever writes inside a transaction can append to the work log with the configured key.
        self.sessions.configure(info={"audit_key": lambda: load_key(config), "config": config})

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

    def close(self) -> None:
        self.engine.dispose()
