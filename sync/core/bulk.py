"""Many rows into one table, fast: ``BulkInsert`` compiles the ``INSERT`` once and sends the rows
the way each database takes them fastest.

Kept apart from :mod:`sync.core.rows` (Arrow, pandas, NumPy) so that what writes a handful of rows
— the work log of a sign-in, a status change — does not load the data libraries."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any, cast

from sqlalchemy import FromClause, Table, insert
from sqlalchemy.orm import Session

INSERT_CHUNK = 5000  # rows per executemany: bounds the memory of the Python parameter lists


def _rows_per_statement(connection: Any, columns: int) -> int:
    """How many rows one multi-row ``INSERT`` may carry on SQLite (bound by its variable limit); 1
    elsewhere, where the driver's ``executemany`` is the fast way."""
    if connection.dialect.name != "sqlite" or not columns:
        return 1
    driver = connection.connection.driver_connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if hasattr(driver, "getlimit") else 999
    return max(1, min(MULTIROW_MAX, limit // columns))


MULTIROW_MAX = 500  # rows per multi-row INSERT statement on SQLite


class BulkInsert:
    """``INSERT`` of many rows, compiled once: multi-row ``INSERT`` on SQLite, ``COPY`` on PostgreSQL
    through psycopg, the driver's ``executemany`` elsewhere.

    Values are converted column by column with the column types' own bind processors, so the
    stored form is exactly what the ORM would store, without per-row statement bookkeeping or
    RETURNING."""

    def __init__(self, session: Session, table: FromClause, keys: Sequence[str]) -> None:
        self.target = cast(Table, table)
        self.connection = session.connection()
        dialect = self.connection.dialect
        self.keys = list(keys)
        compiled = insert(self.target).compile(dialect=dialect, column_keys=self.keys)
        self.positional = dialect.positional
        self.order = list(compiled.positiontup or []) if self.positional else self.keys
        if sorted(self.order) != sorted(self.keys):  # a Python-side default would need a value we do not send
            raise ValueError(f"insert into {self.target.name}: parameters {self.order} ≠ {self.keys}")
        self.sql = str(compiled)
        self.dialect_name = dialect.name
        self.per_statement = _rows_per_statement(self.connection, len(self.keys)) if self.positional else 1
        self._statements: dict[int, str] = {}
        self.copy_sql: str | None = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer
            names = ", ".join(quote.quote(self.target.c[k].name) for k in self.order)
            self.copy_sql = f"COPY {quote.format_table(self.target)} ({names}) FROM STDIN"
        self.processors = {
            k: self.target.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in self.keys
        }

    def process(self, key: str, value: Any) -> Any:
        process = self.processors[key]
        return value if process is None else process(value)

    def execute(self, columns: dict[str, list[Any]], *, processed: Sequence[str] = ()) -> None:
        """Insert one chunk given as equal-length value lists per key (``processed`` keys are
        already in the driver's form)."""
        for key, process in self.processors.items():
            if process is not None and key not in processed:
                columns[key] = [process(v) for v in columns[key]]
        ordered = [columns[k] for k in self.order]
        if self.per_statement > 1 and ordered and len(ordered[0]) > 1:
            self._multirow(ordered)
            return
        if self.copy_sql is not None and ordered and len(ordered[0]) > 1:
            self._copy(ordered)
            return
        rows = zip(*ordered, strict=True)
        params: list[Any] = (
            list(rows) if self.positional else [dict(zip(self.order, r, strict=True)) for r in rows]
        )
        if params:
            self.connection.exec_driver_sql(self.sql, params)

    def _copy(self, ordered: list[list[Any]]) -> None:
        """PostgreSQL through psycopg: ``COPY … FROM STDIN`` in the version's transaction. Rows are
        streamed to the server, which inserts them on its own core while salesync goes on."""
        assert self.copy_sql is not None
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(self.copy_sql) as copy:
                for row in zip(*ordered, strict=True):
                    copy.write_row(row)
        finally:
            cursor.close()

    def _multirow(self, ordered: list[list[Any]]) -> None:
        """SQLite: many rows per ``INSERT … VALUES (…), (…)`` — one statement step for hundreds of
        rows, as fast again as ``executemany``."""
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        total, per = len(ordered[0]), self.per_statement
        try:
            for start in range(0, total, per):
                part = [column[start : start + per] for column in ordered]
                count = len(part[0])
                sql = self._sql_for(count)
                cursor.execute(sql, list(chain.from_iterable(zip(*part, strict=True))))
        finally:
            cursor.close()

    def _sql_for(self, rows: int) -> str:
        sql = self._statements.get(rows)
        if sql is None:
            head, _, group = self.sql.rpartition(" VALUES ")
            sql = self._statements[rows] = f"{head} VALUES {', '.join([group] * rows)}"
        return sql
