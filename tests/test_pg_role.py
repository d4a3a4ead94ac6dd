"""The deployment guide's PostgreSQL role for the service (docs/deployment.md, Security): it writes
rows and the work log, but cannot drop the append-only trigger, alter a table or rewrite the log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from sync.app import Salesync
from sync.domain.worklog import LogWriter, verify


@pytest.fixture
def app_role(app: Salesync, people: dict[str, str]) -> Iterator[Salesync]:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL role")
    role = f"salesync_app_{uuid.uuid4().hex[:8]}"
    with app.engine.begin() as conn:  # the owner, as in the guide
        conn.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"))
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON work_log FROM {role}"))
    url = make_url(app.config.database_url).set(username=role, password=None)
    service = Salesync(app.config.with_(database_url=url.render_as_string(hide_password=False)))
    try:
        yield service
    finally:
        service.close()
        with app.engine.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_the_service_role_writes_but_cannot_undo_the_log(app_role: Salesync) -> None:
    app_role.init()  # the schema is current: nothing to do, no DDL needed
    with app_role.transaction() as session:
        LogWriter(session, None).append("test", "1", "add", new="1")
    for statement in (
        "DROP TRIGGER work_log_append_only ON work_log",
        "ALTER TABLE work_log DISABLE TRIGGER work_log_append_only",
        "UPDATE work_log SET new = 'forged'",
        "DELETE FROM work_log",
        "TRUNCATE work_log",
        "ALTER TABLE account ADD COLUMN x integer",
        "CREATE TABLE shadow (id integer)",
    ):
        engine = create_engine(app_role.config.database_url)
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
        engine.dispose()
    with app_role.transaction() as session:
        assert verify(session).ok
