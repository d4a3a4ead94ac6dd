"""Which files on the drive may be read at all, and reading them without being stuck or fooled.

A workbook is read only if it is a regular file (a FIFO would block the reader forever, a device
such as ``/dev/zero`` never ends, a socket cannot be read) of at most ``max_bytes``, checked on the
file's own metadata before a byte is read. A symbolic link is followed only when it stays on the
drive and inside the personal folder it sits in: a rep's link to another rep's folder, to a
workbook elsewhere or to a system file is refused, so nothing outside their folder is ingested,
kept or written beside. The file is opened non-blocking and checked again on the open descriptor,
so a file swapped for a FIFO between the check and the open is caught too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from validators.findings import Finding

DEFAULT_MAX_BYTES = 256 << 20


class NotAdmitted(Exception):
    """A path that is not read; ``finding`` says why, in the words of ``validators.messages``."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.code)
        self.finding = finding


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISDIR(mode):
        return "文件夹"
    return "特殊文件"


def personal_folder(root: Path, path: Path) -> Path | None:
    """``root/<region>/<username>`` for a path inside a personal folder, else None."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    return root.joinpath(*parts[:2]) if len(parts) >= 3 else None


def drive_root_of(path: Path, folder: str) -> Path | None:
    """The drive root a watcher saw ``path`` under, from the personal folder it recorded
    (``SZ/zhangli``); None when the folder is not a personal folder."""
    parts = Path(folder).parts
    if len(parts) != 2:
        return None
    for parent in reversed(path.parents):  # from the top: the drive's own folders come first
        if parent.parts[-2:] == parts:
            return parent.parents[1]
    return None


def check_link(path: Path, root: Path) -> None:
    """Refuse a path that is, or passes through, a link leading out of its personal folder.

    The path as written must be inside a personal folder of ``root``; where it really leads
    (every link resolved) must be inside the same folder, resolved the same way."""
    root = Path(os.path.abspath(root))
    path = Path(os.path.abspath(path))
    folder = personal_folder(root, path)
    real = Path(os.path.realpath(path))
    if folder is None:
        if real != path:
            raise NotAdmitted(Finding("file-link-outside", params={"name": path.name}))
        return
    real_folder = Path(os.path.realpath(folder))
    if not real.is_relative_to(real_folder) or not real_folder.is_relative_to(os.path.realpath(root)):
        raise NotAdmitted(Finding("file-link-outside", params={"name": path.name}))


def read_file(path: Path, *, root: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; links checked against ``root`` when
    given. Raises :class:`NotAdmitted` for what must not be read and ``OSError`` as opening does."""
    if root is not None:
        check_link(path, root)
    _admit(path, os.stat(path).st_mode, os.stat(path).st_size, max_bytes)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        _admit(path, st.st_mode, st.st_size, max_bytes)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            # as big as the file says it is (a read of max_bytes would allocate max_bytes), then
            # whatever it grew by meanwhile, never past the limit
            parts = [fh.read(st.st_size + 1)]
            total = len(parts[0])
            while len(parts[-1]) and total <= max_bytes:
                parts.append(fh.read(1 << 20))
                total += len(parts[-1])
            data = parts[0] if total == len(parts[0]) else b"".join(parts)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise NotAdmitted(_oversize(len(data), max_bytes))
    return data


def _admit(path: Path, mode: int, size: int, max_bytes: int) -> None:
    if not stat.S_ISREG(mode):
        raise NotAdmitted(Finding("file-not-regular", params={"name": path.name, "what": _kind(mode)}))
    if size > max_bytes:
        raise NotAdmitted(_oversize(size, max_bytes))


def _oversize(size: int, limit: int) -> Finding:
    return Finding(
        "file-oversize", params={"size": f"{size / (1 << 20):.1f} MiB", "limit": f"{limit >> 20} MiB"}
    )
