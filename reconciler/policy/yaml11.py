"""YAML 1.1's reading of plain scalars, as PyYAML's safe loader has it, in one place.

The strict loader resolves tags with it; the fast path checks with it that yaml-rs
(which reads YAML 1.2) read nothing differently. ``no`` is false, ``3.10`` is 3.1,
``0123`` is 83 and ``2024-01-02`` a date here, so the schema can refuse them in text
fields with a quoting hint.
"""

from __future__ import annotations

from typing import Any

import yaml

#: PyYAML's C-accelerated safe loader where libyaml is present.
BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Deepest nesting a policy file may have (lists and mappings).
MAX_DEPTH = 64

T = "tag:yaml.org,2002:"
STR, MAP, SEQ, MERGE = T + "str", T + "map", T + "seq", T + "merge"
TIMESTAMP = T + "timestamp"
#: Keys whose unquoted date values stay text (every date field of the three schemas).
DATE_KEYS = frozenset({"expires", "start", "end"})
_SAFE = yaml.constructor.SafeConstructor()
#: Tag → constructor (from a ScalarNode) of every implicit non-text scalar.
SCALARS: dict[str, Any] = {
    T + "int": _SAFE.construct_yaml_int,
    T + "float": _SAFE.construct_yaml_float,
    T + "bool": _SAFE.construct_yaml_bool,
    T + "null": lambda node: None,
    TIMESTAMP: _SAFE.construct_yaml_timestamp,
}
#: Tag → how a finding names the kind of value.
KIND = {T + "int": "a number", T + "float": "a number", T + "bool": "a boolean",
        T + "null": "null", TIMESTAMP: "a date"}
#: YAML 1.1 implicit resolvers by first character (plain scalars only): text whose
#: first character is not a key here is always text.
FIRST: dict[str, list[tuple[str, Any]]] = BaseLoader.yaml_implicit_resolvers


def plain_tag(value: str) -> str:
    """The tag YAML 1.1 gives ``value`` written as a plain (unquoted, untagged) scalar."""
    for tag, regexp in FIRST.get(value[:1], ()):
        if regexp.match(value):
            return tag
    return STR
