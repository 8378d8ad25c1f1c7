"""Imports point one way (STYLE.md): the pure core depends on the model only, the CLI
sits on top, and nothing below the CLI reaches back up into it."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "reconciler"

#: What each layer may import from the rest of ``reconciler`` (besides itself).
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "errors": set(),
    "heap": set(),
    "escape": set(),
    "plan": {"model", "errors"},
    "render": {"plan", "model", "errors"},
    "policy": {"model", "errors", "heap"},
    "sandbox": {"model", "errors"},
    "notify": {"model", "errors"},
    "providers": {"model", "errors", "sandbox"},
    "settings": {"model", "errors", "plan", "policy", "providers"},
    "usage": {"model", "errors", "policy", "providers", "notify", "plan"},
    "planning": {"model", "errors", "plan", "policy", "settings"},
    "apply": {"model", "errors", "plan", "planning", "providers", "gitops", "settings",
              "notify", "escape"},
    "gitops": {"model", "errors", "plan", "planning", "policy", "providers", "usage",
               "render", "notify", "settings"},
}


def imports_of(path: pathlib.Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("reconciler.")}
    return found


def layer_of(path: pathlib.Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return rel.parts[0]


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) not in {"__init__", "cli"})


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_layers_below_it(path: pathlib.Path) -> None:
    layer = layer_of(path)
    assert layer in ALLOWED, f"new top-level module {layer}: add it to ALLOWED"
    wrong = imports_of(path) - ALLOWED[layer] - {layer}
    assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"


def test_the_pure_core_neither_prints_nor_exits() -> None:
    offenders = []
    for path in (PACKAGE / "plan").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"(?<![\w.])print\(|sys\.exit", text):
            offenders.append(path.name)
    assert offenders == []
