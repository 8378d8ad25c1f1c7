"""``seatctl validate [PATH]``: every finding in a policy directory, at once.

Exit 0 when there is no error (warnings are printed), 1 on any error. Thin: parse
options, call ``validate_policy`` with the managed-settings checks as extra checks
(raw ``claude_code_settings`` against the Claude Code settings schema at their
file:line, then the settings rules over the compiled roles), render.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from reconciler import escape
from reconciler.cli.options import at_option, policy_dir_argument
from reconciler.model import Policy
from reconciler.policy import ValidationResult, validate_policy
from reconciler.policy.api import MAX_FILES
from reconciler.policy.findings import Finding
from reconciler.policy.loader import MAX_FILE_BYTES


def settings_findings(root: Path, policy: Policy | None) -> list[Finding]:
    """Managed-settings findings: the raw settings' schema errors (always), and the
    settings rules over compiled roles (when the policy compiled)."""
    from reconciler.settings.compile import settings_context
    from reconciler.settings.validate import check_role_settings, check_roles

    findings = check_role_settings(root)
    if policy is not None:
        findings += check_roles(policy.roles, settings_context(policy))
    return findings


EXTRA_CHECKS = (settings_findings,)


def render_text(result: ValidationResult, root: str) -> str:
    # a file name or a value from the policy is text from outside: shown, never run
    lines = [escape.terminal(f) for f in result.findings]
    errors, warnings = len(result.errors), len(result.warnings)
    if result.policy is not None:
        p = result.policy
        lines.append(
            f"{root}: valid — {len(p.desired.members)} members, {len(p.teams)} teams, "
            f"{len(p.roles)} roles, {p.budget.purchased_seats} purchased seats"
            + (f" ({warnings} warning(s))" if warnings else "")
        )
    else:
        lines.append(f"{root}: {errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


def render_json(result: ValidationResult, root: str) -> str:
    doc: dict[str, object] = {
        "path": root,
        "ok": result.ok,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "findings": [f.to_dict() for f in result.findings],
    }
    if result.policy is not None:
        doc["summary"] = {"members": len(result.policy.desired.members),
                          "teams": len(result.policy.teams), "roles": len(result.policy.roles)}
    return json.dumps(doc, indent=2)


@click.command("validate")
@policy_dir_argument("path")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@at_option("Evaluate expiry dates and sprint seats on this day (default: today).")
@click.option("--max-file-bytes", type=click.IntRange(min=1), default=MAX_FILE_BYTES,
              show_default=True, help="Refuse larger files before parsing them.")
@click.option("--max-files", type=click.IntRange(min=1), default=MAX_FILES, show_default=True,
              help="Refuse policies with more team files.")
def validate(path: Path, fmt: str, at: dt.date | None, max_file_bytes: int,
             max_files: int) -> int:
    """Check a policy directory (org.yaml, roles.yaml, teams/*.yaml): YAML, schema, rules.

    \b
    Example:
      seatctl validate policies --at 2026-11-25
    """
    result = validate_policy(path, today=at,
                             max_file_bytes=max_file_bytes, max_files=max_files,
                             extra_checks=EXTRA_CHECKS)
    click.echo(render_json(result, str(path)) if fmt == "json" else render_text(result, str(path)))
    return 0 if result.ok else 1
