"""Portal fixtures: the Flask app around the test's real database, a client, and signing in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sync.app import Salesync
from tests.conftest import PASSWORD
from web import create_app


@pytest.fixture
def portal(app: Salesync) -> Flask:
    flask_app = create_app(app, {"TESTING": True})
    return flask_app


@pytest.fixture
def client(portal: Flask) -> FlaskClient:
    return portal.test_client()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page carries (as a browser would read it from the form)."""
    html = client.get(path).get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


OWN_PASSWORD = "my own words 2026"


def choose_own_password(client: FlaskClient, current: str, new: str = OWN_PASSWORD) -> None:
    """The first sign-in after an admin set the password: every page leads to the change form."""
    assert client.get("/").headers["Location"] == "/account/password"
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={"current": current, "password": new, "password2": new, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def login(portal: Flask) -> Callable[..., FlaskClient]:
    """Sign in as a user; each call is a browser of its own (its own cookies)."""

    def do(username: str, password: str = PASSWORD) -> FlaskClient:
        client = portal.test_client()
        sign_in(client, username, password)
        return client

    return do
