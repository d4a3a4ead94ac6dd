"""Filesystem observers: native events where they work, polling for network shares.

The handler only filters and queues paths. ``start_observer`` starts the native observer unless
polling is asked for, and falls back to polling when the native one cannot start (inotify limits,
SMB/NFS mounts, some Windows shares).
"""

from __future__ import annotations

import contextlib
import queue
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from sync.watch.rules import is_candidate

CHANGES = frozenset({"created", "modified", "moved", "deleted", "closed"})


class QueueingHandler(FileSystemEventHandler):
    """Puts the path of every event that may concern a workbook on ``paths``; does nothing else."""

    def __init__(self, root: Path, paths: queue.Queue[Path | None]) -> None:
        self.root = root
        self.paths = paths

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGES:
            return  # opened, closed without writing: someone (salesync too) only read the file
        if event.is_directory:
            if event.event_type in ("created", "moved"):
                self.paths.put(None)  # a folder appeared: rescan to catch files already in it
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(raw if isinstance(raw, str) else raw.decode())
                if is_candidate(path, self.root):
                    self.paths.put(path)


def start_observer(
    root: Path, paths: queue.Queue[Path | None], *, polling: bool, interval: float
) -> tuple[BaseObserver, str | None]:
    """A started observer, and why the native one was not used (None when it was, or not asked for)."""
    handler = QueueingHandler(root, paths)
    fallback: str | None = None
    if not polling:
        native = Observer()
        try:
            native.schedule(handler, str(root), recursive=True)
            native.start()
            return native, None
        except (OSError, RuntimeError) as exc:
            fallback = str(exc) or type(exc).__name__
            with contextlib.suppress(Exception):
                native.stop()
    observer = PollingObserver(timeout=interval)
    observer.schedule(handler, str(root), recursive=True)
    observer.start()
    return observer, fallback


def is_running(observer: BaseObserver) -> bool:
    """The observer thread and every emitter thread are alive (a polling emitter whose share went
    offline stops on its own while the observer thread carries on)."""
    emitters = list(observer.emitters)
    return observer.is_alive() and bool(emitters) and all(e.is_alive() for e in emitters)


def kind_of(observer: BaseObserver) -> str:
    return "polling" if isinstance(observer, PollingObserver) else "native"
