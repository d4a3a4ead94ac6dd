"""The append-only work log: every applied change, signature, rejection and account change.

Each entry's ``hash`` is an HMAC-SHA256, keyed with the secret from the configuration, of its
content, its sequence number and the previous entry's hash. Altering, inserting, deleting or
reordering any entry breaks the chain at that entry; ``work_log_head`` (sealed with the same key)
names the last entry, so deleting the tail shows too. Without the key nobody can recompute a
repaired chain, even with full write access to the database.

The key reaches the log through the session (``session.info["audit_key"]``, set by
:class:`sync.app.Salesync`), so every code path that writes inside a salesync transaction can log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import FromClause, Table, func, select
from sqlalchemy.orm import Session

from schema.base import SHANGHAI, now
from schema.models import Account, SealedRows, WorkbookVersion, WorkLogEntry, WorkLogHead
from sync.core.bulk import INSERT_CHUNK, BulkInsert
from sync.core.keys import session_key
from sync.domain import row_digest
from sync.xlsx.excel_text import safe_text
from validators.messages import render

GENESIS = "0" * 64
SEALED = "新增"  # a digest-sealed entry records new rows; its detail says it is sealed (``encoding``)
HEAD_ID = 1


def seal(key: bytes, *parts: Any) -> str:
    """A keyed SHA-256 of ``parts`` in canonical JSON."""
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat()


def entry_hash(key: bytes, entry: WorkLogEntry) -> str:
    return seal(
        key,
        "entry",
        entry.prev_hash,
        entry.seq,
        _utc(entry.at),
        entry.account_id,
        entry.entity,
        entry.key,
        entry.op,
        entry.field,
        entry.old,
        entry.new,
        entry.changes,
        entry.version_id,
        entry.change_set_id,
        entry.signers,
    )


def _fast_seal(mac: Any, parts: list[Any]) -> str:
    """:func:`seal` with the key's HMAC state prepared once (many entries in a row)."""
    h = mac.copy()
    h.update(json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str).encode())
    return str(h.hexdigest())


def _legacy_hash(entry: WorkLogEntry) -> str:
    """The unkeyed digest of entries written before the key (revision 0001's formula)."""
    body = json.dumps(
        [
            _utc(entry.at),
            entry.account_id,
            entry.entity,
            entry.key,
            entry.op,
            entry.changes,
            entry.version_id,
            entry.change_set_id,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((entry.prev_hash + body).encode()).hexdigest()


def _head_seal(key: bytes, head: WorkLogHead) -> str:
    return seal(key, "head", head.seq, head.hash, head.legacy)


@dataclass
class LogWriter:
    """Appends entries within the caller's transaction.

    The first append locks the head row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises
    writers), so two transactions never chain onto the same predecessor.
    """

    session: Session
    account_id: int | None
    version_id: int | None = None
    change_set_id: int | None = None
    signers: Iterable[str] = ()
    _head: WorkLogHead | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._key = session_key(self.session)
        self._at = now()
        self._signers = ",".join(self.signers) or None

    def _lock_head(self) -> WorkLogHead:
        if self._head is not None:
            return self._head
        head = self.session.scalar(select(WorkLogHead).where(WorkLogHead.id == HEAD_ID).with_for_update())
        if head is None:  # the first keyed entry: continue after any legacy entries
            tail = self.session.execute(
                select(WorkLogEntry.seq, WorkLogEntry.hash).order_by(WorkLogEntry.id.desc()).limit(1)
            ).first()
            seq, last = (tail[0], tail[1]) if tail else (0, GENESIS)
            head = WorkLogHead(id=HEAD_ID, seq=seq, hash=last, legacy=seq, seal="")
            head.seal = _head_seal(self._key, head)
            self.session.add(head)
        self._head = head
        self.session.info["log_head"] = (
            head  # anchored outside the database after commit (sync.domain.anchors)
        )
        return head

    def append(
        self,
        entity: str,
        key: str,
        op: str,
        *,
        field: str | None = None,
        old: str | None = None,
        new: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> WorkLogEntry:
        head = self._lock_head()
        entry = WorkLogEntry(
            seq=head.seq + 1,
            at=self._at,
            account_id=self.account_id,
            entity=entity,
            key=key,
            op=op,
            field=field,
            old=old,
            new=new,
            changes=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
            version_id=self.version_id,
            change_set_id=self.change_set_id,
            signers=self._signers,
            prev_hash=head.hash,
            hash="",
        )
        entry.hash = entry_hash(self._key, entry)
        self.session.add(entry)
        head.seq, head.hash = entry.seq, entry.hash
        head.seal = _head_seal(self._key, head)
        return entry

    def append_many(self, entries: Iterable[Change]) -> int:
        """Append many entries at once (a workbook's thousands of new rows): hashed in order like
        :meth:`append`, inserted in bulk. Returns the number appended."""
        head = self._lock_head()
        self.session.flush()  # the head row exists before the bulk insert reads its state
        bulk = BulkInsert(self.session, WorkLogEntry.__table__, BULK_KEYS)
        at = bulk.process("at", self._at)
        at_utc = _utc(self._at)
        mac = hmac.new(self._key, digestmod=hashlib.sha256)
        seq, last, total, size = head.seq, head.hash, 0, 0
        batch: list[tuple[Any, ...]] = []

        def flush() -> None:
            columns = {k: [row[i] for row in batch] for i, k in enumerate(BULK_KEYS)}
            bulk.execute(columns, processed=["at"])
            batch.clear()

        acc, ver, cs, signers = self.account_id, self.version_id, self.change_set_id, self._signers
        for c in entries:
            seq += 1
            prev = last
            # The same parts, in the same order, as entry_hash (verify recomputes them from the rows).
            what = (c.entity, c.key, c.op, c.field, c.old, c.new, c.changes)
            last = _fast_seal(mac, ["entry", prev, seq, at_utc, acc, *what, ver, cs, signers])
            batch.append((seq, at, acc, *what, ver, cs, signers, prev, last))
            total += 1
            size += len(c.changes)
            if len(batch) >= INSERT_CHUNK or size >= FLUSH_CHARS:
                flush()
                size = 0
        if batch:
            flush()
        if total:
            head.seq, head.hash = seq, last
            head.seal = _head_seal(self._key, head)
        return total

    def seal_batch(
        self,
        table: FromClause,
        frame: pd.DataFrame,
        ids: Iterable[int] | list[list[int]],
        *,
        columns: Sequence[str],
        key: Sequence[str],
        headers: Sequence[str | None] = (),
        log_key: Sequence[str] = (),
        entity: str | None = None,
        log_sep: str = " ",
    ) -> WorkLogEntry | None:
        """Seal a version's new rows of one table by digest: one chained entry instead of every value.

        ``frame`` holds the rows as applied (typed, one row per inserted row, the ``columns`` by their
        names in ``table``), ``ids`` their primary keys. The entry carries the SHA-256 of the version's
        kept file and the batch digest of the canonical rows (:mod:`sync.domain.row_digest`, rows in
        the order of ``key``); the row hashes go beside it (``sealed_rows``), so that a deep
        verification names the first row that differs. ``headers`` are the words the log uses for
        each column's changes (``None`` for a column no change entry names) and ``log_key`` the
        columns whose text, joined by spaces, is the key those change entries carry (a column
        ``fk@table.column`` is looked up through a foreign key): with them a row a later version
        changed is told from a row altered behind the log. ``ids`` may be given as ``[first, last]``
        runs (:func:`inserted_ids`); ``log_sep`` joins the ``log_key`` values as those entries do
        (a change set's entries join them with ``/``). Returns the entry (None for no rows)."""
        given: list[Any] = list(ids)
        table = cast(Table, table)
        ranges: list[list[int]] = (
            given if given and isinstance(given[0], list) else row_digest.id_ranges(given)
        )
        count = sum(b - a + 1 for a, b in ranges)
        if not count:
            return None
        if count != len(frame):
            raise ValueError(f"seal {table.name}: {count} ids for {len(frame)} rows")
        order = [*key, *(c for c in columns if c not in key)]
        forms = row_digest.column_forms(table, order)
        rows = row_digest.canonical_rows(row_digest.frame_columns(frame, order), forms, order, key)
        named = dict(zip(columns, headers, strict=False))
        detail = {
            "encoding": row_digest.ENCODING,
            "table": table.name,
            "columns": order,
            "headers": [named.get(c) for c in order],
            "key": list(key),
            "log_key": list(log_key),
            **({"log_sep": log_sep} if log_sep != " " else {}),
            "ids": ranges,
            "count": count,
            "digest": rows.digest,
            "file_sha256": self._file_sha256(),
        }
        entry = self.append(
            entity or table.name,
            f"{rows.key(0)} … {rows.key(len(rows) - 1)}（{count} 行）"[:200].replace(row_digest.SEP, " "),
            SEALED,
            detail=detail,
        )
        self.session.add(SealedRows(seq=entry.seq, entity=table.name, rows=count, hashes=rows.blob))
        return entry

    def _file_sha256(self) -> str | None:
        if self.version_id is None:
            return None
        return self.session.scalar(
            select(WorkbookVersion.sha256).where(WorkbookVersion.id == self.version_id)
        )


def last_id(session: Session, table: FromClause) -> int:
    """The highest primary key in ``table`` (0 when empty): taken before a bulk insert, so that
    :func:`inserted_ids` finds the rows it added."""
    return int(session.connection().execute(select(func.max(table.c.id))).scalar() or 0)


def inserted_ids(session: Session, table: FromClause, after: int, version_id: int) -> list[list[int]]:
    """The ids of the rows a version inserted into ``table`` since :func:`last_id` gave ``after``, as
    inclusive ``[first, last]`` runs. A bulk insert's ids are one run, told by one aggregate row;
    only ids with gaps (another writer's rows in between) are read one by one."""
    mine = (table.c.id > after, table.c.version_id == version_id)
    connection = session.connection()
    low, high, count = connection.execute(
        select(func.min(table.c.id), func.max(table.c.id), func.count()).where(*mine)
    ).one()
    if not count:
        return []
    if high - low + 1 == count:
        return [[int(low), int(high)]]
    return row_digest.id_ranges(connection.execute(select(table.c.id).where(*mine)).scalars())


FLUSH_CHARS = 2_000_000  # entries are written once their details reach this many characters

BULK_KEYS = [
    "seq",
    "at",
    "account_id",
    "entity",
    "key",
    "op",
    "field",
    "old",
    "new",
    "changes",
    "version_id",
    "change_set_id",
    "signers",
    "prev_hash",
    "hash",
]


@dataclass(frozen=True)
class Change:
    """One entry for :meth:`LogWriter.append_many`; ``changes`` is the detail as canonical JSON."""

    entity: str
    key: str
    op: str
    field: str | None = None
    old: str | None = None
    new: str | None = None
    changes: str = "{}"

    @staticmethod
    def detail(values: dict[str, Any]) -> str:
        return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class ChainReport:
    """What ``verify`` found: the entries checked and, if the chain does not hold, where it breaks."""

    entries: int
    legacy: int = 0
    problem: str | None = None  # a message code: log-edited, log-broken-link, log-missing-tail, …
    seq: int | None = None  # the position (1-based) of the first bad entry
    entry_id: int | None = None  # its database id
    expected: int | None = None  # for a missing tail: how many entries the head names
    params: dict[str, Any] = field(default_factory=dict)  # further words (``sync.domain.anchors``' checks)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def message(self, lang: str = "zh") -> str:
        if self.ok:
            text = render("log-intact", lang, entries=self.entries)
            return text + (render("log-legacy", lang, legacy=self.legacy) if self.legacy else "")
        return render(
            self.problem or "",
            lang,
            seq=self.seq,
            id=self.entry_id,
            entries=self.entries,
            expected=self.expected,
            **{k: v for k, v in self.params.items() if k not in ("entries", "expected")},
        )

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "legacy": self.legacy,
            "problem": self.problem,
            "seq": self.seq,
            "id": self.entry_id,
            "message": self.message(lang),
        }


def verify(session: Session) -> ChainReport:
    """Recompute the chain in order and report the first entry that does not hold."""
    key = session_key(session)
    head = session.get(WorkLogHead, HEAD_ID)
    if head is None and session.scalar(select(WorkLogEntry.id).limit(1)) is not None:
        return ChainReport(0, 0, "log-head-missing")
    sealed = head is not None and head.seal == _head_seal(key, head)
    allowed_legacy = head.legacy if head is not None and sealed else 0
    prev, position, legacy = GENESIS, 0, 0
    for entry in session.scalars(select(WorkLogEntry).order_by(WorkLogEntry.id)).yield_per(1000):
        position += 1
        if head is not None and sealed and position > head.seq:  # behind the sealed head: no key
            return ChainReport(position - 1, legacy, "log-edited", position, entry.id)
        if entry.prev_hash != prev or entry.seq != position:
            return ChainReport(position - 1, legacy, "log-broken-link", position, entry.id)
        if position <= allowed_legacy and entry.hash == _legacy_hash(entry):
            legacy += 1  # written before the key existed, counted into the sealed head
        elif entry.hash != entry_hash(key, entry):
            return ChainReport(position - 1, legacy, "log-edited", position, entry.id)
        prev = entry.hash
    if head is None:
        return ChainReport(0)
    if not sealed:
        return ChainReport(position, legacy, "log-head-forged")
    if head.seq != position or head.hash != prev:
        return ChainReport(position, legacy, "log-missing-tail", position + 1, None, head.seq)
    return ChainReport(position, legacy)


# -- export ----------------------------------------------------------------------------------------

OPS_ZH = {
    "add": "新增",
    "change": "修改",
    "remove": "删除",
    "submit": "提交变更单",
    "supersede": "作废变更单",
    "sign": "签字批准",
    "reject": "签字驳回",
    "create": "新建账号",
    "disable": "停用账号",
}
EXPORT_HEADERS = (
    "序号",
    "时间（北京时间）",
    "操作人",
    "姓名",
    "对象",
    "键",
    "操作",
    "字段",
    "原值",
    "新值",
    "说明",
    "工作簿版本",
    "变更单",
    "签字人",
    "哈希",
)


def entries_between(session: Session, start: dt.date | None, end: dt.date | None) -> list[WorkLogEntry]:
    """Entries whose time falls on [start, end] as Asia/Shanghai dates."""
    stmt = select(WorkLogEntry).order_by(WorkLogEntry.id)
    if start is not None:
        stmt = stmt.where(WorkLogEntry.at >= dt.datetime.combine(start, dt.time(), tzinfo=SHANGHAI))
    if end is not None:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
        stmt = stmt.where(WorkLogEntry.at < after)
    return list(session.scalars(stmt))


def export_xlsx(session: Session, start: dt.date | None, end: dt.date | None, path: Path) -> int:
    """Write the period's entries to an Excel workbook (with the chain's verification); returns the count."""
    from openpyxl import Workbook as ExcelWorkbook
    from openpyxl.styles import Font

    names = {a.id: (a.username, a.display_name) for a in session.scalars(select(Account))}
    rows = entries_between(session, start, end)
    book = ExcelWorkbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工作日志"
    sheet.append(EXPORT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for e in rows:
        username, name = names.get(e.account_id or -1, (None, None))
        values = [
            e.seq,
            e.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            username,
            name,
            e.entity,
            e.key,
            OPS_ZH.get(e.op, e.op),
            e.field,
            e.old,
            e.new,
            None if e.changes == "{}" else e.changes,
            e.version_id,
            e.change_set_id,
            e.signers,
            e.hash,
        ]
        sheet.append([safe_text(v, sheet) for v in values])  # old and new values are users' text
    sheet.freeze_panes = "A2"
    check = book.create_sheet("校验")
    report = verify(session)
    period = f"{start or '最早'} 至 {end or '最新'}"
    check.append(["期间", period])
    check.append(["导出条数", len(rows)])
    check.append(["导出时间（北京时间）", now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")])
    check.append(["全链校验", report.message()])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return len(rows)
