"""The Acme demo roles (docs/acme-demo.md) as compiled ``Role`` values, for settings tests."""

from __future__ import annotations

import json
import pathlib
from types import MappingProxyType

import jsonschema

from reconciler.model import (
    Group,
    OrgState,
    OrgType,
    Policy,
    Role,
    Safety,
    SeatBudget,
    SeatTier,
    UsageSettings,
)

SHARED = pathlib.Path(__file__).resolve().parents[3] / "shared"
VENDORED_SCHEMA = SHARED / "vendor" / "claude-code-settings.schema.json"
ORG_UUID = "5f1c2b8e-3a4d-4c6e-9f10-1a2b3c4d5e6f"

ACME_ROLES: dict[str, Role] = {
    "senior_developer": Role(
        "senior_developer", "Senior Developer", "user", "standard", None,
        ("full_code_edit", "audit"), None, 10, "claude-senior-developers",
    ),
    "developer": Role(
        "developer", "Developer", "user", "standard", None, ("full_code_edit",), None, 20,
        "claude-developers",
    ),
    "intern": Role(
        "intern", "Intern", "user", "learning", 6, ("full_code_edit", "mentoring"), 5000, 30,
        "claude-interns",
    ),
    "contractor": Role(
        "contractor", "Contractor", "managed", "restricted", 4, ("read_only", "suggestions"),
        10000, 40, "claude-contractors",
    ),
}  # fmt: skip


def vendored_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(VENDORED_SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema)


def make_policy(
    roles: dict[str, Role] | None = None,
    groups: dict[str, frozenset[str]] | None = None,
    org_type: OrgType = OrgType.ENTERPRISE,
) -> Policy:
    """A minimal compiled policy: the roles, and desired groups with their members."""
    roles = dict(ACME_ROLES if roles is None else roles)
    desired_groups = {
        name: Group(name, members) for name, members in (groups or {}).items()
    }
    return Policy(
        org_name="Acme Corp",
        org_type=org_type,
        provider="anthropic",
        admin_key_env="SEATCTL_ADMIN_KEY",
        budget=SeatBudget(50, {"standard": SeatTier("standard", 3000)}, "standard"),
        safety=Safety(),
        usage=UsageSettings(),
        roles=MappingProxyType(roles),
        teams=MappingProxyType({}),
        assignments=MappingProxyType({}),
        desired=OrgState(org_type, {}, groups=MappingProxyType(desired_groups)),
        org_uuid=ORG_UUID,
    )
