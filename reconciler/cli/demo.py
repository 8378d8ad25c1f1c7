"""The Acme demo org for ``--demo`` paths and ``seatctl sandbox seed --demo``.

Why in the CLI layer: the demo org must hold the Claude Code managed settings the
example policy compiles to (they are not one of its four drifts), and only the CLI
may both compile policies and seed the sandbox (the sandbox imports neither
``policy`` nor ``settings``). Every command that seeds the demo calls
``seed_demo_org`` so they all show the same org.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import pathlib
import sqlite3
import tempfile
from collections.abc import Callable, Iterator

from reconciler.errors import ConfigError, SeatctlError
from reconciler.model import OrgType, Policy
from reconciler.sandbox.demo import DEMO_DATE, DemoManagedSettings, seed_demo
from reconciler.sandbox.store import SandboxStore

#: ``connect.DEFAULT_SANDBOX_DB``, restated so reading a clock needs no SDK
DEFAULT_SANDBOX_DB = "sandbox.db"


def demo_managed_settings(policy: Policy) -> DemoManagedSettings | None:
    """What ``policy`` compiles to as managed settings, or None when it sets none
    (Console, or no role carries settings)."""
    from reconciler.settings.compile import carries_settings
    from reconciler.settings.desired import desired_managed_settings

    if policy.org_type is not OrgType.ENTERPRISE or not any(
        carries_settings(r) for r in policy.roles.values()
    ):
        return None
    desired = desired_managed_settings(policy)
    return DemoManagedSettings(
        groups=tuple((name, desired.groups[name].settings or {}) for name in desired.order),
        default=desired.default if desired.default_set else None,
        mode=desired.mode,
    )


def _policy_at(root: pathlib.Path) -> Policy | None:
    from reconciler.policy import load_policy

    if not (root / "org.yaml").is_file() and not (root / "org.yml").is_file():
        return None
    try:
        return load_policy(root)
    except SeatctlError:  # a broken policy seeds the demo without settings; validate says why
        return None


def seed_demo_org(
    store: SandboxStore,
    today: dt.date,
    policy_root: str | pathlib.Path = "policies",
    *,
    policy: Policy | None = None,
) -> bool:
    """Seed the Acme demo org as of ``today``, with the managed settings of ``policy``
    (else of the policy at ``policy_root``, when it exists and loads), and put the
    sandbox's clock on ``today``. True when settings were seeded."""
    chosen = policy if policy is not None else _policy_at(pathlib.Path(policy_root))
    settings = demo_managed_settings(chosen) if chosen is not None else None
    seed_demo(store, today, managed_settings=settings)
    store.set_date(today)
    return settings is not None


def org_clock(sandbox: str | None, demo: bool = False,
              policy: Policy | None = None) -> dt.datetime:
    """The live organization's time, which a command evaluates the policy at by default.

    A sandbox keeps its own clock (``seatctl sandbox seed --demo`` puts it on
    ``DEMO_DATE``, the day the example policy is written for); ``--demo`` reads a
    throwaway demo org on that day; the real organization lives on UTC now. A policy
    with ``provider: sandbox`` reads the default sandbox database.
    """
    if sandbox is None and policy is not None and policy.provider == "sandbox":
        sandbox = DEFAULT_SANDBOX_DB
    if demo:
        return dt.datetime.combine(DEMO_DATE, dt.time(12), tzinfo=dt.UTC)
    if sandbox and sandbox != ":memory:" and pathlib.Path(sandbox).is_file():
        try:
            store = SandboxStore(sandbox)
        except sqlite3.Error:  # not a sandbox: opening the provider says so
            return dt.datetime.now(dt.UTC).replace(microsecond=0)
        try:
            return store.now()
        finally:
            store.close()
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def org_clock_fn(sandbox: str | None) -> Callable[[], dt.datetime]:
    """A ticking ``org_clock``: its offset from UTC is read once, for a long apply."""
    skew = org_clock(sandbox) - dt.datetime.now(dt.UTC).replace(microsecond=0)
    return lambda: dt.datetime.now(dt.UTC) + skew


@contextlib.contextmanager
def sandbox_path(
    sandbox: str | None,
    demo: bool,
    today: dt.date,
    *,
    policy: Policy | None = None,
    policy_root: str | pathlib.Path = "policies",
) -> Iterator[str | None]:
    """The sandbox database a ``--sandbox``/``--demo`` command reads: the one given, a
    throwaway seeded demo (deleted on exit), or None for the real organization."""
    if sandbox and demo:
        raise ConfigError("--sandbox and --demo exclude each other", hint="pass one of them")
    if not demo:
        yield sandbox
        return
    with tempfile.TemporaryDirectory(prefix="seatctl-demo-") as tmp:
        path = str(pathlib.Path(tmp) / "demo.db")
        store = SandboxStore(path)
        try:
            seed_demo_org(store, today, policy_root, policy=policy)
        finally:
            store.close()
        yield path
