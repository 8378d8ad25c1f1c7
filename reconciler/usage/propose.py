"""``usage inactive --propose``: turn idle seats into policy edits for a pull request.

Two modes, both edits of ``teams/*.yaml`` with ruamel.yaml round-trip, so comments,
key order, quoting and indentation of everything not touched stay as they were:

- ``expire`` (default): set the member's ``expires`` (last day of access) so that
  ``plan`` proposes the removal *before* the next billing date: ``expires`` is two
  days before it (the plan of the day after expiry removes the member, still a day
  ahead of the bill). An earlier ``expires`` already in the file is kept.
- ``remove``: the plan must free the seat now, whatever ``safety.unmanaged`` says.
  Under ``unmanaged: remove`` the member entry is deleted (the plan removes members
  the policy no longer lists). Under ``unmanaged: report`` a deleted entry would only
  be *reported* as unmanaged and keep its seat, so the entry stays with ``expires``
  set to yesterday: the plan removes expired members in either mode. With
  ``release_seats`` the team's ``allocated_seats`` drops too, wherever it is stated
  (the team file and org.yaml's ``teams`` list, which must agree).

Protected members (``safety.protected``) are never proposed. Members the policy does
not list cannot be edited and are reported as skipped. Edits are made on a copy of
the policy directory first and validated there; only a valid result is written back,
so a proposal never leaves the repository invalid. The removals then go through
``plan`` and its guards like any other change.
"""

from __future__ import annotations

import datetime as dt
import io
import pathlib
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from reconciler.errors import PolicyError
from reconciler.model import Policy, normalize_email
from reconciler.usage.billing import next_billing_date
from reconciler.usage.inactive import InactiveReport

Mode = Literal["expire", "remove"]
#: Days between the proposed last day of access and the billing date it must beat.
EXPIRY_MARGIN_DAYS = 2


@dataclass(frozen=True, slots=True)
class Proposal:
    email: str
    team: str
    action: Mode
    expires: dt.date | None
    saves_from: dt.date
    monthly_price_cents: int
    reason: str


@dataclass(frozen=True, slots=True)
class ProposalResult:
    proposals: tuple[Proposal, ...]
    skipped: tuple[tuple[str, str], ...]
    files_changed: tuple[str, ...]

    @property
    def monthly_savings_cents(self) -> int:
        return sum(p.monthly_price_cents for p in self.proposals)


def expiry_for(today: dt.date, contract_start: dt.date | None) -> tuple[dt.date, dt.date]:
    """(last day of access, billing date it saves) with the margin kept."""
    bill = next_billing_date(today, contract_start)
    while bill - dt.timedelta(days=EXPIRY_MARGIN_DAYS) < today:
        bill = next_billing_date(bill, contract_start)
    return bill - dt.timedelta(days=EXPIRY_MARGIN_DAYS), bill


def plan_proposals(
    policy: Policy, inactive: InactiveReport, *, mode: Mode, today: dt.date
) -> tuple[list[Proposal], list[tuple[str, str]]]:
    """Which members to edit and how (pure); skipped ones carry the reason."""
    expires, bill = expiry_for(today, policy.contract_start)
    protected = {normalize_email(e) for e in policy.safety.protected}
    proposals: list[Proposal] = []
    skipped: list[tuple[str, str]] = []
    for seat in inactive.seats:
        assignment = policy.assignments.get(seat.email)
        if seat.email in protected:
            skipped.append((seat.email, "protected (safety.protected): never proposed"))
            continue
        if assignment is None:
            skipped.append((seat.email, "not in the policy: add them to a team, or remove by hand"))
            continue
        days = "never active" if seat.days_inactive is None else f"{seat.days_inactive} days"
        reason = f"inactive {days} ({seat.basis}); seat saves from {bill}"
        if mode == "expire":
            if assignment.expires_on is not None and assignment.expires_on <= expires:
                skipped.append((seat.email, f"already expires {assignment.expires_on}"))
                continue
            proposals.append(
                Proposal(
                    seat.email,
                    assignment.team,
                    "expire",
                    expires,
                    bill,
                    seat.monthly_price_cents,
                    reason,
                )
            )
        else:
            saves = next_billing_date(today, policy.contract_start)
            # unmanaged: report keeps unlisted members, so the removal is an expiry
            ends = None if policy.safety.unmanaged == "remove" else today - dt.timedelta(days=1)
            proposals.append(
                Proposal(
                    seat.email,
                    assignment.team,
                    "remove",
                    ends,
                    saves,
                    seat.monthly_price_cents,
                    reason,
                )
            )
    return proposals, skipped


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    return y


def _load(path: pathlib.Path) -> tuple[YAML, Any]:
    text = path.read_text(encoding="utf-8")
    _, indent, block_seq_indent = load_yaml_guess_indent(text)
    seq = indent or 2
    offset = block_seq_indent or 0
    y = _yaml()
    y.indent(mapping=offset or seq, sequence=seq, offset=offset)
    return y, y.load(text)


def _dump(y: YAML, data: Any, path: pathlib.Path) -> None:
    buf = io.StringIO()
    y.dump(data, buf)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _team_files(root: pathlib.Path) -> dict[str, pathlib.Path]:
    """Team name → its file, read from each file's ``name`` key."""
    out: dict[str, pathlib.Path] = {}
    for path in sorted((root / "teams").glob("*.y*ml")):
        _, data = _load(path)
        if isinstance(data, CommentedMap) and isinstance(data.get("name"), str):
            out[data["name"]] = path
    return out


def _apply_team(
    path: pathlib.Path, proposals: list[Proposal], release_seats: bool, org: pathlib.Path
) -> bool:
    y, data = _load(path)
    members = data.get("members")
    if not isinstance(members, CommentedSeq):
        raise PolicyError(f"{path}: no members list to edit", hint="run `seatctl validate`")
    by_email = {normalize_email(str(m.get("email", ""))): i for i, m in enumerate(members)}
    removed = 0
    for p in proposals:
        index = by_email.get(p.email)
        if index is None:
            raise PolicyError(f"{path}: member {p.email} not found", hint="run `seatctl validate`")
        entry = members[index]
        if p.expires is not None:  # expire, or remove under unmanaged: report
            entry["expires"] = p.expires
            what = "remove, " if p.action == "remove" else ""
            entry.yaml_add_eol_comment(f"seatctl usage: {what}{p.reason}", "expires")
        if p.action == "remove":
            removed += 1
    for index in sorted(
        (by_email[p.email] for p in proposals if p.action == "remove" and p.expires is None),
        reverse=True,
    ):
        del members[index]
    if release_seats and removed:
        if "allocated_seats" in data:
            data["allocated_seats"] = max(0, int(data["allocated_seats"]) - removed)
        _release_in_org(org, str(data["name"]), removed)
    _dump(y, data, path)
    return True


def _release_in_org(org: pathlib.Path, team: str, seats: int) -> None:
    y, data = _load(org)
    for entry in data.get("teams") or []:
        if isinstance(entry, CommentedMap) and entry.get("name") == team:
            if "allocated_seats" in entry:
                entry["allocated_seats"] = max(0, int(entry["allocated_seats"]) - seats)
                _dump(y, data, org)
            return


def _default_validate(root: pathlib.Path) -> None:
    from reconciler.policy import validate_policy

    result = validate_policy(root)
    if not result.ok:
        raise PolicyError(
            "the proposed policy edits do not validate; nothing was written",
            findings=list(result.findings),
            hint="; ".join(str(f) for f in result.errors[:3]),
        )


def write_proposals(
    root: pathlib.Path,
    proposals: Iterable[Proposal],
    skipped: Iterable[tuple[str, str]] = (),
    *,
    release_seats: bool = False,
    validate: Callable[[pathlib.Path], None] = _default_validate,
) -> ProposalResult:
    """Edit a copy, validate it, then copy the changed files back over ``root``."""
    chosen = list(proposals)
    by_team: dict[str, list[Proposal]] = {}
    for p in chosen:
        by_team.setdefault(p.team, []).append(p)
    changed: list[str] = []
    if chosen:
        with tempfile.TemporaryDirectory(prefix="seatctl-propose-") as tmp:
            work = pathlib.Path(tmp) / "policy"
            shutil.copytree(root, work)
            files = _team_files(work)
            for team, items in sorted(by_team.items()):
                if team not in files:
                    raise PolicyError(
                        f"no file under {root / 'teams'} declares team {team!r}",
                        hint="run `seatctl validate`",
                    )
                _apply_team(files[team], items, release_seats, work / "org.yaml")
            validate(work)
            for path in sorted(work.rglob("*")):
                rel = path.relative_to(work)
                target = root / rel
                if path.is_file() and target.read_bytes() != path.read_bytes():
                    shutil.copyfile(path, target)
                    changed.append(str(target))
    return ProposalResult(tuple(chosen), tuple(skipped), tuple(changed))
