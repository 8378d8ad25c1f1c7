"""The policy layer's entry points: ``validate_policy`` and ``load_policy``.

Layers, each reporting every finding it can before the next runs:
files (count and size limits) → strict YAML (``loader``) → JSON Schema (``schema``) →
build model objects (``orgfile``, ``compile``) → semantic rules (``rules``) →
compile the desired ``OrgState``. Findings without a line yet (rules name a JSON
pointer) are located at the end by re-reading only the files that have findings.

Team files are parsed in this process, one after the other (see ``_read_teams``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
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
from reconciler.policy.loader import MAX_FILE_BYTES, read_document
from reconciler.policy.locate import locate
from reconciler.policy.members import MemberIndex, Row, member_rows
from reconciler.policy.orgfile import OrgSettings, build_org
from reconciler.policy.schema import SchemaBroken, load_schemas, schema_findings

MAX_FILES = 20_000

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


def _team_files(root: Path) -> tuple[list[str], list[Finding]]:
    """Paths (as ``str(root / "teams" / name)``) of the team files, sorted by name, and
    what is refused instead of read: a link to a file outside the policy directory
    (never opened, so its content cannot be echoed), and YAML that would be skipped
    silently (``backend.YAML``, ``teams/sub/x.yaml``) — a team that vanishes from the
    policy would otherwise plan its members' removal."""
    teams = root / "teams"
    if not teams.is_dir():
        return [], []
    base = str(teams)
    names: list[str] = []
    findings: list[Finding] = []
    inside = root.resolve()
    if teams.is_symlink() and not _within(teams, inside):
        return [], [_file_finding(teams, M.SYMLINK_OUTSIDE, what="teams/")]
    with os.scandir(teams) as it:
        for e in it:
            suffix = _suffix(e.name)
            if suffix in (".yaml", ".yml") and e.is_file():
                if e.is_symlink() and not _within(Path(e.path), inside):
                    findings.append(_file_finding(e.path, M.SYMLINK_OUTSIDE,
                                                  what=f"team file {e.name!r}"))
                    continue
                names.append(e.name)
            elif suffix.lower() in (".yaml", ".yml"):
                findings.append(_file_finding(e.path, M.TEAM_FILE_SUFFIX, name=e.name,
                                              fixed=e.name[:-len(suffix)] + suffix.lower()))
            elif e.is_dir(follow_symlinks=False) and not e.name.startswith("."):
                count = sum(1 for _, _, files in os.walk(e.path) for f in files
                            if _suffix(f).lower() in (".yaml", ".yml"))
                if count:
                    findings.append(_file_finding(e.path, M.TEAM_SUBDIR, count=count,
                                                  name=f"teams/{e.name}"))
    return [os.path.join(base, name) for name in sorted(names)], findings


def _within(path: Path, root: Path) -> bool:
    """Whether ``path``, links followed, is inside ``root`` (already resolved)."""
    target = path.resolve()
    return target == root or root in target.parents


def _file_finding(path: str | Path, msg: M.Msg, **fields: Any) -> Finding:
    return Finding.at(str(path), 1, 1, "error", msg.code, msg.message.format(**fields),
                   msg.hint.format(**fields))


def _display(root: Path, path: Path) -> str:
    return str(root / path.relative_to(root))


@dataclass(frozen=True, slots=True)
class TeamFile:
    """A parsed team file. When it passed the schema, its members are ``rows`` and are
    dropped from ``doc.data`` (the rows are all that is read of them, and the document
    stays in memory until locating findings is done); otherwise ``doc.data`` is
    complete for the schema's error messages."""

    doc: Document
    valid: bool
    rows: tuple[Row, ...] = ()
    findings: tuple[Finding, ...] = ()


def _slim(doc: Document) -> Document:
    assert doc.data is not None
    data = {k: v for k, v in doc.data.items() if k != "members"}
    children = {k: v for k, v in doc.children.items() if k != "members"}
    return Document(doc.path, doc.fs_path, data, doc.positions, children, doc.findings)


def _read_teams(paths: Sequence[str], max_bytes: int, schema_dir: Path | None,
                allowed: frozenset[str] | None) -> list[TeamFile]:
    """Parse team files, run the compiled schema check, extract member rows.

    One process, everything parsed first: the policy's objects are then allocated
    together (the GC's scan of them after loading is 3x cheaper than when they are
    interleaved with the parser's garbage). A process pool was measured to gain about
    0.04 s at 100k members on two idle cores, and to lose when the second is busy.
    """
    team = load_schemas(schema_dir)["team"]
    out = []
    for fs_path in paths:
        doc = read_document(fs_path, fs_path, max_bytes=max_bytes, what="team")
        if doc.data is None or not team.is_valid(doc.data):
            out.append(TeamFile(doc, False))
            continue
        rows, found = member_rows(doc, allowed)
        out.append(TeamFile(_slim(doc), True, tuple(rows), tuple(found)))
    return out


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
                    schema_dir: Path | None = None,
                    extra_checks: Sequence[ExtraCheck] = ()) -> ValidationResult:
    """Validate a policy directory and compile it when there is no error.

    ``today`` is the evaluation date for expiry and seat checks (injectable for tests
    and ``--at``); ``extra_checks`` run last, with the compiled policy (or ``None``),
    so other layers (e.g. managed settings) report through the same findings.
    """
    root = _as_named(Path(root))
    with gc_paused():
        result = _validate(root, today, max_file_bytes, max_files, schema_dir)
    if not extra_checks:
        return result
    findings = list(result.findings)
    for check in extra_checks:
        findings.extend(check(root, result.policy))
    final = ValidationResult(result.policy, sort_findings(findings))
    return final if final.ok else ValidationResult(None, final.findings)


def _as_named(root: Path) -> Path:
    """An absolute directory under the working directory, relative to it.

    Why: a plan records each change's source file, and apply refuses a plan whose
    sources differ from the ones it derives; ``policies`` and ``$PWD/policies`` are
    one directory and must give one plan (and shorter messages).
    """
    if not root.is_absolute():
        return root
    try:
        return root.relative_to(Path.cwd())
    except (ValueError, OSError):  # outside the working directory, or no cwd
        return root


def _validate(root: Path, today: dt.date | None, max_file_bytes: int, max_files: int,
              schema_dir: Path | None) -> ValidationResult:
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
    files, file_findings = _team_files(root)
    findings += file_findings
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

    inside = root.resolve()
    for path, kind, what in ((org_path, "org", "organization"), (roles_path, "roles", "roles")):
        if path is None:
            findings.append(missing(f"{kind}.yaml", f"{kind}.yaml"))
            continue
        if path.is_symlink() and not _within(path, inside):
            findings.append(_file_finding(path, M.SYMLINK_OUTSIDE, what=path.name))
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
    # Members are indexed and checked file by file.
    index = MemberIndex(roles)
    checker = rules.MemberChecker(roles, org, when) if org is not None else None
    builder = (TeamBuilder(org_doc, org, index.team_members)
               if org is not None and org_doc is not None else None)
    team_paths: set[str] = set()
    for tf in _read_teams(files, max_file_bytes, schema_dir, allowed):
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
    if not assignments and not broken:
        f = M.NO_MEMBERS
        findings.append(Finding.at(str(root / "teams"), 1, 1, "error", f.code, f.message,
                                f.hint.format(teams=root / "teams")))
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
