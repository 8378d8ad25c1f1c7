"""``seatctl audit verify | show | prune``: read and keep the apply audit log.

Thin: each command calls one function of ``reconciler.apply.audit`` and renders.
``verify`` exits 0 when the chain holds and 1 naming the first bad entry; ``show``
prints records with every control character escaped (a name from the API can never
move the cursor or forge a line); ``prune`` keeps ``audit.retention_days`` from
``org.yaml`` (default 365) and records the prune in the log itself (the record that
confirms the anchor header).
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import Any

import click

from reconciler.apply import audit as audit_log
from reconciler.cli.options import policy_dir_argument
from reconciler.errors import AuditError, ConfigError

log_option = click.option(
    "--log", "log_path", type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=pathlib.Path(".seatctl") / "audit.jsonl", show_default=True,
    help="The audit log file.")


@click.group("audit")
def audit() -> None:
    """Verify, read and prune the hash-chained apply audit log.

    \b
    Example:
      seatctl audit verify --log .seatctl/audit.jsonl
    """


@audit.command("verify")
@log_option
@click.option("--head", default=None, metavar="SEQ:HASH",
              help="The head kept outside the log (job summary, last-apply.json in git): "
              "the log must end exactly there, so truncation, appended lines and a "
              "re-chained log are detected. A bare HASH only has to be in the log.")
def verify(log_path: pathlib.Path, head: str | None) -> int:
    """Recompute the hash chain; exit 0 if intact, 1 naming the first bad entry.

    \b
    Example:
      seatctl audit verify --log .seatctl/audit.jsonl
    """
    report = audit_log.verify(log_path, head=head)
    if not report.ok:
        raise AuditError(
            f"audit log {log_path} does not verify: entry {report.bad_index} (line "
            f"{report.bad_line}): {report.problem}",
            hint="keep this copy as evidence and compare it with the CI artifact",
        )
    click.echo(f"audit log {log_path}: {report.entries} entries, chain intact, "
               f"head {report.anchor}")
    return 0


def _since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--since {value!r} is not a date",
                          hint="use YYYY-MM-DD or an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _safe(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=True)
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def _line(rec: dict[str, Any]) -> str:
    change = rec.get("change") or {}
    what = f"{change.get('kind')} {change.get('target')}" if change else rec.get("event", "")
    status = rec.get("outcome", "")
    extra = [f"req {rec['request_id']}" if rec.get("request_id") else "",
             f"error: {rec['error']}" if rec.get("error") else ""]
    tail = "  ".join(x for x in extra if x)
    parts = [rec.get("time", ""), f"{rec.get('kind', ''):<7}", f"{status:<12}", what,
             f"by {rec.get('actor', '?')} run {rec.get('run_id', '?')}", tail]
    return _safe("  ".join(str(p) for p in parts if p != ""))


@audit.command("show")
@log_option
@click.option("--since", default=None, help="Only records at or after this date/time (UTC).")
@click.option("--member", default=None, help="Only records about this email.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the records.")
def show(log_path: pathlib.Path, since: str | None, member: str | None, fmt: str) -> int:
    """Print audit records, oldest first (JSON Lines with --format json).

    \b
    Example:
      seatctl audit show --member ana@acme.example --format json
    """
    records = audit_log.show(log_path, since=_since(since), member=member)
    for rec in records:
        click.echo(audit_log.canonical(rec) if fmt == "json" else _line(rec))
    if fmt == "text":
        click.echo(f"{len(records)} record(s)", err=True)
    return 0


@audit.command("prune")
@log_option
@click.option("--retention-days", type=click.IntRange(1, None), default=None,
              help="Keep this many days (default: org.yaml audit.retention_days, else 365).")
@policy_dir_argument(aliases=("--policy-dir",))
def prune(log_path: pathlib.Path, retention_days: int | None, policy_dir: pathlib.Path) -> int:
    """Drop whole entries older than the retention; the kept chain still verifies.

    \b
    Example:
      seatctl audit prune --retention-days 365 policies
    """
    days = retention_days or _retention_from(policy_dir)
    now = dt.datetime.now(dt.UTC)
    actor = audit_log.current_actor()
    report = audit_log.prune(log_path, days, now,
                             context={"actor": actor.name, "run_id": actor.run_id})
    click.echo(f"audit log {log_path}: removed {report.removed} entries older than {days} "
               f"days, kept {report.kept}")
    return 0


def _retention_from(policy_dir: pathlib.Path) -> int:
    if not (policy_dir / "org.yaml").is_file():
        return 365
    from reconciler.policy import load_policy

    return load_policy(policy_dir).audit.retention_days


__all__ = ["audit"]
