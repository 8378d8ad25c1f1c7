"""``plan --base REF``: read live only what the pull request can change.

Why: a full read of 100,000 members in 5,000 groups is about 5,200 requests (52
minutes at the documented 100 requests/minute) for a pull request that adds one
person to one team. The policy diff bounds what a plan can change: the people whose
compiled membership, role or groups differ between the base and this branch, the
groups whose members or seat count differ, and spend limits when they differ. Those
are re-read (``providers.slice_reads``) and laid over the kept snapshot
(``providers.snapshot``); the rest is the snapshot, and the plan says how old.
Claude Code managed settings (a few documents, not kept in the snapshot) are read
whole with every slice when the policy has any.

A full read is made instead, and the plan says why, when the snapshot is missing,
unreadable or older than ``max_age``; when the reach cannot be bounded (org-wide
settings, ``unmanaged: remove``, a role whose members are too many, Console
workspaces, a base that cannot be read); or when the targeted read would cost as
much as a full one.
"""

from __future__ import annotations

import datetime as dt
import math
import pathlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.errors import ConfigError, LiveReadError, SeatctlError
from reconciler.gitops import gitrepo
from reconciler.gitops.policy_diff import _org_settings, _plain
from reconciler.model import OrgState, OrgType, Policy
from reconciler.plan import Plan
from reconciler.plan.fingerprint import fingerprint
from reconciler.plan.guards import LIVE_READ
from reconciler.providers.slice_reads import Slice, SliceRead
from reconciler.providers.snapshot import Snapshot, load_snapshot, save_snapshot

#: A role change re-reads its members one by one only up to this many of them.
MAX_ROLE_MEMBERS = 50


@dataclass(frozen=True, slots=True)
class Reach:
    """What a policy change can touch; ``unbounded`` says why it cannot be bounded."""

    slice: Slice
    unbounded: str = ""


@dataclass(frozen=True, slots=True)
class LiveRead:
    """The live state a plan is built from, and the lines that say where it came from."""

    live: OrgState
    notes: tuple[str, ...]
    targeted: bool
    requests: int | None = None
    #: When the oldest part of ``live`` was read (the snapshot's time for a targeted read).
    read_at: dt.datetime | None = None


def load_base(policy_dir: pathlib.Path, base_ref: str,
              load: Callable[[pathlib.Path], Policy]) -> Policy | None:
    """The policy at ``base_ref`` (``auto``: the PR base); None when it had no policy."""
    repo = gitrepo.open_repo(policy_dir)
    work_tree = pathlib.Path(repo.working_tree_dir or policy_dir).resolve()
    rel = policy_dir.resolve().relative_to(work_tree).as_posix()
    sha = gitrepo.resolve_base(repo, base_ref)
    if sha is None:
        return None
    with tempfile.TemporaryDirectory(prefix="seatctl-base-") as tmp:
        dest = pathlib.Path(tmp) / (policy_dir.name or "policies")
        if not gitrepo.extract_tree(repo, sha, rel, dest):
            return None
        return load(dest)


def reach_of(base: Policy | None, head: Policy) -> Reach:
    """Which members, invites and groups the change from ``base`` to ``head`` can touch."""
    if base is None:
        return Reach(Slice(), "the base has no policy to compare with")
    if head.org_type is not OrgType.ENTERPRISE or base.org_type is not head.org_type:
        return Reach(Slice(), "Console workspaces are read whole")
    if head.safety.unmanaged == "remove" or base.safety.unmanaged == "remove":
        return Reach(Slice(), "`unmanaged: remove` can remove anyone not in the policy")
    org_b, org_h = _org_settings(base), _org_settings(head)
    changed = sorted(k for k in org_h if k != "roles" and org_b.get(k) != org_h.get(k))
    if changed:
        return Reach(Slice(), f"org-wide settings changed ({', '.join(changed)})")
    want, have = head.desired, base.desired
    emails = {e for e in set(want.members) | set(have.members)
              if want.members.get(e) != have.members.get(e)}
    roles = {r for r in set(base.roles) | set(head.roles)
             if _plain(base.roles.get(r)) != _plain(head.roles.get(r))}
    if roles:
        holders = {e for p in (base, head) for e, a in p.assignments.items() if a.role in roles}
        if len(holders) > MAX_ROLE_MEMBERS:
            return Reach(Slice(), f"role {', '.join(sorted(roles))} is held by {len(holders)} "
                         f"members (more than {MAX_ROLE_MEMBERS} to re-read one by one)")
        emails |= holders
    groups: set[str] = set()
    for name in set(want.groups) | set(have.groups):
        b, h = have.groups.get(name), want.groups.get(name)
        if b != h:
            groups.add(name)
            emails |= (b.members if b else frozenset()) ^ (h.members if h else frozenset())
    for name in set(base.teams) | set(head.teams):
        b_team, h_team = base.teams.get(name), head.teams.get(name)
        if _plain(b_team) != _plain(h_team):  # seats, cap, members: its group's count matters
            groups |= {t.group for t in (b_team, h_team) if t is not None}
    limits = dict(want.spend_limits) != dict(have.spend_limits)
    return Reach(Slice(frozenset(emails), frozenset(groups), limits))


def full_read_pages(snapshot: OrgState) -> int:
    """Pages a full read of an org like the snapshot needs (the floor, at 1,000 a page)."""
    per = 1000
    return (math.ceil(max(1, len(snapshot.members)) / per) + 1 + 1
            + math.ceil(max(1, len(snapshot.groups)) / per)
            + sum(max(1, math.ceil(len(g.members) / per)) for g in snapshot.groups.values()))


def slice_cost(snapshot: OrgState, wanted: Slice) -> int:
    """Requests a targeted read of ``wanted`` needs at least (two per email, pages per group)."""
    groups = sum(max(1, math.ceil(len(snapshot.groups[g].members) / 1000))
                 if g in snapshot.groups else 0 for g in wanted.groups)
    listing = math.ceil(max(1, len(snapshot.groups)) / 1000) \
        if any(g not in snapshot.groups or not snapshot.groups[g].id for g in wanted.groups) else 0
    return 2 * len(wanted.emails) + groups + listing + (1 if wanted.spend_limits else 0)


def _age(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} days"


def read_for_plan(
    provider: object,
    *,
    head: Policy,
    base: Policy | None,
    base_error: str,
    state_dir: pathlib.Path,
    max_age: dt.timedelta,
    now: dt.datetime,
) -> LiveRead:
    """The live state for ``plan --base``: targeted over the snapshot, or a full read.

    ``provider`` is an ``AnthropicProvider`` (``fetch`` and ``fetch_slice``); a full
    read made here is kept as the new snapshot.
    """
    why = base_error
    snap: Snapshot | None = None
    if not why:
        try:
            snap = load_snapshot(state_dir, fingerprint=fingerprint)
        except ConfigError as exc:
            why = f"the snapshot is unusable ({exc.message})"
        if not why and snap is None:
            why = f"no snapshot in {state_dir} yet"
        elif snap is not None and snap.age(now) > max_age:
            why = (f"the snapshot is {_age(snap.age(now))} old, more than "
                   f"--max-snapshot-age {_age(max_age)}")
        elif snap is not None and snap.live.org_type is not head.org_type:
            why = "the snapshot is of another organization type"
    reach = reach_of(base, head) if not why else Reach(Slice(), why)
    why = why or reach.unbounded
    if not why and snap is not None and hasattr(provider, "fetch_slice"):
        cost, full = slice_cost(snap.live, reach.slice), full_read_pages(snap.live)
        if cost >= full:
            why = f"re-reading the slice ({cost}+ requests) costs as much as a full read ({full})"
        else:
            try:
                got: SliceRead = provider.fetch_slice(snap.live, reach.slice)
            except LiveReadError as exc:
                why = f"the targeted read failed ({exc.message})"
            else:
                return LiveRead(got.live, _notes(got, snap, now), True, got.requests,
                                snap.read_at)
    if not why:
        why = "this provider cannot read a slice"
    live: OrgState = provider.fetch()  # type: ignore[attr-defined]
    started, notes = resumed_note(provider, now)
    try:
        save_snapshot(live, state_dir, read_at=started, fingerprint=fingerprint)
    except (OSError, ValueError):
        pass
    return LiveRead(live, (f"full read of the organization: {why}", *notes), False, None,
                    started)


def read_against_base(
    provider: object,
    *,
    head: Policy,
    policy_dir: pathlib.Path,
    base_ref: str,
    load: Callable[[pathlib.Path], Policy],
    state_dir: pathlib.Path,
    max_age: dt.timedelta,
    now: dt.datetime,
) -> LiveRead:
    """``plan --base`` / ``apply --base``: the policy at ``base_ref`` bounds what is read
    live; a base that cannot be read is a note and a full read (``read_for_plan``)."""
    base, error = None, ""
    try:
        base = load_base(policy_dir, base_ref, load)
    except (SeatctlError, ValueError) as exc:
        error = f"the base {base_ref!r} could not be read ({exc})"
    return read_for_plan(provider, head=head, base=base, base_error=error,
                         state_dir=state_dir, max_age=max_age, now=now)


def resumed_note(provider: object, now: dt.datetime) -> tuple[dt.datetime, tuple[str, ...]]:
    """When a full read's oldest part was read, and a note if it resumed a cut-short one."""
    resumed = getattr(provider, "resumed_from", None)
    if not isinstance(resumed, dt.datetime):
        return now, ()
    return resumed, (f"the full read resumed one cut short at "
                     f"{resumed.strftime('%Y-%m-%d %H:%M UTC')} ({_age(now - resumed)} ago); "
                     "the parts it had finished were not read again",)


#: How a targeted plan's first live-read note starts (``was_targeted``).
TARGETED = "targeted read: "


def was_targeted(plan: Plan) -> bool:
    """True when ``plan`` read a slice over the snapshot (its live-read notes say so).

    Why: a plan's live fingerprint covers the whole state it planned on. A targeted
    plan's is of the snapshot with the slice laid over it, a full read's of the whole
    org; the merge re-reads the way the reviewed plan read, or the two never compare
    equal.
    """
    return any(f.code == LIVE_READ and f.message.startswith(TARGETED) for f in plan.findings)


def _notes(got: SliceRead, snap: Snapshot, now: dt.datetime) -> tuple[str, ...]:
    groups = ", ".join(got.groups_read) if got.groups_read else "none"
    read = (f"{TARGETED}{got.members_read} member(s) and their invites, group(s) "
            f"{groups}" + (", the group list" if got.group_list_read else "")
            + f" read live in {got.requests} request(s)")
    rest = (f"everything else is from the snapshot of "
            f"{snap.read_at.strftime('%Y-%m-%d %H:%M UTC')} ({_age(snap.age(now))} old); "
            "seat counts and other whole-organization guards use it too")
    return read, rest
