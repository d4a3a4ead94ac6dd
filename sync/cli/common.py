"""What every ``salesync`` command shares: the service it works on, and the one place where
operational failures become words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from sync.app import Salesync
from sync.core.config import Config, ConfigError
from sync.core.errors import SalesyncError


@contextmanager
def errors() -> Iterator[None]:
    try:
        yield
    except (SalesyncError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc


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
