"""Replace a user's file only while it still holds the bytes salesync read: compare and swap.

A rep may save again while salesync writes its stamp or marks into the previous save. The new
bytes go to a temp file in the same folder (fsync'd), the file is checked again (size, mtime,
inode and SHA-256 against what was read), and only then moved over it. On Linux the move is an
atomic *exchange* of the two names (``renameat2(RENAME_EXCHANGE)``): what was swapped out is
checked once more, and if a save slipped in between the check and the move, it is swapped back —
so the stamped older content can never stand in place of a newer save. Elsewhere (or on a file
system without the exchange) the move is ``os.replace`` right after the check.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import logging
import os
import secrets
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger("salesync.swap")

TEMP_PREFIX = ".~salesync-"  # our own half-written files; the watcher ignores them like feedback files
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True, slots=True)
class FileState:
    """A file as it was read: enough to tell whether anyone has written it since."""

    size: int
    mtime_ns: int
    inode: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Seen:
    state: FileState
    data: bytes


def observe(path: Path) -> Seen | None:
    """The file's bytes and state, read through one handle; None when it is gone or changing."""
    try:
        with open(path, "rb") as fh:
            before = os.fstat(fh.fileno())
            data = fh.read()
            after = os.fstat(fh.fileno())
    except FileNotFoundError:
        return None
    moved = (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)
    if moved or len(data) != after.st_size:
        return None
    state = FileState(after.st_size, after.st_mtime_ns, after.st_ino, hashlib.sha256(data).hexdigest())
    return Seen(state, data)


def still(path: Path, expected: FileState) -> bool:
    """Whether ``path`` is still exactly the file ``expected`` describes."""
    try:
        st = os.stat(path)
        if (st.st_size, st.st_mtime_ns, st.st_ino) != (expected.size, expected.mtime_ns, expected.inode):
            return False
        seen = observe(path)
    except OSError:
        return False
    return seen is not None and seen.state == expected


@cache
def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap the names ``a`` and ``b``; False when this system or file system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def swap_if_unchanged(
    path: Path, data: bytes, expected: FileState, *, still_safe: Callable[[], bool] | None = None
) -> bool:
    """Put ``data`` at ``path`` if the file there is still ``expected``; True when it was written.

    ``still_safe`` is asked too, just before the move (e.g. "no office suite has it open").
    When the answer is False nothing changed: the file at ``path`` is whatever its author saved.
    """
    tmp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            ours = os.fstat(fh.fileno()).st_ino
        shutil.copymode(path, tmp)
        if not still(path, expected) or (still_safe is not None and not still_safe()):
            tmp.unlink()
            return False
        if _exchange(tmp, path):
            written = still(tmp, expected)  # what was swapped out must be what we read
            if not written:
                _put_back(path, tmp, ours)
            tmp.unlink(missing_ok=True)
        else:
            os.replace(tmp, path)
            written = True
        _fsync_folder(path.parent)
        return written
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _put_back(path: Path, tmp: Path, ours: int) -> None:
    """A save landed between the check and the exchange: it is at ``tmp`` now; return it to ``path``.

    Exchanging again puts it back and takes our bytes out — unless a yet newer save replaced ours
    meanwhile; then that one is newest and goes back to ``path`` with one more exchange.
    """
    _exchange(tmp, path)
    if os.stat(tmp).st_ino != ours:
        log.warning("two saves of %s landed during the write-back; keeping the newest", path)
        _exchange(tmp, path)
