"""``seatctl sandbox serve|reset|seed``: the local sandbox org from the command line."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from types import FrameType

import click

from reconciler.errors import ConfigError

DEFAULT_DB = os.path.join(".seatctl", "sandbox.db")
db_option = click.option(
    "--db", "db_path", default=DEFAULT_DB, show_default=True,
    help="SQLite file holding the sandbox org (':memory:' for a throwaway one).",
)  # fmt: skip


def _store(path: str):  # type: ignore[no-untyped-def]
    from reconciler.sandbox.store import SandboxStore

    return SandboxStore(path)


@click.group("sandbox")
def sandbox() -> None:
    """A local Admin API org the official SDK talks to unchanged (127.0.0.1 only)."""


@sandbox.command("serve")
@click.option("--port", default=8787, show_default=True, type=int, help="0 picks a free port.")
@db_option
@click.option("--seed-demo", is_flag=True, help="Seed the Acme demo org first.")
@click.option("--policy", "policy_root", default="policies", show_default=True,
              help="Policy whose Claude Code managed settings the demo org holds.")
@click.option(
    "--org-type",
    type=click.Choice(["enterprise", "console"]),
    default=None,
    help="Override the stored organization type.",
)
def serve(port: int, db_path: str, seed_demo: bool, policy_root: str,
          org_type: str | None) -> int:
    """Serve the sandbox Admin API on 127.0.0.1 until interrupted."""
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.app import create_app
    from reconciler.sandbox.demo import DEMO_DATE
    from reconciler.sandbox.routing import SANDBOX_KEY
    from reconciler.sandbox.server import running_server

    store = _store(db_path)
    if seed_demo:
        seed_demo_org(store, DEMO_DATE, policy_root)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        with running_server(create_app(store, org_type=org_type), port) as url:
            click.echo(f"Sandbox Admin API on {url} (db: {db_path})")
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
    """Empty the sandbox org (every member, invite, group, limit and analytics row)."""
    store = _store(db_path)
    store.reset()
    store.close()
    click.echo(f"Sandbox org in {db_path} is now empty.")
    return 0


@sandbox.command("seed")
@db_option
@click.option("--demo", is_flag=True, help="The Acme Corp demo org (docs/acme-demo.md).")
@click.option("--policy", "policy_root", default="policies", show_default=True,
              help="With --demo: the policy whose Claude Code managed settings the org holds.")
@click.option(
    "--members",
    type=click.IntRange(min=1),
    default=None,
    help="Generate a large org with this many members.",
)
@click.option("--groups", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--seed", "rng_seed", type=int, default=0, show_default=True)
@click.option("--drift-pct", type=click.FloatRange(0, 100), default=0.0, show_default=True)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date the org is seeded as of; the sandbox's clock is put on it for --demo "
    "(default: --demo the day the example policy is written for, 2026-11-25; "
    "generated orgs the sandbox's today).",
)
def seed(
    db_path: str,
    demo: bool,
    policy_root: str,
    members: int | None,
    groups: int,
    rng_seed: int,
    drift_pct: float,
    today: dt.datetime | None,
) -> int:
    """Replace the sandbox org with the demo org or a generated one."""
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.demo import DEMO_DATE, seed_generated

    if demo == (members is not None):
        raise ConfigError(
            "choose exactly one of --demo or --members N",
            hint="seatctl sandbox seed --demo  |  --members 1000 --groups 50",
        )
    store = _store(db_path)
    if demo:
        day = today.date() if today else DEMO_DATE
        with_settings = seed_demo_org(store, day, policy_root)
        extra = f", with the managed settings {policy_root} compiles to" if with_settings else ""
        click.echo(f"Seeded the Acme demo org in {db_path} (as of {day}{extra}).")
    else:
        assert members is not None
        day = today.date() if today else store.now().date()
        seed_generated(store, members, groups, seed=rng_seed, drift_pct=drift_pct, today=day)
        click.echo(f"Seeded {members} members in {groups} groups in {db_path}.")
    store.close()
    return 0
