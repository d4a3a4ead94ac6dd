"""Every page in English: its headings, column heads, labels, buttons and navigation carry no Chinese-only
words, and no raw code (a verdict like ``partial``) stands where words should. Data — names, phones,
report and workbook titles — stays as entered."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser

from flask.testing import FlaskClient
from sqlalchemy import func, select

from schema.models import Account, VersionFinding
from sync.app import Salesync
from tests.web.test_lists import crowd  # noqa: F401  (the fixture)

CJK = re.compile(r"[\u3400-\u9fff]")
CHROME = {"h2", "th", "label", "button", "summary", "legend"}
RAW = re.compile(r">\s*(accepted|partial|rejected|unchanged|held|only-manual|only-system)\s*<")

PAGES = {
    "manager": [
        "/",
        "/customers/",
        "/versions/",
        "/versions/1",
        "/reconcile/",
        "/reports/",
        "/board/",
        "/mine/check?q=13900000001",
    ],
    "rep_a": ["/", "/mine/", "/mine/check", "/versions/"],
    "sz_admin": ["/admin/", "/worklog/?verify=1", "/versions/health"],
    "senior": ["/changes/"],
}


class Chrome(HTMLParser):
    """The text of the page's own words: chrome elements and the header's navigation."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("input", "br", "meta", "link", "img", "hr"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not CJK.search(data) or "option" in self.stack:
            return
        if CHROME & set(self.stack) or self.stack[-2:] == ["nav", "a"]:
            self.found.append((self.stack[-1], data.strip()))


def test_every_page_in_english(login: Callable[..., FlaskClient], crowd: None) -> None:  # noqa: F811
    problems = []
    for username, paths in PAGES.items():
        client = login(username)
        client.get("/?lang=en")  # the choice is kept for the session
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (username, path)
            html = response.get_data(as_text=True)
            assert "Sign out" in html and ">退出<" not in html, (username, path)
            page = Chrome()
            page.feed(html)
            # a person's name in a column head or label is data (张丽（rep_a）)
            words = [(tag, text) for tag, text in page.found if not re.search(r"（\w+）$", text)]
            problems += [(username, path, tag, text) for tag, text in words]
            problems += [(username, path, "raw", m) for m in RAW.findall(html)]
    assert problems == []


FINDING_ROW = re.compile(r'<tr class="(?:error|warning)">.*?<td class="message">(.*?)</td>', re.S)


def test_findings_read_in_english_from_the_catalog(
    app: Salesync,
    login: Callable[..., FlaskClient],
    crowd: None,  # noqa: F811
) -> None:
    """A finding is stored with its parameters, so an English reader gets the catalog's English words
    (the names in it are data); a finding stored before parameters were kept shows its stored text."""
    with app.transaction() as session:
        version_id, names = session.execute(
            select(VersionFinding.version_id, func.count()).group_by(VersionFinding.version_id)
        ).first() or (None, 0)
        people = set(session.scalars(select(Account.display_name)))
    assert version_id is not None and names >= 50
    client = login("manager")
    english = client.get(f"/versions/{version_id}?lang=en").get_data(as_text=True)
    messages = [unescape(m) for m in FINDING_ROW.findall(english)]
    assert len(messages) == names
    for message in messages:
        words = message
        for name in people:
            words = words.replace(name, "")
        assert not CJK.search(words), message
    chinese = client.get(f"/versions/{version_id}?lang=zh").get_data(as_text=True)
    assert all(CJK.search(unescape(m)) for m in FINDING_ROW.findall(chinese))

    with app.transaction() as session:  # a row from before the parameters were kept
        first = session.scalars(
            select(VersionFinding).where(VersionFinding.version_id == version_id).order_by(VersionFinding.id)
        ).first()
        assert first is not None and first.params is not None
        first.params = None
        stored = first.message
    english = client.get(f"/versions/{version_id}?lang=en").get_data(as_text=True)
    assert stored in [unescape(m) for m in FINDING_ROW.findall(english)]
