"""Reconciliation speed: salesync's comparison against datacompy on the same two frames.

    .venv/bin/python bench/reconcile.py [--rows 100000] [--runs 3]

A deterministic 收退款明细表 of N receipts stands for the system's report; the manual report is
the same with 1% of rows changed the way hand-made reports differ (a missing row, an extra row,
an amount off by a cent or by 100, a date a day late, a name padded with a full-width space).
Both tools compare the same typed frames by 票据编号 and must find the same differing rows;
the time is the best of ``--runs``. No assertion on time: the ratio is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import emit_result  # bench/ is the script's folder

from sync.kinds.reports import get_report
from sync.reconcile.compare import Difference, compare

SPEC = get_report("receipts")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def system_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    start = dt.date(2026, 1, 1)
    names = [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(rows)]
    frame = pd.DataFrame(
        {
            "receipt_no": [f"SJ{i:07d}" for i in range(rows)],
            "paid_at": [start + dt.timedelta(days=rng.randrange(330)) for _ in range(rows)],
            "project": "滨江花园",
            "room_code": [
                f"A{rng.randrange(1, 9)}-{rng.randrange(1, 33):02d}{rng.randrange(1, 5):02d}"
                for _ in range(rows)
            ],
            "customer_name": names,
            "subscription_no": [f"RG{rng.randrange(rows // 3 + 1):06d}" for _ in range(rows)],
            "category": [rng.choice(["定金", "首付款", "按揭款", "楼款"]) for _ in range(rows)],
            "method": [rng.choice(["转账", "POS", "现金"]) for _ in range(rows)],
            "payer": names,
            "amount": [round(rng.uniform(1000, 500000), 2) for _ in range(rows)],
            "reverses": None,
        }
    )
    return frame


def manual_frame(system: pd.DataFrame, seed: int = 11) -> tuple[pd.DataFrame, set[str]]:
    """The system's report with 1% of rows made different; returns the keys that differ."""
    rng = random.Random(seed)
    manual = system.copy()
    n = len(manual)
    picks = rng.sample(range(n), max(6, n // 100))
    changed: set[str] = set()
    drop = []
    for i, pos in enumerate(picks):
        key = manual.at[pos, "receipt_no"]
        match i % 5:
            case 0:
                drop.append(pos)
                changed.add(key)
            case 1:
                manual.at[pos, "amount"] = round(manual.at[pos, "amount"] + 0.01, 2)
                changed.add(key)
            case 2:
                manual.at[pos, "amount"] = round(manual.at[pos, "amount"] + 100, 2)
                changed.add(key)
            case 3:
                manual.at[pos, "paid_at"] = manual.at[pos, "paid_at"] + dt.timedelta(days=1)
                changed.add(key)
            case 4:  # a padded name: not a difference
                name = manual.at[pos, "customer_name"]
                manual.at[pos, "customer_name"] = name[0] + "\u3000" + name[1:]
    manual = manual.drop(index=drop)
    extra = system.iloc[: len(picks) // 5].copy()
    extra["receipt_no"] = [f"SG{i:07d}" for i in range(len(extra))]
    changed |= set(extra["receipt_no"])
    manual = pd.concat([manual, extra], ignore_index=True)
    manual.index = range(2, len(manual) + 2)  # Excel rows under the header
    return manual, changed


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def with_datacompy(manual: pd.DataFrame, system: pd.DataFrame) -> set[str]:
    import datacompy

    cmp = datacompy.PandasCompare(
        manual, system, join_columns="receipt_no", abs_tol=0.005, ignore_spaces=True
    )
    keys = set(cmp.df1_unq_rows["receipt_no"]) | set(cmp.df2_unq_rows["receipt_no"])
    keys |= set(cmp.all_mismatch()["receipt_no"])
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 rows, one run: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.runs = min(args.rows, 5_000), 1
    import datacompy

    print(f"salesync reconcile bench — Python {platform.python_version()}, datacompy {datacompy.__version__}")
    system = system_frame(args.rows)
    manual, changed = manual_frame(system)
    ours_s, ours = best_of(args.runs, lambda: compare(SPEC, manual, system))
    found = {m.key for m in ours.mismatches if m.difference is not Difference.DUPLICATE}
    theirs_s, theirs = best_of(args.runs, lambda: with_datacompy(manual, system))
    padded = theirs - changed  # rows datacompy flags only for the padded full-width space
    print(f"  rows: system {len(system):,}, manual {len(manual):,}; injected differing keys {len(changed):,}")
    print(
        f"  salesync: {ours_s:.3f} s, {len(found):,} differing keys (exactly the injected: {found == changed})"
    )
    print(
        f"  datacompy: {theirs_s:.3f} s, {len(theirs):,} differing keys "
        f"({len(padded):,} only because of a full-width space)"
    )
    ratio = theirs_s / ours_s
    verdict = "PASS" if ratio > 1 else "MISS"
    print("\n| rows | salesync s | datacompy s | datacompy ÷ salesync | target faster than datacompy |")
    print("|---|---|---|---|---|")
    print(f"| {len(system):,} | {ours_s:.3f} | {theirs_s:.3f} | {ratio:.1f}× | {verdict} |")
    emit_result("reconcile", "salesync compare", ours_s, size=len(system), unit="s")
    emit_result("reconcile", "datacompy ÷ salesync", ratio, size=len(system), target=1.0, compare=">=")
    emit_result(
        "reconcile",
        "keys found beyond the injected",
        len(found ^ changed),
        size=len(system),
        unit="keys",
        target=0,
    )


if __name__ == "__main__":
    main()
