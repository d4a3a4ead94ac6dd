"""Serving the portal with waitress: in the foreground (``salesync serve``) or on a thread beside the
watcher (``salesync up``)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from sync.app import Salesync
from web import create_app

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass
class Portal:
    """A waitress server for the portal, started on a thread and stopped cleanly."""

    service: Salesync
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    threads: int = 4
    _server: Any = field(default=None, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def _make(self) -> Any:
        return create_server(
            create_app(self.service), host=self.host, port=self.port, threads=self.threads, ident="salesync"
        )

    @property
    def url(self) -> str:
        host, port = self._server.effective_host, self._server.effective_port
        return f"http://{host}:{port}/"

    def start(self) -> Portal:
        self._server = self._make()
        self._thread = threading.Thread(target=self._server.run, name="salesync-portal", daemon=True)
        self._thread.start()
        log.info("portal at %s", self.url)
        return self

    def stop(self) -> None:
        """Close the listening socket and every open connection (a browser keeps some alive), so
        that the server's loop ends at once; then its worker threads."""
        server, thread = self._server, self._thread
        if server is not None:
            channels = getattr(server, "_map", None)
            if channels is None:  # several listening sockets: waitress closes them all itself
                server.close()
            else:  # closed from inside the loop's own thread, through its trigger
                server.trigger.pull_trigger(lambda: wasyncore.close_all(channels))
        if thread is not None:
            thread.join(timeout=5)
        if server is not None:
            server.task_dispatcher.shutdown()
        self._server = self._thread = None

    def serve_forever(self) -> None:
        self._server = self._make()
        log.info("portal at %s", self.url)
        try:
            self._server.run()
        finally:
            self._server.close()
