"""``seatctl settings …``: render MDM files, show a member's effective document, check.

Thin: parse options, load the policy, call ``reconciler.settings``, print, return the
exit code (0 ok, 1 errors found).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import click

from reconciler.cli.options import policy_dir_argument
from reconciler.errors import ConfigError, PolicyError
from reconciler.model import Policy
from reconciler.settings.compile import pretty_json
from reconciler.settings.desired import desired_managed_settings
from reconciler.settings.effective import effective_settings
from reconciler.settings.mdm import build_mdm_bundle
from reconciler.settings.validate import check_role_settings, check_roles

POLICY_OPTION = policy_dir_argument("policy_root", aliases=("--policy",))


def _load(root: pathlib.Path) -> Policy:
    """The compiled policy, through the policy package's loader (imported when used)."""
    from reconciler.policy import load_policy

    return load_policy(root)


@click.group("settings")
def settings() -> None:
    """Claude Code managed settings compiled from roles.yaml.

    \b
    Example:
      seatctl settings check policies
    """


@settings.command("render")
@POLICY_OPTION
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=pathlib.Path),
              help="directory for roles/<role>/managed-settings.json and manifest.json")
def render(policy_root: pathlib.Path, out_dir: pathlib.Path) -> int:
    """Write one managed-settings.json per role and a manifest for MDM deployment.

    \b
    Example:
      seatctl settings render policies --out mdm
    """
    bundle = build_mdm_bundle(_load(policy_root))
    for rel, text in bundle.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {len(bundle) - 1} role file(s) and manifest.json to {out_dir}")
    return 0


@settings.command("effective")
@click.argument("email")
@POLICY_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the document and its reason.")
def effective(policy_root: pathlib.Path, email: str, fmt: str) -> int:
    """Show the document EMAIL gets under the policy, and why (first match wins).

    \b
    Example:
      seatctl settings effective ana@acme.example policies
    """
    policy = _load(policy_root)
    eff = effective_settings(email, desired_managed_settings(policy), policy.desired.groups)
    if fmt == "json":
        payload: dict[str, Any] = {
            "email": eff.email, "source": eff.source, "group": eff.group, "role": eff.role,
            "matched_groups": list(eff.matched), "reason": eff.reason,
            "document": dict(eff.document) if eff.document is not None else None,
        }  # fmt: skip
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
        return 0
    who = f"role {eff.role} via group {eff.group}" if eff.group else eff.source
    click.echo(f"{eff.email}: {who}")
    click.echo(f"why: {eff.reason}")
    if eff.document is not None:
        click.echo(pretty_json(dict(eff.document)).rstrip())
    return 0


@settings.command("check")
@POLICY_OPTION
def check(policy_root: pathlib.Path) -> int:
    """Validate roles' claude_code_settings (schema, read-only rules) with file:line.

    \b
    Example:
      seatctl settings check policies
    """
    findings = check_role_settings(policy_root)
    try:
        findings += check_roles(_load(policy_root).roles)
    except (ConfigError, PolicyError):
        pass
    for finding in findings:
        click.echo(str(finding), err=finding.is_error)
    errors = sum(1 for f in findings if f.is_error)
    click.echo(f"{errors} error(s), {len(findings) - errors} warning(s)", err=errors > 0)
    return 1 if errors else 0
