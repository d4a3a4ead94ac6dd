"""The service object handed to every interface (CLI, watcher, portal): the store and the use cases.

:class:`Salesync` is a :class:`~sync.core.store.Store` (config, engine, sessions) plus the one use
case every interface shares, ingesting a saved workbook. It sits above the pipeline and calls down
into it; nothing below this floor knows it exists.
"""

from __future__ import annotations

from pathlib import Path

from sync.core.store import Store
from sync.pipeline.ingest import ingest_file
from sync.pipeline.outcome import Outcome
from sync.pipeline.progress import Progress


class Salesync(Store):
    def ingest(
        self,
        path: Path | str,
        username: str,
        *,
        allow_removals: bool = False,
        write_back: bool | None = None,
        data: bytes | None = None,
        progress: Progress | None = None,
    ) -> Outcome:
        """Ingest one saved workbook as ``username``; ``progress`` hears each stage as it begins
        (``sync.pipeline.progress.STAGES``)."""
        return ingest_file(
            self,
            Path(path),
            username,
            allow_removals=allow_removals,
            write_back=self.config.write_back if write_back is None else write_back,
            data=data,
            progress=progress,
        )
