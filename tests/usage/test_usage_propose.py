"""--propose edits team files in place, keeping comments and order, and only if valid."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from usage_fixtures import TODAY, make_policy

from reconciler.errors import PolicyError
from reconciler.model import Safety
from reconciler.usage.inactive import InactiveReport, InactiveSeat
from reconciler.usage.propose import expiry_for, plan_proposals, write_proposals

CORE = """\
# yaml-language-server: $schema=../../schemas/team.schema.json
name: core   # the core team
cost_center: CORE-1
allocated_seats: 4
members:
    # leads first
  - email: a@x.example
    role: dev
  - email: B@x.example   # mixed case on purpose
    role: dev
    note: "on leave until Q1"
  - email: c@x.example
    role: intern
    expires: 2026-10-31
"""


def inactive(*emails: str) -> InactiveReport:
    seats = tuple(
        InactiveSeat(
            e, "core", "dev", "standard", 3000, None, 40, "last activity", dt.date(2026, 12, 15)
        )
        for e in emails
    )
    return InactiveReport(TODAY, 14, "", "", dt.date(2026, 12, 15), None, seats)


@pytest.fixture
def root(tmp_path):
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "core.yaml").write_text(CORE)
    (tmp_path / "org.yaml").write_text("name: X\n")
    return tmp_path


def test_expire_sets_last_day_two_days_before_billing_and_keeps_the_rest(root) -> None:
    policy = make_policy()
    proposals, skipped = plan_proposals(
        policy, inactive("b@x.example", "c@x.example", "zz@x.example"), mode="expire", today=TODAY
    )
    result = write_proposals(root, proposals, skipped, validate=lambda p: None)
    text = (root / "teams" / "core.yaml").read_text()
    assert text.splitlines()[:8] == CORE.splitlines()[:8]  # comments, order, quoting kept
    assert "    expires: 2026-12-13  # seatctl usage: inactive 40 days" in text
    assert "expires: 2026-10-31" in text  # c already expires earlier: left alone
    assert dict(result.skipped) == {
        "c@x.example": "already expires 2026-10-31",
        "zz@x.example": "not in the policy: add them to a team, or remove by hand",
    }
    assert result.monthly_savings_cents == 3000
    assert result.files_changed == (str(root / "teams" / "core.yaml"),)


def test_remove_releases_seats_and_never_touches_protected(root) -> None:
    """Under ``unmanaged: remove`` a removal deletes the entry (the plan removes it)."""
    policy = dataclasses.replace(
        make_policy(), safety=Safety(protected=frozenset({"a@x.example"}), unmanaged="remove"))
    proposals, skipped = plan_proposals(
        policy, inactive("a@x.example", "b@x.example"), mode="remove", today=TODAY
    )
    write_proposals(root, proposals, skipped, release_seats=True, validate=lambda p: None)
    text = (root / "teams" / "core.yaml").read_text()
    assert "B@x.example" not in text and "on leave" not in text
    assert "a@x.example" in text and "allocated_seats: 3" in text
    assert skipped == [("a@x.example", "protected (safety.protected): never proposed")]


def test_remove_under_unmanaged_report_expires_yesterday_so_the_plan_frees_the_seat(
        root) -> None:
    """``unmanaged: report`` keeps members the policy no longer lists; a deleted entry
    would keep its seat, so the removal is an expiry of yesterday (TODAY 2026-11-25)."""
    policy = make_policy()
    assert policy.safety.unmanaged == "report"
    proposals, _ = plan_proposals(policy, inactive("b@x.example"), mode="remove", today=TODAY)
    write_proposals(root, proposals, release_seats=True, validate=lambda p: None)
    text = (root / "teams" / "core.yaml").read_text()
    assert "B@x.example" in text and "on leave" in text
    assert "    expires: 2026-11-24  # seatctl usage: remove, inactive" in text
    assert "allocated_seats: 3" in text


def test_invalid_result_leaves_files_untouched(root) -> None:
    policy = make_policy()
    proposals, _ = plan_proposals(policy, inactive("b@x.example"), mode="expire", today=TODAY)

    def reject(path):
        raise PolicyError("proposed policy does not validate")

    with pytest.raises(PolicyError):
        write_proposals(root, proposals, validate=reject)
    assert (root / "teams" / "core.yaml").read_text() == CORE


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 11, 25), (dt.date(2026, 12, 13), dt.date(2026, 12, 15))),
        (dt.date(2026, 12, 14), (dt.date(2027, 1, 13), dt.date(2027, 1, 15))),
        (dt.date(2026, 12, 13), (dt.date(2026, 12, 13), dt.date(2026, 12, 15))),
    ],
    ids=["well before billing", "too close: the next cycle", "expiring today still beats it"],
)
def test_expiry_keeps_a_margin_before_the_bill(today, expected) -> None:
    assert expiry_for(today, dt.date(2026, 7, 15)) == expected
