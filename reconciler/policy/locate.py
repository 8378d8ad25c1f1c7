"""Locate a JSON pointer in one policy file: the slow path, for findings only."""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.policy.byte_scan import _BOM
from reconciler.policy.yaml_nodes import _at, compose


@dataclass(frozen=True, slots=True)
class Location:
    """Where a JSON pointer lands in a file, and the scalar text written there."""

    line: int
    col: int
    text: str | None = None
    plain: bool = False


def locate(raw: bytes, pointer: str, *, key: bool = False) -> Location | None:
    """Slow path: re-compose one file and walk ``pointer`` (``/members/3/email``).

    ``key=True`` lands on the last key itself rather than its value (for unknown
    keys). Returns the deepest node reached when the path does not exist.
    """
    try:
        node: Node | None = compose(raw[len(_BOM):] if raw.startswith(_BOM) else raw)
    except (yaml.YAMLError, RecursionError):
        return None
    if node is None:
        return None
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    here: Node = node
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(here, MappingNode):
            match = next(((k, v) for k, v in here.value if k.value == part), None)
            if match is None:
                break
            here = match[0] if (last and key) else match[1]
        elif isinstance(here, SequenceNode) and part.isdigit() and int(part) < len(here.value):
            here = here.value[int(part)]
        else:
            break
    line, col = _at(here)
    if isinstance(here, ScalarNode):
        return Location(line, col, here.value, not here.style)  # libyaml: "" is plain
    return Location(line, col)
