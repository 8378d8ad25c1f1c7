"""Policy diff: what a pull request changes in seats, members and monthly cost."""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml
from gitops_builders import commit_all, init_repo, make_policy

from reconciler.errors import ConfigError
from reconciler.gitops import gitrepo
from reconciler.gitops.policy_diff import diff_policies, policy_diff
from reconciler.gitops.render_policy_diff import (
    headlines,
    money,
    render_policy_diff_markdown,
    render_policy_diff_text,
)
from reconciler.model import Policy

PLATFORM = {"alice@acme.example": "developer", "erin@acme.example": "contractor"}


def test_two_more_seats_on_standard_costs_sixty_dollars_to_the_cost_center() -> None:
    base = make_policy({"platform": (8, PLATFORM), "backend": (10, {})})
    head = make_policy({"platform": (10, PLATFORM), "backend": (10, {})})
    diff = diff_policies(base, head)
    assert headlines(diff) == ["platform 8 → 10 seats, +$60/month to PLAT-001"]
    assert diff.monthly_delta_cents == 6000
    (plat,) = [c for c in diff.cost_centers if c.cost_center == "PLAT-001"]
    assert (plat.seats_before, plat.seats_after) == (8, 10)
    assert diff.members == ()


def test_member_seats_cost_their_role_tier_and_empty_seats_the_default_tier() -> None:
    # 1 developer ($30) + 1 contractor ($20) + 6 empty standard seats ($30) = $230
    diff = diff_policies(None, make_policy({"platform": (8, PLATFORM)}))
    assert diff.teams[0].monthly_after_cents == 3000 + 2000 + 6 * 3000
    assert diff.base_commit is None


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {"bob@acme.example": "developer"},
         [("bob@acme.example", "added", None, "developer")]),
        ({"bob@acme.example": "developer"}, {},  # unmanaged: report (the default)
         [("bob@acme.example", "unlisted", "developer", None)]),
        ({"bob@acme.example": "developer"}, {"bob@acme.example": "contractor"},
         [("bob@acme.example", "role_changed", "developer", "contractor")]),
    ],
    ids=["member added", "member unlisted keeps the seat", "role changed"],
)
def test_member_changes_are_listed(before: dict[str, str], after: dict[str, str],
                                   expected: list[tuple[object, ...]]) -> None:
    diff = diff_policies(make_policy({"platform": (8, before)}),
                         make_policy({"platform": (8, after)}))
    assert [(m.email, m.kind, m.role_before, m.role_after) for m in diff.members] == expected


def test_a_member_moving_team_is_a_move_with_cost_on_both_sides() -> None:
    base = make_policy({"platform": (8, {"bob@acme.example": "intern"}), "backend": (10, {})})
    head = make_policy({"platform": (8, {}), "backend": (10, {"bob@acme.example": "intern"})})
    diff = diff_policies(base, head)
    assert [(m.kind, m.team_before, m.team_after) for m in diff.members] == [
        ("moved", "platform", "backend")]
    # the intern seat ($20) replaces an empty standard seat ($30) in backend and vice versa
    by_team = {t.team: t.monthly_delta_cents for t in diff.teams}
    assert by_team == {"platform": 1000, "backend": -1000}
    assert diff.monthly_delta_cents == 0


def test_org_settings_changes_are_listed_by_path() -> None:
    diff = diff_policies(make_policy({}, purchased=50), make_policy({}, purchased=60))
    assert [(s.path, s.before, s.after) for s in diff.settings] == [
        ("budget.purchased_seats", 50, 60)]
    assert "purchased seats 50 → 60" in headlines(diff)


def test_identical_policies_are_an_empty_diff() -> None:
    p = make_policy({"platform": (8, PLATFORM)})
    diff = diff_policies(p, p)
    assert diff.empty
    assert "No changes" in render_policy_diff_markdown(diff)


@pytest.mark.parametrize(("cents", "signed", "text"),
                         [(6000, True, "+$60"), (-1050, True, "-$10.50"), (0, True, "±$0"),
                          (123456, False, "$1,234.56")], ids=str)
def test_money_formatting(cents: int, signed: bool, text: str) -> None:
    assert money(cents, signed=signed) == text


def test_markdown_neutralises_injection_in_names() -> None:
    evil = "x`| @everyone <b>No changes</b>"
    diff = diff_policies(None, make_policy({evil: (1, {})}))
    md = render_policy_diff_markdown(diff)
    # inside a code span: pipes, backticks, mentions and tags inert
    assert "<code>x&#96;&#124; &#64;everyone &lt;b&gt;No changes&lt;/b&gt;</code>" in md
    assert "| x`" not in md and "@everyone" not in md and "<b>" not in md


def test_text_renderer_lists_teams_members_and_net_cost() -> None:
    base = make_policy({"platform": (8, PLATFORM)})
    head = make_policy({"platform": (10, {**PLATFORM, "bob@acme.example": "developer"})})
    text = render_policy_diff_text(diff_policies(base, head))
    assert "platform 8 → 10 seats, +$60/month to PLAT-001" in text
    assert "added bob@acme.example to platform as developer" in text
    assert "Net seat cost: +$60/month" in text


# --- git mechanics -------------------------------------------------------------------

def _write_counts(root: pathlib.Path, seats: dict[str, int]) -> None:
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "teams.yaml").write_text(yaml.safe_dump(seats))


def _load_counts(path: pathlib.Path) -> Policy:
    """A stand-in loader reading {team: seats}; the real loader is tested end to end."""
    seats = yaml.safe_load((path / "teams.yaml").read_text())
    return make_policy({name: (n, {}) for name, n in seats.items()})


def test_policy_diff_reads_the_base_commit_from_git(tmp_path: pathlib.Path) -> None:
    repo = init_repo(tmp_path)
    _write_counts(tmp_path, {"platform": 8})
    base = commit_all(repo, "base")
    repo.git.checkout("-q", "-b", "more-seats")
    _write_counts(tmp_path, {"platform": 10})
    commit_all(repo, "two more seats")
    diff = policy_diff(tmp_path, "main", "policies", load=_load_counts, env={})
    assert diff.base_commit == base
    assert headlines(diff) == ["platform 8 → 10 seats, +$60/month to PLAT-001"]
    assert (tmp_path / "policies" / "teams.yaml").read_text() == "platform: 10\n"  # untouched


def test_auto_base_comes_from_the_github_event_file(tmp_path: pathlib.Path) -> None:
    repo = init_repo(tmp_path)
    _write_counts(tmp_path, {"platform": 8})
    base = commit_all(repo, "base")
    _write_counts(tmp_path, {"platform": 9})
    commit_all(repo, "head")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base}}}))
    diff = policy_diff(tmp_path, "auto", "policies", load=_load_counts,
                       env={"GITHUB_EVENT_PATH": str(event)})
    assert diff.base_commit == base and diff.teams[0].seats_before == 8


def test_a_repository_without_commits_compares_with_an_empty_policy(
        tmp_path: pathlib.Path) -> None:
    init_repo(tmp_path)
    _write_counts(tmp_path, {"platform": 8})
    diff = policy_diff(tmp_path, "auto", "policies", load=_load_counts, env={})
    assert diff.base_commit is None and diff.head_commit is None
    assert headlines(diff) == ["platform new team, 8 seats, +$240/month to PLAT-001",
                               "purchased seats 0 → 50"]


def test_a_base_without_the_policy_folder_is_an_empty_base(tmp_path: pathlib.Path) -> None:
    repo = init_repo(tmp_path)
    (tmp_path / "README.md").write_text("hi\n")
    commit_all(repo, "first")
    _write_counts(tmp_path, {"platform": 2})
    diff = policy_diff(tmp_path, "HEAD", "policies", load=_load_counts, env={})
    assert diff.teams[0].seats_before == 0 and diff.teams[0].seats_after == 2


def test_shallow_checkout_missing_the_base_says_how_to_fix(tmp_path: pathlib.Path) -> None:
    origin = init_repo(tmp_path / "origin")
    _write_counts(tmp_path / "origin", {"platform": 8})
    base = commit_all(origin, "base")
    _write_counts(tmp_path / "origin", {"platform": 10})
    commit_all(origin, "head")
    clone = tmp_path / "clone"
    import git

    git.Repo.clone_from(f"file://{tmp_path / 'origin'}", clone, depth=1)
    shallow = gitrepo.open_repo(clone)
    assert gitrepo.is_shallow(shallow)
    # reachable origin: the base commit is fetched on demand
    assert gitrepo.resolve_base(shallow, base, {}) == base
    # unreachable origin: a clear message naming the commit and the fix
    clone2 = tmp_path / "clone2"
    git.Repo.clone_from(f"file://{tmp_path / 'origin'}", clone2, depth=1)
    broken = gitrepo.open_repo(clone2)
    broken.git.remote("set-url", "origin", str(tmp_path / "gone"))
    with pytest.raises(ConfigError) as exc:
        gitrepo.resolve_base(broken, base, {})
    assert base in str(exc.value) and "fetch-depth: 0" in str(exc.value)


def test_an_unknown_named_base_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    repo = init_repo(tmp_path)
    _write_counts(tmp_path, {"platform": 8})
    commit_all(repo, "base")
    with pytest.raises(ConfigError, match="'no-such-branch' is not in this repository"):
        gitrepo.resolve_base(repo, "no-such-branch", {})


def test_not_a_git_repository_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ConfigError, match="not inside a git repository"):
        gitrepo.open_repo(tmp_path)


def test_a_member_taken_out_is_removed_only_under_unmanaged_remove() -> None:
    import dataclasses

    from reconciler.gitops.render_policy_diff import render_policy_diff_markdown

    before = make_policy({"platform": (8, {"bob@acme.example": "developer"})})
    after = make_policy({"platform": (8, {})})
    kept = diff_policies(before, after)
    assert [m.kind for m in kept.members] == ["unlisted"]
    text = render_policy_diff_markdown(kept)
    assert "keeps the seat" in text and "removed <" not in text
    strict = dataclasses.replace(after, safety=dataclasses.replace(after.safety,
                                                                   unmanaged="remove"))
    assert [m.kind for m in diff_policies(before, strict).members] == ["removed"]
