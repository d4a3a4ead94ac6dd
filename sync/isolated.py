"""Run the reading of untrusted workbooks in a worker process, so that a crash stays there.

A hostile or broken file can make a reader abort the process (a Rust allocation that fails aborts
it) or eat all memory. The watcher and the portal therefore hand the read and ingest of a file to
an ``IsolatedWorker``: a long-lived child process (``multiprocessing`` "spawn") that runs one call at a
time and is reused across calls, so that its start-up (importing polars, pandas, pyarrow: about a
second) is paid once, not per file. The child's address space is capped (``RLIMIT_AS`` on POSIX), so
an allocation beyond it fails in the child. When the child dies (killed, aborted, over its memory,
past its time limit) the call raises ``WorkerCrashed`` and the next call starts a fresh child.

On Windows there is no ``RLIMIT_AS``: the child still isolates crashes, but its memory is bounded
only by the machine (a Job Object limit is the Windows way; see docs/deployment.md).

Targets are named ``"package.module:function"`` so that nothing but names and plain data crosses the
pipe. An exception inside the target comes back as ``IsolatedFailure`` with its kind (``os`` with
its errno, ``db`` for a database error, ``salesync`` for salesync's own operational errors, else
``error``) and its one-line message; ``MemoryError`` counts as a crash (the child is replaced).
"""

from __future__ import annotations

import atexit
import errno
import importlib
import json
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from schema.db import make_engine
from sync.app import Salesync
from sync.core.config import Config
from sync.core.errors import SalesyncError

DEFAULT_MEMORY_MB = 4096
DEFAULT_TIMEOUT = 900.0  # seconds one call may take before its child is killed


class WorkerCrashed(SalesyncError):
    """处理进程意外退出（文件可能有害或过大）："""


class IsolatedFailure(SalesyncError):
    """处理出错："""

    def __init__(self, kind: str, detail: str, errno: int | None = None, type_name: str = "") -> None:
        super().__init__(detail)
        self.kind, self.errno, self.type_name = kind, errno, type_name


@dataclass(frozen=True)
class Limits:
    memory_mb: int | None = DEFAULT_MEMORY_MB  # None: no cap
    timeout: float | None = DEFAULT_TIMEOUT


def limit_memory(memory_mb: int | None) -> bool:
    """Cap this process's address space; False where the platform cannot (Windows)."""
    if not memory_mb:
        return False
    try:
        import resource
    except ImportError:  # Windows
        return False
    cap = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return True


def resolve(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    func: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return func


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]


def _failure(exc: BaseException) -> tuple[str, str, int | None, str]:
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        return "db", _one_line(exc.orig or exc), None, type(exc).__name__
    if isinstance(exc, OSError):
        return "os", _one_line(exc), exc.errno, type(exc).__name__
    if isinstance(exc, SalesyncError):
        return "salesync", _one_line(exc), None, type(exc).__name__
    return "error", _one_line(exc), None, type(exc).__name__


def _die_with(sentinel: int) -> None:
    """Exit as soon as the parent is gone (killed): a job it held is taken over by another watcher,
    and must not be finished a second time here (its uncommitted transaction is rolled back)."""
    from multiprocessing.connection import wait

    wait([sentinel])
    os._exit(1)


def _child_main(conn: Connection, memory_mb: int | None, preload: tuple[str, ...]) -> None:
    """The child's loop: one (target, args) in, one ("ok", value) or ("fail", …) out, until EOF.

    Ctrl-C and SIGTERM reach the whole process group (a terminal, systemd's stop): the child ignores
    them and finishes its call; its parent decides when it stops (EOF or ``None``). A parent that is
    killed takes the child with it."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_die_with, args=(parent.sentinel,), name="parent-watch", daemon=True).start()
    limit_memory(memory_mb)
    for module in preload:
        importlib.import_module(module)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        target, args = message
        try:
            reply: tuple[Any, ...] = ("ok", resolve(target)(*args))
        except MemoryError:
            os._exit(70)  # a fresh child for the next call: this heap may be in pieces
        except BaseException as exc:
            reply = ("fail", *_failure(exc))
        try:
            conn.send(reply)
        except MemoryError:
            os._exit(70)


class IsolatedWorker:
    """One child process that runs named functions one call at a time; replaced when it dies.

    Thread-safe: calls from several threads (the portal's) are run one after another.
    """

    def __init__(self, limits: Limits | None = None, preload: tuple[str, ...] = ()) -> None:
        self.limits = limits or Limits()
        self.preload = preload
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self.started = 0  # children started so far (a crash makes one more)

    def _start(self) -> tuple[BaseProcess, Connection]:
        if self._proc is not None and self._conn is not None and self._proc.is_alive():
            return self._proc, self._conn
        self._discard()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        proc = context.Process(
            target=_child_main,
            args=(child, self.limits.memory_mb, self.preload),
            name="salesync-isolated",
            daemon=True,
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        self.started += 1
        return proc, parent

    def call(self, target: str, *args: Any) -> Any:
        """``target(*args)`` in the child; its value, or ``IsolatedFailure`` / ``WorkerCrashed``."""
        with self._lock:
            proc, conn = self._start()
            try:
                conn.send((target, args))
                reply = self._wait(proc, conn)
            except (EOFError, OSError, BrokenPipeError) as exc:
                reply = None
                why = _one_line(exc)
            else:
                why = ""
            if reply is None:
                code = self._discard()
                raise WorkerCrashed(why or _exit_reason(code))
            if reply[0] == "ok":
                return reply[1]
            _, kind, detail, errno, type_name = reply
            raise IsolatedFailure(kind, detail, errno, type_name)

    def _wait(self, proc: BaseProcess, conn: Connection) -> Any:
        """The child's reply, or None when it died or ran out of time (it is then killed)."""
        from multiprocessing.connection import wait

        timeout = self.limits.timeout
        ready = wait([conn, proc.sentinel], timeout)
        if conn in ready:
            try:
                return conn.recv()
            except (EOFError, OSError):
                return None
        if not ready:  # out of time
            proc.kill()
        return None

    def _discard(self) -> int | None:
        """Forget the child (killing it if it still runs); its exit code."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is None:
            return None
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=10)
        code = proc.exitcode
        proc.close()
        return code

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._proc is not None and self._proc.is_alive():
                try:
                    self._conn.send(None)
                    self._proc.join(timeout=5)
                except OSError:
                    pass
            self._discard()


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "no exit code"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if code == 70:
        return "out of memory"
    return f"exit code {code}"


_shared: dict[str, IsolatedWorker] = {}
_shared_lock = threading.Lock()


def run_isolated(target: str, *args: Any, limits: Limits | None = None, pool: str = "default") -> Any:
    """``target(*args)`` in this process's shared worker named ``pool`` (started on first use).

    The portal's uploads use this: a file that would take the portal down takes down the worker
    instead, and the page reports it as a file that cannot be read.
    """
    with _shared_lock:
        worker = _shared.get(pool)
        if worker is None:
            if not _shared:
                atexit.register(close_shared)  # before multiprocessing's own exit hook joins it
            worker = _shared[pool] = IsolatedWorker(limits)
    return worker.call(target, *args)


def close_shared() -> None:
    with _shared_lock:
        workers = list(_shared.values())
        _shared.clear()
    for worker in workers:
        worker.close()


# -- inside the worker process --------------------------------------------------------------------

_services: dict[Config, Salesync] = {}


def service_for(config: Config) -> Salesync:
    """The worker process's service for ``config``, made once and kept for its life; without a
    connection pool, so that nothing stays connected between calls."""
    if config not in _services:
        _services[config] = Salesync(config, make_engine(config.database_url, poolclass=NullPool))
    return _services[config]


FAULTS_ENV = "SALESYNC_WORKER_FAULTS"


def inject_fault(name: str) -> None:
    """Test hook for the faults a worker must survive. When ``SALESYNC_WORKER_FAULTS`` names a JSON
    file ``{file name: fault}``, work on a file of that name meets the fault: ``exit`` (the process
    dies), ``memory`` (an allocation beyond the worker's memory cap), ``enospc``, ``eacces`` or ``db``.
    The file is read on every call, so a test can take the fault away. Unset (production): nothing."""
    faults_file = os.environ.get(FAULTS_ENV)
    if not faults_file:
        return
    try:
        faults = json.loads(Path(faults_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    fault = faults.get(name)
    if fault == "exit":
        os._exit(134)
    if fault == "memory":
        hog = bytearray(64 * 1024**3)  # beyond any worker memory cap
        del hog
    if fault == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
    if fault == "eacces":
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
    if fault == "db":
        raise OperationalError("INSERT INTO workbook_version …", None, Exception("disk I/O error"))
