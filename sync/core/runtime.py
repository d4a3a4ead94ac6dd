"""Settings of the salesync process itself, made once at start by the ``salesync`` command."""

from __future__ import annotations

import gc
import os

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


def use_system_allocator_for_arrow() -> None:
    """Arrow's buffers come from the C allocator unless the operator chose otherwise.

    What a big workbook's frames freed is then handed back to the OS with the rest (the reader trims
    the heap after each read), so a watcher that met one big workbook does not keep its peak for
    good. Arrow reads ``ARROW_DEFAULT_MEMORY_POOL`` when its default pool is first used, so setting
    it here, before any frame is made, needs no import of pyarrow."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def configure_process() -> None:
    """Everything the ``salesync`` command sets up for its own process, once, at start."""
    tune_collector()
    use_system_allocator_for_arrow()
