"""The demo has an account for every role, and the console names each with its role; its project is
signed and live as of the day it is made."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from schema.base import SHANGHAI
from schema.models import (
    ChangeSet,
    Contract,
    CustomerEvent,
    Mortgage,
    Receipt,
    SpecialTransaction,
    Subscription,
)
from schema.models.audit import APPLIED
from schema.roles import Role
from sync.app import Salesync
from sync.domain import accounts
from sync.pipeline.outcome import Verdict
from sync.tools.demo import PEOPLE, prepare_demo, run_demo


def test_the_demo_has_every_role_and_prints_it(app: Salesync, tmp_path: Path) -> None:
    said: list[str] = []
    prepare_demo(app, tmp_path / "drive", echo=said.append)
    assert {r for _u, _n, roles in PEOPLE for r in roles} == {r.value for r in Role}
    with app.transaction() as session:
        for username, _name, roles in PEOPLE:
            assert set(accounts.get_account(session, username).role_keys) == set(roles)
    for username, name, roles in PEOPLE:
        line = next(s for s in said if s.strip().startswith(username + " "))
        assert name in line and all(Role(r).title_zh in line for r in roles)


def test_the_demo_project_is_live_as_of_today(app: Salesync, tmp_path: Path) -> None:
    """The initial load is signed by the demo's signers, deals and money are dated in the weeks before
    today, and the reps' follow-ups are not all in the past."""
    said: list[str] = []
    outcomes = run_demo(app, tmp_path / "drive", echo=said.append)
    today = dt.datetime.now(SHANGHAI).date()
    by_file = {Path(o.path).name: o for o in outcomes}
    assert {"销控.xlsx", "收款.xlsx"} <= set(by_file), said[-3:]
    for name in ("销控.xlsx", "收款.xlsx"):
        assert by_file[name].verdict is Verdict.ACCEPTED, by_file[name].findings
    with app.transaction() as session:
        assert session.scalars(select(ChangeSet.status)).all() == [APPLIED]
        days = session.scalars(select(Subscription.date)).all()
        assert len(days) == 24 and all(today - dt.timedelta(days=50) <= d < today for d in days)
        assert session.scalar(select(func.count()).select_from(Contract)) > 0
        assert session.scalar(select(func.count()).select_from(Receipt)) > 24
        assert session.scalar(select(func.count()).select_from(Mortgage)) > 0
        assert sorted(session.scalars(select(SpecialTransaction.kind))) == ["换房", "退房"]
        ahead = select(func.count()).select_from(CustomerEvent).where(CustomerEvent.next_follow_up >= today)
        assert (session.scalar(ahead) or 0) > 0
        latest = session.scalar(select(func.max(CustomerEvent.at)))
        assert latest is not None and latest.astimezone(SHANGHAI).date() < today
    again = run_demo(app, tmp_path / "drive", echo=lambda _line: None)  # nothing changed: nothing written
    assert all(o.rows_written == 0 for o in again)
