"""What became of one saved workbook: the record the CLI, the feedback files and the portal show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from validators.findings import COLLISION_ELSEWHERE, Finding, Findings, Severity


class Verdict(StrEnum):
    ACCEPTED = "accepted"  # every row synced
    PARTIAL = "partial"  # some rows rejected, the rest synced
    REJECTED = "rejected"  # nothing synced (structural fault, or every row bad)
    UNCHANGED = "unchanged"  # the same bytes were seen before: nothing to do
    HELD = "held"  # an unusual share of removals: waiting for confirmation

    @property
    def exit_code(self) -> int:
        return {"accepted": 0, "unchanged": 0, "partial": 1, "held": 3}.get(self.value, 2)

    @property
    def title_zh(self) -> str:
        return {
            "accepted": "已全部接收",
            "partial": "部分接收",
            "rejected": "已拒收",
            "unchanged": "无变化",
            "held": "待确认",
        }[self.value]


@dataclass(frozen=True, slots=True)
class RowStatus:
    """The outcome of one data row, for the status column written back into the workbook."""

    sheet: str
    row: int
    ok: bool
    note: str = ""


@dataclass
class Outcome:
    path: str
    account: str
    verdict: Verdict
    kind: str | None = None
    sha256: str | None = None
    version_id: int | None = None
    workbook_uid: str | None = None
    seq: int | None = None
    based_on_seq: int | None = None
    seen_at: dt.datetime | None = None
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_written: int = 0
    rows_unchanged: int = 0  # rows as the author last saw them accepted: not looked at again
    unchanged_rows: dict[str, set[int]] = field(default_factory=dict)  # those rows, by sheet name
    change_set_id: int | None = None
    reconciliation_run_id: int | None = None
    findings: Findings = field(default_factory=Findings)
    rows: list[RowStatus] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return self.findings.where(severity=Severity.ERROR)

    @property
    def collisions(self) -> list[Finding]:
        return self.findings.where(code="collision") + self.findings.where(code=COLLISION_ELSEWHERE)

    def status_texts(self, synced: str) -> dict[str, dict[int, str]]:
        """Each row's 同步状态 by sheet: ``synced`` (``✓ 已同步 vN``), or for a row that collided with
        another rep's customer the same with whose customer it stays (the author must not read ✓ alone),
        or ✗ and why it was refused."""
        owners = {
            (f.sheet, f.row): f"{f.params.get('owner_name', '')}（{f.params.get('owner', '')}）"
            for f in self.collisions
        }
        collided = synced.replace("✓", "⚠", 1)
        texts: dict[str, dict[int, str]] = {}
        for status in self.rows:
            if not status.ok:
                text = f"✗ {status.note}"
            elif (status.sheet, status.row) in owners:
                text = f"{collided}；撞单：客户归属 {owners[status.sheet, status.row]}"
            else:
                text = synced
            texts.setdefault(status.sheet, {})[status.row] = text
        return texts

    @property
    def conflicts(self) -> list[Finding]:
        return self.findings.where(code="stale-conflict")

    def summary(self, lang: str = "zh") -> str:
        """One line for people: the verdict and its counts, or the structural error."""
        name = self.path.rsplit("/", 1)[-1]
        structural = [f for f in self.findings.single if f.structural]  # a run always names rows
        if structural:
            return f"{name}: {self.verdict.title_zh if lang == 'zh' else self.verdict.value} — {structural[0].message(lang)}"
        if lang == "zh":
            parts = [
                f"共 {self.rows_total} 行",
                f"接收 {self.rows_accepted}",
                f"拒收 {self.rows_rejected}",
                f"写入 {self.rows_written}",
            ]
            if self.rows_unchanged:
                parts.append(f"未改动 {self.rows_unchanged}")
            if self.collisions:
                parts.append(f"撞单 {len(self.collisions)}")
            if self.conflicts:
                parts.append(f"冲突 {len(self.conflicts)}")
            stamp = f"（v{self.seq}）" if self.seq else ""
            return f"{name}: {self.verdict.title_zh}{stamp} — " + "，".join(parts) + self._pending(lang)
        parts = [
            f"{self.rows_total} rows",
            f"{self.rows_accepted} accepted",
            f"{self.rows_rejected} rejected",
            f"{self.rows_written} written",
        ]
        if self.rows_unchanged:
            parts.append(f"{self.rows_unchanged} unchanged")
        if self.collisions:
            parts.append(f"{len(self.collisions)} collisions")
        return f"{name}: {self.verdict.value} — " + ", ".join(parts) + self._pending(lang)

    def _pending(self, lang: str) -> str:
        """A master-data version waits for signatures: say so, in the same line."""
        pending = next(iter(self.findings.where(code="change-set-pending")), None)
        return f"；{pending.message(lang)}" if pending is not None else ""

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "path": self.path,
            "account": self.account,
            "verdict": str(self.verdict),
            "kind": self.kind,
            "sha256": self.sha256,
            "version_id": self.version_id,
            "workbook": self.workbook_uid,
            "version": self.seq,
            "based_on": self.based_on_seq,
            "seen_at": self.seen_at.isoformat() if self.seen_at else None,
            "counts": {
                "rows": self.rows_total,
                "accepted": self.rows_accepted,
                "rejected": self.rows_rejected,
                "written": self.rows_written,
                "unchanged": self.rows_unchanged,
                "collisions": len(self.collisions),
                "conflicts": len(self.conflicts),
            },
            "change_set": self.change_set_id,
            "reconciliation_run": self.reconciliation_run_id,
            "findings": [f.as_dict(lang) for f in self.findings],
        }
