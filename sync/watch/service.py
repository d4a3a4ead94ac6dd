"""The watcher's loop: observe, stabilise, record, work — and survive.

One thread does the work (the caller's); the observer thread only queues paths. Each turn of the
loop restarts a dead observer, rescans the whole tree when due (observers miss events, and polling
observers on a share that went offline die quietly), polls the stabiliser, records the stable
files as jobs and processes jobs one at a time. A database error pauses everything but the
observing: stable files wait in memory, and once the database answers again they are recorded and
processed, the job that was interrupted included. SIGTERM or Ctrl-C lets the current file finish.
"""

from __future__ import annotations

import logging
import os
import queue as queues
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy.exc import DBAPIError
from watchdog.observers.api import BaseObserver

from schema.models import JobState
from sync.app import Salesync
from sync.notify.events import fault as notify_fault
from sync.watch import queue, worker
from sync.watch.logs import EventLog
from sync.watch.observer import is_running, kind_of, start_observer
from sync.watch.rules import is_candidate, place_of
from sync.watch.stable import Ready, Stabilizer

JOBS_PER_TURN = 20  # then look at the drive again


@dataclass(frozen=True)
class WatchSettings:
    polling: bool = False  # polling observer only (network shares); also the automatic fallback
    poll_interval: float = 1.0  # the polling observer's interval, seconds
    tick: float = 0.2  # how often the stabiliser polls candidate files
    settle: float = 0.5  # size and mtime unchanged this long (and two polls) before a file is read
    corrupt_after: float = 10.0  # a stable file that never opens as a zip is ingested (and rejected)
    rescan: float = 60.0  # full rescan of the tree
    retry: float = 2.0  # while the database is away, try again this often
    once: bool = False  # stop when everything on the drive has been processed


class Watcher:
    def __init__(
        self, app: Salesync, root: Path, settings: WatchSettings | None = None, log: EventLog | None = None
    ) -> None:
        self.app = app
        self.root = root.resolve()
        self.settings = settings or WatchSettings()
        self.log = log or EventLog(app.config.lang)
        self.me = queue.worker_id()
        self.events: queues.Queue[Path | None] = queues.Queue()
        self.stabilizer = Stabilizer(self.settings.settle, self.settings.corrupt_after)
        self.backlog: dict[Path, Ready] = {}  # stable files not yet recorded (database away)
        self.observer: BaseObserver | None = None
        self.paused = False
        self._stop = threading.Event()
        self._db_ready = False
        self._db_next_try = 0.0
        self._root_missing = False
        self._take_over_due = False

    # -- control ---------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to stop after the current file (thread-safe; what SIGTERM and Ctrl-C do)."""
        if not self._stop.is_set():
            self._stop.set()
            self.log("watch-stopping")

    @property
    def observer_kind(self) -> str | None:
        return kind_of(self.observer) if self.observer else None

    def run(self) -> None:
        with self._signals():
            try:
                self._loop()
            finally:
                self._stop_observer()
                self.log("watch-stopped", worker=self.me)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handle(signum: int, frame: FrameType | None) -> None:
            self.stop()

        previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for s, h in previous.items():
                signal.signal(s, h)

    # -- the loop --------------------------------------------------------------------------------------

    def _loop(self) -> None:
        next_rescan = 0.0
        while not self._stop.is_set():
            self._connect()
            self._ensure_observer()
            if time.monotonic() >= next_rescan:
                self._rescan()
                self._take_over_due = True
                next_rescan = time.monotonic() + self.settings.rescan
            self._drain(self.settings.tick)
            for item in self.stabilizer.tick():
                self.backlog[item.path] = item
            claimed_any = self._database_work()
            if self.settings.once and self._idle(claimed_any):
                break

    def _idle(self, claimed_any: bool) -> bool:
        return (
            self._db_ready
            and not claimed_any
            and not len(self.stabilizer)
            and not self.backlog
            and self.events.empty()
        )

    def _drain(self, timeout: float) -> None:
        """Collect the observer's paths for one tick (a burst of events costs one turn, not one each)."""
        deadline = time.monotonic() + timeout
        rescan = False
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                path = self.events.get(timeout=remaining)
            except queues.Empty:
                break
            if path is None:
                rescan = True
            else:
                self.stabilizer.touch(path)
        if rescan:
            self._rescan()

    def _rescan(self) -> None:
        if not self.root.is_dir():
            if not self._root_missing:
                self.log("watch-root-missing", level=logging.ERROR, root=str(self.root))
                notify_fault(self.app, "watch-root-missing", "", str(self.root))
            self._root_missing = True
            return
        self._root_missing = False
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder, name)
                if is_candidate(path, self.root) and self.stabilizer.changed(path):
                    self.stabilizer.touch(path)

    # -- observer --------------------------------------------------------------------------------------

    def _ensure_observer(self) -> None:
        if self.observer is not None and is_running(self.observer):
            return
        restarted = self.observer is not None
        self._stop_observer()
        if not self.root.is_dir():
            return
        s = self.settings
        try:
            self.observer, fallback = start_observer(
                self.root, self.events, polling=s.polling, interval=s.poll_interval
            )
        except OSError as exc:
            self.log("watch-root-missing", level=logging.ERROR, root=str(self.root), detail=str(exc))
            return
        if fallback is not None:
            self.log(
                "watch-observer-fallback", level=logging.WARNING, detail=fallback, interval=s.poll_interval
            )
        if restarted:
            self.log("watch-observer-restarted", level=logging.WARNING, observer=self.observer_kind)
            self.events.put(None)  # it may have missed events while dead
        else:
            self.log("watch-started", root=str(self.root), observer=self.observer_kind, worker=self.me)

    def _stop_observer(self) -> None:
        observer, self.observer = self.observer, None
        if observer is None:
            return
        try:
            observer.stop()
            if observer.is_alive() or observer.ident is not None:
                observer.join(timeout=5)
        except RuntimeError:
            pass

    # -- database --------------------------------------------------------------------------------------

    def _connect(self) -> None:
        """After a start or an outage: learn what is recorded, take over interrupted jobs."""
        if self._db_ready or time.monotonic() < self._db_next_try:
            return
        try:
            known = queue.known_signatures(self.app)
            with self.app.transaction() as session:
                queue.release(session, self.me)
            taken = queue.take_over(self.app, self.me)
        except DBAPIError as exc:
            self._pause(exc)
            return
        for path_text, sig in known.items():
            self.stabilizer.known.setdefault(Path(path_text), sig)
        if taken:
            self.log("watch-recovered", count=taken)
        if self.paused:
            self.paused = False
            self.log("watch-db-resumed")
            notify_fault(self.app, "watch-db-paused", "", str(self.root))
        self._db_ready = True

    def _pause(self, exc: DBAPIError) -> None:
        self._db_ready = False
        self._db_next_try = time.monotonic() + self.settings.retry
        self.app.engine.dispose()
        if not self.paused:
            self.paused = True
            detail = (
                str(exc.orig or exc).strip().splitlines()[0]
                if str(exc.orig or exc).strip()
                else type(exc).__name__
            )
            self.log("watch-db-paused", level=logging.WARNING, detail=detail)

    def _database_work(self) -> bool:
        """Record the backlog, process jobs, retry waiting stamps; whether any job was claimed."""
        if not self._db_ready:
            return False
        claimed_any = False
        try:
            self._record_backlog()
            for _ in range(JOBS_PER_TURN):
                if self._stop.is_set():
                    break
                job = queue.claim(self.app, self.me)
                if job is None:
                    break
                claimed_any = True
                self._process(job)
            worker.retry_stamps(self.app, self.log)
            if self._take_over_due or self.settings.once:
                self._take_over_due = False
                taken = queue.take_over(self.app, self.me)
                if taken:
                    self.log("watch-recovered", count=taken)
        except DBAPIError as exc:
            self._pause(exc)
        return claimed_any

    def _record_backlog(self) -> None:
        for path, item in list(self.backlog.items()):
            place = place_of(self.root, path)
            with self.app.transaction() as session:
                new = queue.record(session, item, place)
            del self.backlog[path]
            self.stabilizer.known[path] = (item.size, item.mtime_ns)
            if new:
                self.log(
                    "watch-seen", level=logging.DEBUG, file=str(path), folder=place.folder, sha256=item.sha256
                )

    def _process(self, job: queue.Claimed) -> None:
        try:
            worker.process(self.app, self.log, job)
        except DBAPIError:
            raise
        except Exception as exc:
            self.log("watch-failed", level=logging.ERROR, exc=True, file=job.path, detail=_detail(exc))
            queue.finish(self.app, job.id, JobState.FAILED, detail=_detail(exc))
            notify_fault(self.app, "watch-failed", _detail(exc), job.path)


def _detail(exc: BaseException) -> str:
    text: Any = str(exc).strip() or type(exc).__name__
    return str(text).splitlines()[0][:500]
