"""The one pager every paged list uses: previous and next keep the page's other query parameters."""

from __future__ import annotations

from flask import Flask, render_template_string

USE = '{% from "_pager.html" import pager %}{{ pager("versions.index", page, pages=pages, more=more, args=args) }}'


def render(portal: Flask, **values: object) -> str:
    with portal.test_request_context("/"):
        return render_template_string(USE, **{"pages": None, "more": False, "args": {}, **values})


def test_a_middle_page_links_both_ways_with_the_query(portal: Flask) -> None:
    html = render(portal, page=2, pages=3, args={"outcome": "partial"})
    assert 'href="/versions/?page=1&amp;outcome=partial"' in html
    assert 'href="/versions/?page=3&amp;outcome=partial"' in html
    assert "第 2 / 3 页" in html


def test_without_a_page_count_next_follows_more(portal: Flask) -> None:
    assert "page=2" in render(portal, page=1, more=True)
    assert render(portal, page=1, more=False).strip() == ""  # one page: no pager at all
    last = render(portal, page=3, pages=3)
    assert "page=2" in last and "page=4" not in last
