"""Structured logs: every watcher event is a stable code plus fields.

``EventLog(event, **fields)`` writes one record through the ``salesync.watch`` logger. With JSON
output each line is an object ``{"ts", "level", "event", "message", …fields}`` (times in
Asia/Shanghai); otherwise a line of words in the configured language.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import IO, Any

from schema.base import SHANGHAI
from validators.messages import render

LOGGER = logging.getLogger("salesync.watch")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, SHANGHAI).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", record.name),
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = dt.datetime.fromtimestamp(record.created, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        line = f"{when} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(*, json_lines: bool, stream: IO[str] | None = None, level: int = logging.INFO) -> None:
    """Send the watcher's records (and salesync's own warnings) to ``stream`` in the chosen form."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    for name in ("salesync.watch", "salesync.writeback", "salesync.ingest"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level if name == "salesync.watch" else logging.WARNING)
        logger.propagate = False


class EventLog:
    def __init__(self, lang: str = "zh", logger: logging.Logger = LOGGER) -> None:
        self.lang = lang
        self.logger = logger

    def __call__(self, event: str, *, level: int = logging.INFO, exc: bool = False, **fields: Any) -> None:
        message = render(event, self.lang, **fields)
        self.logger.log(level, "%s", message, extra={"event": event, "fields": fields}, exc_info=exc)
