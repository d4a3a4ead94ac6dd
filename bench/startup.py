"""How long the ``salesync`` command takes to start, as every CLI call, hint and script pays it.

    .venv/bin/python bench/startup.py [--db URL] [--runs 7] [--quick]

Each command runs as its own process, exactly as a user types it (the installed ``salesync``
script when there is one beside this Python, else ``python -c 'from sync.cli import main; main()'``);
the best of ``--runs`` wall-clock times counts. ``--help`` needs no database; ``status`` and
``tasks --as rep_a`` run against a fresh, initialised database with one rep (SQLite in a temp dir,
or a new database on the ``--db`` PostgreSQL server). A bare ``python -c pass`` is measured beside
them: the floor no command goes under. ``python -X importtime`` tells what a command imports.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import db_kind, emit_result, fresh_database, salesync_app  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HELP_TARGET_S = 0.3  # `salesync --help` ≤ 0.3 s


def command() -> list[str]:
    script = Path(sys.executable).with_name("salesync")
    if script.exists():
        return [sys.executable, str(script)]
    return [sys.executable, "-c", "import sys; from sync.cli import main; sys.argv[0] = 'salesync'; main()"]


def best_of(runs: int, argv: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):  # status and tasks may say "something to do" with 1
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: SQLite in a temp dir)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs each: a smoke run")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    db = db_kind(args.db)
    salesync = command()
    figures = {"python -c pass": best_of(runs, [sys.executable, "-c", "pass"], env)}
    figures["salesync --help"] = best_of(runs, [*salesync, "--help"], env)
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.db, Path(tmp)) as url:
        salesync_app(url, Path(tmp)).close()
        where = ["--db", url, "--data-dir", str(Path(tmp) / "data")]
        figures["salesync status"] = best_of(runs, [*salesync, *where, "status"], env)
        figures["salesync tasks"] = best_of(runs, [*salesync, *where, "tasks", "--as", "rep_a"], env)
    print(f"\n| command | best of {runs} s |\n|---|---|")
    for name, seconds in figures.items():
        print(f"| `{name}` | {seconds:.3f} |")
    emit_result("startup", "python -c pass", figures["python -c pass"], unit="s")
    emit_result("startup", "salesync --help", figures["salesync --help"], unit="s", target=HELP_TARGET_S)
    emit_result("startup", "salesync status", figures["salesync status"], db=db, unit="s")
    emit_result("startup", "salesync tasks", figures["salesync tasks"], db=db, unit="s")


if __name__ == "__main__":
    main()
