"""Which files on the drive are workbooks to ingest, and whose folder each one is in.

The drive is ``ROOT/<region>/<username>/…``: a file anywhere under a personal folder belongs to that
account. Office owner files (``~$name.xlsx``, ``.~lock.name#``), temp files (``*.tmp``, Excel's
extension-less temp names), hidden files and salesync's own feedback files are never ingested.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sync.domain.folders import REPORTS_FOLDER
from sync.pipeline.feedback import is_feedback_file

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})
ZIP_SUFFIXES = frozenset({".xlsx", ".xlsm"})


def is_candidate(path: Path, root: Path | None = None) -> bool:
    """Whether ``path`` names a workbook the watcher should look at (the file need not exist)."""
    name = path.name
    if name.startswith(("~$", ".~lock.", ".")) or name.casefold().endswith((".tmp", "#")):
        return False
    if is_feedback_file(path) or path.suffix.casefold() not in WORKBOOK_SUFFIXES:
        return False
    if root is not None:
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            return False
        if any(part.startswith(".") for part in parts[:-1]) or REPORTS_FOLDER in parts[2:-1]:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Place:
    """Where a file sits: its personal folder (``SZ/zhangli``) and the account that folder names."""

    folder: str
    region: str | None
    username: str | None


def place_of(root: Path, path: Path) -> Place:
    parts = path.relative_to(root).parts
    if len(parts) >= 3:
        return Place(f"{parts[0]}/{parts[1]}", parts[0], parts[1])
    return Place("/".join(parts[:-1]), None, None)
