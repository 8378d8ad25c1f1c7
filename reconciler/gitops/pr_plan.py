"""The pull-request step: validate, plan, save the plan, and say so in ONE sticky comment.

Why one function: every outcome (invalid policy, blocked plan, changes, no changes,
fork PR without credentials, a failed live read) must end in the same comment being
updated and in an ``outcome`` output the workflow can trust. The process exit code
is 0 for a plan that could be made (changes or not) and 1 otherwise, so a usage
error of any tool in the step (click exits 2) can never read as "changes".

The plan is saved as ``plan.json`` + ``plan.md`` in ``out_dir``; the workflow uploads
that directory as the artifact ``seatctl-plan-<head sha>`` (``seatctl-plan-<org>-<head
sha>`` for one organization of several), which the merge apply looks up by the merged
PR's head commit.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from reconciler import escape
from reconciler.errors import SeatctlError
from reconciler.gitops import ghenv
from reconciler.gitops.approvals import Approvals, decide, named_approvers
from reconciler.gitops.ci import MARKER, build_comment, build_section
from reconciler.gitops.github_api import GitHubApi, GitHubApiError
from reconciler.gitops.wiring import Wiring

#: Why the two money figures of one comment can differ (issue: they must agree or say why).
FIGURES = ("> The policy changes above price *allocated* seats (`allocated_seats` × tier "
           "price); the live plan below prices the seats members *hold*, now and after the "
           "merge, including changes merged earlier or made outside the policy. That is why "
           "their figures can differ.\n\n")
SKIPPED = ("⏭️ **Live plan skipped**: pull requests from forks get no credentials, so "
           "only the policy change is shown. A maintainer's branch gets the live plan.")


@dataclass(frozen=True, slots=True)
class StepResult:
    """What the step decided: the outcome word, the comment, the exit code."""

    outcome: str  # invalid | blocked | changes | no-changes | skipped | error
    comment: str
    exit_code: int


class Maker(Protocol):
    """Builds the step's text: the whole sticky comment, or one organization's section."""

    def __call__(self, body: str, *, exit_code: int, blocked: bool, stderr: str = "",
                 status: str = "", head_sha: str = "") -> str: ...


def section_maker(heading: str) -> Maker:
    """For one organization of several: its section of the one comment (no marker)."""
    def make(body: str, *, exit_code: int, blocked: bool, stderr: str = "",
             status: str = "", head_sha: str = "") -> str:
        return build_section(heading, body, exit_code=exit_code, blocked=blocked,
                             stderr=stderr, status=status)
    return make


def org_heading(org: str, name: str) -> str:
    """An organization section's heading: its name and folder, escaped."""
    return f"{escape.markdown(name)} ({escape.markdown_code(org)})"


def org_name(policy_dir: pathlib.Path, org: str) -> str:
    """The name ``org.yaml`` gives, or the folder's when the file cannot be read (the
    section then says why: validation reports it)."""
    from reconciler.gitops.orgs import find_orgs

    try:
        return find_orgs(policy_dir, pathlib.Path("."))[0].org_name
    except SeatctlError:
        return org


def _validation_comment(findings: list[tuple[str, int, str]], root: pathlib.Path,
                        head_sha: str, make: Maker = build_comment) -> str:
    lines = []
    for file, line, msg in findings[:50]:
        rel = _rel(file, root)
        lines.append(f"- {escape.markdown_code(f'{rel}:{line}')} {escape.markdown(msg)}")
    if len(findings) > 50:
        lines.append(f"- … and {len(findings) - 50} more (see the run log)")
    status = f"❌ **Invalid policy**: {len(findings)} error(s); nothing was planned."
    return make("\n".join(lines) + "\n", exit_code=1, blocked=False, status=status,
                head_sha=head_sha)


def _rel(file: str, root: pathlib.Path) -> str:
    try:
        return pathlib.Path(file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return file


def approvals_section(approvals: Approvals, notes: list[str]) -> str:
    """The comment's account of which override labels counted and which did not."""
    lines = [f"- ✅ {escape.markdown_code(a.label)} approved by "
             f"{escape.markdown_code(a.login)} → `{a.flag}`" for a in approvals.granted]
    lines += [f"- ⚠️ ignored: {escape.markdown(why)}" for why in approvals.ignored]
    lines += [f"- ℹ️ {escape.markdown(n)}" for n in notes]
    return ("\n### Approvals\n\n" + "\n".join(lines) + "\n") if lines else ""


def read_approvals(api: GitHubApi | None, pr: ghenv.PullRequest, repo_root: pathlib.Path,
                   policy_dir: pathlib.Path) -> tuple[Approvals, list[str]]:
    """Override labels that count, from the API's label history (none without an API)."""
    approvers, notes = named_approvers(repo_root, policy_dir)
    if api is None or not pr.labels:
        return Approvals((), ()), notes
    return decide(api.issue_events(pr.number), pr.labels, approvers), notes


def run_pr_plan(repo_root: pathlib.Path, policy_dir: pathlib.Path, out_dir: pathlib.Path,
                env: Mapping[str, str], wiring: Wiring, *, sandbox: str | None = None,
                emit: Callable[[str], None] = print,
                state_dir: pathlib.Path | None = None, org: str = "") -> StepResult:
    """The whole PR step. ``emit`` writes log lines (annotations) to the step's output.

    ``org`` (a folder of a several-organization repository): the step writes that
    organization's section to ``out_dir/section.md`` for the workflow's comment job,
    which posts all sections as ONE comment; it posts nothing itself. Its key comes
    from the ``SEATCTL_ADMIN_KEYS`` map (``gitops.org_keys``).
    """
    from reconciler.policy import validate_policy

    pr = ghenv.pull_request(env)
    api = GitHubApi.from_env(env)
    out_dir.mkdir(parents=True, exist_ok=True)
    make: Maker = build_comment
    if org:
        make = section_maker(org_heading(org, org_name(policy_dir, org)))
    result = validate_policy(policy_dir, extra_checks=wiring.extra_checks)
    if not result.ok:
        errors = [(f.file, f.line, f.message) for f in result.errors]
        for line in ghenv.error_annotations(errors, repo_root):
            emit(line)
        step = StepResult("invalid", _validation_comment(errors, repo_root, pr.head_sha, make),
                          1)
    else:
        approvals, notes = read_approvals(api, pr, repo_root, policy_dir)
        step = _plan(pr, policy_dir, out_dir, approvals, notes, sandbox, wiring, state_dir,
                     make=make, org=org)
    if org:
        (out_dir / "section.md").write_text(step.comment, encoding="utf-8")
        (out_dir / "outcome").write_text(step.outcome + "\n", encoding="utf-8")
    else:
        _post(api, pr.number, step.comment, emit)
    ghenv.write_outputs(env, {"outcome": step.outcome, "comment-path":
                              str(out_dir / "comment.md")}, step.comment)
    (out_dir / "comment.md").write_text(step.comment, encoding="utf-8")
    return step


def _plan(pr: ghenv.PullRequest, policy_dir: pathlib.Path, out_dir: pathlib.Path,
          approvals: Approvals, notes: list[str], sandbox: str | None,
          wiring: Wiring, state_dir: pathlib.Path | None = None, *,
          make: Maker = build_comment, org: str = "") -> StepResult:
    from reconciler.gitops.org_keys import org_key
    from reconciler.gitops.render_policy_diff import render_base_section
    from reconciler.plan import Overrides
    from reconciler.render import render

    extra = approvals_section(approvals, notes)
    try:
        base = render_base_section(policy_dir, pr.base_sha or "auto", "markdown")
    except SeatctlError as exc:
        base = f"_Policy diff unavailable: {escape.markdown(exc.message)}_\n\n"
    if pr.from_fork:
        return StepResult("skipped", make(base + extra, exit_code=0, blocked=False,
                                          status=SKIPPED, head_sha=pr.head_sha), 0)
    overrides = Overrides(allow_large_removal=approvals.has("--allow-large-removal"),
                          allow_many_role_changes=False, approver=approvals.approver)
    try:
        # with a pulled snapshot, re-read only what the pull request can touch (issue 20)
        targeted = {"base": pr.base_sha, "state_dir": state_dir} if (
            state_dir is not None and pr.base_sha) else {}
        with org_key(org, policy_dir):  # this organization's key only
            plan = wiring.make_plan(policy_dir, at=None, sandbox=sandbox, demo=False,
                                    approve_overflow=approvals.has("--approve-overflow"),
                                    overrides=overrides, **targeted)
    except SeatctlError as exc:
        return StepResult("error", make(base + extra, exit_code=1, blocked=False,
                                        stderr=str(exc), head_sha=pr.head_sha), 1)
    shown = render(plan, "markdown", color=False)
    if "monthly seat cost" in base:  # the policy diff priced something above the plan
        base += FIGURES
    (out_dir / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    (out_dir / "plan.md").write_text(shown, encoding="utf-8")
    code = 2 if plan.has_changes else 0
    comment = make(base + shown + extra, exit_code=code, blocked=plan.blocked,
                   head_sha=pr.head_sha)
    if plan.blocked:
        return StepResult("blocked", comment, 1)
    return StepResult("changes" if plan.has_changes else "no-changes", comment, 0)


def _post(api: GitHubApi | None, number: int, body: str, emit: Callable[[str], None]) -> None:
    """Update the sticky comment; a read-only token (fork PRs) leaves the summary only."""
    if api is None:
        emit("::notice::no GITHUB_TOKEN: the plan is in the job summary only")
        return
    try:
        api.upsert_comment(number, MARKER, body)
    except GitHubApiError as exc:
        if exc.status in (403, 404):
            emit("::notice::the token cannot comment (fork pull request?): the plan is in "
                 "the job summary only")
            return
        raise
