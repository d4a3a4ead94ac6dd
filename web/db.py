"""One database session per request, closed when the request ends.

Pages read through :func:`session`; anything that writes uses :func:`transaction`, which commits
on success and rolls back on an exception, exactly like the CLI's and the watcher's writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from sync.app import Salesync


def service() -> Salesync:
    found = current_app.extensions["salesync"]
    assert isinstance(found, Salesync)
    return found


def session() -> Session:
    if "db" not in g:
        g.db = service().sessions()
    s = g.db
    assert isinstance(s, Session)
    return s


@contextmanager
def transaction() -> Iterator[Session]:
    with service().transaction() as s:
        yield s


def _close(_exc: BaseException | None) -> None:
    s = g.pop("db", None)
    if s is not None:
        s.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
