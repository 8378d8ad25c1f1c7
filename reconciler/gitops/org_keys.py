"""Each organization's admin key in a several-organization repository.

Why one map: a reusable workflow receives only the secrets its caller passes by name
(``secrets: inherit`` works only inside one GitHub organization), and a matrix job
cannot pick a secret whose name is computed. So the caller passes ONE secret holding
a JSON object from organization folder to key, ``{"eu": "sk-ant-admin…", "us": …}``
(``read-keys`` for the plan and the check, ``SEATCTL_ADMIN_KEYS`` in the ``apply``
environment for the apply). The step of organization ``eu`` takes ``eu``'s key from
it and hands it to seatctl under the variable ``org.yaml`` names (``admin_key_env``);
the map itself never reaches the plan or apply process, so one organization's job
never holds another's key. No function here prints or returns a key in a message.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
from collections.abc import Iterator, Mapping

import yaml

from reconciler.errors import ConfigError

KEYS_ENV = "SEATCTL_ADMIN_KEYS"
DEFAULT_KEY_ENV = "SEATCTL_ADMIN_KEY"


def key_env_name(policy_dir: pathlib.Path) -> str:
    """The variable ``org.yaml`` reads the key from (``organization.admin_key_env``)."""
    try:
        doc = yaml.safe_load((policy_dir / "org.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return DEFAULT_KEY_ENV  # validation reports the file; the key goes where the default is
    org = doc.get("organization") if isinstance(doc, dict) else None
    name = org.get("admin_key_env") if isinstance(org, dict) else None
    return name if isinstance(name, str) and name.strip() else DEFAULT_KEY_ENV


def org_env(env: Mapping[str, str], org: str, policy_dir: pathlib.Path) -> dict[str, str]:
    """``env`` for organization ``org``: its key from the map, the map itself removed.

    Without a map (one key for every organization, or a sandbox) ``env`` is kept as is.
    """
    out = {k: v for k, v in env.items() if k != KEYS_ENV}
    raw = env.get(KEYS_ENV, "")
    if not org or not raw.strip():
        return out
    try:
        keys = json.loads(raw)
    except ValueError:
        keys = None
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError(f"{KEYS_ENV} is not a JSON object of organization folder to key",
                          hint='store the secret as {"eu": "<key>", "us": "<key>"} '
                          "(folder names under the policy root)")
    if not keys.get(org, "").strip():
        # the map's own names are not listed: a mistyped secret could hold a key there
        raise ConfigError(f"{KEYS_ENV} holds no key for organization folder {org!r}",
                          hint=f'add "{org}": "<key>" to the secret the workflow passes')
    out[key_env_name(policy_dir)] = keys[org]
    return out


@contextlib.contextmanager
def org_key(org: str, policy_dir: pathlib.Path) -> Iterator[None]:
    """This process's environment holds only ``org``'s key for the block (in-process plans)."""
    before = dict(os.environ)
    wanted = org_env(before, org, policy_dir)
    try:
        os.environ.clear()
        os.environ.update(wanted)
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)
