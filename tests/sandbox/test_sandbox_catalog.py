"""Every organization endpoint of the installed SDK gets an answer from the sandbox: the
catalog matches the SDK's source, nothing answers a bare 404, seat endpoints are emulated.
Dates: the demo org on ``DEMO_DATE``."""

from __future__ import annotations

import ast
import pathlib
import re

import anthropic
import pytest
from conftest import ROOT

from reconciler.sandbox import catalog
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.store import SandboxStore

VERBS = {"_get": "GET", "_get_api_list": "GET", "_post": "POST", "_delete": "DELETE",
         "_patch": "PATCH", "_put": "PUT"}


def sdk_endpoints() -> set[str]:
    """``METHOD path`` of every sync organization method in the installed SDK's source."""
    root = pathlib.Path(anthropic.__file__).parent / "resources"
    found: set[str] = set()
    for sub in ("organization", "beta/organization"):
        for file in (root / sub).rglob("*.py"):
            for cls in ast.parse(file.read_text()).body:
                if not isinstance(cls, ast.ClassDef) or cls.name.startswith("Async") or (
                        "Response" in cls.name):
                    continue
                for node in ast.walk(cls):
                    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                            and node.func.attr in VERBS and node.args):
                        arg = node.args[0]
                        if isinstance(arg, ast.Call) and arg.args:
                            arg = arg.args[0]
                        assert isinstance(arg, ast.Constant), ast.unparse(arg)
                        path = str(arg.value).removeprefix(catalog.ORG)
                        found.add(f"{VERBS[node.func.attr]} {path}")
    return found


def test_catalog_is_the_installed_sdks_endpoint_list() -> None:
    assert set(catalog.SDK_ENDPOINTS) == sdk_endpoints()
    assert len(catalog.SDK_ENDPOINTS) == 157


def test_every_endpoint_catalogued_as_emulated_is_mounted() -> None:
    served = catalog.served_routes()
    assert catalog.unserved(served) == []
    kinds = [e.answer for e in catalog.catalog(served)]
    assert kinds.count("emulated") >= 50 and "beta_off" in kinds and "oauth_only" in kinds


def test_docs_table_is_the_catalog() -> None:
    doc = (ROOT / "docs" / "sandbox.md").read_text()
    assert catalog.markdown_table(catalog.served_routes()) in doc


@pytest.mark.parametrize("org_type", ["enterprise", "console"])
def test_no_sdk_endpoint_answers_a_bare_404(org_type: str) -> None:
    store = SandboxStore(":memory:")
    seed_demo(store, DEMO_DATE)
    store.configure_org(org_type=org_type)
    client = sandbox_client(store, max_retries=0)
    for entry in catalog.SDK_ENDPOINTS:
        method, path = entry.split(" ", 1)
        url = catalog.ORG + re.sub(r"\{[^}]+\}", "x_placeholder", path)
        resp = client.with_options(max_retries=0)._client.request(
            method, "http://sandbox.local" + url, headers={"x-api-key": client.api_key or "",
                                                           "content-type": "application/json"},
            content=b"{}" if method == "POST" else None)
        if resp.status_code == 404:
            message = resp.json()["error"]["message"]
            assert message != "Not found.", entry
        assert resp.status_code != 405, entry
        assert resp.headers["content-type"].startswith("application/json"), entry


def test_out_of_scope_answers_follow_the_sdk_docs() -> None:
    store = SandboxStore(":memory:")
    seed_demo(store, DEMO_DATE)
    client = sandbox_client(store, max_retries=0)
    with pytest.raises(anthropic.PermissionDeniedError, match="org:admin"):
        client.organization.service_accounts.list()
    with pytest.raises(anthropic.NotFoundError, match="not turned on"):
        client.beta.organization.webhooks.list()
    assert list(client.organization.external_keys.list()) == []
