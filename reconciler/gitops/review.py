"""The monthly seat review: one Markdown report per month, as the vendor guide's habit.

Sections: utilisation per team and cost center, inactive seats and what reclaiming
them saves, alerts fired, policy changes merged in the month (git history of
``policies/``), and the renewal forecast (``forecast.forecast_seats`` over the seat
trend read from the policy's git history, extended to the contract end).

``build_review`` assembles from the usage use cases (``usage.service``) and git; the
maths lives in ``usage`` and ``forecast``; ``render_review_markdown`` is the view.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.gitops import gitrepo
from reconciler.gitops.forecast import Forecast, daily_steps, forecast_seats
from reconciler.gitops.gitrepo import CommitInfo
from reconciler.model import OrgState, Policy
from reconciler.usage.alerts import AlertReport
from reconciler.usage.inactive import InactiveReport
from reconciler.usage.period import Period
from reconciler.usage.reports import UsageReport
from reconciler.usage.service import run_alerts, run_inactive, run_report
from reconciler.usage.store import UsageStore

#: How far back the seat trend looks.
TREND_DAYS = 365
PolicyLoader = Callable[[pathlib.Path], Policy]


@dataclass(frozen=True, slots=True)
class MonthlyReview:
    org_name: str
    month: Period
    teams: UsageReport
    cost_centers: UsageReport
    inactive: InactiveReport
    alerts: AlertReport
    changes: tuple[CommitInfo, ...]
    forecast: Forecast | None
    notes: tuple[str, ...] = ()


def seats_in(policy: Policy) -> int:
    """Seats a policy assigns: every member it lists (one seat each)."""
    return len(policy.assignments)


def seat_history(repo_root: pathlib.Path, policy_dir: pathlib.Path, start: dt.date,
                 end: dt.date, load: PolicyLoader) -> list[tuple[dt.date, int]]:
    """(day, seats) at each first-parent commit touching the policy up to ``end``.

    The last commit before ``start`` is kept (dated ``start``) so the trend starts
    from what was in force; a version that no longer loads is skipped.
    """
    repo = gitrepo.open_repo(repo_root)
    if not gitrepo.has_commits(repo):
        return []
    work_tree = pathlib.Path(repo.working_tree_dir or repo_root).resolve()
    rel = policy_dir.resolve().relative_to(work_tree).as_posix()
    commits = gitrepo.commits_touching(repo, rel, dt.date.min, end + dt.timedelta(days=1))
    commits.sort(key=lambda c: c.committed_at)
    before = [c for c in commits if c.committed_at.date() < start]
    chosen = before[-1:] + [c for c in commits if c.committed_at.date() >= start]
    out: list[tuple[dt.date, int]] = []
    for c in chosen:
        with tempfile.TemporaryDirectory(prefix="seatctl-hist-") as tmp:
            dest = pathlib.Path(tmp) / "policies"
            if not gitrepo.extract_tree(repo, c.sha, rel, dest):
                continue
            try:
                seats = seats_in(load(dest))
            except Exception:  # noqa: BLE001 - an old broken version is not this month's error
                continue
        out.append((max(c.committed_at.date(), start), seats))
    return out


def build_forecast(policy: Policy, history: list[tuple[dt.date, int]], *, trend_start: dt.date,
                   trend_end: dt.date) -> tuple[Forecast | None, str]:
    """The forecast, or None with the reason (no contract end, no history)."""
    if policy.contract_end is None:
        return None, "no contract end in org.yaml (contract.end): no renewal forecast"
    points = daily_steps(history, trend_start, trend_end) or [(trend_end, seats_in(policy))]
    tier = policy.budget.tiers.get(policy.budget.default_tier)
    return forecast_seats(
        points, policy.contract_end, purchased=policy.budget.purchased_seats,
        buffer_min_pct=policy.budget.growth_buffer_min_pct,
        buffer_max_pct=policy.budget.growth_buffer_max_pct,
        seat_price_cents=tier.monthly_price_cents if tier else 0,
    ), ""


def build_review(policy: Policy, store: UsageStore, month: Period, *,
                 repo_root: pathlib.Path | None, policy_dir: pathlib.Path,
                 load: PolicyLoader, today: dt.date,
                 live: OrgState | None = None) -> MonthlyReview:
    """Everything the review shows for ``month``; usage as of the month's last day.

    ``live`` (the live org) decides who holds a seat, as in ``usage inactive``;
    without it the policy's members stand in, and the review says so.
    """
    as_of = min(today, month.end + dt.timedelta(days=1))
    teams = run_report(policy, store, by="team", period=month, live=live)
    centers = run_report(policy, store, by="cost-center", period=month, live=live)
    inactive = run_inactive(policy, store, days=None, today=as_of, live=live)
    alerts = run_alerts(policy, store, period=month, live=live).report
    notes: list[str] = []
    if live is None:
        notes.append("no live org read (pass --sandbox or --live): the policy's members "
                     "stand in for seat holders, pending invites included")
    changes: tuple[CommitInfo, ...] = ()
    history: list[tuple[dt.date, int]] = []
    trend_start = month.end - dt.timedelta(days=TREND_DAYS - 1)
    if repo_root is not None:
        repo = gitrepo.open_repo(repo_root)
        work_tree = pathlib.Path(repo.working_tree_dir or repo_root).resolve()
        rel = policy_dir.resolve().relative_to(work_tree).as_posix()
        changes = tuple(gitrepo.commits_touching(repo, rel, month.start,
                                                 month.end + dt.timedelta(days=1)))
        history = seat_history(repo_root, policy_dir, trend_start, month.end, load)
    else:
        notes.append("not in a git repository: no policy history, the forecast is flat")
    forecast, why = build_forecast(policy, history, trend_start=trend_start,
                                   trend_end=month.end)
    if why:
        notes.append(why)
    return MonthlyReview(policy.org_name, month, teams, centers, inactive, alerts, changes,
                         forecast, tuple(notes))
