"""What the benchmarks share: a fresh database per run, an initialised salesync with one rep, and
the result lines that ``bench/run.py`` collects.

The result protocol (bench/README.md, "One run for every bench"): a bench prints, besides whatever
it prints for people, one line per measure made of ``BENCH `` and a JSON object —
``{"bench", "measure", "db", "size", "value", "unit", "target", "compare", "verdict"}`` — through
:func:`emit_result`. It accepts ``--quick`` (small sizes, one run: the run's smoke mode) and, when
it touches a database, ``--db URL`` (a PostgreSQL server; none means SQLite)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH "  # a result line: this, then one JSON object
VERDICTS = ("PASS", "MISS", "INFO")


def db_kind(url: str | None) -> str:
    """``sqlite`` or ``postgresql`` for a bench's ``--db`` (none: SQLite), the result lines' ``db``."""
    if not url or url.startswith("sqlite"):
        return "sqlite"
    return "postgresql" if url.startswith("postgres") else url.split(":", 1)[0].split("+", 1)[0]


def emit_result(
    bench: str,
    measure: str,
    value: float,
    *,
    db: str = "-",
    size: int | str | None = None,
    unit: str = "×",
    target: float | None = None,
    compare: str = "<=",
) -> dict[str, Any]:
    """Print one result line and return what it says. ``compare`` is how ``value`` must stand to
    ``target`` (``<=``: at most, a time or a ratio to a reference; ``>=``: at least, a speed-up);
    without a target the verdict is ``INFO`` (a figure shown, nothing promised). ``db``:
    ``sqlite``, ``postgresql`` or ``-`` for a bench that touches no database."""
    if compare not in ("<=", ">="):
        raise ValueError(f"compare must be <= or >=, not {compare!r}")
    if target is None:
        verdict = "INFO"
    else:
        verdict = "PASS" if (value <= target if compare == "<=" else value >= target) else "MISS"
    result = {
        "bench": bench,
        "measure": measure,
        "db": db,
        "size": size,
        "value": round(float(value), 4),
        "unit": unit,
        "target": target,
        "compare": compare,
        "verdict": verdict,
    }
    print(RESULT_PREFIX + json.dumps(result, ensure_ascii=False), flush=True)
    return result


def parse_results(text: str) -> list[dict[str, Any]]:
    """The result lines in a bench's output, in order; other lines are the bench's own words."""
    out = []
    for line in text.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
            if not isinstance(result, dict) or result.get("verdict") not in VERDICTS or "bench" not in result:
                raise ValueError(f"not a result line: {line!r}")
            out.append(result)
    return out


@contextmanager
def fresh_database(url: str | None, tmp: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in ``tmp``, or a new database on the given PostgreSQL server."""
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def salesync_app(db_url: str, tmp: Path) -> Any:
    """An initialised Salesync with region SZ and the rep ``rep_a`` (not timed)."""
    from sync.app import Salesync
    from sync.core.config import Config
    from sync.domain import accounts

    app = Salesync(Config(database_url=db_url, data_dir=tmp / "data", drive_root=tmp / "drive"))
    app.init()
    with app.transaction() as session:
        accounts.add_region(session, "SZ", "深圳地区公司")
        accounts.add_user(
            session, "rep_a", name="张丽", roles=["sales_rep"], password="bench-only", region="SZ"
        )
    return app
