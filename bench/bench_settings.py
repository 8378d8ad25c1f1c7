"""Managed settings: compile, no-op diff of 200 group documents, run-time validation.

Baselines in the same run: deepdiff as the equality test (instead of canonical JSON)
and pure-Python jsonschema (instead of the compiled validator).
"""

from __future__ import annotations

import json
from types import MappingProxyType

from deepdiff import DeepDiff
from jsonschema import Draft202012Validator

from bench.harness import Result, time_median
from reconciler.model import GroupSettings, ManagedSettingsState, Role
from reconciler.settings.compile import FEATURES, SettingsContext, compile_role_settings
from reconciler.settings.diff import diff_settings
from reconciler.settings.schema import SUPPORTED_SETTINGS_SCHEMA, settings_errors

GROUPS = 200


def _roles() -> list[Role]:
    return [
        Role(f"role{i}", f"Role {i}", "user", "standard", features=(FEATURES[i % 5],
             FEATURES[(i + 2) % 5]), priority=i, group=f"g{i}")  # fmt: skip
        for i in range(GROUPS)
    ]


def run() -> list[Result]:
    ctx = SettingsContext("Bench Org", org_uuid="00000000-0000-4000-8000-000000000000")
    roles = _roles()
    docs = {r.group: compile_role_settings(r, ctx) for r in roles if r.group}
    compile_t = time_median(lambda: [compile_role_settings(r, ctx) for r in roles])
    desired = ManagedSettingsState("rbac_groups", tuple(docs), MappingProxyType(
        {n: GroupSettings(n, d, role=n) for n, d in docs.items()}))  # fmt: skip
    ids = {n: f"rbac_group_{n}" for n in docs}
    live = ManagedSettingsState("rbac_groups", tuple(ids.values()), MappingProxyType(
        {ids[n]: GroupSettings(n, d, ids[n]) for n, d in docs.items()}), order_version="v")
    noop = time_median(lambda: diff_settings(desired, live, ids))
    assert diff_settings(desired, live, ids) == []
    copies = {n: json.loads(json.dumps(d)) for n, d in docs.items()}
    deep = time_median(lambda: [DeepDiff(d, copies[n]) for n, d in docs.items()], runs=3)
    fast = time_median(lambda: [settings_errors(d) for d in docs.values()])
    slow_v = Draft202012Validator(SUPPORTED_SETTINGS_SCHEMA)
    slow = time_median(lambda: [list(slow_v.iter_errors(d)) for d in docs.values()], runs=3)
    return [
        Result("settings: compile 200 role documents", f"{compile_t.median_s * 1000:.1f} ms"),
        Result("settings: no-op diff of 200 group documents (canonical JSON)",
               f"{noop.median_s * 1000:.1f} ms",
               note=f"deepdiff equality: {deep.median_s * 1000:.0f} ms "
                    f"({deep.median_s / noop.median_s:.0f}x slower)"),  # fmt: skip
        Result("settings: validate 200 documents (jsonschema-rs)",
               f"{fast.median_s * 1000:.1f} ms",
               note=f"jsonschema: {slow.median_s * 1000:.0f} ms "
                    f"({slow.median_s / fast.median_s:.0f}x slower)"),  # fmt: skip
    ]


if __name__ == "__main__":
    for result in run():
        print(result.row())
