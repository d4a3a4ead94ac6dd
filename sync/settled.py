"""Untouched rows of a re-saved workbook are recognised from their raw cells and go no further.

A rep saves the same 客户登记 workbook many times a day and changes a handful of rows each time.
Every accepted version keeps a 64-bit fingerprint of each *settled* row — one that went through
without a finding that would come back (an error, a collision, a stale-copy conflict) — made from
the cells exactly as read, before any typing. The next save of that workbook is fingerprinted the
same way right after the read, and only what differs is typed, validated and compared with the
database, together with every row that shares a link value (the customer's phone) with a changed
row, so that the cross-row and cross-sheet rules still see everything they relate.

Only kinds that declare ``extra["settle_by"]`` (the field linking their sheets) take part, and only
for the version the saved file's stamp names, i.e. the rows this author last saw accepted. The
fingerprints are a shortcut and never a source of truth: when they are missing, were made by
another method, or the file is not a continuation, every row goes the full way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.models import Customer, Reassignment, SettledRows, WorkbookVersion
from schema.spec import Sheet, WorkbookKind
from sync.reader import RawSheet
from validators.findings import Finding
from validators.frames import typed_column

#: Fingerprints are compared only with fingerprints made by the same method.
METHOD = f"polars-{pl.__version__}-1"
#: Findings about a row's first entry: they do not come back when the row is saved again.
ONCE = frozenset({"late-entry"})
_SEEDS = {
    "seed": 0x5A1E5,
    "seed_1": 0x9E3779B97F4A7C15 & 0x7FFFFFFF,
    "seed_2": 0x2545F491,
    "seed_3": 0x27D4EB2F,
}


def fingerprints(frame: pd.DataFrame, sheet: Sheet) -> np.ndarray:
    """One uint64 per row of a raw frame, from the spec columns' raw strings in spec order (so a
    reordered sheet fingerprints the same); the row's position plays no part."""
    if frame.empty:
        return np.zeros(0, dtype=np.uint64)
    table = pa.table({f: pa.array(frame[f], type=pa.string(), from_pandas=True) for f in sheet.fields})
    frame_pl = cast(pl.DataFrame, pl.from_arrow(table))
    return frame_pl.hash_rows(**_SEEDS).to_numpy().astype(np.uint64, copy=False)


def settle_by(kind: WorkbookKind) -> str | None:
    link = kind.extra.get("settle_by")
    return str(link) if link else None


def load(session: Session, workbook_id: int, seq: int) -> tuple[int, dict[str, np.ndarray]] | None:
    """The workbook's accepted version ``seq`` and its settled fingerprints per sheet, or None when
    it has none made by this method."""
    version_id = session.scalar(
        select(WorkbookVersion.id).where(
            WorkbookVersion.workbook_id == workbook_id, WorkbookVersion.seq == seq
        )
    )
    if version_id is None:
        return None
    stmt = select(SettledRows.entity, SettledRows.digests).where(
        SettledRows.version_id == version_id, SettledRows.method == METHOD
    )
    found = {entity: np.frombuffer(blob, dtype="<u8") for entity, blob in session.execute(stmt)}
    return (version_id, found) if found else None


def _link_values(sheet: Sheet, frame: pd.DataFrame, field: str) -> np.ndarray:
    """A column's values as the validators type them (a phone in any shape → its 11 digits)."""
    values = typed_column(sheet.column(field), pa.array(frame[field], type=pa.string(), from_pandas=True))
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=object)


@dataclass
class Selection:
    """Which rows of each sheet go the full way; the others are as the author last saw them accepted."""

    keep: dict[str, np.ndarray]  # entity → bool per raw row
    digests: dict[str, np.ndarray]  # entity → fingerprint per raw row

    @property
    def skipped(self) -> int:
        return int(sum((~mask).sum() for mask in self.keep.values()))


def select_changed(
    kind: WorkbookKind,
    frames: Mapping[str, pd.DataFrame],
    settled: Mapping[str, np.ndarray],
    moved_away: Collection[str] = (),
) -> Selection:
    """Rows whose fingerprint is not among ``settled``, plus every row sharing a link value with
    one of them in any sheet, plus the rows of customers moved away from the author since."""
    link = settle_by(kind)
    digests = {e: fingerprints(frames[e], kind.sheet(e)) for e in frames}
    keep = {e: ~np.isin(d, settled.get(e, np.zeros(0, np.uint64))) for e, d in digests.items()}
    if link is None:
        return Selection({e: np.ones(len(d), dtype=bool) for e, d in digests.items()}, digests)
    values = {e: _link_values(kind.sheet(e), frames[e], link) for e in frames if link in kind.sheet(e).fields}
    touched = {v for e, vals in values.items() for v in vals[keep[e]] if v is not None}
    touched.update(moved_away)
    for entity, vals in values.items():
        keep[entity] |= pd.Series(vals, dtype=object).isin(touched).to_numpy()
    for entity, frame in frames.items():
        # a key without the link value (a questionnaire's 认购书编号) is compared among all rows
        sheet = kind.sheet(entity)
        if sheet.key and link not in sheet.key and keep[entity].any() and not keep[entity].all():
            keys = pd.DataFrame({k: _link_values(sheet, frame, k) for k in sheet.key})
            wanted = pd.MultiIndex.from_frame(keys[keep[entity]])
            keep[entity] |= pd.MultiIndex.from_frame(keys).isin(wanted)
    return Selection(keep, digests)


def moved_away(session: Session, account_id: int, base_version_id: int) -> set[str]:
    """Phones of the author's customers given to another rep since the base version was seen."""
    seen = select(WorkbookVersion.seen_at).where(WorkbookVersion.id == base_version_id).scalar_subquery()
    stmt = (
        select(Customer.phone)
        .join(Reassignment, Reassignment.customer_id == Customer.id)
        .where(Reassignment.from_account_id == account_id, Reassignment.at >= seen)
    )
    return set(session.scalars(stmt))


def record(
    session: Session,
    version_id: int,
    sheets: Mapping[str, RawSheet],
    findings: list[Finding],
    digests: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Keep the fingerprints of an accepted version's settled rows: every row without a finding
    that would come back. ``digests`` are the rows' fingerprints when already made."""
    unsettled: dict[str, set[int]] = {}
    for f in findings:
        if f.row is not None and f.sheet is not None and f.code not in ONCE:
            unsettled.setdefault(f.sheet, set()).add(f.row)
    for entity, sheet in sheets.items():
        digest = digests[entity] if digests is not None else fingerprints(sheet.frame, sheet.spec)
        bad = unsettled.get(sheet.spec.name)
        good = digest[~sheet.frame.index.isin(list(bad))] if bad else digest
        session.add(
            SettledRows(
                version_id=version_id,
                entity=entity,
                method=METHOD,
                rows=len(good),
                digests=np.unique(good).astype("<u8").tobytes(),
            )
        )
