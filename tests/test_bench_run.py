"""``bench/run.py`` runs the benches as processes, collects their result lines and writes one table.

No timing is asserted: only that each bench that is here speaks the protocol, that every one not
here is named as skipped, and that ``--write`` appends the run to the README's history."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import common  # noqa: E402  (bench/common.py)


def test_a_result_line_says_pass_or_miss_against_its_target(capsys: pytest.CaptureFixture[str]) -> None:
    common.emit_result("ingest", "first ingest ÷ bare read", 4.2, db="sqlite", size=100_000, target=3.5)
    common.emit_result("reconcile", "datacompy ÷ salesync", 4.3, target=1.0, compare=">=")
    common.emit_result("startup", "python -c pass", 0.02, unit="s")
    out = capsys.readouterr().out
    results = common.parse_results(out + "| a | table |\n")
    assert [r["verdict"] for r in results] == ["MISS", "PASS", "INFO"]
    assert results[0] == {
        "bench": "ingest",
        "measure": "first ingest ÷ bare read",
        "db": "sqlite",
        "size": 100_000,
        "value": 4.2,
        "unit": "×",
        "target": 3.5,
        "compare": "<=",
        "verdict": "MISS",
    }
    with pytest.raises(ValueError, match="not a result line"):
        common.parse_results(common.RESULT_PREFIX + json.dumps({"bench": "x", "verdict": "GOOD"}))


def test_the_quick_run_makes_one_table_of_every_bench_here(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nWhat was there stays.\n", encoding="utf-8")
    out = tmp_path / "run.md"
    skip = ["watch"]  # the watcher's own process and its settle time: bench/watch.py --quick by hand
    if importlib.util.find_spec("datacompy") is None:  # the bench extra
        skip.append("reconcile")
    env = {k: v for k, v in os.environ.items() if k != "SALESYNC_TEST_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run.py"),
            "--quick",
            "--sizes",
            "300",
            "--only",  # the quick ones; every other bench's protocol is checked below, without a run
            ",".join(b for b in ("ingest", "startup", "reconcile") if b not in skip),
            "--out",
            str(out),
            "--write",
            "--readme",
            str(readme),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    text = out.read_text(encoding="utf-8")
    assert done.stdout.strip().endswith(text.strip())
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| bench |"))
    assert header == "| bench | measure | size | target | SQLite |"  # no PostgreSQL asked for
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| bench |")]
    benches = {row.split(" | ")[0].removeprefix("| ") for row in rows}
    assert {"ingest", "startup"} <= benches
    assert ("reconcile" in benches) == ("reconcile" not in skip)
    ingest = {row.split(" | ")[1]: row for row in rows if row.startswith("| ingest |")}
    assert "| 300 |" in ingest["first ingest ÷ bare read"]
    assert any(verdict in ingest["first ingest ÷ bare read"] for verdict in ("PASS", "MISS"))
    assert "PASS 0 rows" in ingest["re-ingest rows written beyond the changed"]
    assert "| ≤ 0.300 s |" in next(row for row in rows if "salesync --help" in row)
    history = readme.read_text(encoding="utf-8")
    assert history.startswith("# Benchmarks\n\nWhat was there stays.\n")
    assert "## History (bench/run.py)" in history
    assert history.rstrip().endswith(text.rstrip())


@pytest.mark.parametrize(
    "name", ["ingest", "reconcile", "watch", "startup", "deals", "signed", "tasks", "reports", "portal"]
)
def test_every_listed_bench_speaks_the_protocol(name: str) -> None:
    """Each bench ``bench/run.py`` lists takes ``--quick`` (and ``--db`` when it uses a database)
    and prints its figures through ``common.emit_result``: what makes it a row of the one table."""
    import run  # bench/run.py

    listed = {b.name: b for b in run.BENCHES}
    assert name in listed
    path = BENCH / f"{name}.py"
    assert "emit_result(" in path.read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path), "--help"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        },
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--quick" in done.stdout
    if listed[name].database:
        assert "--db" in done.stdout
