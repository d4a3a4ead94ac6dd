"""How fast salesync ingests a big 收款 workbook, as ratios to the bare read of the same file.

    PYTHONPATH=. .venv/bin/python bench/receipts.py [--rooms 8000] [--db URL]

A project of ``--rooms`` rooms is set up once through the real ingest (项目资料 signed into effect,
客户登记, 销控 with a subscription of every room on sale and a contract for every other one; not
timed), then copied: on one copy the 收款 plan runs row by row (the plan as it was), on the other
set-based. On each: the first ingest of the 收款 workbook (receipts, 红冲, refused rows), then a
re-save with 1% of the receipts' 备注 changed (exactly those rows written). Each is divided by the
bare fastexcel read of the same file. Targets: first ingest ≤ 5×, re-save ≤ 1.5×.
Timings on a shared machine are noisy: read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"first": 5.0, "resave": 1.5}
EDIT_SHARE = 100


def bare_read(path: Path) -> float:
    import fastexcel

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        reader = fastexcel.read_excel(path)
        for name in reader.sheet_names:
            reader.load_sheet(name).to_arrow()
        best = min(best, time.perf_counter() - started)
    return best


def _edited(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    from sync.kinds.finance import RECEIPTS

    at = RECEIPTS.fields.index("note")
    out = list(rows)
    for i in range(0, len(out), EDIT_SHARE):
        row = list(out[i])
        row[at] = "备注已更正"
        out[i] = tuple(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=8000)
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--no-rowwise", action="store_true", help="skip the row-by-row plan (it is slow)")
    args = parser.parse_args()

    from common import fresh_database  # bench/ is the script's folder

    from sync.app import Salesync
    from sync.core.config import Config
    from sync.domain import accounts
    from sync.kinds.finance import RECEIPTS
    from sync.plans import money
    from sync.plans.context import PLANS
    from sync.tools.examples import _fill
    from tests.conftest import PASSWORD
    from tests.deal_books import build_site, clone, drop_clone, receipt_rows

    with tempfile.TemporaryDirectory() as scratch, fresh_database(args.db, Path(scratch)) as url:
        tmp = Path(scratch)
        app = Salesync(Config(database_url=url, data_dir=tmp / "data", drive_root=tmp / "drive"))
        app.init()
        with app.transaction() as session:
            accounts.add_region(session, "SZ", "深圳地区公司")
            for username, name, roles in [
                ("rep_a", "张丽", ["sales_rep"]),
                ("operator", "王芳", ["operator"]),
                ("senior", "陈刚", ["senior_manager"]),
            ]:
                accounts.add_user(session, username, name=name, roles=roles, password=PASSWORD, region="SZ")
        started = time.perf_counter()
        deals = build_site(app, tmp / "site", args.rooms)
        print(
            f"set up {len(deals)} deals through the real ingest in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        rows = receipt_rows(deals)
        first_book = _fill("finance", {RECEIPTS.name: rows}, tmp / "first.xlsx")
        edited_book = _fill("finance", {RECEIPTS.name: _edited(rows)}, tmp / "edited.xlsx")
        read = bare_read(first_book)
        print(f"收款 workbook: {len(rows)} receipts; bare read {read:.3f} s", flush=True)

        plans = [("row by row", money.apply_finance_rowwise), ("set-based", money.apply_finance)]
        if args.no_rowwise:
            plans = plans[1:]
        copies: list[Callable[[], Salesync]] = []
        for label, _ in plans:
            copies.append(clone(app, tmp / f"copy_{label.replace(' ', '_')}"))
            app = Salesync(app.config)
        app.close()
        results: dict[str, tuple[float, float, int, int]] = {}
        for (label, plan), make in zip(plans, copies, strict=True):
            PLANS._entries["finance"] = plan
            copy = make()
            try:
                book = tmp / label.replace(" ", "_") / "收款.xlsx"
                book.parent.mkdir()
                book.write_bytes(first_book.read_bytes())
                started = time.perf_counter()
                first = copy.ingest(book, "finance", write_back=False)
                first_s = time.perf_counter() - started
                book.write_bytes(edited_book.read_bytes())
                started = time.perf_counter()
                again = copy.ingest(book, "finance", write_back=False)
                again_s = time.perf_counter() - started
            finally:
                drop_clone(copy)
            results[label] = (first_s, again_s, first.rows_written, again.rows_written)
            print(
                f"{label:>10}: first ingest {first_s:.2f} s ({first.rows_written} written, {first.verdict.value}), "
                f"re-save {again_s:.2f} s ({again.rows_written} written)",
                flush=True,
            )
        PLANS._entries["finance"] = money.apply_finance
        read = min(read, bare_read(first_book))  # the least contended read of the two, before and after
        print(f"bare read (best of 6, before and after): {read:.3f} s")
        print()
        print(f"{'plan':>10}  {'first/read':>10}  {'re-save/read':>12}")
        for label, (first_s, again_s, _, _) in results.items():
            print(f"{label:>10}  {first_s / read:10.1f}×  {again_s / read:11.2f}×")
        first_s, again_s, _, written = results["set-based"]
        edits = -(-len(rows) // EDIT_SHARE)
        for name, ratio in (("first", first_s / read), ("resave", again_s / read)):
            verdict = "PASS" if ratio <= TARGETS[name] else "MISS"
            print(f"{verdict} {name}: {ratio:.2f}× (target ≤ {TARGETS[name]}×)")
        print(
            f"re-save wrote {written} rows for {edits} edited receipts (refused rows among them are refused again)"
        )


if __name__ == "__main__":
    main()
