"""seatctl's own JSON Schema for the Claude Code managed-settings keys it supports.

Why our own: the full community schema is large and changes weekly; seatctl only
generates and accepts a small, reviewed set of keys at run time, and anything else
in a role's raw ``claude_code_settings`` is a policy error (``additionalProperties:
false``) rather than a document pushed to every laptop unchecked. Key names, types
and enum values are facts of Claude Code's settings format; tests check that every
document seatctl emits also passes the full vendored schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

#: Tools a rule may name (``Tool`` or ``Tool(specifier)``), plus MCP tools ``mcp__*``.
TOOLS: tuple[str, ...] = (
    "Agent", "Bash", "Edit", "Glob", "Grep", "LSP", "MultiEdit", "NotebookEdit",
    "PowerShell", "Read", "Skill", "TodoWrite", "WebFetch", "WebSearch", "Write",
)  # fmt: skip

RULE_PATTERN = r"^((" + "|".join(TOOLS) + r")(\([^)]+\))?|mcp__.*)$"

PERMISSION_MODES: tuple[str, ...] = ("acceptEdits", "default", "dontAsk", "plan")

_RULES: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "pattern": RULE_PATTERN},
    "uniqueItems": True,
}

SUPPORTED_SETTINGS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://seatctl.invalid/schemas/claude-code-managed-settings.json",
    "title": "Claude Code managed settings supported by seatctl",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "permissions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "allow": _RULES,
                "ask": _RULES,
                "deny": _RULES,
                "defaultMode": {"type": "string", "enum": list(PERMISSION_MODES)},
                "disableBypassPermissionsMode": {"const": "disable"},
                "disableAutoMode": {"const": "disable"},
                "additionalDirectories": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "uniqueItems": True,
                },
            },
        },
        "allowManagedPermissionRulesOnly": {"type": "boolean"},
        "allowManagedHooksOnly": {"type": "boolean"},
        "disableAllHooks": {"type": "boolean"},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "availableModels": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "enforceAvailableModels": {"type": "boolean"},
        "model": {"type": "string", "minLength": 1},
        "forceLoginMethod": {"enum": ["claudeai", "console"]},
        "forceLoginOrgUUID": {
            "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
            ]
        },
        "companyAnnouncements": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
        },
        "outputStyle": {"type": "string", "minLength": 1},
        "cleanupPeriodDays": {"type": "integer", "minimum": 1},
        "includeGitInstructions": {"type": "boolean"},
        "minimumVersion": {"type": "string", "minLength": 1},
        "attribution": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"commit": {"type": "string"}, "pr": {"type": "string"}},
        },
    },
}


@lru_cache(maxsize=1)
def _fast() -> Any:
    return jsonschema_rs.Draft202012Validator(SUPPORTED_SETTINGS_SCHEMA)


@lru_cache(maxsize=1)
def _friendly() -> Draft202012Validator:
    Draft202012Validator.check_schema(SUPPORTED_SETTINGS_SCHEMA)
    return Draft202012Validator(SUPPORTED_SETTINGS_SCHEMA)


def settings_errors(document: Mapping[str, object]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every schema error of ``document`` as (JSON path, message), sorted by path.

    The compiled validator decides pass/fail fast; only a failing document pays for
    jsonschema's complete, readable error list.
    """
    try:
        if _fast().is_valid(dict(document)):
            return []
    except ValueError:  # a value JSON has no type for: let jsonschema name it
        pass
    errors = [
        (tuple(err.absolute_path), err.message)
        for err in _friendly().iter_errors(dict(document))
    ]
    return sorted(errors, key=lambda e: ([str(p) for p in e[0]], e[1]))
