"""What a pull request changes in the policy itself, before any live org is consulted.

A reviewer wants the answer at the top of the comment: "platform 8 → 10 seats,
+$60/month to PLAT-001", who is added, removed or changes role. ``diff_policies`` is
pure (two compiled policies in, a ``PolicyDiff`` out); ``policy_diff`` is the edge
that reads the base commit's ``policies/`` out of git and the working tree's.

Seat cost of a team, as used here: every member's seat at its role's tier price,
plus every allocated but unfilled seat at the default tier price. So adding two
empty seats to a team on the $30 standard tier costs +$60/month.
"""

from __future__ import annotations

import pathlib
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from deepdiff import DeepDiff

from reconciler.gitops import gitrepo
from reconciler.model import Policy, Team
from reconciler.model.seats import SeatPrices

#: ``unlisted``: taken out of the policy under ``safety.unmanaged: report``, so the
#: member keeps the seat (the plan reports them, never removes them).
MemberChangeKind = Literal["added", "removed", "unlisted", "role_changed", "moved"]
PolicyLoader = Callable[[pathlib.Path], Policy]


@dataclass(frozen=True, slots=True)
class TeamDelta:
    team: str
    cost_center: str
    seats_before: int
    seats_after: int
    members_before: int
    members_after: int
    monthly_before_cents: int
    monthly_after_cents: int

    @property
    def monthly_delta_cents(self) -> int:
        return self.monthly_after_cents - self.monthly_before_cents

    @property
    def changed(self) -> bool:
        return (self.seats_before, self.members_before, self.monthly_before_cents) != (
            self.seats_after, self.members_after, self.monthly_after_cents)


@dataclass(frozen=True, slots=True)
class CostCenterDelta:
    cost_center: str
    seats_before: int
    seats_after: int
    monthly_before_cents: int
    monthly_after_cents: int

    @property
    def monthly_delta_cents(self) -> int:
        return self.monthly_after_cents - self.monthly_before_cents


@dataclass(frozen=True, slots=True)
class MemberDelta:
    email: str
    kind: MemberChangeKind
    team_before: str | None = None
    team_after: str | None = None
    role_before: str | None = None
    role_after: str | None = None


@dataclass(frozen=True, slots=True)
class SettingChange:
    """One org-level setting that changed (seat budget, safety, usage, a role)."""

    path: str
    before: object
    after: object


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """Base policy → head policy. ``base_commit`` None means the base was empty."""

    base_ref: str
    base_commit: str | None
    head_commit: str | None
    teams: tuple[TeamDelta, ...]
    cost_centers: tuple[CostCenterDelta, ...]
    members: tuple[MemberDelta, ...]
    settings: tuple[SettingChange, ...]
    purchased_before: int
    purchased_after: int

    @property
    def monthly_delta_cents(self) -> int:
        return sum(c.monthly_delta_cents for c in self.cost_centers)

    @property
    def empty(self) -> bool:
        return not (any(t.changed for t in self.teams) or self.members or self.settings
                    or self.purchased_before != self.purchased_after)


def team_monthly_cents(policy: Policy, team: Team) -> int:
    """Seat cost of one team: members at their role's tier, unfilled seats at the default."""
    prices = SeatPrices.of(policy)
    total = sum(prices.of_email(policy, email) for email in team.members)
    return total + max(0, team.allocated_seats - len(team.members)) * prices.default_cents


def diff_policies(base: Policy | None, head: Policy, *, base_ref: str = "",
                  base_commit: str | None = None, head_commit: str | None = None) -> PolicyDiff:
    """Compare two compiled policies (``base`` None = empty repository). Pure."""
    base_teams: Mapping[str, Team] = base.teams if base else {}
    teams: list[TeamDelta] = []
    for name in sorted(set(base_teams) | set(head.teams)):
        b, h = base_teams.get(name), head.teams.get(name)
        teams.append(TeamDelta(
            team=name,
            cost_center=(h or b).cost_center if (h or b) else "",  # type: ignore[union-attr]
            seats_before=b.allocated_seats if b else 0,
            seats_after=h.allocated_seats if h else 0,
            members_before=len(b.members) if b else 0,
            members_after=len(h.members) if h else 0,
            monthly_before_cents=team_monthly_cents(base, b) if base and b else 0,
            monthly_after_cents=team_monthly_cents(head, h) if h else 0,
        ))
    centers: dict[str, list[int]] = {}
    for name in sorted(set(base_teams) | set(head.teams)):
        b, h = base_teams.get(name), head.teams.get(name)
        if b and base:
            row = centers.setdefault(b.cost_center, [0, 0, 0, 0])
            row[0] += b.allocated_seats
            row[2] += team_monthly_cents(base, b)
        if h:
            row = centers.setdefault(h.cost_center, [0, 0, 0, 0])
            row[1] += h.allocated_seats
            row[3] += team_monthly_cents(head, h)
    cost_centers = tuple(CostCenterDelta(cc, *vals) for cc, vals in sorted(centers.items()))
    return PolicyDiff(
        base_ref=base_ref,
        base_commit=base_commit,
        head_commit=head_commit,
        teams=tuple(teams),
        cost_centers=cost_centers,
        members=_member_deltas(base, head),
        settings=_setting_changes(base, head),
        purchased_before=base.budget.purchased_seats if base else 0,
        purchased_after=head.budget.purchased_seats,
    )


def _member_deltas(base: Policy | None, head: Policy) -> tuple[MemberDelta, ...]:
    before = base.assignments if base else {}
    after = head.assignments
    out: list[MemberDelta] = []
    for email in sorted(set(before) | set(after)):
        b, a = before.get(email), after.get(email)
        if b is None and a is not None:
            out.append(MemberDelta(email, "added", team_after=a.team, role_after=a.role))
        elif a is None and b is not None:
            kind: MemberChangeKind = "unlisted" if head.safety.unmanaged == "report" \
                else "removed"
            out.append(MemberDelta(email, kind, team_before=b.team, role_before=b.role))
        elif a is not None and b is not None:
            if a.role != b.role:
                out.append(MemberDelta(email, "role_changed", b.team, a.team, b.role, a.role))
            elif a.team != b.team:
                out.append(MemberDelta(email, "moved", b.team, a.team, b.role, a.role))
    return tuple(out)


def _plain(value: object) -> object:
    """Dataclasses, mappings and sets as plain JSON-like values deepdiff can walk."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__
                if k not in ("source", "settings")}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(str(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, int | float | str | bool):
        return _plain(value.value)
    return value


def _org_settings(policy: Policy | None) -> dict[str, object]:
    if policy is None:
        return {}
    return {"budget": _plain(policy.budget), "safety": _plain(policy.safety),
            "usage": _plain(policy.usage), "roles": _plain(policy.roles),
            "contract_end": _plain(policy.contract_end),
            "allowed_domains": _plain(policy.allowed_domains)}


def _setting_changes(base: Policy | None, head: Policy) -> tuple[SettingChange, ...]:
    """Org-level settings that changed, one line per leaf (deepdiff on small things)."""
    if base is None:
        return ()
    dd = DeepDiff(_org_settings(base), _org_settings(head), ignore_order=True, view="tree")
    out: list[SettingChange] = []
    for report_type in ("values_changed", "type_changes", "dictionary_item_added",
                        "dictionary_item_removed", "iterable_item_added",
                        "iterable_item_removed"):
        for level in dd.get(report_type, []):
            before = None if report_type.endswith("added") else level.t1
            after = None if report_type.endswith("removed") else level.t2
            out.append(SettingChange(_dotted(level.path()), before, after))
    return tuple(sorted(out, key=lambda s: s.path))


def _dotted(path: str) -> str:
    """deepdiff's ``root['budget']['purchased_seats']`` → ``budget.purchased_seats``."""
    inner = path.removeprefix("root")
    parts = [p.strip("'\"") for p in inner.strip("[]").split("][")] if inner else []
    return ".".join(parts)


def policy_diff(repo_root: str | pathlib.Path, base_ref: str, policy_dir: str | pathlib.Path,
                *, load: PolicyLoader | None = None,
                env: Mapping[str, str] | None = None) -> PolicyDiff:
    """The working tree's policy against the policy at ``base_ref`` (``auto``: the PR base).

    The base commit's ``policy_dir`` is extracted to a temporary folder and compiled
    with the same loader as the working tree; a repository with no commits, or a
    base where the folder did not exist yet, compares against an empty policy.
    """
    if load is None:
        from reconciler.policy import load_policy as load_default

        load = load_default
    repo = gitrepo.open_repo(repo_root)
    work_tree = pathlib.Path(repo.working_tree_dir or repo_root).resolve()
    policy_path = pathlib.Path(policy_dir)
    if not policy_path.is_absolute():
        under_root = pathlib.Path(repo_root) / policy_path
        policy_path = (under_root if under_root.is_dir() else policy_path).resolve()
    rel = policy_path.relative_to(work_tree).as_posix()
    head = load(policy_path)
    base_sha = gitrepo.resolve_base(repo, base_ref, env)
    base: Policy | None = None
    if base_sha is not None:
        with tempfile.TemporaryDirectory(prefix="seatctl-base-") as tmp:
            dest = pathlib.Path(tmp) / (policy_path.name or "policies")
            if gitrepo.extract_tree(repo, base_sha, rel, dest):
                base = load(dest)
    return diff_policies(base, head, base_ref=base_ref, base_commit=base_sha,
                         head_commit=gitrepo.head_sha(repo))
