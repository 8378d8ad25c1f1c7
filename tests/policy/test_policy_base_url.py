"""``organization.base_url``: the admin key goes over https, or plain http only to this
machine (issue 16, defect 8). Evaluated on the demo day, 2026-11-25 (``TODAY``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from policy_testkit import EXAMPLE, acme_copy, check, only

from reconciler.errors import ConfigError
from reconciler.model.endpoints import base_url_problem

ORG = (EXAMPLE / "org.yaml").read_text(encoding="utf-8")


def with_base_url(tmp_path: Path, url: str) -> Path:
    text = ORG.replace("  admin_key_env: SEATCTL_ADMIN_KEY\n",
                       f"  admin_key_env: SEATCTL_ADMIN_KEY\n  base_url: '{url}'\n", 1)
    assert text != ORG
    return acme_copy(tmp_path, {"org.yaml": text})


@pytest.mark.parametrize("url", ["http://attacker.example", "http://10.0.0.5:8080/v1",
                                 "http://127.0.0.1.attacker.example",
                                 "https://user:pw@api.example"])
def test_base_url_that_leaks_the_key_is_an_error_with_file_and_line(tmp_path: Path,
                                                                     url: str) -> None:
    root = with_base_url(tmp_path, url)
    found = only(check(root), "org.base-url")
    assert len(found) == 1 and found[0].severity == "error"
    res = run_cli("validate", str(root), "--at", "2026-11-25")
    assert res.exit_code == 1
    assert "org.yaml:8:13: error: base_url" in res.stdout, res.stdout
    assert "loopback" in res.stdout  # the hint says what to do


@pytest.mark.parametrize("url", ["https://api.example", "http://127.0.0.1:8765",
                                 "http://localhost:9000", "http://[::1]:80"])
def test_https_or_loopback_http_is_accepted(tmp_path: Path, url: str) -> None:
    assert not only(check(with_base_url(tmp_path, url)), "org.base-url")


def test_the_provider_refuses_a_remote_http_url_even_without_validation() -> None:
    from reconciler.connect import open_provider
    from reconciler.policy import load_policy

    policy = load_policy(EXAMPLE)
    with pytest.raises(ConfigError, match="refusing to send the admin key unencrypted"):
        open_provider(policy, base_url="http://attacker.example",
                      env={"SEATCTL_ADMIN_KEY": "sk-ant-admin-canary"})
    assert base_url_problem("http://127.0.0.2") == ""
    assert base_url_problem("ftp://127.0.0.1") == "over ftp"
