"""Untouched rows of a re-saved workbook are recognised from their raw cells and go no further.

A rep saves the same 客户登记 workbook many times a day and changes a handful of rows each time.
Every accepted version keeps a 64-bit fingerprint of each *settled* row — one that went through
without a finding that would come back (an error, a collision, a stale-copy conflict) — made from
the cells exactly as read, before any typing. The next save of that workbook is fingerprinted the
same way right after the read, and only what differs is typed, validated and compared with the
database, together with every row that shares a link value (the customer's phone) with a changed
row, so that the cross-row and cross-sheet rules still see everything they relate.

Only kinds that declare ``settle_by`` (the field linking their sheets) take part, and only
for the version the saved file's stamp names, i.e. the rows this author last saw accepted. The
fingerprints are a shortcut and never a source of truth: when they are missing, were made by
another method, or the file is not a continuation, every row goes the full way.

The hash is SipHash-2-4 with a fixed key over each cell's UTF-8 bytes (pandas' documented
``hash_array``), combined column by column in spec order with plain 64-bit arithmetic written
here: the same cells give the same fingerprint whatever the installed polars, pandas or numpy
version, so an upgrade never silently changes which rows count as unchanged. (Fingerprints stored
by the earlier polars ``hash_rows`` method carry another ``METHOD``: they are not compared, and the
first save of each workbook after the upgrade goes the whole way once.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.util import hash_array
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from schema.models import Customer, Reassignment, SettledRows, WorkbookVersion
from schema.spec import Sheet, WorkbookKind
from sync.xlsx.reader import RawSheet
from validators.findings import Findings
from validators.frames import typed_column

#: Fingerprints are compared only with fingerprints made by the same method.
METHOD = "siphash24-utf8-1"
#: Findings about a row's first entry: they do not come back when the row is saved again.
ONCE = frozenset({"late-entry"})
#: The accepted versions of a workbook whose fingerprints are kept (a stale copy is usually recent).
KEEP = 3
#: SipHash's 16-byte key: part of the method, never to change without changing ``METHOD``.
_KEY = "salesync-rows-v1"
_NULL = np.uint64(0x9E3779B97F4A7C15)  # an empty cell, apart from any text (even "")
_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime: each column moves the whole row hash


def _cell_hashes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """SipHash-2-4 of each value's UTF-8 text, and which values are null (their hash is 0 here)."""
    text = values.cast(pa.string()) if values.type != pa.string() else values
    cells = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    null = np.asarray(text.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    cells[null] = ""
    hashed = hash_array(cells, encoding="utf8", hash_key=_KEY, categorize=False).astype(np.uint64)
    hashed[null] = 0
    return hashed, null


def fingerprints(frame: pd.DataFrame, sheet: Sheet) -> np.ndarray:
    """One uint64 per row of a raw frame, from the spec columns' raw strings in spec order (so a
    reordered sheet fingerprints the same); the row's position plays no part."""
    if frame.empty:
        return np.zeros(0, dtype=np.uint64)
    row = np.full(len(frame), np.uint64(len(sheet.fields)), dtype=np.uint64)
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
        for field in sheet.fields:
            cells, null = _cell_hashes(pa.array(frame[field], type=pa.string(), from_pandas=True))
            cells[null] = _NULL
            row = (row * _MULTIPLIER) ^ cells
    return row


def settle_by(kind: WorkbookKind) -> str | None:
    link = kind.settle_by
    return str(link) if link else None


Settled = dict[str, tuple[np.ndarray, np.ndarray]]  # entity → (fingerprints, link hashes)
_NONE = np.zeros(0, dtype=np.uint64)


def load(session: Session, workbook_id: int, seq: int) -> tuple[int, Settled] | None:
    """The workbook's accepted version ``seq`` and its settled rows per sheet (fingerprints and
    link hashes), or None when it has none made by this method."""
    version_id = session.scalar(
        select(WorkbookVersion.id).where(
            WorkbookVersion.workbook_id == workbook_id, WorkbookVersion.seq == seq
        )
    )
    if version_id is None:
        return None
    stmt = select(SettledRows.entity, SettledRows.digests, SettledRows.links).where(
        SettledRows.version_id == version_id, SettledRows.method == METHOD
    )
    found = {
        entity: (np.frombuffer(digests, dtype="<u8"), np.frombuffer(links, dtype="<u8"))
        for entity, digests, links in session.execute(stmt)
    }
    return (version_id, found) if found else None


def link_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """One uint64 per typed link value (a normalised phone); 0 for none."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64)
    hashed, _ = _cell_hashes(values)
    return hashed


def _typed(sheet: Sheet, frame: pd.DataFrame, field: str) -> pa.Array:
    """A raw column typed as the validators type it (a phone in any shape → its 11 digits)."""
    return typed_column(sheet.column(field), pa.array(frame[field], type=pa.string(), from_pandas=True))


@dataclass
class Selection:
    """Which rows of each sheet go the full way; the others are as the author last saw them accepted."""

    keep: dict[str, np.ndarray]  # entity → bool per raw row
    digests: dict[str, np.ndarray]  # entity → fingerprint per raw row
    links: dict[str, np.ndarray]  # entity → link hash per raw row (known for the rows skipped)

    @property
    def skipped(self) -> int:
        return int(sum((~mask).sum() for mask in self.keep.values()))


def _lookup(digests: np.ndarray, base: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Which fingerprints are among the base's settled ones, and the link hash stored with each."""
    base_digests, base_links = base
    found = np.zeros(len(digests), dtype=bool)
    links = np.zeros(len(digests), dtype=np.uint64)
    if len(base_digests) == 0 or len(digests) == 0:
        return found, links
    order = np.argsort(base_digests, kind="stable")
    ordered = base_digests[order]
    at = np.minimum(np.searchsorted(ordered, digests), len(ordered) - 1)
    found = ordered[at] == digests
    if len(base_links) == len(base_digests):
        links[found] = base_links[order][at[found]]
    return found, links


def select_changed(
    kind: WorkbookKind,
    frames: Mapping[str, pd.DataFrame],
    settled: Settled,
    moved_away: Collection[str] = (),
) -> Selection:
    """Rows whose fingerprint is not among ``settled``, plus every row sharing a link value with
    one of them in any sheet, plus the rows of customers moved away from the author since."""
    digests = {e: fingerprints(frames[e], kind.sheet(e)) for e in frames}
    link = settle_by(kind)
    if link is None:  # nothing links the sheets: every row goes the whole way
        zeros = {e: np.zeros(len(d), dtype=np.uint64) for e, d in digests.items()}
        return Selection({e: np.ones(len(d), dtype=bool) for e, d in digests.items()}, digests, zeros)
    keep: dict[str, np.ndarray] = {}
    links: dict[str, np.ndarray] = {}
    for entity, digest in digests.items():
        found, links[entity] = _lookup(digest, settled.get(entity, (_NONE, _NONE)))
        # a row typed twice over is the same fingerprint twice: the repeat was an error last
        # time and must be one again, so repeated rows always go the whole way
        _, inverse, counts = np.unique(digest, return_inverse=True, return_counts=True)
        keep[entity] = ~found | (counts[inverse] > 1)
    linked = [e for e in frames if link in kind.sheet(e).fields]
    touched = [link_hashes(pa.array(sorted(moved_away), pa.string()))]
    for entity in linked:  # only the changed rows are typed here; the others' links were kept
        changed = keep[entity]
        if changed.any():
            links[entity][changed] = link_hashes(_typed(kind.sheet(entity), frames[entity][changed], link))
            touched.append(links[entity][changed])
    wanted = np.unique(np.concatenate(touched))
    wanted = wanted[wanted != 0]
    for entity in linked:
        keep[entity] |= np.isin(links[entity], wanted)
    for entity, frame in frames.items():
        # a key without the link value (a questionnaire's 认购书编号) is compared among all rows
        sheet = kind.sheet(entity)
        if sheet.key and link not in sheet.key and keep[entity].any() and not keep[entity].all():
            keys = pd.DataFrame({k: _typed(sheet, frame, k).to_pandas() for k in sheet.key})
            chosen = pd.MultiIndex.from_frame(keys[keep[entity]])
            keep[entity] |= pd.MultiIndex.from_frame(keys).isin(chosen)
    return Selection(keep, digests, links)


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
    version: WorkbookVersion,
    kind: WorkbookKind,
    sheets: Mapping[str, RawSheet],
    typed: Mapping[str, pd.DataFrame],
    findings: Findings,
    selection: Selection | None = None,
) -> None:
    """Keep an accepted version's settled rows — every row without a finding that would come
    back — with each row's link hash, taken from the ``typed`` frames for the rows typed in this
    version and from ``selection`` for the rows skipped. Those of the workbook's versions more
    than ``KEEP`` accepted versions back are let go: a copy saved from one of them goes the whole
    way."""
    link = settle_by(kind)
    unsettled = findings.rows_by_sheet(skip=ONCE)
    for entity, sheet in sheets.items():
        index = sheet.frame.index
        digest = selection.digests[entity] if selection else fingerprints(sheet.frame, sheet.spec)
        links = selection.links[entity].copy() if selection else np.zeros(len(index), dtype=np.uint64)
        frame = typed.get(entity)
        if link in sheet.spec.fields and frame is not None and len(frame):
            links[index.get_indexer(frame.index)] = link_hashes(pa.array(frame[link], from_pandas=True))
        bad = unsettled.get(sheet.spec.name)
        good = ~index.isin(list(bad)) if bad else np.ones(len(index), dtype=bool)
        session.add(
            SettledRows(
                version_id=version.id,
                entity=entity,
                method=METHOD,
                rows=int(good.sum()),
                digests=digest[good].astype("<u8").tobytes(),
                links=links[good].astype("<u8").tobytes(),
            )
        )
    if version.workbook_id is not None and version.seq is not None and version.seq > KEEP:
        older = select(WorkbookVersion.id).where(
            WorkbookVersion.workbook_id == version.workbook_id, WorkbookVersion.seq <= version.seq - KEEP
        )
        session.execute(delete(SettledRows).where(SettledRows.version_id.in_(older)))
