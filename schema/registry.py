"""One registry pattern for everything looked up by name: workbook kinds, sync plans, report builders.

A declaration registers itself where it is defined (a decorator on a function, or a call on a
value), and the package that owns the family imports its modules so that every entry is known.
Looking up a name that is not registered is a programming error, said with the names that are.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        if name in self._entries and self._entries[name] is not entry:
            raise ValueError(f"{self.what} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: ``@PLANS.register("customers")`` over the function it names."""

        def decorate(entry: T) -> T:
            return self.add(name, entry)

        return decorate

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries))
            raise KeyError(f"no {self.what} {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def values(self) -> list[T]:
        return [self._entries[name] for name in sorted(self._entries)]


def import_submodules(package: str, path: Iterable[str]) -> list[ModuleType]:
    """Import every module of a package, so that each declaration in it registers itself (the owning
    package calls this with its own ``__name__`` and ``__path__``)."""
    return [
        importlib.import_module(f"{package}.{info.name}")
        for info in sorted(pkgutil.iter_modules(list(path)), key=lambda m: m.name)
    ]
