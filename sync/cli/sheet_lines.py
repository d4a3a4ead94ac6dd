"""One registered online sheet in one line, for ``salesync sheets list`` and ``salesync status``.

Apart from :mod:`sync.cli.sheets` because that module loads the online-sheet pipeline: ``status``
imports this line at its top and starts without the pipeline. The kinds' specs load only when a
line is written (:func:`sync.kinds.all_kinds`), that is only when sheets are registered.
"""

from __future__ import annotations

from sync.kinds import all_kinds
from sync.sources import sheets as registry


def sheet_line(r: registry.SheetStatus) -> str:
    """One registered sheet in one line (``salesync sheets list`` and ``salesync status``)."""
    kinds = all_kinds()
    kind = kinds[r.kind].title if r.kind in kinds else r.kind
    last = f"v{r.last_version} {r.last_outcome}" if r.last_version else (r.last_outcome or "尚无版本")
    off = "" if r.active else "［已停止］"
    return f"#{r.id:<4} {r.title or r.url}  {r.account}（{kind}）{off}  最近：{last}  检查于 {r.last_checked or '—'}"
