"""open_provider: the key from the named variable, sandbox or real API, clear config errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib

import pytest

from reconciler.connect import open_provider
from reconciler.errors import ConfigError
from reconciler.model import OrgState, OrgType, Policy, Safety, SeatBudget, UsageSettings
from reconciler.providers.factory import capabilities
from reconciler.sandbox.app import create_app
from reconciler.sandbox.demo import seed_demo
from reconciler.sandbox.server import running_server
from reconciler.sandbox.store import SandboxStore

KEY_ENV = "SEATCTL_FACTORY_TEST_KEY"
REAL_KEY = "sk-ant-admin01-factory-test-key"


def policy(**changes: object) -> Policy:
    base = Policy(
        org_name="Acme Corp",
        org_type=OrgType.ENTERPRISE,
        provider="anthropic",
        admin_key_env=KEY_ENV,
        budget=SeatBudget(50, {}, "standard"),
        safety=Safety(),
        usage=UsageSettings(),
        roles={},
        teams={},
        assignments={},
        desired=OrgState(OrgType.ENTERPRISE, {}),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def sandbox_db(tmp_path: pathlib.Path) -> str:
    path = str(tmp_path / "sandbox.db")
    store = SandboxStore(path)
    seed_demo(store, dt.date(2026, 11, 20))
    store.close()
    return path


def test_sandbox_path_needs_no_key(sandbox_db: str) -> None:
    provider = open_provider(policy(), sandbox=sandbox_db, env={})
    assert len(provider.fetch().members) == 19


def test_provider_sandbox_in_org_yaml_uses_the_default_file(
    sandbox_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(pathlib.Path(sandbox_db).parent)
    provider = open_provider(policy(provider="sandbox"), env={})
    assert len(provider.fetch().members) == 19


def test_sandbox_of_the_other_org_type_is_refused(sandbox_db: str) -> None:
    with pytest.raises(ConfigError, match="enterprise organization but org.yaml says"):
        open_provider(policy(org_type=OrgType.CONSOLE), sandbox=sandbox_db, env={})


def test_a_missing_key_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=KEY_ENV) as err:
        open_provider(policy(), env={"OTHER": "x"})
    assert "export" in (err.value.hint or "")
    with pytest.raises(ConfigError, match=KEY_ENV):
        open_provider(policy(), env={KEY_ENV: "   "})


def test_unknown_provider_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown provider"):
        open_provider(policy(provider="okta"), env={KEY_ENV: REAL_KEY})


@pytest.mark.network
def test_real_api_path_uses_the_key_and_base_url_from_org_yaml(sandbox_db: str) -> None:
    store = SandboxStore(sandbox_db)
    app = create_app(store, keys={REAL_KEY: None})
    with running_server(app) as url:
        from_yaml = open_provider(policy(base_url=url), env={KEY_ENV: REAL_KEY})
        assert len(from_yaml.fetch().members) == 19
        flag = open_provider(policy(base_url="http://unused.invalid"), base_url=url,
                             env={KEY_ENV: REAL_KEY})
        assert len(flag.fetch().members) == 19


def test_capabilities_follow_the_org_type() -> None:
    enterprise, console = capabilities("enterprise"), capabilities(OrgType.CONSOLE)
    assert enterprise.rbac_groups and enterprise.spend_limits and not enterprise.workspaces
    assert console.workspaces and not console.rbac_groups and not console.spend_limits
