"""The policy layer's entry points: ``validate_policy`` and ``load_policy``.

Layers, each reporting every finding it can before the next runs:
files (count and size limits) → strict YAML (``loader``) → JSON Schema (``schema``) →
build model objects (``orgfile``, ``compile``) → semantic rules (``rules``) →
compile the desired ``OrgState``. Findings without a line yet (rules name a JSON
pointer) are located at the end by re-reading only the files that have findings.

Many team files are parsed in a process pool (fork; two cores roughly halve the
parse time of a 5,000-file policy); few files, or a process with other threads
running, parse in-process.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from reconciler.errors import PolicyError
from reconciler.heap import gc_paused
from reconciler.model import Policy, Role, SourceRef
from reconciler.policy import messages as M
from reconciler.policy import rules
from reconciler.policy.compile import TeamBuilder, build_roles, compile_desired, today_or
from reconciler.policy.document import Document
from reconciler.policy.findings import Finding, sort_findings
from reconciler.policy.loader import MAX_FILE_BYTES, locate, read_document
from reconciler.policy.members import MemberIndex, Row, member_rows
from reconciler.policy.orgfile import OrgSettings, build_org
from reconciler.policy.schema import SchemaBroken, load_schemas, schema_findings

MAX_FILES = 20_000
#: Below this many team files a process pool costs more than it saves.
POOL_MIN_FILES = 400

ExtraCheck = Callable[[Path, Policy | None], list[Finding]]


@dataclass(frozen=True)
class ValidationResult:
    """Every finding (sorted), and the compiled policy when there is no error."""

    policy: Policy | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _first(root: Path, *names: str) -> Path | None:
    return next((root / n for n in names if (root / n).is_file()), None)


def _suffix(name: str) -> str:
    """``PurePath(name).suffix`` without building a path."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def _team_files(root: Path) -> list[str]:
    """Paths (as ``str(root / "teams" / name)``) of the team files, sorted by name."""
    teams = root / "teams"
    if not teams.is_dir():
        return []
    base = str(teams)
    with os.scandir(teams) as it:
        names = sorted(e.name for e in it if _suffix(e.name) in (".yaml", ".yml") and e.is_file())
    return [os.path.join(base, name) for name in names]


def _display(root: Path, path: Path) -> str:
    return str(root / path.relative_to(root))


@dataclass(frozen=True, slots=True)
class TeamFile:
    """A parsed team file as a worker returns it. When it passed the schema, its
    members travel as ``rows`` and are dropped from ``doc.data`` (4x cheaper to send);
    otherwise ``doc.data`` is complete for the schema's error messages."""

    doc: Document
    valid: bool
    rows: tuple[Row, ...] = ()
    findings: tuple[Finding, ...] = ()


def _slim(doc: Document) -> Document:
    assert doc.data is not None
    data = {k: v for k, v in doc.data.items() if k != "members"}
    children = {k: v for k, v in doc.children.items() if k != "members"}
    return Document(doc.path, doc.fs_path, data, doc.positions, children, doc.findings)


#: A ``TeamFile`` as plain tuples between processes (pickles in half the time of the
#: dataclasses, unpickles in 40 %): Document fields, then valid, rows, findings.
_Wire = tuple[str, str, Any, Any, Any, tuple[Finding, ...], bool, tuple[Row, ...],
              tuple[Finding, ...]]


def _to_wire(tf: TeamFile) -> _Wire:
    d = tf.doc
    return (d.path, d.fs_path, d.data, d.positions, d.children, d.findings, tf.valid,
            tf.rows, tf.findings)


def _from_wire(w: _Wire) -> TeamFile:
    return TeamFile(Document(w[0], w[1], w[2], w[3], w[4], w[5]), w[6], w[7], w[8])


def _read_chunk(paths: Sequence[str], max_bytes: int, schema_dir: Path | None,
                allowed: frozenset[str] | None) -> list[_Wire]:
    """Worker: parse team files, run the compiled schema check, extract member rows."""
    with gc_paused():
        return [_to_wire(tf) for tf in _read_items(paths, max_bytes, schema_dir, allowed)]


def _read_items(paths: Sequence[str], max_bytes: int, schema_dir: Path | None,
                allowed: frozenset[str] | None) -> Iterator[TeamFile]:
    team = load_schemas(schema_dir)["team"]
    for fs_path in paths:
        doc = read_document(fs_path, fs_path, max_bytes=max_bytes, what="team")
        if doc.data is None or not team.is_valid(doc.data):
            yield TeamFile(doc, False)
            continue
        rows, found = member_rows(doc, allowed)
        yield TeamFile(_slim(doc), True, tuple(rows), tuple(found))


#: Chunks per worker: small enough that the parent consumes results while the workers
#: still parse, large enough that each task's overhead stays small.
CHUNKS_PER_WORKER = 8


def _read_teams(paths: list[str], max_bytes: int, schema_dir: Path | None,
                allowed: frozenset[str] | None, workers: int | None) -> Iterator[TeamFile]:
    """Every team file's ``TeamFile``, in ``paths`` order, as soon as it is parsed.

    With a pool, the results of each chunk arrive while later chunks are still being
    parsed, so the caller's per-file work overlaps the parsing."""
    n = workers if workers is not None else min(os.cpu_count() or 1, 4)
    done = 0
    if n > 1 and len(paths) >= POOL_MIN_FILES and threading.active_count() == 1:
        size = -(-len(paths) // (n * CHUNKS_PER_WORKER))
        chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(n, mp_context=ctx) as pool:
                k = len(chunks)
                parts = pool.map(_read_chunk, chunks, [max_bytes] * k, [schema_dir] * k,
                                 [allowed] * k)
                for part in parts:
                    for wire in part:
                        yield _from_wire(wire)
                    done += len(part)
                return
        except (OSError, RuntimeError, ValueError):
            pass  # no fork here (or the pool broke): parse the rest in-process, same results
    # In one process nothing overlaps: parse everything first, so that the policy's
    # objects are then allocated together (the GC's scan of them after loading is
    # 3x cheaper than when they are interleaved with the parser's garbage).
    yield from list(_read_items(paths[done:], max_bytes, schema_dir, allowed))


def _locator(doc: Document) -> Callable[[str, bool], tuple[int, int, str | None, bool]]:
    raw: list[bytes] = []

    def find(pointer: str, at_key: bool) -> tuple[int, int, str | None, bool]:
        if not raw:
            try:
                raw.append(Path(doc.fs_path).read_bytes())
            except OSError:
                return (1, 1, None, False)
        loc = locate(raw[0], pointer, key=at_key)
        return (1, 1, None, False) if loc is None else (loc.line, loc.col, loc.text, loc.plain)

    return find


def _resolve(findings: Iterable[Finding], docs: dict[str, Document]) -> list[Finding]:
    """Give line and column to findings that only have a pointer (one re-read per file)."""
    locators: dict[str, Any] = {}
    out = []
    for f in findings:
        if f.line == 0:
            doc = docs.get(f.file)
            line, col = 1, 1
            if doc is not None and f.pointer:
                find = locators.setdefault(f.file, _locator(doc))
                line, col, _, _ = find(f.pointer, False)
            f = replace(f, line=line, col=col)
        out.append(f)
    return out


def validate_policy(root: str | Path, *, today: dt.date | None = None,
                    max_file_bytes: int = MAX_FILE_BYTES, max_files: int = MAX_FILES,
                    schema_dir: Path | None = None, workers: int | None = None,
                    extra_checks: Sequence[ExtraCheck] = ()) -> ValidationResult:
    """Validate a policy directory and compile it when there is no error.

    ``today`` is the evaluation date for expiry and seat checks (injectable for tests
    and ``--at``); ``extra_checks`` run last, with the compiled policy (or ``None``),
    so other layers (e.g. managed settings) report through the same findings.
    """
    with gc_paused():
        result = _validate(Path(root), today, max_file_bytes, max_files, schema_dir, workers)
    if not extra_checks:
        return result
    findings = list(result.findings)
    for check in extra_checks:
        findings.extend(check(Path(root), result.policy))
    final = ValidationResult(result.policy, sort_findings(findings))
    return final if final.ok else ValidationResult(None, final.findings)


def _validate(root: Path, today: dt.date | None, max_file_bytes: int, max_files: int,
              schema_dir: Path | None, workers: int | None) -> ValidationResult:
    when = today_or(today)
    org_path, roles_path = _first(root, "org.yaml", "org.yml"), _first(root, "roles.yaml",
                                                                        "roles.yml")
    findings: list[Finding] = []

    def missing(name: str, what: str) -> Finding:
        f = M.FILE_MISSING
        return Finding.at(str(root / name), 1, 1, "error", f.code, f.message.format(what=what),
                       f.hint.format(path=root / name))

    if not root.is_dir():
        return ValidationResult(None, [missing("", "policy directory")])
    files = _team_files(root)
    if len(files) > max_files:
        f = M.TOO_MANY_FILES
        return ValidationResult(None, [Finding.at(str(root / "teams"), 1, 1, "error", f.code,
                                               f.message.format(count=len(files), limit=max_files),
                                               f.hint)])
    try:
        schemas = load_schemas(schema_dir)
    except SchemaBroken as exc:
        f = M.SCHEMA_BROKEN
        return ValidationResult(None, [Finding.at(exc.name, 1, 1, "error", f.code,
                                               f.message.format(name=exc.name, message=exc.message),
                                               f.hint)])
    docs: dict[str, Document] = {}
    valid: dict[str, bool] = {}

    def take(doc: Document, ok: bool) -> None:
        docs[doc.path] = doc
        findings.extend(doc.findings)
        valid[doc.path] = ok and not any(f.severity == "error" for f in doc.findings)

    for path, kind, what in ((org_path, "org", "organization"), (roles_path, "roles", "roles")):
        if path is None:
            findings.append(missing(f"{kind}.yaml", f"{kind}.yaml"))
            continue
        doc = read_document(path, _display(root, path), max_bytes=max_file_bytes, what=what)
        take(doc, doc.data is not None and schemas[kind].is_valid(doc.data))
    org_doc = docs.get(_display(root, org_path)) if org_path else None
    org_ok = org_doc is not None and valid[org_doc.path]
    allowed = frozenset(org_doc.data["organization"]["allowed_domains"]) if (
        org_ok and org_doc is not None and org_doc.data is not None) else None
    roles_doc = docs.get(_display(root, roles_path)) if roles_path else None
    if roles_doc is not None and not valid[roles_doc.path]:
        roles_doc = None
    org = (build_org(org_doc.data) if org_ok and org_doc is not None and org_doc.data is not None
           else None)
    roles = build_roles(roles_doc, org) if org is not None and roles_doc is not None else None
    # Members are indexed and checked file by file as the pool delivers them.
    index = MemberIndex(roles)
    checker = rules.MemberChecker(roles, org, when) if org is not None else None
    builder = (TeamBuilder(org_doc, org, index.team_members)
               if org is not None and org_doc is not None else None)
    team_paths: set[str] = set()
    for tf in _read_teams(files, max_file_bytes, schema_dir, allowed, workers):
        take(tf.doc, tf.valid)
        findings.extend(tf.findings)
        team_paths.add(tf.doc.path)
        if checker is not None and builder is not None and valid[tf.doc.path]:
            checker.feed(index.add(tf.doc, tf.rows))
            builder.add(tf.doc)
    for doc in docs.values():
        if doc.data is not None and not valid[doc.path]:
            kind = ("org" if doc.fs_path == str(org_path) else
                    "roles" if doc.fs_path == str(roles_path) else "team")
            findings.extend(schema_findings(schemas[kind], doc.data, doc.path, _locator(doc)))
    policy = None
    if org is not None and checker is not None and builder is not None and org_doc is not None:
        team_docs = [d for d in docs.values() if d.path in team_paths and valid[d.path]]
        broken = frozenset(
            str(d.data["name"]) for d in docs.values()
            if d.path in team_paths and not valid[d.path] and isinstance(d.data, dict)
            and isinstance(d.data.get("name"), str))
        policy = _check_and_compile(root, org_doc, org, roles_doc, roles, team_docs, index,
                                    checker, builder, when, findings, broken)
    findings = _resolve(findings, docs)
    if any(f.severity == "error" for f in findings):
        policy = None
    result = ValidationResult(policy, sort_findings(findings))
    return result if result.ok else ValidationResult(None, result.findings)


def _check_and_compile(root: Path, org_doc: Document, org: OrgSettings,
                       roles_doc: Document | None, roles: dict[str, Role] | None,
                       team_docs: list[Document], index: MemberIndex,
                       checker: rules.MemberChecker, builder: TeamBuilder, today: dt.date,
                       findings: list[Finding], broken: frozenset[str]) -> Policy | None:
    """Everything after the last team file arrived (members are already indexed and
    checked file by file in ``index`` and ``checker``)."""
    findings += rules.check_org(org, org_doc)
    if roles is not None and roles_doc is not None:
        findings += rules.check_roles(roles, org, roles_doc)
    teams, team_findings = builder.finish(broken)
    findings += team_findings
    findings += checker.finish()
    findings += rules.check_protected(org, index.entries, org_doc)
    by_path = {d.path: d for d in (org_doc, *team_docs)}
    findings += rules.check_groups(roles or {}, teams, roles_doc, by_path)
    assignments, names = index.assignments, index.names
    findings += rules.check_seats(teams, org, len(assignments), by_path, org_doc, today)
    if roles is None or any(f.severity == "error" for f in findings):
        return None
    desired = compile_desired(org.org_type, org.name, roles, teams, assignments, names,
                              prebuilt=index.desired)
    sources = {"org": SourceRef(org_doc.path, 1)}
    if roles_doc is not None:
        sources["roles"] = SourceRef(roles_doc.path, 1)
    sources.update({f"team:{t.name}": t.source for t in teams.values() if t.source})
    return Policy(
        org_name=org.name, org_type=org.org_type, provider=org.provider,
        admin_key_env=org.admin_key_env, budget=org.budget, safety=org.safety, usage=org.usage,
        roles=MappingProxyType(roles), teams=MappingProxyType(teams),
        assignments=MappingProxyType(assignments), desired=desired,
        allowed_domains=org.allowed_domains, contract_end=org.contract_end,
        contract_start=org.contract_start, root=str(root),
        sources=MappingProxyType(sources), org_uuid=org.org_uuid,
        notifications=org.notifications, apply=org.apply, audit=org.audit,
        base_url=org.base_url,
    )


def load_policy(root: str | Path, **options: Any) -> Policy:
    """The compiled policy, or ``PolicyError`` carrying every finding (errors first in
    the message count; warnings are in ``findings`` too)."""
    result = validate_policy(root, **options)
    if result.policy is None:
        errors = result.errors
        first = str(errors[0]) if errors else "policy could not be compiled"
        raise PolicyError(
            f"policy has {len(errors)} error(s); first: {first}",
            findings=list(result.findings),
            hint="run `seatctl validate` to see them all",
        )
    return result.policy
