"""The policy fingerprint a plan carries: the policy's content, not where it sits.

The reviewed plan is made in the pull request's checkout and applied from another
checkout of the same commit (the merge job), so the fingerprint must not depend on the
directory; any change to what the policy says must change it.
"""

from __future__ import annotations

import pathlib
import shutil

from conftest import EXAMPLE_POLICIES

from reconciler.plan.fingerprint import policy_fingerprint
from reconciler.policy import load_policy


def test_the_same_policy_in_two_checkouts_has_one_fingerprint(tmp_path: pathlib.Path) -> None:
    a, b = tmp_path / "pr" / "policies", tmp_path / "merge" / "deep" / "policies"
    shutil.copytree(EXAMPLE_POLICIES, a)
    shutil.copytree(EXAMPLE_POLICIES, b)
    assert policy_fingerprint(load_policy(a)) == policy_fingerprint(load_policy(b))


def test_a_changed_limit_changes_the_fingerprint(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, root)
    before = policy_fingerprint(load_policy(root))
    org = root / "org.yaml"
    assert "max_removals: 5" in org.read_text()
    org.write_text(org.read_text().replace("max_removals: 5", "max_removals: 6"))
    assert policy_fingerprint(load_policy(root)) != before
