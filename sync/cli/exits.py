"""The exit codes of the ``salesync`` command, and the one exception that carries the last of them.

- 0: done (every row accepted, nothing changed, reports agree);
- 1: done in part, or done with findings (rows rejected, reconciliation differences, a broken
  work-log chain, missing checks);
- 2: a usage error (Click: a missing option, a bad argument) — and an ingest rejected whole, a
  reconciliation that cannot compare;
- 3: an ingest held for confirmation (an unusual share of removals);
- 4: not done at all: an operational error or a refusal — unknown account, database unreachable,
  database not initialised, invalid configuration, a missing file, an action the account may not
  take. Printed as one line on stderr, without a traceback, so that a script or a service manager
  can tell "fix the data" (1) from "fix the system" (4).
"""

from __future__ import annotations

import click

OK = 0
FINDINGS = 1
USAGE = 2
HELD = 3
NOT_DONE = 4


class NotDone(click.ClickException):
    """The command did nothing: one line on stderr and exit code :data:`NOT_DONE`."""

    exit_code = NOT_DONE
