"""The watcher's loop: observe, stabilise, record, work — and survive.

One thread does the work (the caller's); the observer thread only queues paths. Each turn of the
loop restarts a dead observer, rescans the whole tree when due (observers miss events, and polling
observers on a share that went offline die quietly), polls the stabiliser, records the stable
files as jobs and processes jobs one at a time. A database error pauses everything but the
observing: stable files wait in memory, and once the database answers again they are recorded and
processed, the job that was interrupted included. SIGTERM or Ctrl-C lets the current file finish.

Each job is read and ingested in an isolated worker process (``sync.isolated``), reused from job to
job, with a memory cap: a file that crashes it costs that attempt, not the watcher. A failed attempt
goes back to the queue with a backoff; a job that keeps crashing (or failing) is quarantined after
``max_failures`` with a line in ``salesync status`` and a result workbook for its author; a fault of
the world (disk full, a permission, the database) is retried for as long as it lasts.

While a job runs, a heartbeat thread renews its lease. The queue is looked at when something was
recorded, when PostgreSQL NOTIFYs a new job (a LISTEN thread), and otherwise with a backoff up to
``idle_max`` (SQLite) — not every tick. A drive root on a network file system is polled.
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
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy.exc import DBAPIError
from watchdog.observers.api import BaseObserver

from schema.models import JobState
from sync.app import Salesync
from sync.domain import kept_files
from sync.isolated import IsolatedFailure, IsolatedWorker, Limits, WorkerCrashed
from sync.pipeline.notices import fault as notify_fault
from sync.pipeline.sheet_sync import default_connect, sync_sheets
from sync.watch import queue, worker
from sync.watch.logs import EventLog
from sync.watch.mounts import on_network
from sync.watch.observer import is_running, kind_of, start_observer
from sync.watch.rules import is_candidate, place_of
from sync.watch.stable import Ready, Stabilizer
from validators.findings import Finding

JOBS_PER_TURN = 20  # then look at the drive again
PRUNE_EVERY = 3600.0  # seconds between deletions of old finished jobs
LISTEN_IDLE_FACTOR = 10  # with LISTEN/NOTIFY the queue is still looked at, ten times less often


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
    network_polling: bool = True  # poll, without being asked, a drive root on a network file system
    isolated: bool = True  # read and ingest each file in a worker process (crashes stay there)
    memory_mb: int | None = 4096  # the worker process's address-space cap (POSIX)
    job_timeout: float = 900.0  # one job longer than this: its worker is killed (counts as a crash)
    max_failures: int = 3  # crashes or unexpected errors before a job is quarantined
    backoff: float = 2.0  # a failed job waits this long, doubling with each attempt …
    backoff_max: float = 300.0  # … up to this
    lease: float = 90.0  # a job whose heartbeat is older is taken over (renewed every third)
    foreign_after: float = 30.0  # another site's job waits this long for its own site first
    idle_max: float = 1.0  # an idle watcher looks at the queue at least this often (SQLite)
    keep_jobs_days: float = 30.0  # finished jobs older than this are deleted (the newest per path stays)


class Watcher:
    def __init__(
        self, app: Salesync, root: Path, settings: WatchSettings | None = None, log: EventLog | None = None
    ) -> None:
        self.app = app
        self.root = root.resolve()
        self.settings = settings or WatchSettings()
        self.log = log or EventLog(app.config.lang)
        self.me = queue.worker_id()
        self.site = queue.site_of(self.root)
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
        self._wake = threading.Event()  # a new job was recorded (here, or NOTIFYed by PostgreSQL)
        self._next_look = 0.0
        self._idle_delay = self.settings.tick
        self._next_prune = 0.0
        self._listening = False
        self.notified = 0  # NOTIFYs heard (PostgreSQL)
        self._network_said = False
        s = self.settings
        self.isolated = IsolatedWorker(Limits(s.memory_mb, s.job_timeout)) if s.isolated else None

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
        listener = None
        if self.app.engine.dialect.name == "postgresql":
            listener = threading.Thread(target=self._listen, name="salesync-listen", daemon=True)
            listener.start()
        with self._signals():
            try:
                self._loop()
            finally:
                self._stop_observer()
                if listener is not None:
                    listener.join(timeout=10)
                if self.isolated is not None:
                    self.isolated.close()
                self.log("watch-stopped", worker=self.me)

    def _listen(self) -> None:
        """PostgreSQL: LISTEN for recorded jobs and wake the loop (a dropped connection is retried)."""
        import psycopg

        conninfo = self.app.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {queue.NOTIFY_CHANNEL}")
                    self._listening = True
                    while not self._stop.is_set():
                        for _note in conn.notifies(timeout=0.5, stop_after=1):
                            self.notified += 1
                            self._wake.set()
            except psycopg.Error:
                pass
            finally:
                self._listening = False
            self._stop.wait(self.settings.retry)

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
        next_rescan = next_sheets = 0.0
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
            if self._db_ready and self.app.config.sheets_interval > 0 and time.monotonic() >= next_sheets:
                next_sheets = time.monotonic() + self.app.config.sheets_interval
                self._online_sheets()
            if not self._queue_due():
                continue
            self._wake.clear()
            claimed_any = self._database_work()
            self._next_idle(claimed_any)
            if self.settings.once and self._idle(claimed_any):
                break

    def _online_sheets(self) -> None:
        """The registered online sheets that are due (sync.pipeline.sheet_sync): a sheet that cannot
        be read is recorded on its registration and backed off there; it never stops the watcher."""
        try:
            sync_sheets(self.app, default_connect(self.app))
        except DBAPIError as exc:
            self._pause(exc)
        except Exception:
            logging.getLogger("salesync.watch").exception("online sheets")

    def _queue_due(self) -> bool:
        """Whether to look at the queue this turn (not every tick: an idle watcher backs off)."""
        return (
            self.settings.once
            or bool(self.backlog)
            or self._wake.is_set()
            or not self._db_ready
            or time.monotonic() >= self._next_look
        )

    def _next_idle(self, claimed_any: bool) -> None:
        if claimed_any or self.backlog:
            self._idle_delay = self.settings.tick
        else:
            cap = self.settings.idle_max * (LISTEN_IDLE_FACTOR if self._listening else 1)
            self._idle_delay = min(max(self._idle_delay * 2, self.settings.tick), cap)
        self._next_look = time.monotonic() + self._idle_delay

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
        polling = s.polling or (s.network_polling and self._on_network())
        try:
            self.observer, fallback = start_observer(
                self.root, self.events, polling=polling, interval=s.poll_interval
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

    def _on_network(self) -> bool:
        mount = on_network(self.root)
        if mount is not None and not self._network_said:
            self._network_said = True
            self.log(
                "watch-network-polling",
                root=str(self.root),
                fstype=mount.fstype,
                source=mount.source,
                interval=self.settings.poll_interval,
            )
        return mount is not None

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
            taken = queue.take_over(self.app, self.me, self._lease_time)
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
                job = queue.claim(
                    self.app, self.me, self.site, timedelta(seconds=self.settings.foreign_after)
                )
                if job is None:
                    break
                claimed_any = True
                self._process(job)
            worker.retry_stamps(self.app, self.log, self.site)
            if self._take_over_due or self.settings.once:
                self._take_over_due = False
                taken = queue.take_over(self.app, self.me, self._lease_time)
                if taken:
                    self.log("watch-recovered", count=taken)
            if time.monotonic() >= self._next_prune:
                self._next_prune = time.monotonic() + PRUNE_EVERY
                pruned = queue.prune(self.app, timedelta(days=self.settings.keep_jobs_days))
                if pruned:
                    self.log("watch-pruned", level=logging.DEBUG, count=pruned)
                if self.app.config.kept_files_days:
                    compacted = kept_files.compact(self.app, timedelta(days=self.app.config.kept_files_days))
                    if compacted.files:
                        self.log("watch-compacted", count=compacted.files, size=compacted.bytes)
        except DBAPIError as exc:
            self._pause(exc)
        return claimed_any

    def _record_backlog(self) -> None:
        for path, item in list(self.backlog.items()):
            place = place_of(self.root, path)
            with self.app.transaction() as session:
                new = queue.record(session, item, place, self.site)
            del self.backlog[path]
            self.stabilizer.known[path] = (item.size, item.mtime_ns)
            if new:
                self.log(
                    "watch-seen", level=logging.DEBUG, file=str(path), folder=place.folder, sha256=item.sha256
                )

    @property
    def _lease_time(self) -> timedelta:
        return timedelta(seconds=self.settings.lease)

    def _process(self, job: queue.Claimed) -> None:
        """One job, in the isolated worker (or here); every failure ends in a retry or quarantine."""
        with self._heartbeat(job):
            try:
                if self.isolated is not None:
                    events = self.isolated.call(
                        "sync.watch.worker:run_job", self.app.config, job, self.site, self.log.lang
                    )
                else:
                    events = worker.run_here(self.app, job, self.site, self.log.lang)
            except WorkerCrashed as exc:
                self._failed(job, exc.detail or str(exc), crashed=True)
                return
            except IsolatedFailure as exc:
                if exc.kind in ("os", "db"):
                    self._fault(job, exc.detail)
                else:
                    self._failed(job, exc.detail, crashed=False)
                return
            except DBAPIError:
                raise  # in this process: the database went away, pause (the job is released)
            except OSError as exc:
                self._fault(job, _detail(exc))
                return
            except Exception as exc:
                self.log("watch-failed", level=logging.ERROR, exc=True, file=job.path, detail=_detail(exc))
                self._failed(job, _detail(exc), crashed=False)
                return
        for event, level, fields in events:
            self.log(event, level=level, **fields)

    @contextmanager
    def _heartbeat(self, job: queue.Claimed) -> Iterator[None]:
        """Renew the job's lease every third of it while it runs."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.settings.lease / 3):
                try:
                    if not queue.heartbeat(self.app, job.id, self.me):
                        return
                except DBAPIError:
                    continue

        thread = threading.Thread(target=beat, name=f"salesync-heartbeat-{job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=30)

    def _delay(self, attempt: int) -> timedelta:
        return queue.backoff(attempt, self.settings.backoff, self.settings.backoff_max)

    def _fault(self, job: queue.Claimed, detail: str) -> None:
        """A fault of the world (disk full, a permission, the database): retried while it lasts."""
        delay = self._delay(job.attempts)
        queue.put_back(self.app, job, delay=delay, code="watch-fault", detail=detail, failed=False)
        self.log(
            "watch-fault",
            level=logging.WARNING,
            file=job.path,
            folder=job.folder,
            detail=detail,
            delay=round(delay.total_seconds(), 1),
        )

    def _failed(self, job: queue.Claimed, detail: str, *, crashed: bool) -> None:
        """A crash or an unexpected error: retried with backoff, quarantined after ``max_failures``."""
        failures = job.failures + 1
        code = "watch-worker-crashed" if crashed else "watch-failed"
        if failures < self.settings.max_failures:
            delay = self._delay(failures)
            queue.put_back(self.app, job, delay=delay, code=code, detail=detail, failed=True)
            self.log(
                "watch-retrying",
                level=logging.WARNING,
                file=job.path,
                folder=job.folder,
                detail=detail,
                attempt=failures,
                limit=self.settings.max_failures,
                delay=round(delay.total_seconds(), 1),
            )
            return
        finding = Finding("watch-quarantined", params={"attempts": failures, "detail": detail})
        queue.finish(
            self.app,
            job.id,
            JobState.QUARANTINED,
            code="watch-quarantined",
            detail=finding.message(self.app.config.lang),
            failures=failures,
        )
        if job.site in (None, self.site):
            worker.tell_author(self.app, job, finding)
        self.log(
            "watch-set-aside",
            level=logging.ERROR,
            file=job.path,
            folder=job.folder,
            detail=detail,
            attempts=failures,
        )
        notify_fault(self.app, "watch-failed", detail, job.path)  # the admins: a file set aside


def _detail(exc: BaseException) -> str:
    text: Any = str(exc).strip() or type(exc).__name__
    return str(text).splitlines()[0][:500]
