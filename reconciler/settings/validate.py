"""Checks of the ``claude_code_settings`` in ``roles.yaml``, with file:line:col.

Why a separate pass: the policy loader validates the role records, but a role's raw
Claude Code settings are a nested document with its own schema (``settings.schema``)
and rules that only make sense for settings (a read-only role may not allow writes;
first-match-wins needs distinct priorities; one baseline at most). Each check returns
findings; nothing raises, so ``seatctl validate`` can report every problem at once.

Line numbers come from YAML nodes, read only here (the fast path of the policy
loader never builds nodes).
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import yaml

from reconciler.model import Role, SourceRef
from reconciler.policy.findings import Finding, sort_findings
from reconciler.settings.compile import (
    RISKY_BASH,
    UNRESTRICTED_SHELL,
    WRITE_TOOLS,
    SettingsContext,
    carries_settings,
    compile_role_settings,
)
from reconciler.settings.schema import settings_errors

#: Claude Code reads at most this much managed settings per group (as stored).
MAX_DOCUMENT_BYTES = 1024 * 1024
NEAR_LIMIT_BYTES = int(MAX_DOCUMENT_BYTES * 0.8)

SETTINGS_KEY = "claude_code_settings"


def _f(
    severity: Literal["error", "warning"],
    code: str,
    message: str,
    source: SourceRef | None,
    hint: str,
    pointer: str = "",
) -> Finding:
    """A policy ``Finding`` at ``source`` (``roles.yaml:1:1`` when the place is unknown)."""
    where = source or SourceRef("roles.yaml", 1, 1)
    return Finding.at(where.file, where.line, where.col, severity, code, message, hint, pointer)


def _loader() -> type[yaml.SafeLoader]:
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def _ref(file: str, node: yaml.Node) -> SourceRef:
    return SourceRef(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _to_python(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {_to_python(k): _to_python(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v) for v in node.value]
    constructor = yaml.constructor.SafeConstructor()
    return constructor.construct_object(node, deep=True)


def _get(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                found: yaml.Node = v
                return found
    return None


def _node_at(node: yaml.Node, path: Sequence[str | int]) -> yaml.Node:
    """The deepest node along ``path`` (a JSON path into the settings document)."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = _get(node, str(part))
            if found is None:
                return node
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def _role_nodes(root: yaml.Node) -> Iterator[tuple[str, yaml.Node]]:
    """(role key, role mapping node) from ``roles: {key: {...}}``, a list, or a top mapping."""
    roles = _get(root, "roles") or root
    if isinstance(roles, yaml.MappingNode):
        for k, v in roles.value:
            if isinstance(v, yaml.MappingNode):
                yield str(k.value), v
    elif isinstance(roles, yaml.SequenceNode):
        for item in roles.value:
            key = _get(item, "key") or _get(item, "name")
            if isinstance(item, yaml.MappingNode) and isinstance(key, yaml.ScalarNode):
                yield str(key.value), item


def _unexpected_key(node: yaml.Node, message: str) -> yaml.Node:
    """For an unknown key, the key's own node (its line), else ``node``."""
    match = re.search(r"\('([^']+)'.* (?:was|were) unexpected\)", message)
    if match and isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == match.group(1):
                return key
    return node


def _json_path(path: Sequence[str | int]) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "/"


def check_settings_node(file: str, role_key: str, node: yaml.Node) -> list[Finding]:
    """Schema errors of one role's raw settings, each at its own line."""
    value = _to_python(node)
    if not isinstance(value, dict):
        return [
            _f(
                "error", "settings_not_object",
                f"role {role_key!r}: {SETTINGS_KEY} must be a mapping of Claude Code settings",
                _ref(file, node), "write it as key: value pairs, e.g. `model: sonnet`",
            )
        ]  # fmt: skip
    findings = [
        _f(
            "error", "settings_schema",
            f"role {role_key!r}: {SETTINGS_KEY}{_json_path(path)}: {message}",
            _ref(file, _unexpected_key(_node_at(node, path), message)),
            "see docs/settings.md for the keys seatctl supports and their types",
            f"/roles/{role_key}/{SETTINGS_KEY}{_json_path(path)}".rstrip("/"),
        )
        for path, message in settings_errors(value)
    ]  # fmt: skip
    return findings


def _write_rules(raw: Mapping[str, Any]) -> list[str]:
    perms = raw.get("permissions")
    if not isinstance(perms, Mapping):
        return []
    rules: list[str] = []
    for key in ("allow", "ask"):
        for rule in perms.get(key) or []:
            if isinstance(rule, str) and (
                rule.split("(", 1)[0] in WRITE_TOOLS
                or rule in RISKY_BASH
                or rule in UNRESTRICTED_SHELL
            ):
                rules.append(rule)
    return rules


def check_roles(roles: Mapping[str, Role], ctx: SettingsContext | None = None) -> list[Finding]:
    """Semantic settings checks over compiled roles (no file access)."""
    ctx = ctx or SettingsContext(org_name="")
    findings: list[Finding] = []
    with_settings = {k: r for k, r in sorted(roles.items()) if carries_settings(r)}
    baselines = [r for r in with_settings.values() if r.baseline]
    if len(baselines) > 1:
        for role in baselines[1:]:
            findings.append(
                _f(
                    "error", "settings_two_baselines",
                    f"roles {baselines[0].key!r} and {role.key!r} are both baseline; "
                    "only one document can be the default",
                    role.source, "keep `baseline: true` on one role",
                )
            )  # fmt: skip
    by_priority: dict[int, Role] = {}
    for role in with_settings.values():
        if role.baseline and not role.group:
            continue
        other = by_priority.get(role.priority)
        if other is not None:
            findings.append(
                _f(
                    "error", "settings_priority_tie",
                    f"roles {other.key!r} and {role.key!r} share priority {role.priority}; "
                    "a member in both groups would get an arbitrary document",
                    role.source, "give every role with settings its own priority",
                )
            )  # fmt: skip
        by_priority.setdefault(role.priority, role)
        if not role.group and not role.baseline:
            findings.append(
                _f(
                    "warning", "settings_no_group",
                    f"role {role.key!r} carries Claude Code settings but names no RBAC group; "
                    "its document is only rendered for MDM",
                    role.source, "set `group:` to apply it through the API (Enterprise)",
                )
            )  # fmt: skip
        if role.settings and "read_only" in role.features:
            for rule in _write_rules(role.settings):
                findings.append(
                    _f(
                        "error", "settings_read_only_write",
                        f"role {role.key!r} is read-only but its settings allow {rule!r}",
                        role.source, "remove the rule, or drop read_only from features",
                    )
                )  # fmt: skip
        size = len(json.dumps(compile_role_settings(role, ctx)).encode())
        if size > NEAR_LIMIT_BYTES:
            findings.append(
                _f(
                    "warning" if size <= MAX_DOCUMENT_BYTES else "error",
                    "settings_too_large",
                    f"role {role.key!r}: settings document is {size} bytes "
                    f"(the service stores at most {MAX_DOCUMENT_BYTES})",
                    role.source, "shorten announcements, rules or env values",
                )
            )  # fmt: skip
    return findings


def check_role_settings(policy_root: str | pathlib.Path) -> list[Finding]:
    """Every problem with the raw Claude Code settings in ``<policy_root>/roles.yaml``.

    Returns findings sorted by line; an absent file gives none (the policy loader
    reports missing files). YAML syntax errors are the loader's to report too.
    """
    path = pathlib.Path(policy_root) / "roles.yaml"
    if not path.is_file():
        return []
    file = str(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_loader())
    except (yaml.YAMLError, UnicodeDecodeError):
        return []
    if root is None:
        return []
    findings: list[Finding] = []
    for key, role_node in _role_nodes(root):
        settings = _get(role_node, SETTINGS_KEY)
        if settings is None or (
            isinstance(settings, yaml.ScalarNode) and settings.value in ("", "~", "null")
        ):
            continue
        findings.extend(check_settings_node(file, key, settings))
        features = _get(role_node, "features")
        raw = _to_python(settings)
        if isinstance(raw, dict) and features is not None and "read_only" in (
            _to_python(features) or []
        ):
            for rule in _write_rules(raw):
                findings.append(
                    _f(
                        "error", "settings_read_only_write",
                        f"role {key!r} is read-only but its {SETTINGS_KEY} allow {rule!r}",
                        _ref(file, settings), "remove the rule, or drop read_only from features",
                    )
                )  # fmt: skip
    return sort_findings(findings)
