"""Orchestration: reading saved workbooks, syncing them into the database, feedback and the CLI."""

import os

import pyarrow as _pa

# Arrow's buffers come from the C allocator unless the operator chose otherwise: what a big
# workbook's frames freed is then handed back to the OS with the rest (sync.reader trims the heap
# after each read), so a watcher that met one big workbook does not keep its peak for good.
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    _pa.set_memory_pool(_pa.system_memory_pool())
