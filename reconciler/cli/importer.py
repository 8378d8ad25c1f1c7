"""``seatctl import``: write a policy repository from a live organization.

Thin: read the live org once (read-only), ``gitops.importer.import_policy``, write
its ``Policy`` with ``policy.write_policy``, print what was written, every warning,
and which values are placeholders. Refuses to overwrite an
existing policy (``--force`` to allow). Exit 0, 1 on error.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from dataclasses import replace

import click

from reconciler import escape
from reconciler.cli.options import sandbox_option
from reconciler.errors import ConfigError
from reconciler.model import (
    OrgState,
    OrgType,
    Policy,
    Role,
    Safety,
    SeatBudget,
    SeatTier,
    UsageSettings,
)


def _bootstrap_policy(org_type: OrgType, key_env: str) -> Policy:
    """Just enough policy to open a provider before any policy exists.

    Its one role is a baseline: a policy whose roles carry settings is what makes the
    provider read the org's Claude Code managed settings, which import writes out.
    """
    from types import MappingProxyType

    empty = OrgState(org_type, MappingProxyType({}))
    reader = Role("import", "Import", "user", "standard", baseline=True)
    return Policy(org_name="", org_type=org_type, provider="anthropic", admin_key_env=key_env,
                  budget=SeatBudget(0, MappingProxyType({"standard": SeatTier("standard", 0)}),
                                    "standard"),
                  safety=Safety(), usage=UsageSettings(),
                  roles=MappingProxyType({reader.key: reader}),
                  teams=MappingProxyType({}), assignments=MappingProxyType({}), desired=empty)


#: Where import reports the live managed-settings documents, inside the policy directory.
SETTINGS_DIR = "managed-settings"


def _write_settings(folder: pathlib.Path,
                    docs: Mapping[str, Mapping[str, object]]) -> list[pathlib.Path]:
    """One JSON file per live document; names come from live group names, so confined."""
    import json

    from reconciler.escape import confined_path, file_stem

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, doc in docs.items():
        path = confined_path(folder, file_stem(stem) + ".json")
        path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


@click.command("import")
@click.option("--out", "out", default="policies", show_default=True,
              type=click.Path(file_okay=False, path_type=pathlib.Path),
              help="Directory to write org.yaml, roles.yaml and teams/ into.")
@click.option("--org-type", type=click.Choice(["enterprise", "console"]), default="enterprise",
              show_default=True, help="Organization type of the live org.")
@click.option("--key-env", default="SEATCTL_ADMIN_KEY", show_default=True,
              help="Environment variable holding the admin key.")
@sandbox_option("Import this sandbox database's organization instead of the real one.")
@click.option("--demo", is_flag=True, help="Import a freshly seeded Acme demo organization.")
@click.option("--force", is_flag=True, help="Overwrite an existing policy in --out.")
def import_cmd(out: pathlib.Path, org_type: str, key_env: str, sandbox: str | None, demo: bool,
               force: bool) -> int:
    """Write a complete policy repository (org, roles, one team per group) from the live org.

    \b
    Example:
      seatctl import --out policies --sandbox .seatctl/sandbox.db
    """
    from reconciler.cli.drift import read_only_provider
    from reconciler.gitops.drift import read_live
    from reconciler.gitops.importer import import_policy
    from reconciler.policy import write_policy

    if (out / "org.yaml").exists() and not force:
        raise ConfigError(f"{out / 'org.yaml'} already exists",
                          hint="choose another --out, or pass --force to overwrite")
    bootstrap = _bootstrap_policy(OrgType(org_type), key_env)
    from reconciler.cli.demo import org_clock

    with read_only_provider(bootstrap, sandbox, demo, org_clock(sandbox, demo).date()) as p:
        live = replace(read_live(p), org_name=p.org_name())
    result = import_policy(live)
    policy = result.policy
    for path in write_policy(policy, out):
        click.echo(f"wrote {path}")
    if result.settings:
        folder = out / SETTINGS_DIR
        for path in _write_settings(folder, result.settings):
            click.echo(f"wrote {path}")
        click.echo(f"note: the org's Claude Code managed settings are in {folder}, not in "
                   "roles.yaml: seatctl leaves them alone until a role carries "
                   "claude_code_settings (see `seatctl settings --help`)", err=True)
    for warning in result.warnings:
        click.echo(f"warning: {escape.terminal(warning)}", err=True)
    click.echo(f"note: placeholders in {out / 'org.yaml'}: seat tier prices are 0 and "
               f"purchased seats ({policy.budget.purchased_seats}) are the seats held plus "
               "12.5%; set both from your contract", err=True)
    click.echo(f"imported {len(policy.assignments)} members in {len(policy.teams)} teams "
               f"with {len(policy.roles)} roles; next: `seatctl plan {out}` should show no "
               "changes", err=True)
    return 0
