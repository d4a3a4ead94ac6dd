"""The command line: the top floor, the only place that starts both the watcher and the portal."""

from sync.cli.main import main

__all__ = ["main"]
