"""``usage requests --propose``: write the proposals' policy edit into roles.yaml.

A ``propose`` decision for a role with a cap says which ceiling would have allowed the
request; this sets ``roles.<role>.spend_increases.auto_approve_up_to`` to the highest
such amount per role (never lowering a ceiling already written), with ruamel.yaml
round-trip so comments and layout stay, on a copy of the policy that must validate
before anything is written back — the way ``usage inactive --propose`` edits team
files (``usage.propose``, whose YAML helpers this reuses). After review and merge, the
next ``usage requests --apply`` approves those requests. Roles without a cap are not
edited: the limit that blocked them is not the policy's (reported as skipped).
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ruamel.yaml.comments import CommentedMap

from reconciler.errors import PolicyError
from reconciler.usage.increase_requests import RequestsReport
from reconciler.usage.propose import _default_validate, _dump, _load


@dataclass(frozen=True, slots=True)
class RuleEdits:
    #: role → the ceiling to write, in cents
    ceilings: Mapping[str, int]
    #: (member, why not proposed)
    skipped: tuple[tuple[str, str], ...]
    files_changed: tuple[str, ...] = ()


def plan_rule_edits(report: RequestsReport) -> RuleEdits:
    """The ceiling per role that lets every proposed request of that role through (pure)."""
    ceilings: dict[str, int] = {}
    skipped: list[tuple[str, str]] = []
    for d in report.decisions:
        if d.decision != "propose":
            continue
        who = d.request.email or d.request.user_id
        if d.role is None or d.amount_cents is None:
            skipped.append((who, d.reason))
            continue
        ceilings[d.role] = max(ceilings.get(d.role, 0), d.amount_cents)
    return RuleEdits(ceilings, tuple(skipped))


def _amount(cents: int) -> int | float:
    return cents // 100 if cents % 100 == 0 else cents / 100


def _set_ceiling(role: CommentedMap, cents: int) -> bool:
    """Raise (or add) the role's ceiling; False when one at least as high is written."""
    rule = role.get("spend_increases")
    if not isinstance(rule, CommentedMap):
        rule = CommentedMap()
        keys = list(role.keys())
        at = keys.index("monthly_spend_cap") + 1 if "monthly_spend_cap" in keys else len(keys)
        role.insert(at, "spend_increases", rule)
    current = rule.get("auto_approve_up_to")
    if isinstance(current, int | float) and round(float(current) * 100) >= cents:
        return False
    rule["auto_approve_up_to"] = _amount(cents)
    return True


def write_rule_edits(root: pathlib.Path, edits: RuleEdits, *,
                     validate: Callable[[pathlib.Path], None] = _default_validate
                     ) -> RuleEdits:  # fmt: skip
    """Edit a copy of ``root``, validate it, then write roles.yaml back if it changed."""
    if not edits.ceilings:
        return edits
    name = next((n for n in ("roles.yaml", "roles.yml") if (root / n).is_file()), None)
    if name is None:
        raise PolicyError(f"no roles.yaml under {root}", hint="run `seatctl validate`")
    with tempfile.TemporaryDirectory(prefix="seatctl-propose-") as tmp:
        work = pathlib.Path(tmp) / "policy"
        shutil.copytree(root, work)
        y, data = _load(work / name)
        roles = data.get("roles") if isinstance(data, CommentedMap) else None
        changed = False
        for key, cents in sorted(edits.ceilings.items()):
            role = roles.get(key) if isinstance(roles, CommentedMap) else None
            if not isinstance(role, CommentedMap):
                raise PolicyError(f"{root / name}: role {key!r} not found",
                                  hint="run `seatctl validate`")
            changed = _set_ceiling(role, cents) or changed
        if not changed:
            return edits
        _dump(y, data, work / name)
        validate(work)
        shutil.copyfile(work / name, root / name)
    return RuleEdits(edits.ceilings, edits.skipped, (str(root / name),))
