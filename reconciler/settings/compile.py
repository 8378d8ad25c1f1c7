"""Roles → complete Claude Code managed-settings documents (pure, deterministic).

Why complete documents: with per-group managed settings the first matching group
wins and documents never merge, so each role's document must carry everything a
member of that role needs (login, models, telemetry, permissions), not a delta.

Compilation, in order:

1. Base for every role: login forced to claude.ai (and to the organization when its
   UUID is known), bypass-permissions mode disabled, telemetry switched on so usage
   can be collected per role, secrets unreadable, ``git push`` asks.
2. Each feature adds to it (``FEATURES`` below, documented in ``docs/settings.md``).
3. The role's raw ``claude_code_settings`` are merged in (objects merge, lists
   union, scalars replace).
4. A read-only role is then *enforced*: no edit/write tool or risky shell command
   survives in ``allow``/``ask``, all of them are denied, the default mode is
   ``plan`` and user/project rules are ignored. Raw settings cannot undo this.
5. Lists of rules and models are sorted and de-duplicated, so the same policy
   always gives byte-identical output (``canonical_json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model import Policy, Role, Tracking

FEATURES: tuple[str, ...] = ("audit", "full_code_edit", "mentoring", "read_only", "suggestions")

#: Tools that change files: a read-only role may never allow or be asked for them.
WRITE_TOOLS: tuple[str, ...] = ("Edit", "MultiEdit", "NotebookEdit", "Write")

#: Shell commands that change files, history, permissions or fetch code: denied to
#: read-only roles. (Claude Code matches ``Bash(cmd *)`` as a command prefix.)
RISKY_BASH: tuple[str, ...] = tuple(
    f"Bash({cmd} *)"
    for cmd in (
        "chmod", "chown", "cp", "curl", "dd", "git checkout", "git commit", "git push",
        "git rebase", "git reset", "ln", "mkdir", "mv", "npm install", "pip install",
        "rm", "rmdir", "sed -i", "tee", "touch", "truncate", "wget",
    )
)  # fmt: skip

#: Rules that allow any shell command at all (and so any write).
UNRESTRICTED_SHELL: tuple[str, ...] = ("Bash", "Bash(*)", "PowerShell", "PowerShell(*)")

SECRET_READS: tuple[str, ...] = ("Read(./.env)", "Read(./.env.*)", "Read(./secrets/**)")
READ_TOOLS: tuple[str, ...] = (
    "Bash(git diff *)", "Bash(git log *)", "Bash(git status)", "Glob", "Grep", "Read",
)  # fmt: skip

TELEMETRY_ENV: Mapping[str, str] = {
    "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
    "OTEL_LOGS_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "otlp",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
}

BASE_MODELS: tuple[str, ...] = ("haiku", "sonnet")


@dataclass(frozen=True, slots=True)
class SettingsContext:
    """Organization-wide inputs to every role's document."""

    org_name: str
    org_uuid: str | None = None
    acceptable_use_url: str | None = None
    telemetry_endpoint: str | None = None
    #: org.yaml ``usage.tracking``; ``None`` keeps the default telemetry env.
    tracking: Tracking | None = None
    #: org.yaml ``usage.policy.text``: the usage policy every seat user sees.
    usage_policy: str | None = None


def settings_context(policy: Policy) -> SettingsContext:
    """The context a compiled policy provides: org name and UUID, tracking, usage policy."""
    usage = policy.usage
    return SettingsContext(
        org_name=policy.org_name,
        org_uuid=policy.org_uuid,
        acceptable_use_url=usage.policy_url,
        tracking=usage.tracking,
        usage_policy=usage.policy_text,
    )


def telemetry_env(role: Role, ctx: SettingsContext) -> tuple[dict[str, str], str | None]:
    """The ``env`` entries and ``otelHeadersHelper`` that make Claude Code export usage.

    Without a ``tracking`` block telemetry is on with Claude Code's defaults (OTLP over
    http/protobuf). With one, it follows org.yaml; ``enabled: false`` leaves the export
    off. Credentials never appear here: headers with secrets come from the helper, which
    runs on the member's machine (``rules.looks_secret`` refuses the rest at validate).
    """
    t = ctx.tracking
    attributes = {"seatctl.role": role.key}
    if t is None:
        env = dict(TELEMETRY_ENV)
        env["OTEL_RESOURCE_ATTRIBUTES"] = _attributes(attributes)
        if ctx.telemetry_endpoint:
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = ctx.telemetry_endpoint
        return env, None
    if not t.enabled:
        return {"CLAUDE_CODE_ENABLE_TELEMETRY": "0"}, None
    env = {
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": t.protocol,
        "OTEL_RESOURCE_ATTRIBUTES": _attributes({**t.resource_attributes, **attributes}),
    }
    if t.events:
        env["OTEL_LOGS_EXPORTER"] = "otlp"
    if t.endpoint:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = t.endpoint
    if t.headers:
        env["OTEL_EXPORTER_OTLP_HEADERS"] = ",".join(
            f"{k}={v}" for k, v in sorted(t.headers.items())
        )
    if t.export_interval_ms is not None:
        env["OTEL_METRIC_EXPORT_INTERVAL"] = str(t.export_interval_ms)
    return env, t.headers_helper


def _attributes(pairs: Mapping[str, str]) -> str:
    """OTEL_RESOURCE_ATTRIBUTES form: ``k=v`` pairs, comma-separated, sorted."""
    return ",".join(f"{k}={v}" for k, v in sorted(pairs.items()))


def is_read_only(role: Role) -> bool:
    return "read_only" in role.features


def carries_settings(role: Role) -> bool:
    """A role reaches the laptop when it has features, raw settings, or is the baseline."""
    return bool(role.features) or role.settings is not None or role.baseline


def _announcement(role: Role, ctx: SettingsContext) -> str:
    hours = (
        f"; up to {role.max_daily_hours:g} hours a day, monitored"
        if role.max_daily_hours is not None
        else ""
    )
    features = ", ".join(f.replace("_", " ") for f in sorted(role.features)) or "standard"
    aup = f" at {ctx.acceptable_use_url}" if ctx.acceptable_use_url else ""
    return (
        f"{ctx.org_name or 'Your organization'}: your Claude Code seat is "
        f"{role.display_name} ({features}{hours}). Use of Claude Code follows the "
        f"acceptable-use policy{aup}. These settings are managed by seatctl."
    )


def announcements(role: Role, ctx: SettingsContext) -> list[str]:
    """What a member of ``role`` sees at startup: the seat, the usage policy, the role's lines."""
    lines = [_announcement(role, ctx)]
    if ctx.usage_policy:
        lines.append(ctx.usage_policy)
    return lines + list(role.announcements)


def _base_document(role: Role, ctx: SettingsContext) -> dict[str, Any]:
    env, helper = telemetry_env(role, ctx)
    doc: dict[str, Any] = {
        "permissions": {
            "allow": list(READ_TOOLS),
            "ask": ["Bash(git push *)"],
            "deny": list(SECRET_READS),
            "defaultMode": "default",
            "disableBypassPermissionsMode": "disable",
        },
        "env": env,
        "availableModels": list(BASE_MODELS),
        "forceLoginMethod": "claudeai",
        "companyAnnouncements": announcements(role, ctx),
    }
    if helper:
        doc["otelHeadersHelper"] = helper
    if ctx.org_uuid:
        doc["forceLoginOrgUUID"] = ctx.org_uuid
    return doc


def _apply_features(doc: dict[str, Any], features: tuple[str, ...]) -> None:
    perms = doc["permissions"]
    if "full_code_edit" in features:
        perms["allow"] += [*WRITE_TOOLS, "Bash(git add *)", "Bash(git commit *)"]
        perms["defaultMode"] = "acceptEdits"
        doc["availableModels"].append("opus")
    if "audit" in features:
        perms["allow"] += ["Bash(git blame *)", "Bash(git show *)", "WebFetch"]
        doc["availableModels"].append("opus")
    if "suggestions" in features:
        perms["allow"] += ["TodoWrite", "WebSearch"]
    if "mentoring" in features:
        perms["ask"] += ["Bash(git commit *)"]
        perms["allow"] = [r for r in perms["allow"] if r != "Bash(git commit *)"]
        perms["defaultMode"] = "default"
        doc["outputStyle"] = "Learning"


def merge_settings(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Raw settings over compiled ones: objects merge, lists union, scalars replace."""
    out: dict[str, Any] = dict(base)
    for key, value in extra.items():
        old = out.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            out[key] = merge_settings(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            out[key] = old + [v for v in value if v not in old]
        else:
            out[key] = value
    return out


def _is_write_rule(rule: str) -> bool:
    tool = rule.split("(", 1)[0]
    return tool in WRITE_TOOLS or rule in RISKY_BASH or rule in UNRESTRICTED_SHELL


def _enforce_read_only(doc: dict[str, Any]) -> None:
    perms = doc.setdefault("permissions", {})
    for key in ("allow", "ask"):
        perms[key] = [r for r in perms.get(key, []) if not _is_write_rule(r)]
    perms["deny"] = list(perms.get("deny", [])) + list(WRITE_TOOLS) + list(RISKY_BASH)
    perms["defaultMode"] = "plan"
    perms["disableBypassPermissionsMode"] = "disable"
    perms["disableAutoMode"] = "disable"
    doc["allowManagedPermissionRulesOnly"] = True


def _normalize(doc: dict[str, Any]) -> dict[str, Any]:
    perms = doc.get("permissions")
    if isinstance(perms, dict):
        for key in ("allow", "ask", "deny"):
            if key in perms:
                perms[key] = sorted(set(perms[key]))
                if not perms[key]:
                    del perms[key]
    if isinstance(doc.get("availableModels"), list):
        doc["availableModels"] = sorted(set(doc["availableModels"]))
    result: dict[str, Any] = json.loads(canonical_json(doc))
    return result


def compile_role_settings(role: Role, ctx: SettingsContext) -> dict[str, Any]:
    """The complete managed-settings document for ``role`` (see module docstring)."""
    doc = _base_document(role, ctx)
    _apply_features(doc, role.features)
    if role.settings:
        doc = merge_settings(doc, _plain(role.settings))
    if is_read_only(role):
        _enforce_read_only(doc)
    return _normalize(doc)


def compile_policy_settings(policy: Policy) -> dict[str, dict[str, Any]]:
    """Role key → document for every role that carries settings, sorted by role key."""
    ctx = settings_context(policy)
    return {
        key: compile_role_settings(role, ctx)
        for key, role in sorted(policy.roles.items())
        if carries_settings(role)
    }


def canonical_json(doc: Mapping[str, Any]) -> str:
    """The one byte form used to compare documents: sorted keys, no whitespace."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def pretty_json(doc: Mapping[str, Any]) -> str:
    """The file form (``managed-settings.json``): sorted keys, 2-space indent, newline."""
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _plain(value: Any) -> Any:
    """Mapping proxies and tuples from the frozen model → plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
