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
def serve(port: int, db_path: str, seed_demo: bool, policy_root: pathlib.Path,
          org_type: str | None) -> int:
    """Serve the sandbox Admin API on 127.0.0.1 until interrupted.

    \b
    Example:
      seatctl sandbox serve --port 0 --sandbox .seatctl/sandbox.db
    """
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
