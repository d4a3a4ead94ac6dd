"""The service object handed to every interface (CLI, watcher, portal): the store and the use cases.

:class:`Salesync` is a :class:`~sync.core.store.Store` (config, engine, sessions) plus the one use
case every interface shares, ingesting a saved workbook. It sits above the pipeline and calls down
into it; nothing below this floor knows it exists.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event

from sync.core.config import Config
from sync.core.store import Store
from sync.domain import anchors
from sync.domain.anchors import ANCHOR_FILE

if TYPE_CHECKING:  # the pipeline loads with the first ingest: `salesync status` never needs it
    from sync.pipeline.outcome import Outcome
    from sync.pipeline.progress import Progress


class Salesync(Store):
    def __init__(self, config: Config, engine: Engine | None = None) -> None:
        super().__init__(config, engine)
        self.sessions.configure(
            info={
                **self.sessions.kw.get("info", {}),
                "anchor_file": config.data_dir / ANCHOR_FILE,  # checkpoints of the work log's head
                "sign_hold": dt.timedelta(hours=config.admin_password_hold_hours),
            }
        )
        # every commit checkpoints the work log's head outside the database (sync.domain.anchors)
        event.listen(self.sessions, "after_commit", anchors.after_commit)
        event.listen(self.sessions, "after_rollback", anchors.after_rollback)

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
        from sync.pipeline.ingest import ingest_file

        return ingest_file(
            self,
            Path(path),
            username,
            allow_removals=allow_removals,
            write_back=self.config.write_back if write_back is None else write_back,
            data=data,
            progress=progress,
        )
