"""The dormant list is one SQL query (sync.domain.dormant): it finds exactly the customers the rule
finds (sync.domain.ownership.Idle.dormant), pages and sorts them in the database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from schema.base import SHANGHAI
from schema.models import Account, Customer, CustomerEvent
from sync.app import Salesync
from sync.domain import ownership
from sync.domain.dormant import dormant_query
from tests.web.test_lists import crowd  # noqa: F401  (the fixture)
from tests.workbooks import phone


def test_the_query_finds_what_the_rule_finds(app: Salesync, crowd: None) -> None:  # noqa: F811
    today = dt.datetime.now(SHANGHAI).date()
    with app.transaction() as session:
        manager = session.scalars(select(Account).where(Account.username == "manager")).one()
        ownership.reassign_customer(session, phone(1), "manager", "rep_b", "跟进不及时", today=today)
        # a customer whose owner met them again today is no longer idle; one met 13 days ago is not yet dormant
        for number, days in ((2, 0), (3, 13), (4, 14)):
            customer = session.scalars(select(Customer).where(Customer.phone == phone(number))).one()
            at = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(10), tzinfo=SHANGHAI)
            earlier = session.scalars(
                select(CustomerEvent).where(CustomerEvent.customer_id == customer.id)
            ).first()
            assert earlier is not None
            session.add(
                CustomerEvent(
                    customer_id=customer.id,
                    account_id=customer.owner_id,
                    at=at,
                    kind="回访",
                    version_id=earlier.version_id,
                    row_hash=f"{number:032d}",
                )
            )
        region = manager.region_id
    with app.transaction() as session:
        rule = {i.customer.phone for i in ownership.dormant_customers(session, region, today)}
        stmt, order = dormant_query(region, today)
        found = {c.phone for c, _last, _moved in session.execute(stmt)}
        assert found == rule
        assert phone(1) not in found and phone(2) not in found and phone(3) not in found
        assert phone(4) in found and len(found) == 57
        longest = [
            c.phone for c, *_ in session.execute(stmt.order_by(order["idle"], order["phone"]).limit(1))
        ]
        assert longest[0] != phone(4)  # met 20 days ago comes before met 14 days ago
        later = dt.date.today() + dt.timedelta(days=30)
        assert {c.phone for c, *_ in session.execute(dormant_query(region, later)[0])} == {
            i.customer.phone for i in ownership.dormant_customers(session, region, later)
        }
