"""The one way a portal list is paged, searched, filtered and sorted on the server.

A list's state lives in the URL (``?q=…&sort=…&dir=…&page=…`` plus the list's own filters), so a link,
a bookmark or the back button shows the same rows. A database list is cut with SQL (``LIMIT``/``OFFSET``
and a ``COUNT``), so a page reads only the rows it shows; a list the service computes in Python (我的任务)
is cut the same way after the fact, with the same parameters and the same pager.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

T = TypeVar("T")
#: any query: of one entity or of several
AnySelect = Select[*tuple[Any, ...]]
Q = TypeVar("Q", bound=AnySelect)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Listing:
    """What the URL asks of a list: the page, the search text, the sort and the filters."""

    page: int = 1
    size: int = PAGE_SIZE
    q: str = ""
    sort: str = ""
    descending: bool = False
    filters: Mapping[str, str] = field(default_factory=dict)
    page_param: str = "page"  # two lists on one page page apart (``cpage``, ``dpage``)
    default_sort: str = ""  # left out of links: the plain URL already sorts by it

    @classmethod
    def from_request(
        cls,
        filters: Iterable[str] = (),
        sorts: Iterable[str] = (),
        default_sort: str = "",
        size: int = PAGE_SIZE,
        page_param: str = "page",
    ) -> Listing:
        """Read the list's state from the query string; an unknown sort falls back to the default."""
        args = request.args
        page = max(args.get(page_param, 1, type=int) or 1, 1)
        per = min(max(args.get("size", size, type=int) or size, 1), MAX_PAGE_SIZE)
        sort = args.get("sort", "")
        if sort not in set(sorts):
            sort = default_sort
        descending = args.get("dir", "") == "desc"
        chosen = {name: args.get(name, "").strip() for name in filters if args.get(name, "").strip()}
        return cls(
            page, per, args.get("q", "").strip()[:200], sort, descending, chosen, page_param, default_sort
        )

    def get(self, name: str) -> str:
        return self.filters.get(name, "")

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query parameters that keep this list's state (without the page), for links and the pager."""
        kept: dict[str, Any] = dict(self.filters)
        if self.q:
            kept["q"] = self.q
        if self.sort and self.sort != self.default_sort:
            kept["sort"] = self.sort
        if self.descending:
            kept["dir"] = "desc"
        if self.size != PAGE_SIZE:
            kept["size"] = self.size
        kept.update(changes)
        return {k: v for k, v in kept.items() if v not in ("", None)}

    def sort_args(self, column: str) -> dict[str, Any]:
        """The query of a column header's link: sort by it, or flip the direction if it is the sort."""
        flip = "" if (self.sort == column and self.descending) else ("desc" if self.sort == column else "")
        return self.args(sort=column, dir=flip or None)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the total it was cut from."""

    items: Sequence[T]
    total: int
    listing: Listing

    @property
    def page(self) -> int:
        return self.listing.page

    @property
    def pages(self) -> int:
        return max((self.total + self.listing.size - 1) // self.listing.size, 1)

    def link(self, number: int, /, **others: Any) -> dict[str, Any]:
        """The query of the link to another page of this list (``others``: another list's state,
        which may name another list's ``page``)."""
        return {**others, **self.listing.args(), self.listing.page_param: number}

    @property
    def first(self) -> int:
        return self.listing.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.listing.offset + len(self.items)


def search(stmt: Q, text: str, *columns: Any) -> Q:
    """Rows where any of the columns contains the text (case-insensitive, on SQLite and PostgreSQL)."""
    if not text:
        return stmt
    return stmt.where(or_(*(column.ilike(contains(text), escape="\\") for column in columns)))


def contains(text: str) -> str:
    """The ``LIKE`` pattern of "contains this text" (its own ``%`` and ``_`` taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def paged(session: Session, stmt: AnySelect, listing: Listing, order: Mapping[str, Any]) -> Page[Any]:
    """Count the rows, then read only the page's (``order``: the list's sortable columns by name; the
    listing's sort, or the first entry, comes first, then the others keep the order stable)."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    key = listing.sort if listing.sort in order else next(iter(order))
    first = order[key].desc() if listing.descending else order[key].asc()
    rest = [c for name, c in order.items() if name != key]
    rows = session.execute(stmt.order_by(first, *rest).offset(listing.offset).limit(listing.size))
    single = len(stmt.column_descriptions) == 1
    items = [row[0] for row in rows] if single else [tuple(row) for row in rows]
    return Page(items, int(total), listing)


def paged_list(
    items: Sequence[T], listing: Listing, keys: Mapping[str, Callable[[T], Any]] | None = None
) -> Page[T]:
    """The same cut over a list already in memory (sorted by ``keys[listing.sort]`` when given)."""
    ordered = list(items)
    if keys and listing.sort in keys:
        ordered.sort(key=keys[listing.sort], reverse=listing.descending)
    start = listing.offset
    return Page(ordered[start : start + listing.size], len(ordered), listing)
