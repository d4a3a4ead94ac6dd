"""Settings of the salesync process itself, made once at start by the ``salesync`` command."""

from __future__ import annotations

import gc

# Young-generation collections every 10,000 new container objects instead of CPython's 700. An
# ingest makes hundreds of thousands of short-lived objects (rows, findings, parameters), almost
# none of them in reference cycles, and the default threshold walks them hundreds of times for
# nothing: a tenth of a 100k-row first import. The older generations keep their defaults.
YOUNG_THRESHOLD = 10_000


def tune_collector() -> None:
    """Raise the young generation's threshold (never lowers one set higher by the host)."""
    young, middle, old = gc.get_threshold()
    if young and young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
