"""The Plan: a typed, versioned artefact that is reviewed, saved, and applied.

Fields and their invariants:

- ``format_version``: the JSON layout (``schemas/plan.schema.json``); a reader refuses
  a version it does not know. ``tool_version``: the seatctl that wrote it.
- ``created_at``: when it was made (passed in — the core has no clock).
- ``policy_commit``: git commit of the policy, ``None`` outside a repository. Apply
  refuses a plan made from another commit.
- ``evaluated_on``: the "as of" date (expiry dates, dynamic seating).
- ``live_fingerprint`` / ``desired_fingerprint``: ``fingerprint()`` of the live state
  the plan was computed from and of the desired state as of ``evaluated_on``. An empty
  fingerprint never matches, so a plan from an incomplete read can never be applied.
- ``policy_fingerprint``: ``fingerprint.policy_fingerprint`` of the policy planned
  (limits, protection, budget, teams, roles...): apply refuses a plan when the policy
  on disk has another one, even if the commit is the same (uncommitted edits).
- ``changes``: in apply order (``changes.sort_key``). ``findings``: every guard's
  findings; any ``error`` makes the plan ``blocked``. ``summary``: seats and cost.
- ``overrides``: the inputs the *planning* run was given (flags, CI labels), with the
  approver: a record for reviewers, never a grant — apply takes overrides only from its
  own invocation and re-runs every guard (``apply.rederive``).
- ``checksum``: sha256 of the canonical JSON of every other field of the document
  (``created_at``, ``tool_version``, findings, summary, overrides, everything), so an
  accident or a careless edit is caught on reading. It is not authentication: anyone
  can recompute a sha256. What makes apply safe is that it re-derives the plan from the
  policy and the live org and applies only an identical plan (docs/apply.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from reconciler.errors import PlanError
from reconciler.model import SourceRef
from reconciler.plan.changes import Change, make_change, thaw
from reconciler.plan.fingerprint import fast_canonical_json
from reconciler.plan.guards import NO_OVERRIDES, Finding, Overrides
from reconciler.plan.summary import Summary, Tally

FORMAT_VERSION = 1
_INDENTED_SORTED = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


@dataclass(frozen=True, slots=True)
class Plan:
    format_version: int
    tool_version: str
    created_at: dt.datetime
    org_name: str
    org_type: str
    policy_commit: str | None
    evaluated_on: dt.date
    live_fingerprint: str
    desired_fingerprint: str
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...]
    summary: Summary
    overrides: Overrides = NO_OVERRIDES
    approve_overflow: bool = False
    policy_fingerprint: str = ""
    checksum: str = ""

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def blocked(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def findings_of(self, severity: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == severity)

    def content_checksum(self) -> str:
        """``compute_checksum`` of this plan's whole document (every field but the checksum)."""
        return compute_checksum(self._document())

    def _overrides_dict(self) -> dict[str, Any]:
        return {
            "allow_large_removal": self.overrides.allow_large_removal,
            "allow_many_role_changes": self.overrides.allow_many_role_changes,
            "approver": self.overrides.approver,
            "approve_overflow": self.approve_overflow,
        }

    def to_dict(self) -> dict[str, Any]:
        doc = self._document()
        doc["checksum"] = self.checksum or compute_checksum(doc)
        return doc

    def _document(self) -> dict[str, Any]:
        """Every field as plain JSON, without the checksum (what the checksum covers)."""
        return {
            "format_version": self.format_version,
            "tool_version": self.tool_version,
            "created_at": _iso(self.created_at),
            "org": {"name": self.org_name, "type": self.org_type},
            "policy_commit": self.policy_commit,
            "evaluated_on": self.evaluated_on.isoformat(),
            "live_fingerprint": self.live_fingerprint,
            "desired_fingerprint": self.desired_fingerprint,
            "policy_fingerprint": self.policy_fingerprint,
            "overrides": self._overrides_dict(),
            "blocked": self.blocked,
            "changes": [_change_dict(c) for c in self.changes],
            "findings": [
                {"severity": f.severity, "code": f.code, "message": f.message,
                 "hint": f.hint, "target": f.target}
                for f in self.findings
            ],
            "summary": _summary_dict(self.summary),
        }

    def to_json(self) -> str:
        """Indented, key-sorted JSON (stable bytes for golden files and artifacts)."""
        # orjson writes the same bytes as json.dumps(indent=2, sort_keys=True,
        # ensure_ascii=False) here (the golden files hold both to it), 8x faster: the
        # per-team summary of a 5,000-team org is most of the document
        return orjson.dumps(self.to_dict(), option=_INDENTED_SORTED).decode() + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Read a saved plan; refuses unknown versions and a checksum that does not match."""
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanError(f"plan file is not JSON: line {exc.lineno}: {exc.msg}",
                            hint="pass the file written by `seatctl plan --out`") from None
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Plan:
        try:
            version = doc["format_version"]
            if version != FORMAT_VERSION:
                raise PlanError(f"plan format version {version} is not supported "
                                f"(this seatctl reads {FORMAT_VERSION})",
                                hint="re-run `seatctl plan` with this seatctl")
            _exact_keys(doc, _DOC_KEYS, "the plan")
            _exact_keys(doc["org"], frozenset({"name", "type"}), "org")
            expected = compute_checksum(doc)
            if doc.get("checksum") != expected:
                raise PlanError("plan checksum does not match its content (edited or damaged)",
                                hint="re-run `seatctl plan --out` and review the new plan")
            ov = doc["overrides"]
            _exact_keys(ov, _OVERRIDE_KEYS, "overrides")
            if not all(isinstance(ov[k], bool) for k in _OVERRIDE_KEYS - {"approver"}) or \
                    not isinstance(ov["approver"], str):
                raise PlanError("plan file is malformed (overrides must be true/false and an "
                                "approver name)", hint="pass the file written by `seatctl plan "
                                "--out`")
            plan = cls(
                format_version=version,
                tool_version=doc["tool_version"],
                created_at=dt.datetime.fromisoformat(doc["created_at"]),
                org_name=doc["org"]["name"],
                org_type=doc["org"]["type"],
                policy_commit=doc["policy_commit"],
                evaluated_on=dt.date.fromisoformat(doc["evaluated_on"]),
                live_fingerprint=doc["live_fingerprint"],
                desired_fingerprint=doc["desired_fingerprint"],
                policy_fingerprint=doc["policy_fingerprint"],
                changes=tuple(_change_from(c) for c in doc["changes"]),
                findings=tuple(Finding(**f) for f in doc["findings"]),
                summary=_summary_from(doc["summary"]),
                overrides=Overrides(ov["allow_large_removal"], ov["allow_many_role_changes"],
                                    ov["approver"]),
                approve_overflow=ov["approve_overflow"],
                checksum=doc["checksum"],
            )
            if doc["blocked"] is not plan.blocked:
                raise PlanError("plan file is malformed (`blocked` disagrees with its findings)",
                                hint="pass the file written by `seatctl plan --out`")
            # fields the reader derives (a change's phase, counts) or normalises (dates)
            # must be exactly what seatctl writes: no edit is silently absorbed
            again = plan._document()
            odd = sorted(k for k, v in again.items()
                         if fast_canonical_json(v) != fast_canonical_json(doc[k]))
            if odd:
                raise PlanError(f"plan file is malformed ({', '.join(odd)}: not as seatctl "
                                "writes it)", hint="pass the file written by `seatctl plan "
                                "--out`")
            return plan
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, PlanError):
                raise
            raise PlanError(f"plan file is malformed ({type(exc).__name__}: {exc})",
                            hint="pass the file written by `seatctl plan --out`") from None


def compute_checksum(doc: Mapping[str, Any]) -> str:
    """sha256 over every field of a plan document but ``checksum`` (see module doc)."""
    covered = {k: v for k, v in doc.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(fast_canonical_json(covered)).hexdigest()


_DOC_KEYS = frozenset({
    "format_version", "tool_version", "created_at", "org", "policy_commit", "evaluated_on",
    "live_fingerprint", "desired_fingerprint", "policy_fingerprint", "overrides", "blocked",
    "changes", "findings", "summary", "checksum",
})
_OVERRIDE_KEYS = frozenset({"allow_large_removal", "allow_many_role_changes", "approver",
                            "approve_overflow"})


def _exact_keys(doc: Mapping[str, Any], keys: frozenset[str], where: str) -> None:
    """A plan file holds exactly the fields seatctl writes: an unknown field (say a forged
    ``allow_large_removal`` at the top) is refused, never ignored."""
    if not isinstance(doc, Mapping):
        raise PlanError(f"plan file is malformed ({where} is not an object)",
                        hint="pass the file written by `seatctl plan --out`")
    extra, missing = sorted(doc.keys() - keys), sorted(keys - doc.keys())
    if extra or missing:
        what = "; ".join(x for x in (f"unknown field(s) {', '.join(extra)}" if extra else "",
                                     f"missing {', '.join(missing)}" if missing else "") if x)
        raise PlanError(f"plan file is malformed ({where}: {what})",
                        hint="pass the file written by `seatctl plan --out`; nothing in a "
                        "plan file can grant an override")


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _change_dict(c: Change) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "phase": c.phase,
        "target": c.target,
        "before": thaw(c.before),
        "after": thaw(c.after),
        "reason": c.reason,
        "source": None if c.source is None else {"file": c.source.file, "line": c.source.line,
                                                  "col": c.source.col},
        "data": thaw(c.data),
    }


_CHANGE_KEYS = frozenset({"kind", "phase", "target", "before", "after", "reason", "source",
                          "data"})
_SOURCE_KEYS = frozenset({"file", "line", "col"})


def _change_from(d: Mapping[str, Any]) -> Change:
    _exact_keys(d, _CHANGE_KEYS, "a change")
    src = d["source"]
    if src is not None:
        _exact_keys(src, _SOURCE_KEYS, "a change's source")
    return make_change(
        d["kind"], d["target"], before=d["before"], after=d["after"], reason=d["reason"],
        source=None if src is None else SourceRef(src["file"], src["line"], src["col"]),
        data=d["data"],
    )


_TALLY_KEYS = ("name", "seats_before", "seats_after", "cost_before_cents", "cost_after_cents",
               "allocated", "cost_center")


def _tally_dict(t: Tally) -> dict[str, Any]:
    return {k: getattr(t, k) for k in _TALLY_KEYS}


def _summary_dict(s: Summary) -> dict[str, Any]:
    return {
        "counts": dict(s.counts),
        "change_count": s.change_count,
        "purchased_seats": s.purchased_seats,
        "total": _tally_dict(s.total),
        "teams": [_tally_dict(t) for t in s.teams],
        "cost_centers": [_tally_dict(t) for t in s.cost_centers],
    }


def _summary_from(d: Mapping[str, Any]) -> Summary:
    return Summary(
        counts=dict(d["counts"]),
        total=Tally(**d["total"]),
        purchased_seats=d["purchased_seats"],
        teams=tuple(Tally(**t) for t in d["teams"]),
        cost_centers=tuple(Tally(**t) for t in d["cost_centers"]),
    )
