"""What every ``salesync`` command shares: the service it works on, and the one place where
operational failures become words.

Operational failures and refusals (``SalesyncError``, an invalid configuration, a database that
cannot be reached, a file that cannot be read) print one line and exit 4 (:mod:`sync.cli.exits`),
wherever in a command they arise: inside :func:`errors`, or anywhere else, caught by the root
group (``sync.cli.main``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from sync.app import Salesync
from sync.cli.exits import NotDone
from sync.core.config import Config, ConfigError
from sync.core.errors import SalesyncError

#: What stops a command without being its fault or the user's data: said in one line, exit code 4.
OPERATIONAL = (SalesyncError, ConfigError, OperationalError, InterfaceError, OSError)


def not_done(exc: BaseException) -> NotDone | None:
    """One line for what stopped a command (its own message, or the database that cannot be
    reached), or None when ``exc`` is not an operational failure (a bug: let it show)."""
    if not isinstance(exc, OPERATIONAL):
        return None
    if isinstance(exc, DBAPIError):
        lines = str(exc.orig or exc).strip().splitlines()
        return NotDone(f"数据库无法访问：{lines[0] if lines else type(exc.orig or exc).__name__}")
    if isinstance(exc, OSError) and not isinstance(exc, SalesyncError):
        return NotDone(f"无法访问文件：{exc.filename or ''} {exc.strerror or exc}".strip())
    return NotDone(str(exc))


@contextmanager
def errors() -> Iterator[None]:
    try:
        yield
    except OPERATIONAL as exc:
        done = not_done(exc)
        assert done is not None
        raise done from exc


def service(ctx: click.Context) -> Salesync:
    obj = ctx.find_root().obj
    if "app" not in obj:
        with errors():
            obj["app"] = Salesync(
                Config.load(db=obj["db"], config_file=obj["config"], data_dir=obj["data_dir"])
            )
        ctx.call_on_close(obj["app"].close)
    app: Salesync = obj["app"]
    return app
