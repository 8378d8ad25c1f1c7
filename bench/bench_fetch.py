"""fetch() of a 100,000-member sandbox org: time, and list requests vs pages required.

The org is ``seed_generated(store, 100_000, 100)``: 100 RBAC groups of 1,000
members. Pages required at ``limit=1000``: 100 user pages + 1 invite page + 1 group
page + 100 group-member pages + 1 spend-limit page = 203. The provider's own count
and the sandbox's server-side count must both equal that.

Baseline, measured in the same run: the SDK's own auto-pagination over the same
endpoints (``for u in client.organization.users.list(limit=1000)`` and each group's
members), i.e. the same requests with the SDK's unvalidated models. The ratio is
what strict checking and state building cost on top of the wire.
"""

from __future__ import annotations

import math

import anthropic

from bench.harness import Result, time_median
from reconciler.model import OrgType
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.sandbox.app import create_app
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import seed_generated
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.server import running_server
from reconciler.sandbox.store import SandboxStore

MEMBERS = 100_000
GROUPS = 100
PAGES = math.ceil(MEMBERS / 1000) + 1 + 1 + GROUPS * math.ceil(MEMBERS / GROUPS / 1000) + 1


def _sdk_baseline(client: anthropic.Anthropic) -> int:
    rows = sum(1 for _ in client.organization.users.list(limit=1000))
    rows += sum(1 for _ in client.organization.invites.list(limit=1000))
    for group in client.organization.rbac_groups.list(limit=1000):
        rows += sum(1 for _ in client.organization.rbac_groups.members.list(group.id, limit=1000))
    rows += sum(1 for _ in client.beta.organization.spend_limits.list(limit=1000))
    return rows


def run() -> list[Result]:
    store = SandboxStore(":memory:")
    seed_generated(store, MEMBERS, GROUPS)

    provider = AnthropicProvider(sandbox_client(store, max_retries=0),
                                 org_type=OrgType.ENTERPRISE, key_env_name="SEATCTL_ADMIN_KEY")
    store.reset_stats()
    live = provider.fetch()
    assert len(live.members) == MEMBERS
    list_requests = provider.stats.list_requests
    server_requests = sum(store.request_counts().values())

    in_process = time_median(provider.fetch, runs=3, warmup=0)
    baseline = time_median(lambda: _sdk_baseline(sandbox_client(store, max_retries=0)),
                           runs=3, warmup=0)

    app = create_app(store)
    with running_server(app) as url:
        client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=url, max_retries=0)
        http_provider = AnthropicProvider(client, org_type=OrgType.ENTERPRISE,
                                          key_env_name="SEATCTL_ADMIN_KEY")
        over_http = time_median(http_provider.fetch, runs=3, warmup=1)

    ratio = in_process.median_s / baseline.median_s
    return [
        Result(
            "fetch: 100k members + 100 groups, in-process sandbox",
            f"{in_process.median_s:.2f} s",
            "",
            f"SDK auto-pagination of the same endpoints: {baseline.median_s:.2f} s "
            f"(provider takes {ratio:.2f}x the SDK's time)",
        ),
        Result(
            "fetch: 100k members + 100 groups, real HTTP on 127.0.0.1",
            f"{over_http.median_s:.2f} s",
            "",
            "uvicorn sandbox in a thread of the same process",
        ),
        Result(
            "fetch: list requests vs pages required",
            f"{list_requests} requests (server counted {server_requests})",
            f"= {PAGES} pages",
            "equal" if list_requests == server_requests == PAGES else "MISMATCH",
        ),
    ]


if __name__ == "__main__":
    for result in run():
        print(result.row())
