"""The work log's key: configured, or a random secret kept in the data directory.

Every machine writing to one database (watcher, CLI, portal) needs the same key; the sessions of the
service object carry a way to fetch it (:class:`sync.core.store.Store`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sync.core.config import Config, kept_secret
from sync.core.errors import SalesyncError

KEY_FILE = "audit.key"


class AuditKeyMissing(SalesyncError):
    """工作日志密钥未配置（配置文件 audit_key 或环境变量 SALESYNC_AUDIT_KEY）"""


_keys: dict[Config, bytes] = {}


def load_key(config: Config) -> bytes:
    """The configured secret; without one, a random key kept in ``<data_dir>/audit.key`` (mode 600).

    Every machine writing to one database (watcher, CLI, portal) needs the same key: set
    ``audit_key`` in the configuration when they do not share a data directory.
    """
    if config.audit_key:
        return config.audit_key.encode()
    if config in _keys:
        return _keys[config]
    path = config.data_dir / KEY_FILE
    key = kept_secret(path)
    if not key:
        raise AuditKeyMissing(f"（{path} 为空）")
    _keys[config] = key
    return key


def session_key(session: Session) -> bytes:
    source = session.info.get("audit_key")
    key = source() if callable(source) else source
    if not key:
        raise AuditKeyMissing()
    return bytes(key)
