"""An interrupted full read resumes where it stopped: no page read twice, none skipped.

Why: at 100 requests/minute a 100,000-member full read is 52 minutes, and a CI job
that is cancelled near the end must not start over from page one. The sandbox's own
counters show the two runs together make exactly the pages one read needs. Times
are fixed (``AT``, on the demo day); the org is generated directly.
"""

from __future__ import annotations

import datetime as dt
import math
import pathlib

import pytest

from reconciler.model import OrgType
from reconciler.plan import fingerprint
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.resume import PROGRESS_FILE, ReadProgress
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, seed_generated
from reconciler.sandbox.store import SandboxStore

AT = dt.datetime.combine(DEMO_DATE, dt.time(8), tzinfo=dt.UTC)
MEMBERS, GROUPS = 2_400, 6


def _provider(store: SandboxStore, state: pathlib.Path, now: dt.datetime) -> AnthropicProvider:
    provider = AnthropicProvider(sandbox_client(store, max_retries=0),
                                 org_type=OrgType.ENTERPRISE, key_env_name="SEATCTL_ADMIN_KEY")
    provider.progress = ReadProgress(state, org_type=OrgType.ENTERPRISE, now=lambda: now,
                                     save_every_s=0.0)
    return provider


def _served(store: SandboxStore) -> int:
    return sum(store.request_counts().values())


def test_a_cancelled_read_resumes_without_reading_a_page_twice(tmp_path: pathlib.Path,
                                                               monkeypatch) -> None:
    store = SandboxStore(":memory:")
    seed_generated(store, MEMBERS, GROUPS, today=DEMO_DATE)
    pages = (math.ceil(MEMBERS / 1000) + 1 + 1
             + GROUPS * math.ceil(MEMBERS / GROUPS / 1000) + 1)
    first = _provider(store, tmp_path, AT)
    real = AnthropicProvider._read_group_members
    calls = {"n": 0}

    def cancelled_at_the_fourth_group(self, group_id, by_id):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the CI job is cancelled
        return real(self, group_id, by_id)

    monkeypatch.setattr(AnthropicProvider, "_read_group_members", cancelled_at_the_fourth_group)
    store.reset_stats()
    with pytest.raises(KeyboardInterrupt):
        first.fetch()
    done_before = _served(store)
    assert (tmp_path / PROGRESS_FILE).is_file()
    monkeypatch.setattr(AnthropicProvider, "_read_group_members", real)

    second = _provider(store, tmp_path, AT + dt.timedelta(minutes=20))
    assert second.progress is not None and second.progress.resumed
    live = second.fetch()
    assert second.resumed_from == AT  # as old as the read it finished
    assert _served(store) == pages  # the two runs together: the floor, nothing repeated
    assert _served(store) - done_before == 3 * math.ceil(MEMBERS / GROUPS / 1000) + 1
    assert fingerprint(live) == fingerprint(_provider(store, tmp_path / "x", AT).fetch())
    assert not (tmp_path / PROGRESS_FILE).exists()  # finished: nothing left to resume


def test_a_stale_progress_file_is_not_used(tmp_path: pathlib.Path) -> None:
    store = SandboxStore(":memory:")
    seed_generated(store, 300, 3, today=DEMO_DATE)
    progress = ReadProgress(tmp_path, org_type=OrgType.ENTERPRISE, now=lambda: AT)
    progress.done_members({})
    later = ReadProgress(tmp_path, org_type=OrgType.ENTERPRISE,
                         now=lambda: AT + dt.timedelta(hours=7))
    assert not later.resumed and later.members is None
