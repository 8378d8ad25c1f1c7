"""What the GitHub steps need from the CLI layer, handed down as values.

Why: imports point one way (the CLI sits on top of ``gitops``), yet a PR plan must be
exactly ``seatctl plan`` (same clock, sandbox and provider wiring), validation must
run ``seatctl validate``'s extra checks, and the merge apply must pass only the
override flags this version of ``seatctl apply`` accepts. The CLI builds one
``Wiring`` and passes it in; tests can pass their own.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.plan import Plan


@dataclass(frozen=True, slots=True)
class Wiring:
    """``make_plan`` as ``reconciler.cli.plan.make_plan``; validate's extra checks; the
    option names of ``seatctl apply``; the audit log's verify (``""`` when intact, else
    the problem) and append (path, environment for the actor, kind, fields)."""

    make_plan: Callable[..., Plan]
    extra_checks: Sequence[Callable[..., Any]] = ()
    apply_options: frozenset[str] = frozenset()
    verify_audit: Callable[[pathlib.Path], str] = lambda _path: ""
    record: Callable[[pathlib.Path, Mapping[str, str], str, Mapping[str, Any]], None] = \
        lambda _path, _env, _kind, _fields: None
