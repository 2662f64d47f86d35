"""The import direction: apps import only the apps below them, and no import forms a cycle.

The layer order is written once, in pyproject.toml's `[tool.importlinter]`; import-linter checks
it (the layers contract, and cycles between the modules of any package), and a strongly
connected component search over grimp's graph catches the cycles between one module and another
that a package-level view can miss (a package's `__init__` and one of its own modules).
A copy of the tree with one deliberate backward import, and one with a deliberate cycle, shows
that the check would fail on them.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Finds every strongly connected component of more than one module in milepost's import graph.
CYCLES = textwrap.dedent(
    """
    import sys

    import grimp

    sys.setrecursionlimit(100_000)
    graph = grimp.build_graph("milepost", cache_dir=None)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    for cycle in cycles:
        print(" <-> ".join(cycle))
    sys.exit(1 if cycles else 0)
    """
)


LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a checker on the tree at cwd (its own `milepost`, not the installed one)."""
    return subprocess.run(
        args,
        cwd=cwd,
        env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-c", LINT_IMPORTS, "--no-cache"], cwd)


def _cycles(cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-c", CYCLES], cwd)


@pytest.fixture(scope="module")
def lint_imports_available() -> None:
    """import-linter is a dev dependency, installed by `make dev`; CI fails without it."""
    try:
        import importlinter  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("import-linter is not installed (make dev)")
        pytest.skip("import-linter is not installed (make dev)")


@pytest.fixture
def tree_copy(tmp_path: Path, lint_imports_available: None) -> Path:
    """A copy of the Python sources and the contract, to break on purpose."""
    shutil.copytree(
        ROOT / "milepost",
        tmp_path / "milepost",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "*.html"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_apps_import_only_the_apps_below_them_and_no_package_has_a_cycle(
    lint_imports_available: None,
) -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_no_module_imports_itself_round_a_loop(lint_imports_available: None) -> None:
    result = _cycles(ROOT)
    assert result.returncode == 0, f"import cycles:\n{result.stdout}{result.stderr}"


def test_a_backward_import_fails_the_check_and_names_it(tree_copy: Path) -> None:
    # The money helpers in core reaching up for the schedule's models.
    (tree_copy / "milepost" / "core" / "backward.py").write_text(
        "from milepost.schedule.models import Milestone  # noqa: F401\n"
    )
    result = _lint_imports(tree_copy)
    assert result.returncode == 1
    assert "milepost.core is not allowed to import milepost.schedule" in result.stdout
    assert "milepost.core.backward -> milepost.schedule.models" in result.stdout


def test_an_import_inside_a_function_counts_too(tree_copy: Path) -> None:
    (tree_copy / "milepost" / "contracts" / "lazy.py").write_text(
        "def late():\n    from milepost.alerts import models  # noqa: F401\n"
    )
    result = _lint_imports(tree_copy)
    assert result.returncode == 1
    assert "milepost.contracts is not allowed to import milepost.alerts" in result.stdout


def test_an_app_left_out_of_the_layer_order_fails_the_check(tree_copy: Path) -> None:
    (tree_copy / "milepost" / "newapp").mkdir()
    (tree_copy / "milepost" / "newapp" / "__init__.py").write_text("")
    result = _lint_imports(tree_copy)
    assert result.returncode == 1
    assert "milepost.newapp" in result.stdout


def test_a_cycle_between_two_modules_fails_the_check(tree_copy: Path) -> None:
    core = tree_copy / "milepost" / "core"
    (core / "loop_a.py").write_text("from . import loop_b  # noqa: F401\n")
    (core / "loop_b.py").write_text("from . import loop_a  # noqa: F401\n")
    assert _lint_imports(tree_copy).returncode == 1
    result = _cycles(tree_copy)
    assert result.returncode == 1
    assert "milepost.core.loop_a <-> milepost.core.loop_b" in result.stdout
