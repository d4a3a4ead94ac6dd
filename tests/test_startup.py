"""Start-up: ``salesync --help`` and the quick commands load only what they use.

The root group knows its commands by name and imports a command's module when it runs; the test
counts modules, not seconds: after ``--help`` neither the service nor the database layer nor the
portal is imported, ``status`` does not load the watcher or the portal, and neither ``status`` nor
``tasks`` loads the ingest pipeline or the data libraries.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sync.app import Salesync
from sync.core.config import Config
from tests.deals import PROJECT, registered_customers
from tests.workbooks import fill_template, master_rows, phone

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


def loaded_after_init(tmp_path: Path, args: list[str]) -> tuple[str, dict[str, bool]]:
    """What the command printed, and which heavy modules it left loaded, after an ``init`` of a
    fresh SQLite database in the same process (the init itself loads none of them)."""
    where = ["--db", f"sqlite:///{tmp_path / 'salesync.db'}", "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(
        [sys.executable, "-c", STATUS_PROBE % ([*where, "init"], [*where, *args])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    loaded: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return done.stdout, loaded


def test_status_loads_neither_the_pipeline_nor_the_data_libraries(tmp_path: Path) -> None:
    """`salesync status` reads the queue and the folders from the database: it needs the models,
    not the ingest pipeline, pandas, Arrow or openpyxl."""
    printed, loaded = loaded_after_init(tmp_path, ["status"])
    assert "共享盘" in printed
    assert not any(loaded.values()), loaded


def test_tasks_loads_neither_the_pipeline_nor_the_data_libraries(
    app: Salesync, people: dict[str, str], config: Config, tmp_path: Path
) -> None:
    """`salesync tasks` asks the database which tasks an account has — a change set it may sign, a
    撞单 to settle: it needs the models and the signing rights, not the 项目资料 spec (pandera), the
    change-set apply (pandas, Arrow), the phone normaliser (Arrow) or openpyxl."""
    pending = app.ingest(
        fill_template("project_master", master_rows(PROJECT), tmp_path / "项目资料.xlsx"), "operator"
    )
    assert pending.change_set_id is not None
    registered_customers(app, tmp_path / "a", rep="rep_a")
    registered_customers(app, tmp_path / "b", rep="rep_b")  # the same phones: collisions
    where = ["--db", config.database_url, "--data-dir", str(config.data_dir)]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            STATUS_PROBE % ([*where, "tasks", "--as", "senior"], [*where, "tasks", "--as", "manager"]),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    printed = done.stdout
    senior, manager = printed.split("manager 的任务", 1)
    assert f"[签字] #{pending.change_set_id}" in senior, printed  # the senior manager signs master data
    assert f"[撞单] {phone(0)}" in manager, printed  # the sales manager settles collisions
    loaded: dict[str, bool] = json.loads(printed.strip().splitlines()[-1])
    assert not any(loaded.values()), loaded
