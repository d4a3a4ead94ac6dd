"""The safe set for codes that become folder names, URL parts and file names (region and project
codes): ASCII letters, digits and ``. _ -``, starting with a letter or digit, at most 64 long.
Shared by the workbook rule (``validators.rules.safe_project_codes``) and ``sync.domain.names``."""

from __future__ import annotations

import re

SAFE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def code_ok(code: str) -> bool:
    return SAFE_CODE.fullmatch(code) is not None and code not in (".", "..")
