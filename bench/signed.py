"""How fast a project's 项目资料 becomes a signed change set and applies, as measured in one run.

    .venv/bin/python bench/signed.py [--rooms 10000,100000] [--db URL] [--reference]

For each size the 项目资料 (one project, ``rooms`` rooms in buildings of about 500, its payment plans
and discounts; ``sync.tools.examples.write_project_master``) is generated once into bench/out/ and
reused. Measured: the bare fastexcel read of the file; the operator's ingest into a fresh database
(the diff against the data and the pending change set, with every item written); the first
signature (a senior manager: the initial load still waits for the region's GM); and the GM's
signature, which checks the content hash, the conflicts and the live deals and applies the load in
the same transaction. ``--reference`` also applies the same change set row by row (the previous
apply, kept as ``sync.domain.changesets.apply_change_set``) in a transaction rolled back, for the
ratio. Target: signing and applying a load of 100k rows ≤ 10 s. bench/README.md, "Signed loads",
explains every figure.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path
from typing import Any

from common import emit_result, fresh_database  # bench/ is the script's folder

OUT = Path(__file__).resolve().parent / "out"
PASSWORD = "bench-only-password"
TARGET_APPLY_S = 10.0  # signing and applying a signed load of 100k rows
TARGET_ROWS = 100_000  # the size the target is set for


def workbook(rooms: int) -> Path:
    """The size's 项目资料 (generated once, then reused)."""
    from sync.tools import examples

    tag = hashlib.sha256(Path(examples.__file__).read_bytes()).hexdigest()[:8]
    path = OUT / f"project_master_{rooms}_{tag}.xlsx"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        started = time.perf_counter()
        partial = path.with_name(path.stem + ".partial.xlsx")
        examples.write_project_master(partial, rooms=rooms, buildings=max(4, rooms // 500), seed=7)
        partial.rename(path)
        print(f"  generated {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def bare_read(path: Path) -> float:
    import fastexcel

    started = time.perf_counter()
    reader = fastexcel.read_excel(path)
    for name in reader.sheet_names:
        reader.load_sheet(name).to_arrow()
    return time.perf_counter() - started


def _app(url: str, tmp: Path) -> Any:
    """An initialised Salesync with region SZ, its operator, a senior manager and the GM (not timed)."""
    from sync.app import Salesync
    from sync.core.config import Config
    from sync.domain import accounts

    app = Salesync(Config(database_url=url, data_dir=tmp / "data", drive_root=tmp / "drive"))
    app.init()
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        for username, role in (("operator", "operator"), ("senior", "senior_manager"), ("gm", "region_gm")):
            accounts.add_user(session, username, name=username, roles=[role], password=PASSWORD, region="SZ")
    return app


class _Undo(Exception):
    """Rolls the reference apply back."""


def reference_apply(app: Any, change_set_id: int) -> float:
    """The row-by-row apply of the same change set, timed, in a transaction rolled back."""
    from schema.models import ChangeSet
    from sync.domain.changesets import apply_change_set
    from sync.domain.worklog import LogWriter

    started = time.perf_counter()
    try:
        with app.transaction() as session:
            cs = session.get_one(ChangeSet, change_set_id)
            log = LogWriter(session, cs.version.account_id, cs.version_id, cs.id, signers=["gm", "senior"])
            apply_change_set(session, cs, log)
            session.flush()
            elapsed = time.perf_counter() - started
            raise _Undo
    except _Undo:
        return elapsed


def measure(rooms: int, db: str | None, with_reference: bool) -> dict[str, Any]:
    import sync.pipeline.ingest
    import sync.plans.master  # noqa: F401  (a running watcher has paid its imports long before)
    from sync.core.runtime import tune_collector
    from sync.domain import signing

    path = workbook(rooms)
    read_s = min(bare_read(path) for _ in range(2))
    tune_collector()  # as the salesync command does at start
    with tempfile.TemporaryDirectory() as tmp_dir, fresh_database(db, Path(tmp_dir)) as url:
        tmp = Path(tmp_dir)
        app = _app(url, tmp)
        try:
            started = time.perf_counter()
            outcome = app.ingest(path, "operator", write_back=False)
            ingest_s = time.perf_counter() - started
            cs_id = outcome.change_set_id
            assert cs_id is not None, [f.code for f in outcome.findings][:5]
            reference_s = reference_apply(app, cs_id) if with_reference else None
            started = time.perf_counter()
            with app.transaction() as session:
                first = signing.sign(session, cs_id, "senior", PASSWORD)
            first_s = time.perf_counter() - started
            assert first.missing, first
            heard: list[int] = []
            started = time.perf_counter()
            with app.transaction() as session:
                result = signing.sign(
                    session, cs_id, "gm", PASSWORD, progress=lambda done, _t: heard.append(done)
                )
            apply_s = time.perf_counter() - started
            assert result.status == "已生效", result
        finally:
            app.close()
    return {
        "rooms": rooms,
        "file_mb": path.stat().st_size / 1e6,
        "read": read_s,
        "ingest": ingest_s,
        "items": outcome.rows_total,
        "first": first_s,
        "apply": apply_s,
        "written": result.rows_written,
        "reference": reference_s,
        "progress_steps": len(heard),
    }


def report(m: dict[str, Any], engine: str) -> None:
    rows = m["written"]
    verdict = "PASS" if m["apply"] <= TARGET_APPLY_S else "MISS"
    print(
        f"{engine:<10} {m['rooms']:>7} rooms ({m['file_mb']:.1f} MB): bare read {m['read']:.2f} s · "
        f"ingest {m['ingest']:.2f} s ({m['ingest'] / m['read']:.1f}× the read) · "
        f"1st signature {m['first']:.2f} s · sign + apply {rows} rows {m['apply']:.2f} s "
        f"({m['progress_steps']} progress steps)",
        flush=True,
    )
    if m["reference"] is not None:
        ratio = m["reference"] / m["apply"]
        print(
            f"{'':<10} row-by-row apply of the same change set: {m['reference']:.2f} s ({ratio:.1f}× sign + apply)"
        )
    scope = "" if rows >= TARGET_ROWS else f" (the target is set for {TARGET_ROWS:,} rows)"
    print(f"{'':<10} sign + apply ≤ {TARGET_APPLY_S:.0f} s: {verdict}{scope}", flush=True)
    size = m["rooms"]
    emit_result("signed", "ingest ÷ bare read", m["ingest"] / m["read"], db=engine, size=size)
    emit_result(  # the target is set for a load of TARGET_ROWS rows
        "signed",
        "GM sign + apply",
        m["apply"],
        db=engine,
        size=size,
        unit="s",
        target=TARGET_APPLY_S if rows >= TARGET_ROWS else None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", default="100000", help="comma-separated sizes (default 100000)")
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (a new database per size)")
    parser.add_argument("--reference", action="store_true", help="also time the row-by-row apply")
    parser.add_argument("--quick", action="store_true", help="one small load (1,000 rooms): a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.rooms = "1000"
    engine = "postgresql" if args.db and not args.db.startswith("sqlite") else "sqlite"
    for rooms in (int(r) for r in args.rooms.split(",")):
        report(measure(rooms, args.db, args.reference), engine)


if __name__ == "__main__":
    main()
