"""Is the drive root on a network file system? Then native events cannot be trusted: poll.

inotify on a CIFS/SMB or NFS mount starts without complaint but sees only the changes made through
this machine, never a save made on the file server or another client; so on such a mount the watcher
polls, without being told to. On Linux the mount of a path is found in ``/proc/self/mountinfo``
(the longest mount point that contains it); elsewhere in ``psutil.disk_partitions`` (Windows marks
mapped network drives ``remote``), and a UNC path (``\\\\server\\share``) is a network path by itself.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePath

import psutil

MOUNTINFO = Path("/proc/self/mountinfo")

#: File system types whose changes may come from elsewhere than this machine's kernel.
NETWORK_TYPES = frozenset(
    {
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "nfs",
        "nfs4",
        "afs",
        "ncpfs",
        "coda",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "ocfs2",
        "gfs2",
        "davfs",
        "webdav",
        "fuse.sshfs",
        "fuse.rclone",
        "fuse.glusterfs",
        "fuse.cephfs",
        "fuse.s3fs",
        "fuse.davfs2",
    }
)


@dataclass(frozen=True)
class Mount:
    mount_point: str
    fstype: str
    source: str

    @property
    def network(self) -> bool:
        return is_network_type(self.fstype)


def is_network_type(fstype: str) -> bool:
    kind = fstype.casefold()
    return (
        kind in NETWORK_TYPES or kind.startswith(("nfs", "smb", "cifs", "remote:")) or kind.endswith(".sshfs")
    )


def _unescape(field: str) -> str:
    """mountinfo writes a space, tab, newline and backslash in a path as octal escapes (``\\040``)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """The mounts of a ``/proc/<pid>/mountinfo`` text (see proc(5)): the mount point is the fifth
    field; after the optional fields and their ``-`` separator come the type and the source."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        dash = fields.index("-", 6)
        if len(fields) < dash + 3:
            continue
        mounts.append(Mount(_unescape(fields[4]), fields[dash + 1], _unescape(fields[dash + 2])))
    return mounts


def _contains(mount_point: str, path: PurePath) -> bool:
    mp = PurePath(mount_point)
    return path == mp or mp in path.parents


def mount_of(path: Path, mounts: list[Mount]) -> Mount | None:
    """The mount that holds ``path``: the longest mount point containing it (the last one mounted
    wins when two share a point, as the kernel's view does)."""
    best: Mount | None = None
    for mount in mounts:
        if _contains(mount.mount_point, path) and (
            best is None or len(mount.mount_point) >= len(best.mount_point)
        ):
            best = mount
    return best


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _psutil_mounts() -> list[Mount]:
    try:
        partitions = psutil.disk_partitions(all=True)
    except OSError:
        return []
    mounts = []
    for p in partitions:
        fstype = p.fstype
        if "remote" in p.opts.split(","):  # Windows: a mapped network drive
            fstype = f"remote:{fstype}"
        mounts.append(Mount(p.mountpoint, fstype, p.device))
    return mounts


def drive_mount(root: Path, mountinfo: str | None = None) -> Mount | None:
    """The mount of the drive root (``mountinfo``: a text to use instead of this machine's)."""
    path = _resolved(root)
    text = mountinfo
    if text is None and sys.platform.startswith("linux"):
        try:
            text = MOUNTINFO.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError:
            text = None
    if text is not None:
        return mount_of(path, parse_mountinfo(text))
    raw = str(path)
    if os.name == "nt" and raw.startswith(("\\\\", "//")):
        share = "\\".join(raw.replace("/", "\\").split("\\")[:4])
        return Mount(share, "smb", share)
    return mount_of(path, _psutil_mounts())


def on_network(root: Path, mountinfo: str | None = None) -> Mount | None:
    """The network mount the drive root is on, or None when it is local (or cannot be told)."""
    mount = drive_mount(root, mountinfo)
    return mount if mount is not None and mount.network else None
