"""The registry of workbook kinds: every module in this package that defines ``KIND`` (or
``KINDS``, for a family of kinds derived from one declaration) is registered in :data:`KINDS`.

Adding a kind is adding one module here (plus its plan and tests); nothing else needs to list it.
"""

from __future__ import annotations

from functools import cache

from schema.registry import Registry, import_submodules
from schema.spec import WorkbookKind

KINDS: Registry[WorkbookKind] = Registry("workbook kind")


@cache
def all_kinds() -> dict[str, WorkbookKind]:
    for module in import_submodules(__name__, __path__):
        for kind in [getattr(module, "KIND", None), *getattr(module, "KINDS", ())]:
            if isinstance(kind, WorkbookKind):
                KINDS.add(kind.id, kind)
    return {kind_id: KINDS.get(kind_id) for kind_id in KINDS}


def get_kind(kind_id: str) -> WorkbookKind:
    kinds = all_kinds()
    try:
        return kinds[kind_id]
    except KeyError:
        raise KeyError(f"unknown workbook kind {kind_id!r}") from None
