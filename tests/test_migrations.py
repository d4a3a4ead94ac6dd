"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from schema.base import Base
from sync.app import Salesync


def test_migrations_match_the_models(app: Salesync) -> None:
    with app.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_init_is_idempotent(app: Salesync) -> None:
    app.init()
    app.init()


MIGRATIONS = Path(__file__).resolve().parents[1] / "schema" / "migrations" / "versions"
HASHES = Path(__file__).with_name("migration_hashes.txt")


def test_committed_migrations_never_change() -> None:
    """A migration that has run somewhere is history: it is never edited, only followed by a new one.

    ``tests/migration_hashes.txt`` lists every committed migration's SHA-256; a new migration adds
    its line (``sha256sum`` output) in the same commit, and no line ever changes."""
    recorded = dict(line.split()[::-1] for line in HASHES.read_text().splitlines() if line.strip())
    actual = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(MIGRATIONS.glob("0*.py"))}
    changed = sorted(name for name in recorded if actual.get(name) != recorded[name])
    assert not changed, f"committed migrations were edited or removed: {changed}"
    unlisted = sorted(set(actual) - set(recorded))
    assert not unlisted, f"new migrations need their line in {HASHES.name}: {unlisted}"
