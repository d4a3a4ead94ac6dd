"""One worksheet part, patched in a single streaming pass: values, styles and cells where asked.

The work is proportional to the cells the part holds — never to the used range it declares: a
``<dimension>`` or formatting that runs to XFD1048576 is never expanded into a grid. A plain part
is scanned row by row (:mod:`~sync.xlsx.patch.rowscan`), anything else walked element by element
(:mod:`~sync.xlsx.patch.walker`); both give the same edits. The header row (row 1) is read first so
the caller can decide where things go (which column is ``同步状态``).
"""

from __future__ import annotations

from collections.abc import Callable

from sync.xlsx.patch.rowscan import PLAIN_BREAKERS, RowScanner
from sync.xlsx.patch.sheet_edit import Cell, Header, SheetEdit, SheetPass
from sync.xlsx.patch.walker import Walker
from sync.xlsx.patch.xmlbits import parse, parser

__all__ = ["Cell", "Header", "SheetEdit", "SheetPass", "patch_sheet"]


def patch_sheet(
    data: bytes, part: str, decide: Callable[[Header], SheetEdit], strings: Callable[[list[int]], list[str]]
) -> SheetPass:
    """Walk ``data`` (a worksheet part) once and return the edits ``decide`` asks for.

    The part is checked whole by expat first. When it holds no comments, CDATA sections or
    processing instructions, every ``<`` starts a tag, so the rows are found by a scan in C and
    only the rows that need an edit are parsed cell by cell; otherwise every element is walked.
    """
    _well_formed(data, part)
    if PLAIN_BREAKERS.search(data, data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0):
        return Walker(data, part, decide, strings).run()
    return RowScanner(data, part, decide, strings).run()


def _well_formed(data: bytes, part: str) -> None:
    p = parser()  # no element handlers: the whole part at expat's own speed
    parse(p, data, part)
