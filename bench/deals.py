"""How fast salesync ingests a big project's 销控 and 收款 workbooks, as ratios measured in the same run.

    .venv/bin/python bench/deals.py [--rooms 100000] [--db URL] [--kinds sales_control,finance] [--rowwise]

A project of N rooms is generated (bench/out/, reused): its 项目资料, the customers its deals name,
the site's 销控 (holds, subscriptions on ~75% of the rooms on sale, contracts on about half of those,
a few special transactions) and the matching 收款, each with a copy where 1% of the rows changed.
Not timed: a fresh database, the 项目资料 ingested by the operator and signed into effect by the
senior manager and the GM, the customers registered by their rep. Timed: the bare fastexcel read of
each deal workbook (best of 3), its first ingest, and the re-ingest of the 1%-changed copy (which must
write exactly the changed rows). bench/README.md ("Deal kinds") keeps the figures.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import db_kind, emit_result, fresh_database  # bench/ is the script's folder

OUT = Path(__file__).resolve().parent / "out"
EDIT_SHARE = 100
TARGETS = {"first": 5.0, "reingest": 1.5}
PASSWORD = "bench-only-password"
STAFF = [
    ("rep_a", "张丽", ["sales_rep"]),
    ("operator", "王芳", ["operator"]),
    ("senior", "陈刚", ["senior_manager"]),
    ("gm", "刘洋", ["region_gm"]),
    ("control", "周静", ["sales_control"]),
    ("finance", "吴娜", ["finance"]),
]


def _rows(path: Path) -> int:
    import fastexcel

    reader = fastexcel.read_excel(path)
    return sum(reader.load_sheet(n).height for n in reader.sheet_names if not n.startswith("_"))


@dataclass
class Files:
    master: Path
    customers: Path
    sales_control: tuple[Path, Path]
    receipts: tuple[Path, Path]


def workbooks(rooms: int) -> Files:
    """The project's workbooks (generated once per generator version, then reused)."""
    from sync.tools import deal_examples, examples

    tag = hashlib.sha256(
        Path(examples.__file__).read_bytes() + Path(deal_examples.__file__).read_bytes()
    ).hexdigest()[:8]
    stem = OUT / f"deals_{rooms}_{tag}"
    master = Path(f"{stem}_master.xlsx")
    if not master.exists():
        examples.write_project_master(master.with_suffix(".partial.xlsx"), rooms=rooms, seed=1).rename(master)
    info = deal_examples.read_master(master)
    sc = deal_examples.sales_control_rows(info, seed=1)
    deals = len(sc["认购"])
    customers = Path(f"{stem}_customers.xlsx")
    if not customers.exists():
        examples.write_customers_workbook(
            customers.with_suffix(".partial.xlsx"), deals, seed=1, phone_style="plain"
        ).rename(customers)
    out: dict[str, tuple[Path, Path]] = {}
    for kind, write in (
        ("sales_control", deal_examples.write_sales_control_workbook),
        ("receipts", deal_examples.write_receipts_workbook),
    ):
        plain = Path(f"{stem}_{kind}.xlsx")
        edited = Path(f"{stem}_{kind}_edited.xlsx")
        if not plain.exists():
            started = time.perf_counter()
            write(plain.with_suffix(".partial.xlsx"), info, seed=1).rename(plain)
            print(f"  generated {plain.name} in {time.perf_counter() - started:.1f} s", flush=True)
        if not edited.exists():
            changed = _rows(plain) // EDIT_SHARE
            write(edited.with_suffix(".partial.xlsx"), info, seed=1, edited=changed).rename(edited)
        out[kind] = (plain, edited)
    return Files(master, customers, out["sales_control"], out["receipts"])


def bare_read(path: Path) -> None:
    import fastexcel

    reader = fastexcel.read_excel(path)
    for name in reader.sheet_names:
        reader.load_sheet(name).to_arrow()


def best_of(runs: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


@dataclass
class Measure:
    kind: str
    rows: int
    changed: int
    read_s: float
    first_s: float
    first_verdict: str
    first_written: int
    again_s: float
    again_verdict: str
    again_written: int

    def checks(self) -> list[tuple[str, float, bool]]:
        first, again = self.first_s / self.read_s, self.again_s / self.read_s
        return [
            (f"{self.kind} first ingest ≤ {TARGETS['first']:g}× bare read", first, first <= TARGETS["first"]),
            (
                f"{self.kind} re-save 1% ≤ {TARGETS['reingest']:g}× bare read, exactly the changed rows written",
                again,
                again <= TARGETS["reingest"] and self.again_written == self.changed,
            ),
        ]


def project(url: str, tmp: Path, files: Files) -> Any:
    """A salesync with the staff, the signed project and its registered customers (not timed)."""
    from sync.app import Salesync
    from sync.core.config import Config
    from sync.domain import accounts, signing

    app = Salesync(Config(database_url=url, data_dir=tmp / "data", drive_root=tmp / "drive"))
    app.init()
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        for username, name, roles in STAFF:
            accounts.add_user(session, username, name=name, roles=roles, password=PASSWORD, region="SZ")
    outcome = app.ingest(files.master, "operator", write_back=False)
    assert outcome.change_set_id is not None, outcome.errors[:3]
    for signer in ("senior", "gm"):
        with app.transaction() as session:
            result = signing.sign(session, outcome.change_set_id, signer, PASSWORD)
        if not result.missing:
            break
    assert result.status == "已生效", result
    outcome = app.ingest(files.customers, "rep_a", write_back=False)
    assert outcome.verdict.value == "accepted", outcome.errors[:3]
    return app


def measure(app: Any, tmp: Path, kind_id: str, title: str, user: str, paths: tuple[Path, Path]) -> Measure:
    from sync.kinds import get_kind
    from sync.xlsx.stamp import Stamp
    from sync.xlsx.stamp_write import write_stamp

    plain, edited = paths
    rows = _rows(plain)
    read_s = best_of(3, lambda: bare_read(plain))
    workbook = tmp / f"{title}.xlsx"
    workbook.write_bytes(plain.read_bytes())
    gc.collect()
    started = time.perf_counter()
    first = app.ingest(workbook, user, write_back=False)
    first_s = time.perf_counter() - started
    kind = get_kind(kind_id)
    stamp = Stamp(kind.id, kind.version, first.workbook_uid, first.seq, "")
    workbook.write_bytes(write_stamp(edited.read_bytes(), stamp))
    gc.collect()
    started = time.perf_counter()
    again = app.ingest(workbook, user, write_back=False)
    again_s = time.perf_counter() - started
    m = Measure(
        title,
        rows,
        rows // EDIT_SHARE,
        read_s,
        first_s,
        first.verdict.value,
        first.rows_written,
        again_s,
        again.verdict.value,
        again.rows_written,
    )
    print(
        f"  {title}: {rows:,} rows, read {read_s:.2f} s, first ingest {first_s:.2f} s ({m.first_verdict}, "
        f"{m.first_written:,} written), re-save {again_s:.2f} s ({m.again_verdict}, {m.again_written:,} written, "
        f"{m.changed:,} changed)",
        flush=True,
    )
    if first.verdict.value != "accepted":
        print(
            "   first findings:",
            [(f.code, f.sheet, f.row) for f in first.findings if f.severity.value == "error"][:5],
        )
    return m


def run(rooms: int, db: str | None, kinds: list[str]) -> list[Measure]:
    from sync.core.runtime import tune_collector

    files = workbooks(rooms)
    tune_collector()  # as the salesync command does at start
    with tempfile.TemporaryDirectory() as scratch, fresh_database(db, Path(scratch)) as url:
        tmp = Path(scratch)
        app = project(url, tmp, files)
        try:
            out = []
            if "sales_control" in kinds:
                out.append(measure(app, tmp, "sales_control", "销控", "control", files.sales_control))
            if "finance" in kinds:  # the receipts name the deals: the 销控 goes first
                if "sales_control" not in kinds:
                    app.ingest(files.sales_control[0], "control", write_back=False)
                out.append(measure(app, tmp, "finance", "收款", "finance", files.receipts))
            return out
        finally:
            app.close()


def report(rooms: int, db: str | None, results: list[Measure]) -> None:
    engine = "PostgreSQL" if db and not db.startswith("sqlite") else "SQLite"
    print(f"\n{rooms:,} rooms on {engine}\n")
    print("| workbook | rows | bare read s | first ingest s | re-save 1% s | written / changed |")
    print("|---|---|---|---|---|---|")
    for m in results:
        print(
            f"| {m.kind} | {m.rows:,} | {m.read_s:.2f} | {m.first_s:.2f} ({m.first_s / m.read_s:.1f}×) "
            f"| {m.again_s:.2f} ({m.again_s / m.read_s:.1f}×) | {m.again_written:,} / {m.changed:,} |"
        )
    print("\n| target | measured | |")
    print("|---|---|---|")
    for m in results:
        for name, ratio, ok in m.checks():
            print(f"| {name} | {ratio:.2f}× | {'PASS' if ok else 'MISS'} |")
    for m in results:  # the result lines bench/run.py collects
        kind = db_kind(db)
        emit_result(
            "deals",
            f"{m.kind} first ingest ÷ bare read",
            m.first_s / m.read_s,
            db=kind,
            size=rooms,
            target=TARGETS["first"],
        )
        emit_result(
            "deals",
            f"{m.kind} re-save 1% ÷ bare read",
            m.again_s / m.read_s,
            db=kind,
            size=rooms,
            target=TARGETS["reingest"],
        )
        emit_result(
            "deals",
            f"{m.kind} re-save rows written beyond the changed",
            m.again_written - m.changed,
            db=kind,
            size=rooms,
            unit="rows",
            target=0,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rooms", type=int, default=100_000, help="rooms in the project (default 100000)")
    parser.add_argument("--db", help="a PostgreSQL server URL; the run gets a new database (default: SQLite)")
    parser.add_argument("--quick", action="store_true", help="a small project (1,000 rooms): a smoke run")
    parser.add_argument(
        "--kinds", default="sales_control,finance", help="which deal workbooks to time (default: both)"
    )
    parser.add_argument(
        "--rowwise",
        action="store_true",
        help="time the row-by-row 销控 plan (the reference the set-based one replaced) instead",
    )
    args = parser.parse_args()
    if args.quick:
        args.rooms = min(args.rooms, 1_000)
    if args.rowwise:
        from sync.plans.context import PLANS
        from sync.plans.deals import apply_sales_control_rowwise

        PLANS._entries["sales_control"] = apply_sales_control_rowwise
    OUT.mkdir(exist_ok=True)
    print(
        f"salesync deal bench — Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    report(args.rooms, args.db, run(args.rooms, args.db, args.kinds.split(",")))


if __name__ == "__main__":
    main()
