"""The key that signs the portal's session cookies."""

from __future__ import annotations

import os
import secrets

from sync.config import Config

KEY_FILE = "portal.key"


def portal_secret(config: Config) -> str:
    """``SALESYNC_SECRET_KEY`` when set; otherwise a random key kept in ``<data_dir>/portal.key``
    (mode 600), made on first use, so that logins survive a restart of the portal."""
    configured = os.environ.get("SALESYNC_SECRET_KEY")
    if configured:
        return configured
    path = config.data_dir / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()
