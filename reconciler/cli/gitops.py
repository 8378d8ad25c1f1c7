"""``seatctl init``, ``seatctl ci …`` (the workflow steps) and ``seatctl state pull|push``.

Thin: each command reads the runner's environment, calls one function of
``reconciler.gitops`` and returns its exit code. The ``ci`` steps exit 0 when they
did their job (whatever the plan says: the ``outcome`` output tells) and 1 when they
did not, so no exit code of theirs can be read as "changes".
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from collections.abc import Mapping
from typing import Any

import click

from reconciler.cli.options import at_option
from reconciler.errors import ConfigError
from reconciler.gitops.wiring import Wiring

policy_dir_arg = click.argument("policy_dir", required=False, default="policies",
                                type=click.Path(file_okay=False, path_type=pathlib.Path))
sandbox_option = click.option(
    "--sandbox", type=click.Path(dir_okay=False), envvar="SEATCTL_SANDBOX",
    help="Run against this sandbox database instead of the real organization (tests, demos).")
state_dir_option = click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
    default=pathlib.Path(".seatctl"), show_default=True,
    help="The state directory (audit log, its head, last-apply record, usage store).")


org_option = click.option(
    "--org", default="", metavar="FOLDER",
    help="One organization of a several-organization repository (its folder name): the "
    "step writes that organization's section instead of posting, and takes its key from "
    "the SEATCTL_ADMIN_KEYS map.")
section_out_option = click.option(
    "--section-out", type=click.Path(file_okay=False, path_type=pathlib.Path), default=None,
    help="With --org: the folder its section.md goes to (the workflow's report job posts "
    "every organization's section as one comment).")


def _repo_root() -> pathlib.Path:
    return pathlib.Path.cwd()


def _wiring() -> Wiring:
    """The plan, validation and apply of this CLI, for the GitHub steps."""
    from reconciler.cli.apply import apply
    from reconciler.cli.plan import make_plan
    from reconciler.cli.validate import EXTRA_CHECKS

    return Wiring(make_plan=make_plan, extra_checks=EXTRA_CHECKS,
                  apply_options=frozenset(o for p in apply.params for o in p.opts),
                  verify_audit=_verify_audit, record=_record)


def _verify_audit(path: pathlib.Path) -> str:
    from reconciler.apply.audit_verify import verify

    report = verify(path)
    return "" if report.ok else f"entry {report.bad_index} (line {report.bad_line}): " \
        f"{report.problem}"


def _record(path: pathlib.Path, env: Mapping[str, str], kind: str,
            fields: Mapping[str, Any]) -> None:
    """One audit record stamped with the CI actor and run, like apply's own records."""
    from reconciler.apply.audit import AuditLog, current_actor

    actor = current_actor(env)
    AuditLog(path, context={"actor": actor.name, "actor_source": actor.source,
                            "run_id": actor.run_id}).append(kind, **fields)


# ---------------------------------------------------------------------------
# seatctl init DIR
# ---------------------------------------------------------------------------

@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=pathlib.Path))
@click.option("--tool-repo", default=None, metavar="OWNER/NAME",
              help="The seatctl repository whose reusable workflows the scaffold calls.")
@click.option("--tool-ref", default=None, metavar="REF",
              help="The release tag or commit the workflows are pinned to (a SHA is safest).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: pathlib.Path, tool_repo: str | None, tool_ref: str | None,
         force: bool) -> int:
    """Write a complete policy repository: policies, schemas, CODEOWNERS, workflows.

    \b
    Example:
      seatctl init acme-policy --tool-repo acme/seatctl --tool-ref v0.3.0
    """
    from reconciler.gitops.scaffold import DEFAULT_TOOL_REPO, default_ref, write_scaffold

    written = write_scaffold(directory, tool_repo=tool_repo or DEFAULT_TOOL_REPO,
                             tool_ref=tool_ref or default_ref(), force=force)
    click.echo(f"Wrote {len(written)} files to {directory}.")
    click.echo("Next: docs/gitops.md, \"From an empty repository to the first merged "
               "change\" (git init, add the secrets, create the `apply` environment).")
    return 0


# ---------------------------------------------------------------------------
# seatctl ci …
# ---------------------------------------------------------------------------

@click.group("ci")
def ci() -> None:
    """Steps of seatctl's reusable GitHub workflows (run inside GitHub Actions).

    \b
    Example:
      seatctl ci pr-plan policies --out-dir out
    """


@ci.command("pr-plan")
@policy_dir_arg
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
              required=True, help="Where plan.json, plan.md and comment.md are written.")
@sandbox_option
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=None, help="A pulled state directory: its snapshot lets the plan re-read "
              "only what the pull request can touch (`plan --base`); without one, or with a "
              "stale one, the plan reads the whole organization and says why.")
@org_option
def pr_plan(policy_dir: pathlib.Path, out_dir: pathlib.Path, sandbox: str | None,
            state_dir: pathlib.Path | None, org: str) -> int:
    """Validate and plan a pull request; update its one sticky comment.

    \b
    Example:
      seatctl ci pr-plan policies --out-dir out --state-dir .seatctl-state
    """
    from reconciler.gitops.pr_plan import run_pr_plan

    return run_pr_plan(_repo_root(), policy_dir, out_dir, os.environ, _wiring(),
                       sandbox=sandbox, emit=click.echo, state_dir=state_dir,
                       org=org).exit_code


@ci.command("orgs-touched")
@policy_dir_arg
@click.option("--base", default="auto", show_default=True,
              help="The commit the change is compared with; `auto` reads the pull request's "
              "base from the event.")
@click.option("--head", default="HEAD", show_default=True, help="The changed commit.")
def orgs_touched(policy_dir: pathlib.Path, base: str, head: str) -> int:
    """Write the matrix of organizations this change touches (step outputs).

    \b
    Example:
      seatctl ci orgs-touched orgs --base "$BASE_SHA"
    """
    from reconciler import escape
    from reconciler.gitops import ghenv
    from reconciler.gitops.touched import resolve, touched_orgs

    if base == "auto":
        base = ghenv.pull_request(os.environ).base_sha
    repo = _repo_root()
    got = touched_orgs(repo, policy_dir, base=base, head=head)
    ghenv.write_outputs(os.environ, got.outputs(repo, resolve(repo, head)), "")
    for o in got.touched:
        click.echo(f"touched: {escape.terminal(o.key)}")
    for o in got.untouched:
        click.echo(f"not touched: {escape.terminal(o.key)}")
    return 0


@ci.command("post-sections")
@click.option("--sections", "sections_dir", required=True,
              type=click.Path(file_okay=False, path_type=pathlib.Path),
              help="The downloaded section artifacts, one folder each.")
@click.option("--matrix", required=True, help="The matrix `ci orgs-touched` wrote.")
@click.option("--untouched", default="[]", show_default=True,
              help="The organizations not touched (`ci orgs-touched` output).")
@click.option("--stage", type=click.Choice(["plan", "apply"]), default="plan",
              show_default=True, help="Which comment: the PR's plan or the merge's apply.")
@click.option("--pr", "pr_number", type=int, default=0,
              help="The pull request (default: the event's).")
@click.option("--head-sha", default="", help="The reviewed head commit (with --pr).")
def post_sections(sections_dir: pathlib.Path, matrix: str, untouched: str, stage: str,
                  pr_number: int, head_sha: str) -> int:
    """Post every organization's section as ONE sticky comment on the PR.

    \b
    Example:
      seatctl ci post-sections --sections sections --matrix "$MATRIX" --untouched "$UNTOUCHED"
    """
    from reconciler.gitops.sections import post_sections as post

    post(os.environ, sections_dir, matrix, untouched, stage=stage, pr_number=pr_number,
         head_sha=head_sha)
    return 0


@ci.command("pr-failed")
def pr_failed() -> int:
    """Say on the PR that seatctl failed before it could plan (the run log has why).

    \b
    Example:
      seatctl ci pr-failed
    """
    from reconciler.gitops import ghenv
    from reconciler.gitops.ci import MARKER, build_comment
    from reconciler.gitops.github_api import GitHubApi

    pr = ghenv.pull_request(os.environ)
    link = ghenv.run_url(os.environ)
    body = build_comment(f"[The run log]({link}) has the error.\n" if link else "",
                         exit_code=1, blocked=False, head_sha=pr.head_sha,
                         status="❌ **Error**: seatctl stopped before it could plan.")
    api = GitHubApi.from_env(os.environ)
    if api is not None:
        api.upsert_comment(pr.number, MARKER, body)
    return 0


@ci.command("find-reviewed")
@click.option("--plan-workflow", default="seatctl-plan.yml", show_default=True,
              help="File name of the caller's plan workflow.")
def find_reviewed(plan_workflow: str) -> int:
    """Find the merged PR and the plan run that reviewed it (step outputs).

    \b
    Example:
      seatctl ci find-reviewed
    """
    from reconciler.gitops import ghenv
    from reconciler.gitops.merge_apply import find_reviewed as find

    got = find(os.environ, plan_workflow)
    ghenv.write_outputs(os.environ, got.outputs(), "")
    if got.reason:
        click.echo(f"::notice::{got.reason}")
    return 0


@ci.command("check-reviewed")
@policy_dir_arg
@click.option("--reviewed", "reviewed_dir", required=True,
              type=click.Path(file_okay=False, path_type=pathlib.Path),
              help="The downloaded plan artifact of the PR.")
@click.option("--pr", "pr_number", type=int, required=True,
              help="The pull request whose reviewed plan this is.")
@sandbox_option
@org_option
@section_out_option
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=None, help="The state branch's folder for this organization: with its "
              "snapshot only what the change can touch is read live (default: a full read).")
def check_reviewed(policy_dir: pathlib.Path, reviewed_dir: pathlib.Path, pr_number: int,
                   sandbox: str | None, org: str, section_out: pathlib.Path | None,
                   state_dir: pathlib.Path | None) -> int:
    """Show the reviewed plan and refuse early when it no longer holds.

    \b
    Example:
      seatctl ci check-reviewed policies --reviewed reviewed --pr 42
    """
    from reconciler.gitops.merge_apply import OrgSection
    from reconciler.gitops.merge_apply import check_reviewed as check

    out = check(_repo_root(), policy_dir, reviewed_dir, os.environ, _wiring(),
                pr_number=pr_number, sandbox=sandbox,
                section=OrgSection.of(org, policy_dir, section_out), state_dir=state_dir)
    click.echo(out.comment)
    return out.exit_code


@ci.command("apply-reviewed")
@policy_dir_arg
@click.option("--plan", "plan_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
              help="The reviewed plan (plan.json of the PR's plan artifact).")
@click.option("--pr", "pr_number", type=int, required=True,
              help="The pull request whose reviewed plan this is.")
@click.option("--head-sha", required=True, help="The reviewed head commit of that pull request.")
@state_dir_option
@sandbox_option
@org_option
@section_out_option
def apply_reviewed(policy_dir: pathlib.Path, plan_file: pathlib.Path, pr_number: int,
                   head_sha: str, state_dir: pathlib.Path, sandbox: str | None, org: str,
                   section_out: pathlib.Path | None) -> int:
    """Apply the reviewed plan with `seatctl apply PLAN` and post the result on the PR.

    \b
    Example:
      seatctl ci apply-reviewed policies --plan reviewed/plan.json --pr 42 --head-sha "$HEAD_SHA"
    """
    from reconciler.gitops.merge_apply import OrgSection
    from reconciler.gitops.merge_apply import apply_reviewed as run

    return run(_repo_root(), policy_dir, plan_file, state_dir, os.environ, _wiring(),
               pr_number=pr_number, head_sha=head_sha, sandbox=sandbox,
               section=OrgSection.of(org, policy_dir, section_out)).exit_code


@ci.command("not-applied")
@click.option("--pr", "pr_number", type=int, required=True,
              help="The pull request whose reviewed plan this is.")
@click.option("--head-sha", required=True, help="The reviewed head commit of that pull request.")
@click.option("--result", required=True, help="The apply job's result (needs.apply.result).")
def not_applied(pr_number: int, head_sha: str, result: str) -> int:
    """Tell the PR its reviewed plan was not applied (rejected, cancelled, displaced).

    \b
    Example:
      seatctl ci not-applied --pr 42 --head-sha "$HEAD_SHA" --result cancelled
    """
    from reconciler.gitops.merge_apply import not_applied as run

    return run(os.environ, pr_number=pr_number, head_sha=head_sha, result=result).exit_code


@ci.command("as-org")
@policy_dir_arg
@click.option("--org", "org", required=True, metavar="FOLDER",
              help="The organization's key from `seatctl orgs list` (`default` for the "
              "single-organization layout).")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def as_org(policy_dir: pathlib.Path, org: str, command: tuple[str, ...]) -> int:
    """Run COMMAND (after `--`) with only organization ORG's key from SEATCTL_ADMIN_KEYS.

    The scheduled jobs run ordinary commands (drift, usage sync, proposals) once per
    organization; this hands each the key its org.yaml names and never the map.
    Without a map the environment is passed on unchanged. Exits with COMMAND's code.

    \b
    Example:
      seatctl ci as-org orgs/eu --org eu -- seatctl drift orgs/eu --format markdown
    """
    import subprocess

    from reconciler.gitops.org_keys import org_env

    if not (policy_dir / "org.yaml").is_file():
        raise ConfigError(f"{policy_dir} holds no org.yaml",
                          hint="give the organization's folder before `--`: "
                          "seatctl ci as-org orgs/eu --org eu -- COMMAND")
    env = org_env(os.environ, "" if org == "default" else org, policy_dir)
    return subprocess.run(list(command), env=env, check=False).returncode


@ci.command("drift-issue")
@click.option("--report", "report", required=True,
              type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="The Markdown `seatctl drift` wrote.")
@click.option("--exit-code", "exit_code", type=int, required=True,
              help="`seatctl drift`'s exit code: 0 in sync, 2 drift, else an error.")
@click.option("--org", "org_key", default="default", show_default=True,
              help="The organization's key from `seatctl orgs list`: each organization has "
              "its own drift issue.")
def drift_issue(report: pathlib.Path, exit_code: int, org_key: str) -> int:
    """Open or update the drift issue; close it with a comment when drift is gone.

    \b
    Example:
      seatctl ci drift-issue --report drift.md --exit-code 2
    """
    from reconciler.gitops.drift_issue import sync_drift_issue
    from reconciler.gitops.github_api import GitHubApi

    api = GitHubApi.from_env(os.environ)
    if api is None:
        raise ConfigError("GITHUB_TOKEN and GITHUB_REPOSITORY are needed",
                          hint="pass `GITHUB_TOKEN: ${{ github.token }}` to the step")
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    click.echo(sync_drift_issue(api, text, exit_code, org_key))
    return 0 if exit_code in (0, 2) else 1


@ci.command("scheduled-apply")
@policy_dir_arg
@state_dir_option
@sandbox_option
def scheduled_apply(policy_dir: pathlib.Path, state_dir: pathlib.Path,
                    sandbox: str | None) -> int:
    """Apply the time-based part of the merged policy (expiries, sprint seats).

    \b
    Example:
      seatctl ci scheduled-apply policies
    """
    from reconciler.gitops import ghenv
    from reconciler.gitops.scheduled_apply import scheduled_apply as run

    got = run(policy_dir, state_dir, os.environ, _wiring(), sandbox=sandbox)
    click.echo(f"scheduled reconcile: {got.message}")
    ghenv.write_outputs(os.environ, {"outcome": got.outcome},
                        f"### seatctl scheduled reconcile\n\n{got.message}\n")
    return got.exit_code


@ci.command("proposals-pr")
@policy_dir_arg
@state_dir_option
@sandbox_option
@at_option("Evaluate as of this UTC date (default: the org's today); the branch is named "
           "for its month.")
@click.option("--org", "org_key", default="default", show_default=True,
              help="The organization's key from `seatctl orgs list` (its folder name); "
              "appended to the branch name unless it is `default`.")
@click.option("--push", "do_push", is_flag=True,
              help="Commit, push the branch and open or update the pull request "
              "(default: a dry run that only says what it would do).")
@click.option("--remote", default="origin", show_default=True,
              help="The git remote of the policy repository.")
@click.option("--base", "base", default=None,
              help="The pull request's base branch (default: GITHUB_REF_NAME, else HEAD's).")
def proposals_pr(policy_dir: pathlib.Path, state_dir: pathlib.Path, sandbox: str | None,
                 at: dt.date | None, org_key: str, do_push: bool, remote: str,
                 base: str | None) -> int:
    """Open or update the month's one pull request removing inactive seats.

    Reads the usage store in the state directory and the live org, proposes removing
    each seat idle for `usage.inactive_after_days` (seats released), and with --push
    commits that on `seatctl/proposals-YYYY-MM` as the bot and opens its PR.

    \b
    Example:
      seatctl ci proposals-pr policies --state-dir .seatctl --push
    """
    from reconciler import escape
    from reconciler.cli.demo import org_clock
    from reconciler.cli.usage_options import live_state
    from reconciler.gitops import ghenv
    from reconciler.gitops.github_api import GitHubApi
    from reconciler.gitops.proposals import branch_name, month_proposals
    from reconciler.gitops.proposals_pr import base_branch, dry_run, publish
    from reconciler.policy import load_policy
    from reconciler.usage.service import run_inactive
    from reconciler.usage.store import UsageStore

    policy = load_policy(policy_dir)
    today = at if at is not None else org_clock(sandbox, policy=policy).date()
    branch_name(today, org_key)  # an unusable key is refused before anything is read
    db = state_dir / "usage.db"
    if not db.is_file():
        raise ConfigError(f"usage store {db} does not exist",
                          hint="pull the state branch (`seatctl state pull`) or run "
                               "`seatctl usage sync --db` into it first")
    live = live_state(policy, sandbox, True)
    with UsageStore(str(db)) as store:
        inactive = run_inactive(policy, store, days=None, today=today, live=live)
    found = month_proposals(policy, inactive, today=today, live=live, org_key=org_key)
    if not do_push:
        got = dry_run(found, policy_dir)
    else:
        api = GitHubApi.from_env(os.environ)
        if api is None:
            raise ConfigError("GITHUB_TOKEN and GITHUB_REPOSITORY are needed to open the "
                              "pull request", hint="pass `GITHUB_TOKEN: ${{ github.token }}` "
                              "to the step, or leave out --push for a dry run")
        got = publish(found, _repo_root(), policy_dir, api=api,
                      base=base or base_branch(os.environ, _repo_root()), remote=remote)
    for line in got.lines:
        click.echo(line)
    ghenv.write_outputs(os.environ, got.outputs(), "### seatctl proposals\n\n" + "".join(
        f"- {escape.markdown(line)}\n" for line in got.lines))
    return 0


# ---------------------------------------------------------------------------
# seatctl state pull | push
# ---------------------------------------------------------------------------

branch_option = click.option("--branch", default="seatctl-state", show_default=True,
                             help="The branch of the policy repository that holds the state.")
remote_option = click.option("--remote", default="origin", show_default=True,
                             help="The git remote of the policy repository.")


@click.group("state")
def state() -> None:
    """Keep the state directory as commits on the `seatctl-state` branch.

    \b
    Example:
      seatctl state pull --state-dir .seatctl
    """


@state.command("pull")
@state_dir_option
@branch_option
@remote_option
@click.option("--if-readable", is_flag=True,
              help="A state branch that cannot be read (no credentials, no network) is a note, "
              "not an error: for a pull request's plan, which then reads the whole org.")
def pull(state_dir: pathlib.Path, branch: str, remote: str, if_readable: bool) -> int:
    """Copy the state branch's files into the state directory.

    \b
    Example:
      seatctl state pull --state-dir .seatctl
    """
    import git

    from reconciler import escape
    from reconciler.errors import SeatctlError
    from reconciler.gitops.state_branch import pull as do_pull

    try:
        tip = do_pull(_repo_root(), state_dir, remote=remote, branch=branch)
    except (SeatctlError, git.exc.GitError) as exc:
        if not if_readable:
            raise
        why = exc.message if isinstance(exc, SeatctlError) else type(exc).__name__
        click.echo(f"note: no state read ({escape.terminal(why)}); the plan reads the whole org",
                   err=True)
        return 0
    click.echo(f"state: {remote}/{branch} at {tip[:12]} → {state_dir}" if tip
               else f"state: {remote}/{branch} does not exist yet; starting empty")
    return 0


@state.command("push")
@state_dir_option
@branch_option
@remote_option
@click.option("--message", "-m", default="seatctl: state after a run", show_default=True,
              help="The commit message on the state branch.")
def push(state_dir: pathlib.Path, branch: str, remote: str, message: str) -> int:
    """Commit the state directory on the state branch and push (rebase and retry).

    \b
    Example:
      seatctl state push --state-dir .seatctl -m "seatctl: apply"
    """
    from reconciler.gitops.state_branch import push as do_push

    res = do_push(_repo_root(), state_dir, message=message, remote=remote, branch=branch)
    click.echo(f"state: {remote}/{branch} at {res.commit[:12]}"
               + ("" if res.changed else " (unchanged)")
               + (f" after {res.attempts} attempts" if res.attempts > 1 else ""))
    return 0


__all__ = ["ci", "init", "state"]
