"""The arrows the design forbids (DESIGN.md "Data flow", STYLE.md), and only those.

- ``plan`` and ``model`` are the pure core: they import no I/O (files, network,
  processes, databases, the SDK), read no clock, and import no providers, sandbox,
  CLI or other edge layer; they neither print nor exit. This holds for everything
  they import from seatctl, transitively (the managed-settings diff rule, say).
- ``providers`` never import the sandbox: a provider reaches it only through the SDK.
- the ``sandbox`` imports nothing of seatctl's core: it imitates the Admin API and
  would serve any client.
- nothing below the CLI reaches back up into it.

Checked on the source (``ast``), so an import inside a function counts too.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "reconciler"

#: Layers of ``reconciler`` the pure core must not reach (they talk to the outside).
EDGE_LAYERS = frozenset({"providers", "sandbox", "cli", "connect", "apply", "gitops", "usage",
                         "notify", "policy", "render", "heap"})
#: Modules that do I/O (files, processes, network, databases, the SDK).
IO_MODULES = frozenset({"os", "io", "pathlib", "shutil", "tempfile", "glob", "socket",
                        "subprocess", "sqlite3", "urllib", "http", "requests", "httpx",
                        "httpx2", "anthropic", "asyncio", "threading", "multiprocessing",
                        "concurrent", "logging", "sys", "time"})
#: Pure submodules of those packages: string parsing, no I/O.
PURE_SUBMODULES = frozenset({"urllib.parse"})
#: Calls that read the clock or touch the outside world.
FORBIDDEN_CALLS = frozenset({"now", "today", "utcnow", "time", "monotonic", "perf_counter",
                             "open", "print", "exit", "getenv", "environ"})


def _python_files(layer: str) -> list[pathlib.Path]:
    root = PACKAGE / layer
    return sorted(root.rglob("*.py")) if root.is_dir() else [PACKAGE / f"{layer}.py"]


def _imports(path: pathlib.Path) -> set[str]:
    """Every module ``path`` imports, absolute dotted names (anywhere in the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def _layers(modules: set[str]) -> set[str]:
    return {m.split(".")[1] for m in modules if m.startswith("reconciler.") and "." in m}


def _calls(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            names.add("environ")
    return names


CORE = [p for layer in ("plan", "model") for p in _python_files(layer)]


def _module_files(module: str) -> list[pathlib.Path]:
    """The files importing ``module`` runs: its packages' ``__init__`` and itself."""
    parts = module.split(".")[1:]
    files = []
    for i in range(len(parts) + 1):
        base = PACKAGE.joinpath(*parts[:i])
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file() and candidate not in files:
                files.append(candidate)
    return files


def _reached(path: pathlib.Path) -> set[pathlib.Path]:
    """``path`` and every seatctl file it imports, transitively."""
    seen = {path}
    todo = [path]
    while todo:
        for module in _imports(todo.pop()):
            if module == "reconciler" or module.startswith("reconciler."):
                for file in _module_files(module):
                    if file not in seen:
                        seen.add(file)
                        todo.append(file)
    return seen


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_pure_core_imports_no_io_clock_or_edge_layer(path: pathlib.Path) -> None:
    wrong = []
    for file in sorted(_reached(path)):
        imports = _imports(file)
        edge = _layers(imports) & EDGE_LAYERS
        io = {m for m in imports
              if m.split(".")[0] in IO_MODULES and m not in PURE_SUBMODULES}
        calls = _calls(file) & FORBIDDEN_CALLS
        if edge or io or calls:
            wrong.append(f"{file.relative_to(PACKAGE)}: imports {sorted(edge | io)}, "
                         f"calls {sorted(calls)}")
    assert not wrong, f"{path.relative_to(PACKAGE)} reaches: {wrong}"


@pytest.mark.parametrize("path", _python_files("providers"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_providers_never_import_the_sandbox(path: pathlib.Path) -> None:
    assert "sandbox" not in _layers(_imports(path)), path.relative_to(PACKAGE)


@pytest.mark.parametrize("path", _python_files("sandbox"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_sandbox_imports_nothing_of_seatctls_core(path: pathlib.Path) -> None:
    assert _layers(_imports(path)) <= {"sandbox"}, path.relative_to(PACKAGE)


BELOW_CLI = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "cli")


@pytest.mark.parametrize("path", BELOW_CLI, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_below_the_cli_imports_it(path: pathlib.Path) -> None:
    assert "cli" not in _layers(_imports(path)), path.relative_to(PACKAGE)


def test_the_checks_see_what_they_forbid(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom reconciler.sandbox.store import SandboxStore\n"
                   "def f():\n    import datetime\n    return datetime.datetime.now()\n",
                   encoding="utf-8")
    assert _layers(_imports(bad)) == {"sandbox"}
    assert "os" in _imports(bad)
    assert "now" in _calls(bad)
    reached = {p.relative_to(PACKAGE).as_posix() for p in _reached(PACKAGE / "plan" / "diff.py")}
    assert {"plan/kinds.py", "settings/diff.py", "model/__init__.py"} <= reached
