"""Master data's rows as a signer reads them, column by column: the display text of every value
and the row text a change item carries, for a project's hundred thousand rooms at once.

``sync.core.rows.show`` and ``sync.domain.changesets.row_text`` say what the text is; these give
exactly the same strings (``tests/test_changeset_apply.py`` holds them side by side) without a
dispatch per value nor a ``json.dumps`` per row, so the content hash signers sign stays the same.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from schema.spec import Sheet
from sync.core.rows import json_strings, show


def _float(value: float) -> str | None:
    if value != value:  # NaN: no value
        return None
    return f"{round(value, 6):.6f}".rstrip("0").rstrip(".")


_SHOW: dict[type, Callable[[Any], str | None]] = {
    str: lambda v: v,
    float: _float,
    int: str,
    bool: lambda v: "是" if v else "否",
    Decimal: lambda v: _float(float(v)),
    dt.date: dt.date.isoformat,
}


def shown(values: Sequence[Any]) -> list[str | None]:
    """``show`` of each value (the common types directly, any other through ``show`` itself)."""
    fast = _SHOW.get
    return [None if v is None else fast(type(v), show)(v) for v in values]


def row_texts(sheet: Sheet, columns: dict[str, list[str | None]]) -> list[str]:
    """``row_text`` of each row given its columns' display texts: ``{"header": "text", …}`` as
    ``json.dumps(…, ensure_ascii=False)`` writes it, joined by Arrow."""
    parts: list[Any] = []
    for n, field in enumerate(sheet.fields):
        head = json.dumps(sheet.header(field), ensure_ascii=False)
        parts.append(("{" if n == 0 else ", ") + head + ": ")
        values = pa.array(columns[field], pa.string())
        parts.append(pc.if_else(pc.is_null(values), "null", json_strings(pc.fill_null(values, ""))))
    parts.append("}")
    if not len(parts[1]):
        return []
    return list(pc.binary_join_element_wise(*parts, "").to_pylist())
