"""Network drives are polled without being asked: the mount of the drive root is found in
mountinfo (sample texts here; this machine's own for a local path), and a watcher whose root is on
a network file system starts the polling observer and still picks up every save.

The last test runs on a real network mount when one is given (skipped otherwise), e.g. sshfs to an
sshd on localhost: ``sshfs -p 2222 root@127.0.0.1:/srv/backing /mnt/share``, then
``SALESYNC_TEST_NETWORK_MOUNT=/mnt/share SALESYNC_TEST_NETWORK_BACKING=/srv/backing``. Saves written
into the backing folder are invisible to inotify on the mount (as a save on the file server is on a
CIFS mount): with native events alone that test fails."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from sync.app import Salesync
from sync.watch import service
from sync.watch.mounts import Mount, drive_mount, is_network_type, on_network, parse_mountinfo
from tests.watching import running_watcher, settled, sha, version_of, wait_for
from tests.workbooks import customer_rows, fill_template

SAMPLE = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
31 27 0:42 / /mnt/sales\\040drive rw,relatime shared:20 - cifs //files.example/sales rw,vers=3.1.1,cache=strict
32 31 8:17 / /mnt/sales\\040drive/local rw,relatime - xfs /dev/sdb1 rw
40 27 0:50 / /srv/nfs rw,relatime master:7 propagation_from:1 - nfs4 nas:/export/sales rw,vers=4.2
41 27 0:51 / /home/ops/remote rw,nosuid,nodev - fuse.sshfs ops@host:/data rw,user_id=0
42 27 0:52 / /srv/old rw - nfs nas:/old rw,vers=3
"""


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("/mnt/sales drive/SZ/rep_a", ("cifs", "//files.example/sales")),
        ("/mnt/sales drive", ("cifs", "//files.example/sales")),
        ("/srv/nfs/drive", ("nfs4", "nas:/export/sales")),
        ("/srv/old", ("nfs", "nas:/old")),
        ("/home/ops/remote/drive", ("fuse.sshfs", "ops@host:/data")),
        ("/mnt/sales drive/local/x", None),  # a local disk mounted inside the share
        ("/mnt/sales drivex", None),  # a sibling whose name only starts the same
        ("/var/drive", None),
    ],
)
def test_the_drive_roots_mount_decides_whether_it_is_a_network_drive(
    root: str, expected: tuple[str, str] | None
) -> None:
    mount = on_network(Path(root), SAMPLE)
    assert (None if mount is None else (mount.fstype, mount.source)) == expected


def test_mountinfo_is_parsed_with_optional_fields_and_escapes() -> None:
    mounts = parse_mountinfo(SAMPLE)
    assert [m.mount_point for m in mounts] == [
        "/proc",
        "/",
        "/mnt/sales drive",
        "/mnt/sales drive/local",
        "/srv/nfs",
        "/home/ops/remote",
        "/srv/old",
    ]
    assert [m.network for m in mounts] == [False, False, True, False, True, True, True]
    assert is_network_type("smb3") and is_network_type("remote:NTFS") and not is_network_type("tmpfs")


def test_this_machines_temp_folder_is_found_and_is_local(tmp_path: Path) -> None:
    mount = drive_mount(tmp_path)
    assert mount is not None and not mount.network


def test_a_watcher_on_a_network_drive_polls_and_picks_up_saves(
    app: Salesync, people: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = app.config.drive_root
    home = root / "SZ" / "rep_a"
    home.mkdir(parents=True)
    share = Mount(str(root), "cifs", "//files.example/sales")
    monkeypatch.setattr(service, "on_network", lambda path: share if path == root.resolve() else None)
    data = fill_template("customers", customer_rows(2), tmp_path / "build" / "a.xlsx").read_bytes()
    with running_watcher(app, root, isolated=False) as watcher:
        assert watcher.observer_kind == "polling"
        (home / "客户登记.xlsx").write_bytes(data)
        wait_for("the save on the share", lambda: version_of(app, sha(data)))
        settled(app, watcher)


NETWORK_MOUNT = os.environ.get("SALESYNC_TEST_NETWORK_MOUNT")  # e.g. an sshfs, NFS or CIFS mount point
NETWORK_BACKING = os.environ.get("SALESYNC_TEST_NETWORK_BACKING")  # the same folder on the "server"


@pytest.mark.skipif(
    not (NETWORK_MOUNT and NETWORK_BACKING),
    reason="needs a real network mount: SALESYNC_TEST_NETWORK_MOUNT and SALESYNC_TEST_NETWORK_BACKING",
)
def test_a_save_made_on_the_server_side_of_a_real_network_mount_is_picked_up(
    app: Salesync, people: dict[str, str], tmp_path: Path
) -> None:
    """Saves are written into the share's backing folder, as on the file server or another client:
    native events on the mount never see them; the watcher finds the network file system and polls."""
    assert NETWORK_MOUNT and NETWORK_BACKING
    name = f"drive-{uuid.uuid4().hex[:8]}"
    server_side, root = Path(NETWORK_BACKING) / name, Path(NETWORK_MOUNT) / name
    (server_side / "SZ" / "rep_a").mkdir(parents=True)
    try:
        wait_for("the folder through the mount", lambda: (root / "SZ" / "rep_a").is_dir())
        mount = on_network(root)
        assert mount is not None, drive_mount(root)
        data = fill_template("customers", customer_rows(2), tmp_path / "build" / "a.xlsx").read_bytes()
        with running_watcher(app, root, rescan=3600.0, isolated=False) as watcher:
            assert watcher.observer_kind == "polling"  # no --polling, no configuration
            (server_side / "SZ" / "rep_a" / "客户登记.xlsx").write_bytes(data)
            wait_for("the save made on the server", lambda: version_of(app, sha(data)))
            settled(app, watcher)
    finally:
        shutil.rmtree(server_side, ignore_errors=True)
