"""JSON Schema (2020-12) for the three policy file kinds.

Pass/fail runs on a compiled validator (jsonschema-rs: one to two orders of magnitude
faster than pure Python on 100k member records). Only a
file that fails is handed to ``jsonschema``'s ``iter_errors`` for every error with its
path, which ``friendly`` turns into findings with line, column and a hint.

The schemas ship inside the package (``reconciler/schemas/``); ``schemas/`` at the
repository root holds identical copies for editors (a test keeps them identical).
Each schema is checked with ``check_schema`` when first loaded, so a damaged or
wrong-draft schema stops validation with its own error instead of passing everything.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from reconciler.policy import messages as M
from reconciler.policy.findings import Finding

DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("org", "roles", "team")


class SchemaBroken(Exception):
    """A schema file is unreadable, not 2020-12, or not a valid schema."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def schema_texts(schema_dir: Path | None = None) -> dict[str, str]:
    """The JSON text of each schema (``seatctl schema export`` writes these)."""
    out = {}
    for kind in KINDS:
        name = f"{kind}.schema.json"
        if schema_dir is None:
            out[name] = resources.files("reconciler").joinpath("schemas", name).read_text("utf-8")
        else:
            out[name] = (schema_dir / name).read_text("utf-8")
    return out


@dataclass(frozen=True)
class Schema:
    """One loaded, checked schema with its fast pass/fail function."""

    kind: str
    document: dict[str, Any]
    is_valid: Callable[[Any], bool]

    def iter_errors(self, instance: Any) -> Iterator[jsonschema.ValidationError]:
        validator = jsonschema.Draft202012Validator(self.document)
        return validator.iter_errors(instance)  # type: ignore[no-any-return]


def _compile(document: dict[str, Any]) -> Callable[[Any], bool]:
    import jsonschema_rs

    check_rs = jsonschema_rs.Draft202012Validator(document).is_valid

    def is_valid_rs(instance: Any) -> bool:
        try:
            return bool(check_rs(instance))
        except ValueError:  # a value JSON has no type for (a YAML date): invalid
            return False

    return is_valid_rs


@functools.lru_cache(maxsize=8)
def load_schemas(schema_dir: Path | None = None) -> dict[str, Schema]:
    """Load and check all schemas once per directory (``None``: the packaged ones)."""
    try:
        texts = schema_texts(schema_dir)
    except OSError as exc:
        raise SchemaBroken(str(schema_dir), exc.strerror or str(exc)) from None
    out = {}
    for kind in KINDS:
        name = f"{kind}.schema.json"
        try:
            document = json.loads(texts[name])
        except json.JSONDecodeError as exc:
            raise SchemaBroken(name, f"not JSON: {exc}") from None
        if not isinstance(document, dict) or document.get("$schema") != DRAFT:
            declared = document.get("$schema") if isinstance(document, dict) else None
            raise SchemaBroken(name, f"declares draft {declared!r}, expected {DRAFT}")
        try:
            jsonschema.Draft202012Validator.check_schema(document)
        except jsonschema.SchemaError as exc:
            raise SchemaBroken(name, exc.message) from None
        out[kind] = Schema(kind, document, _compile(document))
    return out


# --- friendly messages -------------------------------------------------------------

def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def where(path: Any) -> str:
    """``members[3].role`` for people; the JSON pointer goes in ``Finding.pointer``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "top level"


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text"


_EXPECTED = {"string": "a string", "integer": "a whole number", "number": "a number",
             "boolean": "true or false", "object": "a mapping", "array": "a list"}


@dataclass(frozen=True, slots=True)
class RawError:
    """A schema error before it has a line: code, message, hint, pointer, and whether
    the location is the key itself (unknown keys) rather than its value."""

    msg: M.Msg
    fields: dict[str, Any]
    pointer: str
    at_key: bool = False
    scalar_hint: bool = False


def _short(value: Any, limit: int = 80) -> str:
    """``repr`` of a value, cut to ``limit`` characters (a finding never echoes a
    megabyte back)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 1]}… ({len(text):,} characters)"


def friendly(error: jsonschema.ValidationError) -> list[RawError]:
    """One jsonschema error → one or more located-later errors with hints."""
    path = list(error.absolute_path)
    here = where(path)
    ptr = _pointer(path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        out = []
        for key in error.instance:
            if key in known or any(re.search(p, key) for p in patterns):
                continue
            close = difflib.get_close_matches(key, known, n=1)
            allowed = ", ".join(known) if known else "keys matching " + ", ".join(patterns)
            if close:
                allowed = f"did you mean {close[0]!r}? {allowed}"
            out.append(RawError(M.SCHEMA_UNKNOWN_KEY, {"key": key, "where": here,
                                                     "allowed": allowed},
                                _pointer([*path, key]), at_key=True))
        return out
    if error.validator == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        fields = {"where": here, "expected": " or ".join(_EXPECTED.get(n, n) for n in names),
                  "got": kind_of(error.instance), "hint": "see the schema description"}
        return [RawError(M.SCHEMA_TYPE, fields, ptr, scalar_hint="string" in names)]
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        return [RawError(M.SCHEMA_REQUIRED, {"where": here, "key": k}, ptr) for k in missing]
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        folded = [v for v in error.validator_value
                  if isinstance(v, str) and str(error.instance).lower() == v.lower()]
        if folded:
            allowed = f"did you mean {folded[0]!r}? {allowed}"
        return [RawError(M.SCHEMA_ENUM, {"where": here, "value": error.instance,
                                         "allowed": allowed}, ptr)]
    if error.validator == "maxLength" and isinstance(error.instance, str):
        return [RawError(M.SCHEMA_TOO_LONG, {"where": here, "length": len(error.instance),
                                             "limit": error.validator_value}, ptr)]
    if error.validator == "maximum" and isinstance(error.instance, int | float):
        value = f"{error.instance:.4g}" if abs(error.instance) >= 1e9 else f"{error.instance:,}"
        return [RawError(M.SCHEMA_TOO_BIG, {"where": here, "value": value,
                                            "limit": error.validator_value}, ptr)]
    message = error.message
    if len(message) > 300:  # never echo a huge value back (it may not even be text)
        message = f"{_short(error.instance)} is not valid here"
    if error.validator in ("pattern", "anyOf", "format") and "description" in schema:
        message = f"{_short(error.instance)} has the wrong form ({schema['description']})"
    return [RawError(M.SCHEMA_OTHER, {"where": here, "message": message}, ptr)]


def schema_findings(schema: Schema, data: Any, file: str,
                    locate: Callable[[str, bool], tuple[int, int, str | None, bool]]
                    ) -> list[Finding]:
    """Every schema error of one failing file, located through ``locate(pointer, at_key)``."""
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for error in schema.iter_errors(data):
        for raw in friendly(error):
            line, col, text, plain = locate(raw.pointer, raw.at_key)
            fields = dict(raw.fields)
            if raw.scalar_hint and text is not None and plain:
                fields["got"] = f"{fields['got']} (`{text}` unquoted)"
                fields["hint"] = M.QUOTE_HINT.format(quoted=json.dumps(text))
            message = raw.msg.message.format(**fields)
            if (raw.pointer, message) in seen:
                continue
            seen.add((raw.pointer, message))
            found.append(Finding.at(file, line, col, "error", raw.msg.code, message,
                                 raw.msg.hint.format(**fields), raw.pointer))
    return found
