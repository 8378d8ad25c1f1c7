"""Apply recomputes, then compares: a saved plan is a claim, not an instruction.

Why: the plan file travels through CI artifacts and people's laptops, and its checksum
is a plain sha256 anyone can recompute (issue 16, defects 1 and 2: deleted error
findings, added removals, a forged ``allow_large_removal`` were all applied). So apply
never trusts what the file *says*; it trusts only what it can derive itself:

1. ``claimed``: the plan the policy on disk and the live org read just now give, with
   the overrides the file *records*. Every field must equal the file's — header
   (org, commit, evaluation day, fingerprints), the changes in order, the findings and
   the summary — else the file was edited (or made by another seatctl) and is refused,
   naming what differs.
2. ``granted``: the same plan with the overrides of *this apply invocation*
   (``--allow-large-removal``, ``--approver``... or their ``SEATCTL_*`` variables). Every
   guard has run on it; any error refuses the apply. A file's override therefore
   grants nothing: without the flag at apply the guard blocks again.

Only when both hold are the file's changes executed — they are, by (1), exactly the
derived ones. ``created_at`` and ``tool_version`` cannot be derived: they are under
the checksum and bounded by the age and evaluation-day checks (``preflight``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import PlanError
from reconciler.model import OrgState, Policy
from reconciler.plan import Overrides, Plan
from reconciler.planning import plan_policy

REPLAN = "run `seatctl plan --out plan.json` again, review it, and apply the new plan"
#: Fields of the plan document that are inputs or metadata, not derivable results.
_NOT_DERIVED = frozenset({"created_at", "tool_version", "checksum", "overrides"})
_HEADER = ("format_version", "org", "policy_commit", "evaluated_on", "live_fingerprint",
           "desired_fingerprint", "blocked")


@dataclass(frozen=True, slots=True)
class Grant:
    """Overrides given to *this* apply run (flags or env), with who approved them."""

    overrides: Overrides = Overrides()
    approve_overflow: bool = False

    @property
    def any(self) -> bool:
        o = self.overrides
        return o.allow_large_removal or o.allow_many_role_changes or self.approve_overflow

    def record(self) -> dict[str, Any]:
        """How the audit log records the grant (``approver`` "" when none was given)."""
        o = self.overrides
        return {"allow_large_removal": o.allow_large_removal,
                "allow_many_role_changes": o.allow_many_role_changes,
                "approve_overflow": self.approve_overflow, "approver": o.approver}


NO_GRANT = Grant()


def derive(plan: Plan, policy: Policy, live: OrgState, *, overrides: Overrides,
           approve_overflow: bool) -> Plan:
    """The plan the policy and ``live`` give on the plan's evaluation day."""
    return plan_policy(policy, live, at=plan.evaluated_on, now=plan.created_at,
                       commit=policy.commit, overrides=overrides,
                       approve_overflow=approve_overflow)


def check_rederived(plan: Plan, policy: Policy, live: OrgState, grant: Grant) -> Plan:
    """Refuse unless the file equals the derived plan and the granted plan passes every
    guard; returns the granted plan (what the audit log records as approved)."""
    claimed = derive(plan, policy, live, overrides=plan.overrides,
                     approve_overflow=plan.approve_overflow)
    differences = plan_differences(plan, claimed)
    if differences:
        raise PlanError(
            "the plan file does not match the plan apply derives from the policy and the "
            "live organization now; nothing was applied. Differences: "
            + "; ".join(differences),
            hint=f"the file was edited or made by another seatctl; {REPLAN}",
        )
    same_inputs = (grant.overrides == plan.overrides
                   and grant.approve_overflow == plan.approve_overflow)
    granted = claimed if same_inputs else derive(
        plan, policy, live, overrides=grant.overrides, approve_overflow=grant.approve_overflow)
    errors = granted.findings_of("error")
    if errors:
        shown = "; ".join(f"{f.code}: {f.message}" for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        recorded = _recorded_overrides(plan)
        raise PlanError(
            f"apply is blocked by {len(errors)} guard(s) re-run on the derived plan: "
            f"{shown}{more}" + (f"; the plan file records {recorded}, but overrides come "
                                "only from the apply command" if recorded else ""),
            hint="fix the policy, or pass the override to `seatctl apply` itself "
            "(--allow-large-removal / --allow-many-role-changes / --approve-overflow with "
            "--approver LOGIN, or SEATCTL_ALLOW_LARGE_REMOVAL, SEATCTL_APPROVER... in CI)",
        )
    return granted


def _recorded_overrides(plan: Plan) -> str:
    o = plan.overrides
    names = [n for n, on in (("--allow-large-removal", o.allow_large_removal),
                             ("--allow-many-role-changes", o.allow_many_role_changes),
                             ("--approve-overflow", plan.approve_overflow)) if on]
    if not names:
        return ""
    who = f" approved by {o.approver!r}" if o.approver else ""
    return " ".join(names) + who


def plan_differences(saved: Plan, derived: Plan, limit: int = 10) -> list[str]:
    """What differs between the file and the derived plan, most telling first."""
    a, b = saved.to_dict(), derived.to_dict()
    out = [f"{key}: the file says {_short(a[key])}, apply derives {_short(b[key])}"
           for key in _HEADER if a[key] != b[key]]
    out += _change_differences(a["changes"], b["changes"])
    out += _finding_differences(a["findings"], b["findings"])
    if not out and a["summary"] != b["summary"]:
        out.append("summary (seats and cost) differs")
    rest = sorted(k for k in a.keys() - _NOT_DERIVED - set(_HEADER)
                  - {"changes", "findings", "summary"} if a[k] != b.get(k))
    out += [f"{k} differs" for k in rest]
    if len(out) > limit:
        out = out[:limit] + [f"… and {len(out) - limit} more"]
    return out


def _key(change: Mapping[str, Any]) -> tuple[str, str]:
    return str(change.get("kind")), str(change.get("target"))


def _change_differences(saved: Sequence[Mapping[str, Any]],
                        derived: Sequence[Mapping[str, Any]]) -> list[str]:
    old = {_key(c): c for c in saved}
    new = {_key(c): c for c in derived}
    out = [f"added in the file (apply does not derive it): {k} {t}"
           for (k, t) in old if (k, t) not in new]
    out += [f"missing from the file (apply derives it): {k} {t}"
            for (k, t) in new if (k, t) not in old]
    out += [f"changed in the file: {k} {t} ({', '.join(_fields_differing(old[k, t], c))})"
            for (k, t), c in new.items() if (k, t) in old and old[k, t] != c]
    if not out and list(saved) != list(derived):
        out.append("the same changes in another order (apply order matters: grants "
                   "before revocations)")
    if len(old) != len(saved):
        out.append("the file lists a change twice")
    return out


def _fields_differing(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _finding_differences(saved: Sequence[Mapping[str, Any]],
                         derived: Sequence[Mapping[str, Any]]) -> list[str]:
    def keyed(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str, str]]:
        return [(str(f.get("severity")), str(f.get("code")), str(f.get("target")),
                 str(f.get("message"))) for f in items]

    old, new = keyed(saved), keyed(derived)
    out = [f"finding missing from the file: {s} {c}: {m}" for (s, c, _t, m) in new
           if (s, c, _t, m) not in old]
    out += [f"finding in the file that apply does not derive: {s} {c}: {m}"
            for (s, c, _t, m) in old if (s, c, _t, m) not in new]
    if not out and list(saved) != list(derived):
        out.append("findings differ (order or hints)")
    return out


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"

