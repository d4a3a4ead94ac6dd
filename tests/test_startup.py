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
