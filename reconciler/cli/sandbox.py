"""``seatctl sandbox serve|reset|seed``: the local sandbox org from the command line."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import signal
import threading
import time
from types import FrameType

import click

from reconciler.cli.options import at_option, policy_dir_argument, sandbox_option
from reconciler.errors import ConfigError

DEFAULT_DB = os.path.join(".seatctl", "sandbox.db")
#: ``--sandbox PATH`` (old spelling ``--db``), the sandbox org's database.
db_option = sandbox_option(
    "SQLite file holding the sandbox org (':memory:' for a throwaway one).",
    "db_path", default=DEFAULT_DB,
)


def _store(path: str):  # type: ignore[no-untyped-def]
    from reconciler.sandbox.store import SandboxStore

    return SandboxStore(path)


@click.group("sandbox")
def sandbox() -> None:
    """A local Admin API org the official SDK talks to unchanged (127.0.0.1 only).

    \b
    Example:
      seatctl sandbox seed --demo && seatctl sandbox serve --port 8787
    """


@sandbox.command("serve")
@click.option("--port", default=8787, show_default=True, type=int, help="0 picks a free port.")
@db_option
@click.option("--seed-demo", is_flag=True, help="Seed the Acme demo org first.")
@policy_dir_argument("policy_root", aliases=("--policy",))
@click.option(
    "--org-type",
    type=click.Choice(["enterprise", "console"]),
    default=None,
    help="Override the stored organization type.",
)
@click.option("--accept-key-env", "accept_key_env", default=None, metavar="VAR",
              help="Also accept the key in this environment variable (full access), e.g. the "
              "fixed key of the SDK's generated tests in the conformance run.")
@click.option("--rate-limit", "rate_limit", type=click.FloatRange(min=1), default=None,
              metavar="PER_MINUTE",
              help="Answer 429 above this many Admin API requests per minute (100 is the "
              "documented limit; invite creation is then held to 1,200/hour). Off by default.")
@click.option("--rate-window", "rate_window", type=click.FloatRange(1, 3600), default=60.0,
              show_default=True, metavar="SECONDS",
              help="Count --rate-limit over a sliding window of this length; a shorter one "
              "scales a run down (600/min over 10 s is still 100 per window).")
def serve(port: int, db_path: str, seed_demo: bool, policy_root: pathlib.Path,
          org_type: str | None, accept_key_env: str | None, rate_limit: float | None,
          rate_window: float) -> int:
    """Serve the sandbox Admin API on 127.0.0.1 until interrupted.

    \b
    Example:
      seatctl sandbox serve --port 0 --sandbox .seatctl/sandbox.db --rate-limit 100
    """
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.app import create_app
    from reconciler.sandbox.demo import DEMO_DATE
    from reconciler.sandbox.faults import RateLimits
    from reconciler.sandbox.routing import SANDBOX_KEY
    from reconciler.sandbox.server import running_server

    keys: dict[str, frozenset[str] | None] = {SANDBOX_KEY: None}
    if accept_key_env is not None:
        extra = (os.environ.get(accept_key_env) or "").strip()
        if not extra:
            raise ConfigError(f"--accept-key-env {accept_key_env}: the variable is not set",
                              hint=f"export {accept_key_env}=<key the sandbox should accept>")
        keys[extra] = None
    store = _store(db_path)
    if seed_demo:
        seed_demo_org(store, DEMO_DATE, policy_root)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        limits = None if rate_limit is None else RateLimits(requests_per_minute=rate_limit,
                                                            window_s=rate_window)
        app = create_app(store, org_type=org_type, keys=keys, rate_limits=limits)
        with running_server(app, port) as url:
            click.echo(f"Sandbox Admin API on {url} (db: {db_path})")
            if limits is not None:
                click.echo(f"  rate limit: {limits.requests_per_window} requests per "
                           f"{limits.window_s:g} s window (429 above it)")
            click.echo(f"  base URL: {url}   sandbox key: {SANDBOX_KEY}")
            click.echo("  Ctrl-C to stop.", err=True)
            try:
                while not stop.is_set():
                    time.sleep(0.2)
            except KeyboardInterrupt:
                pass
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
            hint="pick another --port, or 0 for any free port",
        ) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        store.close()
    return 0


@sandbox.command("reset")
@db_option
def reset(db_path: str) -> int:
    """Empty the sandbox org (every member, invite, group, limit and analytics row).

    \b
    Example:
      seatctl sandbox reset --sandbox .seatctl/sandbox.db
    """
    store = _store(db_path)
    store.reset()
    store.close()
    click.echo(f"Sandbox org in {db_path} is now empty.")
    return 0


@sandbox.command("seed")
@db_option
@click.option("--demo", is_flag=True, help="The Acme Corp demo org (docs/acme-demo.md).")
@policy_dir_argument("policy_root", aliases=("--policy",))
@click.option(
    "--members",
    type=click.IntRange(min=1),
    default=None,
    help="Generate a large org with this many members.",
)
@click.option("--groups", type=click.IntRange(min=0), default=10, show_default=True,
              help="With --members: how many SCIM groups to spread them over.")
@click.option("--seed", "rng_seed", type=int, default=0, show_default=True,
              help="With --members: the random seed (the same seed, the same org).")
@click.option("--drift-pct", type=click.FloatRange(0, 100), default=0.0, show_default=True,
              help="With --members: percent of members whose live role differs from the "
              "generated policy.")
@at_option("Date the org is seeded as of; the sandbox's clock is put on it for --demo "
           "(default: --demo the day the example policy is written for, 2026-11-25; "
           "generated orgs the sandbox's today).", dest="today")
def seed(
    db_path: str,
    demo: bool,
    policy_root: pathlib.Path,
    members: int | None,
    groups: int,
    rng_seed: int,
    drift_pct: float,
    today: dt.date | None,
) -> int:
    """Replace the sandbox org with the demo org or a generated one.

    \b
    Example:
      seatctl sandbox seed --demo --sandbox .seatctl/sandbox.db
    """
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.demo import DEMO_DATE, seed_generated

    if demo == (members is not None):
        raise ConfigError(
            "choose exactly one of --demo or --members N",
            hint="seatctl sandbox seed --demo  |  --members 1000 --groups 50",
        )
    store = _store(db_path)
    if demo:
        day = today or DEMO_DATE
        with_settings = seed_demo_org(store, day, policy_root)
        extra = f", with the managed settings {policy_root} compiles to" if with_settings else ""
        click.echo(f"Seeded the Acme demo org in {db_path} (as of {day}{extra}).")
    else:
        assert members is not None
        day = today or store.now().date()
        seed_generated(store, members, groups, seed=rng_seed, drift_pct=drift_pct, today=day)
        click.echo(f"Seeded {members} members in {groups} groups in {db_path}.")
    store.close()
    return 0


def _source_client(source_db: str | None, base_url: str | None, key_env: str):  # type: ignore[no-untyped-def]
    """An SDK client for the org to clone: a sandbox file, or an Admin API URL + key."""
    import anthropic

    if (source_db is None) == (base_url is None):
        raise ConfigError(
            "choose exactly one source: --from SRC.db or --base-url URL",
            hint="seatctl sandbox clone --from prod-copy.db --sandbox rehearsal.db  |  "
            "--base-url https://api.anthropic.com (key from --key-env)",
        )
    if source_db is not None:
        from reconciler.sandbox.client import sandbox_client

        if not os.path.exists(source_db):
            raise ConfigError(f"--sandbox {source_db}: no such sandbox database",
                              hint="give the path of a sandbox .db file")  # fmt: skip
        return sandbox_client(_store(source_db), max_retries=2)
    assert base_url is not None
    _check_base_url(base_url)
    key = (os.environ.get(key_env) or "").strip()
    if not key:
        raise ConfigError(
            f"the admin key is missing: environment variable {key_env} is not set",
            hint=f"export {key_env}=<read-only admin key>, or name another with --key-env",
        )
    return anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=2)


def _check_base_url(url: str) -> None:
    """https anywhere, plain http only to this machine: the key must not travel in clear."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    loopback = host == "localhost"
    try:
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and loopback:
        return
    from reconciler import escape

    raise ConfigError(
        f"--base-url {escape.terminal(url)}: must be https://, or http:// to a loopback address",
        hint="the admin key is sent to this URL; use the API's https address or a local sandbox",
    )


@sandbox.command("clone")
@db_option
@click.option("--from", "source_db", type=click.Path(dir_okay=False), default=None,
              metavar="PATH", help="Clone the org in this sandbox database.")
@click.option("--base-url", default=None,
              help="Clone the org behind this Admin API URL (https, or http to 127.0.0.1).")
@click.option("--key-env", default="SEATCTL_ADMIN_KEY", show_default=True,
              help="With --base-url: environment variable holding a read-only admin key.")
@click.option("--pseudonymise", is_flag=True,
              help="Replace emails and names with keyed pseudonyms (domains are kept).")
@click.option("--pseudonym-key-env", default="SEATCTL_PSEUDONYM_KEY", show_default=True,
              help="With --pseudonymise: environment variable holding the pseudonym key; the "
              "same key gives the same pseudonyms (unset: a random key, this clone only).")
@click.option("--analytics-days", type=click.IntRange(0, 366), default=0, show_default=True,
              help="Also copy this many days of per-member analytics (Enterprise), ending "
              "the day before --analytics-until.")
@click.option("--analytics-until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="With --analytics-days: the day after the last day copied (default: today, "
              "UTC).")
@click.option("--force", is_flag=True,
              help="Replace a --sandbox database that already holds an org.")
def clone(db_path: str, source_db: str | None, base_url: str | None, key_env: str,
          pseudonymise: bool, pseudonym_key_env: str, analytics_days: int,
          analytics_until: dt.datetime | None, force: bool) -> int:
    """Copy a live org (read-only) into a sandbox database, to rehearse a change on it.

    Members, invites, RBAC groups and their members, roles, spend limits, workspaces
    and Claude Code managed settings are copied with their IDs; then run `plan`/`apply`
    with `--sandbox PATH` and `seatctl sandbox diff` to see what the rehearsal changed.

    \b
    Example:
      seatctl sandbox clone --base-url https://api.anthropic.com --sandbox rehearsal.db
    """
    import secrets

    import anthropic

    from reconciler import escape
    from reconciler.sandbox.clone import Pseudonymiser, clone_org

    if source_db is not None and os.path.abspath(source_db) == os.path.abspath(db_path):
        raise ConfigError("--from and --sandbox are the same file",
                          hint="clone into a new --sandbox database")  # fmt: skip
    client = _source_client(source_db, base_url, key_env)
    target = _store(db_path)
    try:
        held = target.scalar("SELECT COUNT(*) FROM users WHERE deleted = 0")
        if held and not force:
            raise ConfigError(f"{db_path} already holds an org ({held} members)",
                              hint="choose a new --sandbox database, or pass --force "
                              "to replace it")
        pseudo = None
        if pseudonymise:
            key = os.environ.get(pseudonym_key_env) or ""
            if not key:
                click.echo(f"note: {pseudonym_key_env} is not set: pseudonyms use a random key "
                           "and will differ in the next clone", err=True)  # fmt: skip
            pseudo = Pseudonymiser(key.encode() if key else secrets.token_bytes(32))
        until = analytics_until.date() if analytics_until else dt.datetime.now(dt.UTC).date()
        days = [until - dt.timedelta(days=n) for n in range(analytics_days, 0, -1)]
        try:
            result = clone_org(client, target, pseudonymise=pseudo, analytics_days=days)
        except anthropic.APIStatusError as exc:
            raise ConfigError(
                f"the source answered {exc.status_code} to {exc.request.url.path}: "
                f"{escape.terminal(exc.message)}",
                hint="use a key that can read members, invites, groups and spend limits; "
                "nothing was written to " + db_path,
            ) from None
        except anthropic.APIConnectionError:
            raise ConfigError("cannot reach the source organization",
                              hint="check --base-url and the network") from None  # fmt: skip
    finally:
        target.close()
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.counts.items() if v)
    click.echo(f"Cloned a Claude {result.org_type} org into {db_path}: {counts or 'empty'}"
               f"{' (pseudonymised)' if pseudo else ''}.")  # fmt: skip
    click.echo(f"  {result.requests} read requests (one per page).")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"next: seatctl plan POLICY --sandbox {db_path}; apply it there; then "
               f"seatctl sandbox diff BEFORE.db {db_path}", err=True)
    return 0


@sandbox.command("diff")
@click.argument("before", type=click.Path(dir_okay=False, exists=True))
@click.argument("after", type=click.Path(dir_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the differences.")
def diff(before: str, after: str, fmt: str) -> int:
    """What changed from sandbox BEFORE to sandbox AFTER (exit 0 none, 2 some).

    \b
    Example:
      seatctl sandbox diff before.db .seatctl/rehearsal.db
    """
    import json

    from reconciler import escape
    from reconciler.sandbox.diff import diff_stores

    a, b = _store(before), _store(after)
    try:
        changes = diff_stores(a, b)
    finally:
        a.close()
        b.close()
    if fmt == "json":
        click.echo(json.dumps({"changes": [c.as_json() for c in changes]}, indent=2))
    else:
        mark = {"added": "+", "removed": "-", "changed": "~"}
        for c in changes:
            detail = f"  {escape.terminal(c.detail)}" if c.detail else ""
            click.echo(f"{mark[c.action]} {c.kind} {escape.terminal(c.key)}{detail}")
        click.echo(f"{len(changes)} difference(s) between {before} and {after}.")
    return 2 if changes else 0
