"""A sealed row as its version applied it, read again from the version's kept file.

The work log seals a version's new rows by digest, not by value (``sealing.seal_batch``), so when
``salesync audit verify --deep`` finds a row altered behind the log, the value the version wrote is
taken from the kept bytes: the workbook is read and typed again the way the ingest did, and the row
with the same key (as the log writes it: the sheet's key values joined by spaces) gives its values.
New rows are inserted as typed, so this is what was written; the deep check then names the column,
the value written and the value found. Only the one row is looked for, after the fact: nothing of it
is on the version's path.
"""

from __future__ import annotations

from typing import Any

from sync.core.rows import column_values, joined
from sync.xlsx.reader import read_workbook
from validators.frames import prepare


def applied_row(table: str, content: bytes, log_key: str) -> dict[str, Any] | None:
    """The values of the row whose key is ``log_key`` in the kept workbook's sheet for ``table``
    (None when the file does not hold it any more in a readable form)."""
    raw = read_workbook(content)
    sheet = raw.sheets.get(table)
    if sheet is None or not sheet.spec.key:
        return None
    frame = prepare(sheet.spec, sheet.frame).frame
    keys = joined(frame, sheet.spec.key, " ", "")
    if log_key not in keys:
        return None
    row = frame.iloc[[keys.index(log_key)]]
    return {name: column_values(row[name])[0] for name in frame.columns}
