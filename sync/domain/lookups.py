"""Read-only database facts for the validators (``schema.spec.Lookups`` over a session)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from schema.base import SHANGHAI
from schema.models import Building, Customer, Discount, PaymentPlan, Project, Region, Room

T = TypeVar("T")
CHUNK = 2000


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class DatabaseLookups:
    """Lookups for one ingest by one account."""

    def __init__(self, session: Session, account_id: int) -> None:
        self.session = session
        self.account_id = account_id

    def _pairs(self, key: Any, value: Any, codes: Iterable[str], *extra: Any) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for batch in chunks(sorted(set(codes))):
            stmt = select(key, value).where(key.in_(batch), *extra)
            out.update({k: v for k, v in self.session.execute(stmt)})
        return out

    def project_pricing_basis(self, codes: Iterable[str]) -> Mapping[str, str]:
        return self._pairs(Project.code, Project.pricing_basis, codes, Project.removed_at.is_(None))

    def building_floors(self, keys: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for batch in chunks(sorted(set(keys))):
            stmt = select(Building.project_code, Building.code, Building.floors).where(
                tuple_(Building.project_code, Building.code).in_(batch), Building.removed_at.is_(None)
            )
            out.update({(p, c): f for p, c, f in self.session.execute(stmt)})
        return out

    def room_projects(self, codes: Iterable[str]) -> Mapping[str, str]:
        return self._pairs(Room.code, Room.project_code, codes)

    def plan_projects(self, codes: Iterable[str]) -> Mapping[str, str]:
        return self._pairs(PaymentPlan.code, PaymentPlan.project_code, codes)

    def discount_projects(self, codes: Iterable[str]) -> Mapping[str, str]:
        return self._pairs(Discount.code, Discount.project_code, codes)

    def region_codes(self) -> set[str]:
        return set(self.session.scalars(select(Region.code)))

    def today(self) -> dt.date:
        return dt.datetime.now(SHANGHAI).date()

    def known_phones(self, phones: Iterable[str]) -> set[str]:
        return set(self._pairs(Customer.phone, Customer.id, phones))

    def owned_phones(self, phones: Iterable[str]) -> set[str]:
        return set(self._pairs(Customer.phone, Customer.id, phones, Customer.owner_id == self.account_id))
