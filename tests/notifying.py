"""Real receivers for the notification tests: an SMTP server (aiosmtpd) and an HTTP server on
127.0.0.1 standing in for the 企业微信/钉钉/飞书 robots.

apprise's ``wecombot://``, ``dingtalk://`` and ``feishu://`` schemes post to the vendors' fixed
hosts and cannot be pointed at a local server, so the tests configure their robots with apprise's
generic ``json://127.0.0.1:PORT/<robot>`` — the same apprise path (a configured robot name resolved
to an apprise URL, one POST per message) with the vendor's host swapped for the local receiver.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mail:
    sender: str
    to: list[str]
    subject: str
    body: str
    attachments: list[str]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that keeps every mail it accepts; it can be stopped and
    started again on the same port (an SMTP outage)."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.mails: list[Mail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        texts, files = [], []
        for part in parsed.walk():
            if part.get_content_maintype() == "multipart":
                continue
            if part.get_filename():
                files.append(part.get_filename())
            elif part.get_content_type() == "text/plain":
                texts.append(part.get_content())
        with self._lock:
            self.mails.append(
                Mail(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    str(parsed["subject"]),
                    "\n".join(texts),
                    files,
                )
            )
        return "250 OK"

    def start(self) -> SmtpServer:
        self._loop = asyncio.new_event_loop()
        self._executor = ThreadPoolExecutor(1)  # where the server resolves names; ended on stop
        self._loop.set_default_executor(self._executor)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, loop=self._loop)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
            self._executor.shutdown(wait=True)

    @property
    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=salesync@example.com&mode=insecure"

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.mails if address in m.to]


@dataclass
class RobotServer:
    """An HTTP server on 127.0.0.1 that records every JSON POST (path and payload)."""

    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def start(self) -> RobotServer:
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                posts.append((self.path, json.loads(self.rfile.read(size) or b"{}")))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def url(self, robot: str) -> str:
        return f"json://127.0.0.1:{self.server.server_port}/{robot}"

    def at(self, robot: str) -> list[dict[str, Any]]:
        return [payload for path, payload in self.posts if path == f"/{robot}"]


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until ``check()`` holds (a generous ceiling, never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)
