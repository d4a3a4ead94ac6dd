"""Helpers for the watcher's tests: a watcher in a thread or a process, waiting with deadlines."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from schema.models import WatchJob, WorkbookVersion
from sync.app import Salesync
from sync.watch.service import Watcher, WatchSettings

FAST = {"tick": 0.05, "settle": 0.2, "poll_interval": 0.1, "rescan": 1.0, "retry": 0.2}
#: How long a test waits for an event before it fails. A ceiling, not a measure: a passing test
#: returns as soon as the event happens, so it is generous enough for a busy 2-core CI machine.
DEADLINE = 300.0


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def sha(path_or_bytes: Path | bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return hashlib.sha256(data).hexdigest()


def versions(app: Salesync) -> list[WorkbookVersion]:
    with app.transaction() as session:
        return list(session.scalars(select(WorkbookVersion).order_by(WorkbookVersion.id)))


def jobs(app: Salesync) -> list[WatchJob]:
    with app.transaction() as session:
        return list(session.scalars(select(WatchJob).order_by(WatchJob.id)))


def version_of(app: Salesync, digest: str) -> WorkbookVersion | None:
    return next((v for v in versions(app) if v.sha256 == digest), None)


def no_duplicate_versions(app: Salesync) -> None:
    digests = [v.sha256 for v in versions(app)]
    assert len(digests) == len(set(digests)), f"a content became two versions: {digests}"


def excel_save(path: Path, data: bytes) -> None:
    """Save the way Excel does: write a temp file with a random name, delete the original, rename."""
    temp = path.with_name(f"{os.urandom(4).hex().upper()}")
    temp.write_bytes(data)
    path.unlink(missing_ok=True)
    temp.rename(path)


def drive_quiet(app: Salesync, watcher: Watcher) -> bool:
    """Nothing left to look at: no file settling, nothing to record, no job waiting."""
    if len(watcher.stabilizer) or watcher.backlog or not watcher.events.empty():
        return False
    return all(j.state not in ("pending", "running") for j in jobs(app))


@contextmanager
def running_watcher(app: Salesync, root: Path, **settings: Any) -> Iterator[Watcher]:
    """The watcher in a thread of this process, stopped and joined at the end."""
    watcher = Watcher(app, root, WatchSettings(**{**FAST, **settings}))
    thread = threading.Thread(target=watcher.run, name="test-watcher")
    thread.start()
    try:
        wait_for("the watcher to start", lambda: watcher.observer is not None)
        yield watcher
    finally:
        watcher.stop()
        thread.join(timeout=DEADLINE)
        assert not thread.is_alive(), "the watcher did not stop"


def settled(app: Salesync, watcher: Watcher) -> None:
    """Wait until the drive is quiet twice in a row, a settle period apart."""

    def quiet_twice() -> bool:
        if not drive_quiet(app, watcher):
            return False
        time.sleep(watcher.settings.settle + 2 * watcher.settings.tick)
        return drive_quiet(app, watcher)

    wait_for("the drive to settle", quiet_twice)


# -- watcher processes -------------------------------------------------------------------------------

SALESYNC = shutil.which("salesync", path=str(Path(sys.executable).parent)) or "salesync"


class WatcherProcess:
    """``salesync watch`` as a real process, JSON logs going to a file."""

    def __init__(self, url: str, root: Path, log: Path, *extra: str) -> None:
        self.log = log
        args = [SALESYNC, "--db", url, "watch", str(root), "--json-logs"]
        for key, value in FAST.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        self.handle = log.open("a", encoding="utf-8")
        self.proc = subprocess.Popen(args + list(extra), stdout=self.handle, stderr=self.handle)

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def logged(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e.get("event") == event]

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = DEADLINE) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.handle.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
        self.handle.close()
