"""The CI glue the workflows call: the sticky PR comment, outputs and job summary.

``python -m reconciler.gitops.ci pr-comment ...`` turns the plan step's Markdown (and
its exit code) into ONE comment body that starts with the hidden marker the workflow
searches for, caps it below GitHub's 65,536-character limit (the full plan stays in
the artifact), appends it to ``$GITHUB_STEP_SUMMARY`` and writes ``exitcode``,
``blocked`` and ``comment-path`` to ``$GITHUB_OUTPUT``.
``policy-diff`` prints only what the pull request changes in the policy (fork pull
requests, which get no credentials for a live plan).

The pure part is ``build_comment``; ``main`` is the edge (files, environment).
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
from collections.abc import Mapping, Sequence

import click

from reconciler import escape
from reconciler.errors import SeatctlError

MARKER = "<!-- seatctl-plan -->"
#: GitHub rejects comments over 65,536 characters; keep a margin for the footer.
COMMENT_LIMIT = 60_000

STATUS_LINES = {
    0: "✅ **No changes**: the live organization already matches this policy.",
    2: "📝 **Changes**: merging applies the plan below.",
}


def status_line(exit_code: int, blocked: bool, status: str = "") -> str:
    """The one line that says what a plan (or an organization's section) came to.

    ``status`` replaces the line derived from the exit code when the caller knows
    better (a fork PR's skipped live plan is not "No changes").
    """
    if status:
        return status
    if blocked:
        return "⛔ **Blocked**: a guard refuses this plan (see the findings below)."
    if exit_code in STATUS_LINES:
        return STATUS_LINES[exit_code]
    return f"❌ **Error** (exit {exit_code}): seatctl could not produce a plan."


def _lead(exit_code: int, blocked: bool, stderr: str, note: str, status: str) -> list[str]:
    """Status line, note and error text: what every comment or section starts with."""
    parts = [status_line(exit_code, blocked, status), ""]
    if note:
        parts += [f"> {note}", ""]
    err = stderr.strip()
    if err and (exit_code not in (0, 2) or blocked):
        safe = err.replace("```", "'''")
        parts += ["```text", safe[-4000:], "```", ""]
    return parts


def _fit(body: str, room: int) -> str:
    """The body without stray markers (one marker only, ours, at the very top: a
    renderer may carry its own), cut to ``room`` characters with a pointer to the artifact."""
    text = "\n".join(ln for ln in body.rstrip().splitlines() if ln.strip() != MARKER)
    if len(text) > room:
        cut = "\n\n… (truncated; the full plan is in the `seatctl-plan` artifact)"
        text = text[: max(0, room - len(cut))].rstrip() + cut
    return text


def _footer(head_sha: str) -> str:
    return f"\n\n<sub>seatctl · head {head_sha[:12]}</sub>\n" if head_sha else "\n"


def build_comment(body: str, *, exit_code: int, blocked: bool, stderr: str = "",
                  note: str = "", head_sha: str = "", limit: int = COMMENT_LIMIT,
                  status: str = "", title: str = "seatctl plan") -> str:
    """The sticky comment: marker, one status line, the plan, and any error text."""
    head = "\n".join([MARKER, f"## {title}", "", *_lead(exit_code, blocked, stderr, note,
                                                        status)])
    footer = _footer(head_sha)
    return head + _fit(body, limit - len(head) - len(footer)) + footer


def build_section(heading: str, body: str, *, exit_code: int, blocked: bool,
                  stderr: str = "", status: str = "", limit: int = COMMENT_LIMIT) -> str:
    """One organization's part of a several-organization comment (no marker, no footer).

    ``heading`` is Markdown the caller escaped (it names the organization).

    Why the same pieces as ``build_comment``: a reader of a two-organization comment
    must find each organization's status, error text and plan where a one-organization
    comment puts them, and the same size cap keeps the whole comment under GitHub's limit.
    """
    head = "\n".join([f"### {heading}", "", *_lead(exit_code, blocked, stderr, "", status)])
    return head + _fit(body, limit - len(head)) + "\n"


def compose_comment(sections: Sequence[str], *, untouched: Sequence[str] = (),
                    head_sha: str = "", title: str = "seatctl plan",
                    limit: int = COMMENT_LIMIT) -> str:
    """ONE sticky comment holding a section per organization the pull request touches.

    Each section keeps an equal share of the limit (re-cut here, so a section built
    with a larger limit still fits); organizations the change does not reach are
    listed on one line, so a reader knows they were considered, not forgotten.
    """
    names = ", ".join(escape.markdown_code(n) for n in untouched)
    lead = [MARKER, f"## {title}", ""]
    if not sections:
        lead += ["ℹ️ **No organization touched**: this change reaches no organization's "
                 "policy folder.", ""]
    if names:
        lead += [f"Not touched (no live read): {names}", ""]
    head = "\n".join(lead) + "\n"
    footer = _footer(head_sha)
    share = max(200, (limit - len(head) - len(footer)) // max(1, len(sections)) - 2)
    body = "\n\n".join(_fit(s, share) for s in sections)
    return head + body + footer


def write_outputs(env: Mapping[str, str], outputs: Mapping[str, str], summary: str) -> None:
    """Append to ``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY`` when they are set."""
    out = env.get("GITHUB_OUTPUT")
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            for key, value in outputs.items():
                if "\n" in value:
                    raise ValueError(f"output {key} must be one line")
                fh.write(f"{key}={value}\n")
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write(summary)


def _blocked_from(plan_json: pathlib.Path | None) -> bool:
    if plan_json is None or not plan_json.exists():
        return False
    try:
        return bool(json.loads(plan_json.read_text(encoding="utf-8")).get("blocked"))
    except (OSError, ValueError):
        return False


@click.group()
def cli() -> None:
    """CI helpers for the seatctl workflows."""


@cli.command("pr-comment")
@click.option("--body", "body_path", required=True,
              type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option("--exit-code", "exit_code", required=True, type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False,
                                                               path_type=pathlib.Path))
@click.option("--stderr", "stderr_path", type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option("--plan-json", "plan_json", type=click.Path(dir_okay=False, path_type=pathlib.Path))
@click.option("--note", default="")
def pr_comment(body_path: pathlib.Path, exit_code: int, out: pathlib.Path,
               stderr_path: pathlib.Path | None, plan_json: pathlib.Path | None,
               note: str) -> int:
    """Write the sticky comment body, the job summary and the step outputs."""
    body = body_path.read_text(encoding="utf-8") if body_path.exists() else ""
    stderr = stderr_path.read_text(encoding="utf-8") if stderr_path and stderr_path.exists() \
        else ""
    blocked = _blocked_from(plan_json)
    comment = build_comment(body, exit_code=exit_code, blocked=blocked, stderr=stderr,
                            note=note, head_sha=os.environ.get("GITHUB_SHA", ""))
    out.write_text(comment, encoding="utf-8")
    write_outputs(os.environ, {"exitcode": str(exit_code), "blocked": str(blocked).lower(),
                               "comment-path": str(out)}, comment)
    return 0


@cli.command("policy-diff")
@click.argument("policy_dir", required=False, default="policies",
                type=click.Path(file_okay=False, path_type=pathlib.Path))
@click.option("--base", default="auto", show_default=True,
              help="Base ref or commit; `auto` reads the pull request's base from CI.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="markdown")
def policy_diff_cmd(policy_dir: pathlib.Path, base: str, fmt: str) -> int:
    """Print what this branch changes in the policy against its base (no live read)."""
    from reconciler.gitops.policy_diff import policy_diff
    from reconciler.gitops.render_policy_diff import (
        render_policy_diff_markdown,
        render_policy_diff_text,
    )

    diff = policy_diff(pathlib.Path.cwd(), base, policy_dir)
    render = render_policy_diff_markdown if fmt == "markdown" else render_policy_diff_text
    click.echo(render(diff), nl=False)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        rv = cli.main(args=list(argv) if argv is not None else None,
                      prog_name="python -m reconciler.gitops.ci", standalone_mode=False)
    except SeatctlError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
