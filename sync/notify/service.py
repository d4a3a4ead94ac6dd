"""The notifier: the scheduler and the sender on a thread beside the watcher (``salesync up`` and
``salesync watch``). A database outage or a channel's failure only delays messages; it never
reaches the watcher, and the watcher never waits for the notifier."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import DBAPIError

from sync.app import Salesync
from sync.notify.schedule import Scheduler
from sync.notify.sender import Sender
from sync.outbox.settings import NotifySettings
from sync.watch.queue import worker_id

log = logging.getLogger("salesync.notify")


class Notifier:
    def __init__(self, app: Salesync, *, interval: float | None = None, me: str | None = None) -> None:
        self.app = app
        self.me = me or worker_id()
        self.interval = interval if interval is not None else NotifySettings.of(app.config).interval
        self.scheduler = Scheduler(app, self.me)
        self.sender = Sender(app, self.me)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def turn(self) -> None:
        """One turn: run what the schedule has due, then deliver what is due."""
        self.scheduler.tick()
        self.sender.run_once()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.turn()
            except DBAPIError as exc:
                log.warning("notifier: database unavailable (%s); trying again", type(exc).__name__)
            except Exception:
                log.exception("notifier turn failed; trying again")
            self._stop.wait(self.interval)

    def start(self) -> Notifier:
        self._thread = threading.Thread(target=self._run, name="salesync-notifier", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


@contextmanager
def notifier_beside(app: Salesync, *, enabled: bool = True, **kwargs: Any) -> Iterator[Notifier | None]:
    """Run the notifier for the duration of the ``with`` block (the watcher's run)."""
    if not enabled:
        yield None
        return
    notifier = Notifier(app, **kwargs).start()
    try:
        yield notifier
    finally:
        notifier.stop()
