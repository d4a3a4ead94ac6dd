"""The floors the imports obey (docs/architecture.md), held by import-linter's contracts in pyproject.

The contracts pass on the tree as it is; and each kind of boundary is shown to bite: a copy of the
packages with one forbidden import added fails ``lint-imports``, naming the broken contract.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schema", "validators", "sync", "web")
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # a domain operation reaching up into the pipeline
        ("sync/domain/accounts.py", "import sync.pipeline.ingest", "floors"),
        # the pipeline reaching up into the watcher
        ("sync/pipeline/feedback.py", "import sync.watch.queue", "floors"),
        # storage knowing the rules
        ("schema/spec.py", "import validators.rules", "storage knows no rules"),
        # the portal validating for itself
        ("web/versions.py", "import validators.frames", "the portal asks the service"),
        # a cycle inside one package
        ("sync/domain/worklog.py", "import sync.domain.accounts", "no cycles"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


# Function-local imports of the project's own modules that are there on purpose (not to hide a cycle).
LOCAL_IMPORTS_ALLOWED = {
    # the root group loads the error boundary only when a command failed: --help stays light
    ("sync/cli/main.py", "sync.cli.common"),
    # the service loads the ingest pipeline (pandas, Arrow, openpyxl) at its first ingest, so the
    # quick commands (status, tasks, signing) that only read the database start light
    ("sync/app.py", "sync.pipeline.ingest"),
}


def test_no_function_local_import_hides_a_cycle() -> None:
    """A function-local import of salesync's own modules is a cycle in hiding (STYLE §9); the
    documented exceptions above are the only ones."""
    found = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for func in ast.walk(tree):
                if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(func):
                    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        names = [node.module]
                    elif isinstance(node, ast.Import):
                        names = [alias.name for alias in node.names]
                    else:
                        continue
                    for name in names:
                        if name.split(".")[0] in PACKAGES:
                            found.add((str(path.relative_to(ROOT)), name))
    assert found <= LOCAL_IMPORTS_ALLOWED, sorted(found - LOCAL_IMPORTS_ALLOWED)
