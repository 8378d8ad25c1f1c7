"""The conformance runner's own logic, without downloading the SDK: the seed holds an
object under each placeholder ID, every listed reason is a known one, and an unlisted
failure would fail the run. Dates: the seed puts the org on ``DEMO_DATE``."""

from __future__ import annotations

import pathlib
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT))
from reconciler.sandbox.client import sandbox_client  # noqa: E402
from reconciler.sandbox.demo import DEMO_DATE  # noqa: E402
from reconciler.sandbox.store import SandboxStore  # noqa: E402
from tests.conformance import run_sdk_conformance as runner  # noqa: E402
from tests.conformance.seed import seed_conformance  # noqa: E402


def test_seed_answers_the_placeholder_ids(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "e.db")
    seed_conformance(path, "enterprise")
    store = SandboxStore(path)
    assert store.now().date() == DEMO_DATE
    client = sandbox_client(store, max_retries=0, _strict_response_validation=True)
    assert client.organization.users.retrieve("user_id").role == "user"
    assert client.organization.invites.retrieve("invite_id").status == "pending"
    assert client.organization.rbac_groups.retrieve("rbac_group_id").name == "placeholder-group"
    assert client.organization.rbac_roles.retrieve("rbac_role_id").id == "rbac_role_id"
    requests = client.organization.spend_limits.increase_requests
    assert requests.retrieve("spend_limit_increase_request_id").status == "pending"
    console = str(tmp_path / "c.db")
    seed_conformance(console, "console")
    c2 = sandbox_client(SandboxStore(console), max_retries=0, _strict_response_validation=True)
    assert c2.organization.workspaces.retrieve("workspace_id").name == "Placeholder"
    assert c2.organization.api_keys.retrieve("api_key_id").status == "active"


def test_every_listed_failure_has_a_known_reason() -> None:
    expected = runner.load_expected()
    known = {reason for _, reason in runner.REASONS}
    assert expected, "expected_failures.txt is empty"
    assert {r for r in expected.values()} <= known
    assert all(r.startswith("placeholder") for r in expected.values())
    assert not [t for t, r in expected.items() if r.startswith("UNCLASSIFIED")]


def test_an_unknown_failure_is_unclassified() -> None:
    assert runner.reason_for("KeyError: 'x'").startswith("UNCLASSIFIED")
    assert runner.reason_for("... User 'user_id' not found. ...").startswith("placeholder id")
    assert runner.catalogued("403 ... requires an OAuth access token with the org:admin scope")
    assert runner.catalogued("404 Organization webhooks is not turned on for this organization.")
    assert runner.catalogued("User 'user_id' not found.") is None
