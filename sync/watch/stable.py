"""Only complete, stable files are read.

A candidate path is ready once its size and mtime have not changed for ``settle`` seconds, seen by at
least two polls, and its bytes open as a zip (the central directory is written last, so a
half-written workbook does not). A file that stays unreadable is handed on after ``corrupt_after``
so that its author gets the "damaged file" feedback. A burst of saves keeps resetting the clock, so
it collapses to one read of the last content. Only regular files of a bounded size are read
(``sync.xlsx.admission``): a FIFO, a device or an oversized file is handed on unread, with the reason,
for the worker to refuse.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sync.watch.rules import ZIP_SUFFIXES
from sync.xlsx.admission import NotAdmitted, read_file

Signature = tuple[int, int]  # size, mtime_ns


@dataclass(frozen=True, slots=True)
class Ready:
    """A stable file as read: exactly these bytes are what gets recorded and ingested."""

    path: Path
    data: bytes
    sha256: str
    size: int
    mtime_ns: int
    refused: str | None = None  # the code of the reason it was not read (``sync.xlsx.admission``)


@dataclass
class _Watching:
    signature: Signature | None
    since: float


def signature(path: Path) -> Signature | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def opens_as_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return bool(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


class Stabilizer:
    def __init__(
        self, settle: float, corrupt_after: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settle = settle
        self.corrupt_after = max(corrupt_after, settle)
        self.clock = clock
        self._watching: dict[Path, _Watching] = {}
        #: the signature of the content last handed on (or already recorded) per path
        self.known: dict[Path, Signature] = {}

    def __len__(self) -> int:
        return len(self._watching)

    def touch(self, path: Path) -> None:
        """A path that may have changed (an event or a rescan saw it)."""
        if path not in self._watching:
            self._watching[path] = _Watching(None, self.clock())

    def changed(self, path: Path) -> bool:
        """Whether a rescan should look at ``path`` again (its signature is not the known one)."""
        return self.known.get(path) != signature(path)

    def forget(self, path: Path) -> None:
        self.known.pop(path, None)

    def tick(self) -> list[Ready]:
        """Poll every watched path once; return those that became ready."""
        ready = []
        for path, w in list(self._watching.items()):
            sig = signature(path)
            now = self.clock()
            if sig is None:  # deleted (or renamed away): a rename's new name gets its own event
                del self._watching[path]
                continue
            if sig != w.signature:
                w.signature, w.since = sig, now
                continue
            if self.known.get(path) == sig:  # nothing new (e.g. salesync's own write-back)
                del self._watching[path]
                continue
            if now - w.since < self.settle:
                continue
            item = self.read(path, sig)
            if item is None:
                w.signature = None  # changed under us: start over
                continue
            zip_ok = (
                item.refused is not None
                or path.suffix.casefold() not in ZIP_SUFFIXES
                or opens_as_zip(item.data)
            )
            if not zip_ok and now - w.since < self.corrupt_after:
                continue
            del self._watching[path]
            ready.append(item)
        return ready

    @staticmethod
    def read(path: Path, sig: Signature) -> Ready | None:
        """The file's bytes, if it still has signature ``sig`` while they are read; a file that must
        not be read comes back unread, its digest naming the reason (one job per reason and save)."""
        try:
            data = read_file(path)
            st = os.stat(path)
        except NotAdmitted as refusal:
            marker = f"{refusal.finding.code}:{sig[0]}:{sig[1]}".encode()
            return Ready(path, b"", hashlib.sha256(marker).hexdigest(), sig[0], sig[1], refusal.finding.code)
        except OSError:
            return None
        if (st.st_size, st.st_mtime_ns) != sig or len(data) != sig[0]:
            return None
        return Ready(path, data, hashlib.sha256(data).hexdigest(), sig[0], sig[1])
