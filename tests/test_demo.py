"""The demo has an account for every role, and the console names each with its role."""

from __future__ import annotations

from pathlib import Path

from schema.roles import Role
from sync.app import Salesync
from sync.domain import accounts
from sync.tools.demo import PEOPLE, prepare_demo


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
