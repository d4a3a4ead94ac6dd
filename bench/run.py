"""Every bench in one run, SQLite and PostgreSQL side by side, as one markdown table of PASS/MISS.

    .venv/bin/python bench/run.py                                  # SQLite only; ingest at 10k and 100k
    .venv/bin/python bench/run.py --pg postgresql+psycopg://u:pw@host/postgres
    .venv/bin/python bench/run.py --pg-start                       # a throwaway server (scripts/pg-start)
    .venv/bin/python bench/run.py --sizes 10000,100000,300000 --write   # and append it to bench/README.md
    .venv/bin/python bench/run.py --quick                          # small sizes: a smoke run of them all
    .venv/bin/python bench/run.py --only ingest,startup

Each bench runs as its own process (``python bench/NAME.py [--quick] [--db URL] …``) and prints,
beside its own table, one result line per measure (``BENCH {json}``, bench/common.py); this
collects those lines. A bench that is not in this checkout yet is skipped with a note; one that
fails is noted with the end of its error output, and the run goes on. Benches that touch no
database run once. A ``bench/*.py`` not listed here that prints result lines is run as well.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import RESULT_PREFIX, parse_results  # bench/ is the script's folder

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
README = BENCH / "README.md"
HISTORY = "## History (bench/run.py)"
DBS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class Bench:
    name: str
    database: bool = True  # runs once per database (``--db URL`` for PostgreSQL), else once
    sized: bool = False  # takes ``--rows`` from ``--sizes``
    what: str = ""


BENCHES = (
    Bench("ingest", sized=True, what="客户登记 first ingest, re-ingest, scripted baseline, memory"),
    Bench("reconcile", database=False, what="dual-track comparison against datacompy"),
    Bench("watch", what="save → committed version through the watcher"),
    Bench("startup", what="CLI start-up: --help, status, tasks"),
    Bench("deals", what="销控 and 收款 at volume"),
    Bench("signed", what="a big signed master-data load"),
    Bench("tasks", what="我的任务 for an account with many tasks"),
    Bench("reports", what="reports and the board at 10k and 100k deals"),
    Bench("portal", what="the portal under 1/8/32 users"),
)
NOT_BENCHES = {"common.py", "run.py"}


@dataclass
class Run:
    bench: str
    db: str
    seconds: float
    results: list[dict[str, Any]] = field(default_factory=list)
    failed: str | None = None


def discovered(known: Sequence[Bench]) -> list[Bench]:
    """Benches in bench/ that speak the protocol but are not listed above (another branch's)."""
    names = {b.name for b in known}
    out = []
    for path in sorted(BENCH.glob("*.py")):
        if path.name in NOT_BENCHES or path.stem in names:
            continue
        if "emit_result(" in path.read_text(encoding="utf-8", errors="replace"):
            out.append(Bench(path.stem, what="(found in bench/)"))
    return out


def run_bench(bench: Bench, db: str, url: str | None, args: argparse.Namespace) -> Run:
    argv = [sys.executable, str(BENCH / f"{bench.name}.py")]
    if args.quick:
        argv.append("--quick")
    if bench.sized and args.sizes:
        argv += ["--rows", args.sizes]
    if url:
        argv += ["--db", url]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    print(
        f"· {bench.name} on {DBS.get(db, 'no database' if db == '-' else db)} …", file=sys.stderr, flush=True
    )
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=args.timeout, check=False, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return Run(bench.name, db, time.perf_counter() - started, failed=f"stopped after {args.timeout:g} s")
    seconds = time.perf_counter() - started
    if args.verbose:
        sys.stderr.write(
            "".join(
                f"    {line}\n" for line in done.stdout.splitlines() if not line.startswith(RESULT_PREFIX)
            )
        )
    try:
        results = parse_results(done.stdout)
    except ValueError as exc:
        return Run(bench.name, db, seconds, failed=str(exc))
    if done.returncode:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
        return Run(bench.name, db, seconds, results, failed=f"exit {done.returncode}: {tail[0][:200]}")
    if not results:
        return Run(bench.name, db, seconds, failed="no result lines (bench/README.md: the protocol)")
    for result in results:  # a bench without a database says "-"; the run knows which it asked for
        if result.get("db") not in ("-", None) and result["db"] != db:
            result["db"] = db
    return Run(bench.name, db, seconds, results)


def _number(value: float, unit: str) -> str:
    if unit == "×":
        return f"{value:.2f}×"
    if unit in ("s",):
        return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"
    if float(value).is_integer():
        return f"{int(value):,} {unit}".rstrip()
    return f"{value:.3g} {unit}".rstrip()


def _target(result: dict[str, Any]) -> str:
    if result.get("target") is None:
        return "—"
    sign = "≤" if result.get("compare", "<=") == "<=" else "≥"
    return f"{sign} {_number(float(result['target']), result.get('unit', ''))}"


def _size(size: Any) -> str:
    if size is None:
        return ""
    return f"{size:,}" if isinstance(size, int) else str(size)


def table(runs: Sequence[Run], dbs: Sequence[str]) -> str:
    """One row per (bench, measure, size); SQLite and PostgreSQL side by side."""
    rows: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for run in runs:
        for result in run.results:
            key = (result["bench"], result["measure"], _size(result.get("size")))
            cells = rows.setdefault(key, {})
            db = result.get("db") or "-"
            cells.setdefault(db, result)  # a database-free figure measured twice: the first counts
    heads = [DBS.get(db, db) for db in dbs]
    lines = [
        "| bench | measure | size | target | " + " | ".join(heads) + " |",
        "|---|---|---|---|" + "---|" * len(dbs),
    ]
    for (bench, measure, size), cells in rows.items():
        targets = sorted({_target(r) for r in cells.values()})
        if "-" in cells:  # no database involved: one figure, shown once
            result = cells["-"]
            shown = [_cell(result)] + ["″" for _ in dbs[1:]]
        else:
            shown = [_cell(cells[db]) if db in cells else "—" for db in dbs]
        target = (
            targets[0]
            if len(targets) == 1
            else " / ".join(f"{_target(cells[db])} ({DBS.get(db, db)})" for db in dbs if db in cells)
        )
        lines.append(f"| {bench} | {measure} | {size} | {target} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def _cell(result: dict[str, Any]) -> str:
    value = _number(float(result["value"]), result.get("unit", ""))
    return value if result["verdict"] == "INFO" else f"{result['verdict']} {value}"


def report(
    runs: Sequence[Run], skipped: Sequence[Bench], dbs: Sequence[str], args: argparse.Namespace
) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    mode = "quick" if args.quick else "full"
    sizes = f", ingest sizes {args.sizes}" if args.sizes else ""
    sizes += f", only {args.only}" if args.only else ""
    sizes += f", skipping {args.skip}" if args.skip else ""
    head = (
        f"### {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — bench/run.py ({mode}{sizes})\n\n"
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load:.1f} at the start; "
        f"{', '.join(DBS.get(db, db) for db in dbs)}. Ratios are measured within one bench run; "
        "seconds depend on the machine and its load.\n"
    )
    notes = [f"- `bench/{b.name}.py` ({b.what}): not in this checkout, skipped" for b in skipped]
    notes += [f"- `bench/{r.bench}.py` on {DBS.get(r.db, r.db)}: {r.failed}" for r in runs if r.failed]
    passed = sum(1 for r in runs for x in r.results if x["verdict"] == "PASS")
    missed = sum(1 for r in runs for x in r.results if x["verdict"] == "MISS")
    counts = f"\n{passed} PASS, {missed} MISS; benches took {sum(r.seconds for r in runs):.0f} s.\n"
    return head + "\n" + table(runs, dbs) + "\n" + counts + ("\n" + "\n".join(notes) + "\n" if notes else "")


def append_history(readme: Path, text: str) -> None:
    """Append a run under the README's history heading (made at the end the first time)."""
    current = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if HISTORY not in current:
        current = (
            current.rstrip("\n") + f"\n\n{HISTORY}\n\nEach `bench/run.py --write` appends its table here.\n"
        )
    readme.write_text(current.rstrip("\n") + "\n\n" + text, encoding="utf-8")


@contextmanager
def postgres(args: argparse.Namespace) -> Iterator[str | None]:
    """The PostgreSQL server URL: ``--pg``, or a throwaway server from scripts/pg-start."""
    if args.pg:
        yield args.pg
        return
    if not args.pg_start:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="salesync-bench-pg-") as tmp:
        state = Path(tmp) / "pg.state"
        subprocess.run([str(ROOT / "scripts" / "pg-start"), str(state)], check=True, stdout=sys.stderr)
        try:
            yield state.read_text(encoding="utf-8").splitlines()[0].strip()
        finally:
            subprocess.run([str(ROOT / "scripts" / "pg-stop"), str(state)], check=False, stdout=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pg", metavar="URL", help="also on this PostgreSQL server (a new database per bench run)"
    )
    parser.add_argument(
        "--pg-start", action="store_true", help="also on a throwaway server from scripts/pg-start"
    )
    parser.add_argument(
        "--sizes", help="ingest sizes, comma-separated (default: the bench's; --quick: 2,000)"
    )
    parser.add_argument("--quick", action="store_true", help="each bench's small sizes and one run")
    parser.add_argument("--only", help="comma-separated bench names")
    parser.add_argument("--skip", help="comma-separated bench names")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one bench run may take")
    parser.add_argument("--write", action="store_true", help="append the table to bench/README.md")
    parser.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="show each bench's own output")
    args = parser.parse_args(argv)

    benches = [*BENCHES, *discovered(BENCHES)]
    if args.only:
        wanted = set(args.only.split(","))
        benches = [b for b in benches if b.name in wanted]
    if args.skip:
        benches = [b for b in benches if b.name not in set(args.skip.split(","))]
    present = [b for b in benches if (BENCH / f"{b.name}.py").exists()]
    skipped = [b for b in benches if b not in present]
    runs: list[Run] = []
    with postgres(args) as pg:
        targets: list[tuple[str, str | None]] = [("sqlite", None)] + ([("postgresql", pg)] if pg else [])
        for bench in present:
            for db, url in targets if bench.database else targets[:1]:
                runs.append(run_bench(bench, db if bench.database else "-", url, args))
    text = report(runs, skipped, [db for db, _ in targets], args)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if args.write:
        append_history(args.readme, text)
    return 1 if any(r.failed for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
