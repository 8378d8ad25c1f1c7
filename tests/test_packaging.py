"""Packaging: every package reconciler/ imports is a declared runtime dependency, every
declared one is imported, and the LICENSE file is the Apache-2.0 text pyproject names."""

from __future__ import annotations

import ast
import pathlib
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_canonical(re.split(r"[<>=!~;\[ ]", dep, maxsplit=1)[0])
            for dep in project["dependencies"]}


def _imported_top_level() -> dict[str, str]:
    """Top-level module → the first file that imports it (absolute imports only)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "reconciler").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return {m: f for m, f in found.items()
            if m not in sys.stdlib_module_names and m != "reconciler"}


def test_every_imported_package_is_a_declared_dependency() -> None:
    dists = packages_distributions()
    declared = _declared()
    missing = {module: where for module, where in _imported_top_level().items()
               if not {_canonical(d) for d in dists.get(module, [module])} & declared}
    assert not missing, f"imported but not in [project] dependencies: {missing}"


def test_every_declared_dependency_is_imported() -> None:
    dists = packages_distributions()
    used = {_canonical(d) for module in _imported_top_level() for d in dists.get(module, [])}
    assert _declared() - used == set(), "declared but never imported by reconciler/"


def test_license_is_the_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
