"""The ``.xlsx`` file on the drive as a source (:mod:`sync.sources.base`): the first implementation.

It lives beside the file write-back it hands to (the result workbook, the stamp and the marks of
:mod:`sync.pipeline.writeback`), so the seam below the pipeline stays free of the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sync.core.errors import FileUnavailable
from sync.core.store import Store
from sync.pipeline.outcome import Outcome
from sync.pipeline.writeback import write_back
from sync.sources.base import Fetched
from sync.xlsx.admission import NotAdmitted, read_file
from sync.xlsx.reader import RawWorkbook, read_workbook
from sync.xlsx.stamp import Stamp


@dataclass
class FileSource:
    """A saved workbook at ``path``; ``data``, when given, is its content as already read (the
    watcher hashes a stable file once and ingests exactly those bytes)."""

    path: Path
    data: bytes | None = None
    lang: str = "zh"  # of the one line that says why the file cannot be read

    @property
    def location(self) -> str:
        return str(self.path)

    def fetch(self) -> Fetched:
        if self.data is None:
            try:
                self.data = read_file(self.path)  # a regular file of a bounded size, links kept in
            except NotAdmitted as refusal:
                raise FileUnavailable(f"{self.path}（{refusal.finding.message(self.lang)}）") from None
            except OSError as exc:
                raise FileUnavailable(f"{self.path}（{exc.strerror}）") from exc
        return Fetched.of(self.data)

    def read(self, fetched: Fetched) -> RawWorkbook:
        return read_workbook(fetched.data)

    def write_back(
        self, store: Store, fetched: Fetched, outcome: Outcome, stamp: Stamp | None, *, annotate: bool
    ) -> None:
        write_back(store, self.path, fetched.data, outcome, stamp, annotate=annotate)
