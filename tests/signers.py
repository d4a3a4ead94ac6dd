"""Signing helpers for tests that need master data in effect: the region's GM and a senior manager sign."""

from __future__ import annotations

from sqlalchemy import select

from schema.models import Account
from sync.app import Salesync
from sync.domain import accounts, signing
from sync.pipeline.outcome import Outcome
from tests.conftest import PASSWORD

GM = "gm"


def ensure_gm(app: Salesync, region: str = "SZ") -> str:
    """The region's 地区总经理 (the ``people`` fixture has the senior manager, ``senior``)."""
    with app.transaction() as session:
        if session.scalar(select(Account).where(Account.username == GM)) is None:
            accounts.add_user(session, GM, name="刘洋", roles=["region_gm"], password=PASSWORD, region=region)
    return GM


def sign_off(app: Salesync, outcome: Outcome) -> signing.SignResult:
    """Sign the change set ``outcome`` recorded as the senior manager and, if still needed, the GM."""
    assert outcome.change_set_id is not None, outcome.findings
    ensure_gm(app)
    with app.transaction() as session:
        result = signing.sign(session, outcome.change_set_id, "senior", PASSWORD)
    if result.missing:
        with app.transaction() as session:
            result = signing.sign(session, outcome.change_set_id, GM, PASSWORD)
    assert result.status == "已生效", result
    return result
