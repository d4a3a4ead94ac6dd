"""The registry of workbook kinds: every module in this package that defines ``KIND`` (or
``KINDS``, for a family of kinds derived from one declaration).

Adding a kind is adding one module here (plus its tests); nothing else needs to list it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from schema.spec import WorkbookKind


@cache
def all_kinds() -> dict[str, WorkbookKind]:
    kinds: dict[str, WorkbookKind] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found = [getattr(module, "KIND", None), *getattr(module, "KINDS", ())]
        for kind in found:
            if isinstance(kind, WorkbookKind):
                kinds[kind.id] = kind
    return kinds


def get_kind(kind_id: str) -> WorkbookKind:
    try:
        return all_kinds()[kind_id]
    except KeyError:
        raise KeyError(f"unknown workbook kind {kind_id!r}") from None
