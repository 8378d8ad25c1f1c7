"""JSON Schemas: 2020-12, strict, described, shipped identically, checked at startup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import run_cli
from policy_testkit import EXAMPLE, acme_copy, check, only

from reconciler.policy.loader import parse_document
from reconciler.policy.schema import KINDS, load_schemas, schema_texts

REPO = Path(__file__).resolve().parents[2]


def walk(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        out.append((path, node))
        for key in ("properties", "patternProperties", "$defs"):
            for name, sub in node.get(key, {}).items():
                out += walk(sub, f"{path}/{key}/{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                out += walk(node[key], f"{path}/{key}")
        for key in ("anyOf", "oneOf", "allOf"):
            for i, sub in enumerate(node.get(key, [])):
                out += walk(sub, f"{path}/{key}/{i}")
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_2020_12_strict_and_described(kind: str) -> None:
    doc = json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text())
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"].endswith(f"{kind}.schema.json")
    jsonschema.Draft202012Validator.check_schema(doc)
    for path, node in walk(doc):
        if node.get("type") == "object" and not path.endswith("claude_code_settings"):
            assert node.get("additionalProperties") is False, path
        for name, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{path}/properties/{name}"


def test_repo_schemas_equal_packaged_and_exported(tmp_path: Path) -> None:
    for name, text in schema_texts().items():
        assert (REPO / "schemas" / name).read_text() == text
    res = run_cli("schema", "export", str(tmp_path / "out"))
    assert res.exit_code == 0
    for name, text in schema_texts().items():
        assert (tmp_path / "out" / name).read_text() == text


def test_every_example_file_names_its_schema() -> None:
    files = [EXAMPLE / "org.yaml", EXAMPLE / "roles.yaml", *sorted(EXAMPLE.glob("teams/*.yaml"))]
    for f in files:
        first = f.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), f
        target = (f.parent / first.split("=", 1)[1]).resolve()
        assert target.is_file(), target


def test_guide_blocks_validate_verbatim() -> None:
    org = load_schemas()["org"]
    data = parse_document((EXAMPLE / "org.yaml").read_bytes(), "org.yaml").data
    assert org.is_valid(data)
    text = (EXAMPLE / "org.yaml").read_text()
    for block in ("seat_policy:", "overflow_threshold: 80%", "dynamic_seating:",
                  "scaling_rules:", "offset: -2d", "retentionDays: 90", "lowUtilization:",
                  "highUsage:", "code_suggestions_accepted"):
        assert block in text
    assert check(EXAMPLE) == []


TYPOS = [
    ("member-rol", "teams/platform.yaml", "    role: developer", "    rol: developer",
     "/members/2/rol", "did you mean 'role'"),
    ("member-emial", "teams/platform.yaml", "  - email: bob.martin@acme.example",
     "  - emial: bob.martin@acme.example", "/members/2/emial", "did you mean 'email'"),
    ("team-seats", "teams/platform.yaml", "allocated_seats: 8", "seats: 8", "/seats",
     "allowed keys"),
    ("org-nested", "org.yaml", "  max_removals: 5", "  max_removal: 5", "/safety/max_removal",
     "did you mean 'max_removals'"),
]


@pytest.mark.parametrize("rel, old, new, pointer, hint", [c[1:] for c in TYPOS],
                         ids=[c[0] for c in TYPOS])
def test_typo_key_is_named_with_pointer_and_line(tmp_path: Path, rel: str, old: str, new: str,
                                                 pointer: str, hint: str) -> None:
    text = (EXAMPLE / rel).read_text()
    assert old in text
    lines = text.splitlines()
    index = next(i for i, ln in enumerate(lines) if ln.startswith(old))
    replaced = "\n".join(lines[:index] + [lines[index].replace(old, new)] + lines[index + 1:])
    root = acme_copy(tmp_path, {rel: replaced + "\n"})
    found = only(check(root), "schema.unknown-key")
    assert [f.pointer for f in found] == [pointer]
    assert found[0].line == index + 1
    assert hint in found[0].hint
    res = run_cli("validate", str(root), "--format", "json")
    assert res.exit_code == 1
    [typo] = [f for f in json.loads(res.stdout)["findings"] if f["code"] == "schema.unknown-key"]
    assert typo["pointer"] == pointer and typo["line"] == index + 1


def test_broken_or_wrong_draft_schema_is_a_startup_error(tmp_path: Path) -> None:
    for name, text in schema_texts().items():
        (tmp_path / name).write_text(text)
    doc = json.loads(schema_texts()["team.schema.json"])
    doc["$schema"] = "http://json-schema.org/draft-07/schema#"
    (tmp_path / "team.schema.json").write_text(json.dumps(doc))
    found = check(EXAMPLE, schema_dir=tmp_path)
    assert [f.code for f in found] == ["schema.broken"]
    assert "draft-07" in found[0].message
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["properties"]["name"]["type"] = "text"
    bad = tmp_path / "broken"
    bad.mkdir()
    for name, text in schema_texts().items():
        (bad / name).write_text(text)
    (bad / "team.schema.json").write_text(json.dumps(doc))
    found = check(EXAMPLE, schema_dir=bad)
    assert [f.code for f in found] == ["schema.broken"]
