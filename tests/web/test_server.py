"""The portal's waitress server: it serves, and it stops at once even with a connection kept open."""

from __future__ import annotations

import http.client

from sync.app import Salesync
from web.server import Portal


def test_stop_closes_kept_alive_connections_and_ends_every_thread(app: Salesync) -> None:
    portal = Portal(app, port=0, threads=2).start()
    thread = portal._thread
    assert thread is not None
    host, port = portal.url.removeprefix("http://").rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=300)
    conn.request("GET", "/login")
    response = conn.getresponse()
    assert response.status == 200 and "登录 salesync" in response.read().decode()
    portal.stop()  # a browser tab still holds this connection open
    assert not thread.is_alive()
    conn.close()
