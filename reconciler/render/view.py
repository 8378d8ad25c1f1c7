"""One view model of a Plan, shared by the text, Markdown and JSON renderers.

Everything a person reads is decided here once — the headline, which sections and
rows appear, how a before/after value is described, which teams are listed — so the
three renderers only differ in markup. Values from the live org or the policy are
kept raw here; each renderer escapes them for its medium.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler.plan.changes import Change, kind_spec
from reconciler.plan.guards import Finding
from reconciler.plan.model import Plan
from reconciler.plan.summary import Tally

Status = Literal["blocked", "changes", "no_changes"]

#: Team tables list every team up to this many, otherwise only teams whose seats change.
ALL_TEAMS_UP_TO = 25
#: At most this many team rows, however many change.
MAX_TEAM_ROWS = 50


@dataclass(frozen=True, slots=True)
class ChangeRow:
    symbol: str
    kind: str
    target: str
    detail: str
    reason: str
    where: str


@dataclass(frozen=True, slots=True)
class Section:
    kind: str
    title: str
    symbol: str
    rows: tuple[ChangeRow, ...]


@dataclass(frozen=True, slots=True)
class TallyRow:
    name: str
    cost_center: str
    allocated: str
    seats: str
    cost: str
    changed: bool


@dataclass(frozen=True, slots=True)
class PlanView:
    plan: Plan
    title: str
    status: Status
    headline: str
    tally_line: str
    meta: tuple[tuple[str, str], ...]
    counts: tuple[tuple[str, str, int], ...]
    total: TallyRow
    teams: tuple[TallyRow, ...]
    teams_hidden: int
    cost_centers: tuple[TallyRow, ...]
    sections: tuple[Section, ...]
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    notes: tuple[Finding, ...]

    @property
    def change_count(self) -> int:
        return len(self.plan.changes)


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def _arrow(before: str, after: str) -> str:
    return before if before == after else f"{before} → {after}"


_KEY_ORDER = {"role": 0, "status": 1, "name": 2, "groups": 3, "members": 4}


def describe(value: object) -> str:
    """A before/after value in words: ``role user, groups a, b`` or ``$50.00 USD``."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        parts = []
        if "amount_cents" in value:
            parts.append(f"{money(int(str(value['amount_cents'])))} {value.get('currency', '')}"
                         .strip())
        for key in sorted(value, key=lambda k: (_KEY_ORDER.get(k, 9), k)):
            if key in ("amount_cents", "currency"):
                continue
            item = value[key]
            if isinstance(item, tuple | list):
                item = ", ".join(str(i) for i in item) or "none"
            parts.append(f"{key} {item}")
        return ", ".join(parts)
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def detail(change: Change) -> str:
    before, after = describe(change.before), describe(change.after)
    if before and after:
        if change.symbol == "+":
            return f"{after} (was: {before})"
        return f"{before} → {after}"
    if after:
        return after
    return f"was {before}" if before else ""


def _tally(t: Tally) -> TallyRow:
    allocated = "" if t.allocated is None else str(t.allocated)
    return TallyRow(
        t.name,
        t.cost_center,
        allocated,
        _arrow(str(t.seats_before), str(t.seats_after)),
        _arrow(money(t.cost_before_cents), money(t.cost_after_cents)),
        t.changed,
    )


def _headline(plan: Plan, counts: Mapping[str, int]) -> tuple[Status, str]:
    if plan.blocked:
        n = len(plan.findings_of("error"))
        plural = "s" if n != 1 else ""
        return "blocked", f"Plan blocked by {n} error{plural}: nothing may be applied"
    if not plan.changes:
        return "no_changes", "No changes: the live organization matches the policy"
    n = len(plan.changes)
    return "changes", f"{n} change{'s' if n != 1 else ''} to apply"


def _title(kind: str, phase: int) -> str:
    spec = kind_spec(kind)
    return spec.removal_title if phase != spec.phase and spec.removal_title else spec.title


def build_view(plan: Plan) -> PlanView:
    """Derive everything the renderers show from ``plan``."""
    by_symbol = {"+": 0, "~": 0, "-": 0}
    sections: dict[tuple[int, int, str], list[ChangeRow]] = {}
    for c in plan.changes:  # already in plan order: sections follow it
        by_symbol[c.symbol] += 1
        where = f"{c.source.file}:{c.source.line}" if c.source is not None else ""
        sections.setdefault((c.phase, c.rank, c.kind), []).append(
            ChangeRow(c.symbol, c.kind, c.target, detail(c), c.reason, where)
        )
    status, headline = _headline(plan, plan.summary.counts)
    tally_line = (f"{by_symbol['+']} to add, {by_symbol['~']} to change, "
                  f"{by_symbol['-']} to remove")
    summary = plan.summary
    if len(summary.teams) <= ALL_TEAMS_UP_TO:
        shown = list(summary.teams)
    else:
        shown = [t for t in summary.teams if t.changed]
    hidden = len(summary.teams) - min(len(shown), MAX_TEAM_ROWS)
    meta = (
        ("evaluated on", plan.evaluated_on.isoformat()),
        ("policy commit", plan.policy_commit[:12] if plan.policy_commit else "none"),
        ("live", plan.live_fingerprint[:19] or "unknown (incomplete read)"),
        ("checksum", plan.checksum[:19]),
    )
    return PlanView(
        plan=plan,
        title=f"{plan.org_name} ({plan.org_type})",
        status=status,
        headline=headline,
        tally_line=tally_line,
        meta=meta,
        counts=tuple((kind_spec(k).title, kind_spec(k).symbol, n)
                     for k, n in summary.counts.items()),
        total=_tally(summary.total),
        teams=tuple(_tally(t) for t in shown[:MAX_TEAM_ROWS]),
        teams_hidden=hidden,
        cost_centers=tuple(_tally(t) for t in summary.cost_centers),
        sections=tuple(
            Section(kind, _title(kind, phase), kind_spec(kind).symbol, tuple(rows))
            for (phase, _, kind), rows in sorted(sections.items())
        ),
        errors=plan.findings_of("error"),
        warnings=plan.findings_of("warning"),
        notes=plan.findings_of("info"),
    )
