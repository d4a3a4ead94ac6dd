"""The source seam: one small interface between "where the cells come from" and the pipeline.

A source is one workbook somewhere — a file on the drive, an online spreadsheet — and gives the
pipeline four things:

- ``location``: the workbook's identity, kept on its versions (a path, or ``gsheets:<id>``);
- :meth:`Source.fetch`: the content as ``.xlsx`` bytes and their SHA-256 — the bytes every version
  keeps, whatever the source, so an online sheet's version can be downloaded and read again;
- :meth:`Source.read`: those bytes as the typed frames of :mod:`sync.xlsx.reader` (header row,
  normalisation and findings are the file reader's, never a second copy of them);
- :meth:`Source.write_back`: the status column, the cell marks and the stamp, after the commit.

Everything after :meth:`read` — validation, ownership, versions, change sets, feedback — does not
know which source it was. A source that cannot be reached raises :class:`SourceUnavailable` from
:meth:`fetch`, before anything is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sync.core.errors import SalesyncError
from validators.messages import render

if TYPE_CHECKING:
    from sync.core.store import Store
    from sync.pipeline.outcome import Outcome
    from sync.xlsx.reader import RawWorkbook
    from sync.xlsx.stamp import Stamp


@dataclass(frozen=True)
class Fetched:
    """One read of a source: the ``.xlsx`` bytes a version keeps, and their digest."""

    data: bytes
    digest: str

    @classmethod
    def of(cls, data: bytes) -> Fetched:
        return cls(data, hashlib.sha256(data).hexdigest())


class Source(Protocol):
    @property
    def location(self) -> str:
        """The workbook's place, as versions record it."""
        ...

    def fetch(self) -> Fetched:
        """The content now; raises :class:`SourceUnavailable` (or ``FileUnavailable``) when it cannot."""
        ...

    def read(self, fetched: Fetched) -> RawWorkbook:
        """The fetched content as typed frames and findings."""
        ...

    def write_back(
        self, store: Store, fetched: Fetched, outcome: Outcome, stamp: Stamp | None, *, annotate: bool
    ) -> None:
        """After the commit: status, marks and stamp into the source (best effort, never raises)."""
        ...


class SourceUnavailable(SalesyncError):
    """无法读取在线表格："""

    def __init__(self, code: str, **params: Any) -> None:
        """``code`` names its words in ``validators.messages``; ``params`` fill them in."""
        self.code, self.params = code, params
        super().__init__(render(code, "zh", **params))

    def message(self, lang: str = "zh") -> str:
        return render(self.code, lang, **self.params)
