"""The key that signs the portal's session cookies."""

from __future__ import annotations

import os

from sync.core.config import Config, kept_secret

KEY_FILE = "portal.key"


def portal_secret(config: Config) -> str:
    """``SALESYNC_SECRET_KEY`` when set; otherwise a random key kept in ``<data_dir>/portal.key``
    (mode 600), made on first use, so that logins survive a restart of the portal."""
    configured = os.environ.get("SALESYNC_SECRET_KEY")
    if configured:
        return configured
    return kept_secret(config.data_dir / KEY_FILE).decode()
