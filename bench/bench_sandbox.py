"""The sandbox org's own costs: seeding a 100k org, and serving pages to the SDK.

- seed: ``seed_generated(store, 100_000, 5_000)``; baseline, same run: a bare
  ``executemany`` of the same 100k user tuples into an unindexed table (the SQLite floor).
- list: all 100k members through the official SDK at ``limit=1000`` (100 pages), in
  process and over a real socket; baseline: the same rows read straight from SQLite.
  The server-side request count must equal the pages required.
- one request: ``GET /v1/organizations/me`` round trip, in process vs real socket.
"""

from __future__ import annotations

import sqlite3

import anthropic

from bench.harness import Result, time_median
from reconciler.sandbox.app import create_app
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import generated_email, seed_generated
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.server import running_server
from reconciler.sandbox.store import SandboxStore

MEMBERS = 100_000
GROUPS = 5_000


def _bare_insert() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE u (id TEXT, email TEXT, name TEXT, role TEXT, added_at TEXT)")
    db.executemany("INSERT INTO u VALUES (?, ?, ?, ?, ?)",
                   ((f"user_{i}", generated_email(i), f"Member {i}", "user", "2026-01-01")
                    for i in range(MEMBERS)))
    db.close()


def _list_all(client: anthropic.Anthropic) -> int:
    return sum(1 for _ in client.organization.users.list(limit=1000))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def run() -> list[Result]:
    seed = time_median(lambda: seed_generated(SandboxStore(":memory:"), MEMBERS, GROUPS),
                       runs=3, warmup=0)
    bare = time_median(_bare_insert, runs=3, warmup=0)

    store = SandboxStore(":memory:")
    seed_generated(store, MEMBERS, GROUPS)
    floor = time_median(lambda: store.query("SELECT * FROM users ORDER BY seq DESC"), runs=3)
    client = sandbox_client(store, max_retries=0)
    store.reset_stats()
    assert _list_all(client) == MEMBERS
    pages = store.request_counts()["GET /v1/organizations/users"]
    in_process = time_median(lambda: _list_all(client), runs=3, warmup=0)
    me_in = time_median(client.organization.retrieve, runs=200, warmup=5)
    with running_server(create_app(store)) as url:
        remote = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=url, max_retries=0)
        socket = time_median(lambda: _list_all(remote), runs=3, warmup=0)
        me_socket = time_median(remote.organization.retrieve, runs=200, warmup=5)
    return [
        Result("sandbox: seed 100k members in 5k groups", _ms(seed.median_s), "a few s",
               f"bare executemany of the user rows: {_ms(bare.median_s)} "
               f"({seed.median_s / bare.median_s:.1f}x)"),
        Result("sandbox: list 100k members via SDK, in process", _ms(in_process.median_s), "",
               f"{pages} requests for 100 pages; raw SQLite read {_ms(floor.median_s)} "
               f"({in_process.median_s / floor.median_s:.0f}x)"),
        Result("sandbox: list 100k members via SDK, real socket", _ms(socket.median_s), "",
               f"{socket.median_s / in_process.median_s:.2f}x in process"),
        Result("sandbox: one GET /me round trip", _ms(me_in.median_s), "",
               f"real socket {_ms(me_socket.median_s)}"),
    ]
