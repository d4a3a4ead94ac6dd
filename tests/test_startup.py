"""Start-up: ``salesync --help`` and the quick commands load only what they use.

The root group knows its commands by name and imports a command's module when it runs; the test
counts modules, not seconds: after ``--help`` neither the service nor the database layer nor the
portal is imported, and ``status`` does not load the watcher or the portal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
from sync.cli.main import main
try:
    main(%r, standalone_mode=False)
except SystemExit:
    pass
heavy = ["sync.app", "sqlalchemy", "pandas", "pyarrow", "flask", "web", "sync.watch.service"]
print(json.dumps({name: name in sys.modules for name in heavy}))
"""


def loaded_after(args: list[str]) -> dict[str, bool]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (args,)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    loaded: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_help_imports_no_part_of_the_application() -> None:
    loaded = loaded_after(["--help"])
    assert not any(loaded.values()), loaded


def test_a_command_loads_its_own_module_only() -> None:
    loaded = loaded_after(["status", "--help"])
    assert not loaded["flask"] and not loaded["web"] and not loaded["sync.watch.service"], loaded


STATUS_PROBE = """
import json, sys
from sync.cli.main import main
for args in (%r, %r):
    try:
        main(args, standalone_mode=False)
    except SystemExit:
        pass
heavy = ["sync.pipeline.ingest", "pandas", "pyarrow", "openpyxl", "pandera", "polars", "gspread"]
print(json.dumps({name: name in sys.modules for name in heavy}))
"""


def test_status_loads_neither_the_pipeline_nor_the_data_libraries(tmp_path: Path) -> None:
    """`salesync status` reads the queue and the folders from the database: it needs the models,
    not the ingest pipeline, pandas, Arrow or openpyxl."""
    where = ["--db", f"sqlite:///{tmp_path / 'salesync.db'}", "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(
        [sys.executable, "-c", STATUS_PROBE % ([*where, "init"], [*where, "status"])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert "共享盘" in done.stdout
    loaded: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    assert not any(loaded.values()), loaded
