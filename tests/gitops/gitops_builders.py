"""Small builders for hand-made policies and git repositories used by the gitops tests."""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from types import MappingProxyType

import git

from reconciler.model import (
    Assignment,
    Member,
    OrgState,
    OrgType,
    Policy,
    Role,
    Safety,
    SeatBudget,
    SeatTier,
    Team,
    UsageSettings,
)

TIERS = {"standard": SeatTier("standard", 3000), "restricted": SeatTier("restricted", 2000),
         "learning": SeatTier("learning", 2000)}
ROLES = {
    "developer": Role("developer", "Developer", "user", "standard"),
    "contractor": Role("contractor", "Contractor", "managed", "restricted"),
    "intern": Role("intern", "Intern", "user", "learning"),
}
CC = {"platform": "PLAT-001", "frontend": "FE-001", "backend": "BE-001"}


def make_policy(teams: Mapping[str, tuple[int, Mapping[str, str]]], *,
                purchased: int = 50) -> Policy:
    """teams: name -> (allocated seats, {email: role key})."""
    team_objs: dict[str, Team] = {}
    assignments: dict[str, Assignment] = {}
    members: dict[str, Member] = {}
    for name, (seats, people) in teams.items():
        team_objs[name] = Team(name, CC.get(name, name.upper()), seats, f"team-{name}",
                               tuple(sorted(people)))
        for email, role in people.items():
            assignments[email] = Assignment(email, name, role)
            members[email] = Member(email, ROLES[role].org_role)
    desired = OrgState(OrgType.ENTERPRISE, MappingProxyType(members))
    return Policy(
        org_name="Acme Corp", org_type=OrgType.ENTERPRISE, provider="anthropic",
        admin_key_env="SEATCTL_ADMIN_KEY",
        budget=SeatBudget(purchased, MappingProxyType(TIERS), "standard"),
        safety=Safety(), usage=UsageSettings(), roles=MappingProxyType(ROLES),
        teams=MappingProxyType(team_objs), assignments=MappingProxyType(assignments),
        desired=desired,
    )


def init_repo(path: pathlib.Path) -> git.Repo:
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Test Admin")
        cw.set_value("user", "email", "admin@acme.example")
        cw.set_value("commit", "gpgsign", "false")
    return repo


def repo_with_remote(work: pathlib.Path, remote: pathlib.Path) -> git.Repo:
    """A policy repository at ``work`` whose ``origin`` is a bare repository at ``remote``
    (the end-to-end tests' GitHub: every job clones it)."""
    git.Repo.init(str(remote), bare=True, initial_branch="main")
    repo = init_repo(work)
    repo.create_remote("origin", str(remote))
    return repo


def commit_all(repo: git.Repo, message: str, date: str | None = None) -> str:
    repo.git.add("-A")
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else {}
    with repo.git.custom_environment(**env):
        repo.git.commit("-q", "-m", message)
    return repo.head.commit.hexsha
