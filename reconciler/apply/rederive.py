"""Apply recomputes, then compares: a saved plan is a claim, not an instruction.

Why: the plan file travels through CI artifacts and people's laptops, and its checksum
is a plain sha256 anyone can recompute (issue 16, defects 1 and 2: deleted error
findings, added removals, a forged ``allow_large_removal`` were all applied). So apply
never trusts what the file *says*; it trusts only what it can derive itself:

1. The overrides come from *this apply invocation* (``--allow-large-removal``,
   ``--approver``... or their ``SEATCTL_*`` variables), and must be exactly the ones the
   plan records — the ones reviewers saw. A file's override therefore grants nothing:
   without the flag at apply the plan is refused.
2. The plan the policy on disk and the live org read just now give, with those
   overrides, is derived; every guard runs on it. Every field must equal the file's —
   header (org, commit, evaluation day, fingerprints, blocked), the changes in order,
   the findings and the summary, compared as JSON text — else the file was edited (or
   made by another seatctl) and is refused, naming what differs. Any guard error
   refuses the apply.

Only then are the file's changes executed — they are, by (2), exactly the derived
ones. ``created_at`` and ``tool_version`` cannot be derived: they are under
the checksum and bounded by the age and evaluation-day checks (``preflight``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import PlanError
from reconciler.escape import terminal
from reconciler.model import OrgState, Policy
from reconciler.plan import Overrides, Plan
from reconciler.plan.build import build_plan
from reconciler.plan.fingerprint import fast_canonical_json
from reconciler.plan.guards import LIVE_READ

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
    return build_plan(policy, live, at=plan.evaluated_on, created_at=plan.created_at,
                       commit=policy.commit, overrides=overrides,
                       approve_overflow=approve_overflow)


def check_rederived(plan: Plan, policy: Policy, live: OrgState, grant: Grant) -> Plan:
    """Refuse unless this run was given exactly the overrides the reviewed plan records,
    the file equals the plan derived with them, and every guard passes on it; returns
    the derived plan."""
    recorded = Grant(plan.overrides, plan.approve_overflow)
    if recorded != grant:
        raise PlanError(
            f"the plan records {_describe(recorded)}, but this apply was given "
            f"{_describe(grant)}; nothing was applied. Overrides come only from the apply "
            "command, and must be the ones reviewers saw in the plan",
            hint="pass the same --allow-large-removal / --allow-many-role-changes / "
            "--approve-overflow and --approver to `seatctl apply` (SEATCTL_ALLOW_LARGE_"
            "REMOVAL, SEATCTL_APPROVER... in CI), or re-plan with the overrides you mean",
        )
    derived = derive(plan, policy, live, overrides=grant.overrides,
                     approve_overflow=grant.approve_overflow)
    differences = plan_differences(plan, derived)
    if differences:
        moved = _sources_moved(plan, derived)
        raise PlanError(
            "the plan file does not match the plan apply derives from the policy and the "
            "live organization now; nothing was applied. Differences: "
            + "; ".join(differences),
            hint=(f"only where the policy files are differs: the plan names them as "
                  f"{moved[0]}, this apply as {moved[1]}; give apply the policy directory "
                  "as plan was given it, from the same working directory") if moved
            else f"the file was edited or made by another seatctl; {REPLAN}",
        )
    errors = derived.findings_of("error")
    if errors:  # the file says the same (it equals the derived plan): belt and braces
        shown = "; ".join(f"{f.code}: {terminal(f.message)}" for f in errors[:5])
        raise PlanError(f"apply is blocked by {len(errors)} guard(s) re-run on the derived "
                        f"plan: {shown}", hint="fix the policy, or re-plan and apply with the "
                        "documented override and --approver")
    return derived


def _sources_moved(saved: Plan, derived: Plan) -> tuple[str, str] | None:
    """The two spellings of one policy file when the plans differ only in where their
    changes' sources are (the policy directory given another way), else None."""
    a, b = saved.to_dict(), derived.to_dict()

    def bare(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in c.items() if k not in ("source", "reason")}
                for c in doc["changes"]]

    if not (all(_same(a[k], b[k]) for k in _HEADER) and _same(bare(a), bare(b))):
        return None
    pairs = [(x.source.file, y.source.file) for x, y in zip(saved.changes, derived.changes,
                                                            strict=True)
             if x.source and y.source and x.source.file != y.source.file]
    return (terminal(repr(pairs[0][0])), terminal(repr(pairs[0][1]))) if pairs else None


def _describe(grant: Grant) -> str:
    """``--allow-large-removal approved by 'alice'``, or ``no override``."""
    o = grant.overrides
    names = [n for n, on in (("--allow-large-removal", o.allow_large_removal),
                             ("--allow-many-role-changes", o.allow_many_role_changes),
                             ("--approve-overflow", grant.approve_overflow)) if on]
    who = f"approver {terminal(repr(o.approver))}" if o.approver else ""
    if not names:
        return f"no override ({who})" if who else "no override"
    return " ".join(names) + (f" approved by {terminal(repr(o.approver))}" if o.approver
                              else " without an approver")


def plan_differences(saved: Plan, derived: Plan, limit: int = 10) -> list[str]:
    """What differs between the file and the derived plan, most telling first."""
    a, b = saved.to_dict(), derived.to_dict()
    out = [f"{key}: the file says {_short(a[key])}, apply derives {_short(b[key])}"
           for key in _HEADER if not _same(a[key], b[key])]
    out += _change_differences(a["changes"], b["changes"])
    out += _finding_differences(a["findings"], b["findings"])
    if not out and not _same(a["summary"], b["summary"]):
        out.append("summary (seats and cost) differs")
    rest = sorted(k for k in a.keys() - _NOT_DERIVED - set(_HEADER)
                  - {"changes", "findings", "summary"} if not _same(a[k], b.get(k)))
    out += [f"{k} differs" for k in rest]
    if len(out) > limit:
        out = out[:limit] + [f"… and {len(out) - limit} more"]
    return out


def _same(a: object, b: object) -> bool:
    """Equal as JSON text, not as Python values (``1 == 1.0 == True`` in Python; an edit
    from ``1`` to ``true`` is still an edit)."""
    return fast_canonical_json(a) == fast_canonical_json(b)


def _key(change: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, target) as shown in a message: from the plan file or live names, so escaped
    for the terminal (a forged target cannot move the cursor or forge a line)."""
    return terminal(change.get("kind")), terminal(change.get("target"))


def _change_differences(saved: Sequence[Mapping[str, Any]],
                        derived: Sequence[Mapping[str, Any]]) -> list[str]:
    old = {_key(c): c for c in saved}
    new = {_key(c): c for c in derived}
    out = [f"added in the file (apply does not derive it): {k} {t}"
           for (k, t) in old if (k, t) not in new]
    out += [f"missing from the file (apply derives it): {k} {t}"
            for (k, t) in new if (k, t) not in old]
    out += [f"changed in the file: {k} {t} ({', '.join(_fields_differing(old[k, t], c))})"
            for (k, t), c in new.items() if (k, t) in old and not _same(old[k, t], c)]
    if not out and not _same(list(saved), list(derived)):
        out.append("the same changes in another order (apply order matters: grants "
                   "before revocations)")
    if len(old) != len(saved):
        out.append("the file lists a change twice")
    return out


def _fields_differing(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if not _same(a.get(k), b.get(k)))


def _finding_differences(saved: Sequence[Mapping[str, Any]],
                         derived: Sequence[Mapping[str, Any]]) -> list[str]:
    def keyed(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str, str]]:
        return [(terminal(f.get("severity")), terminal(f.get("code")),
                 terminal(f.get("target")), terminal(f.get("message"))) for f in items]

    # how the file's plan read the org (plan --base: a slice over a snapshot) is not derived
    saved = [f for f in saved if f.get("code") != LIVE_READ]
    derived = [f for f in derived if f.get("code") != LIVE_READ]
    old, new = keyed(saved), keyed(derived)
    out = [f"finding missing from the file: {s} {c}: {m}" for (s, c, _t, m) in new
           if (s, c, _t, m) not in old]
    out += [f"finding in the file that apply does not derive: {s} {c}: {m}"
            for (s, c, _t, m) in old if (s, c, _t, m) not in new]
    if not out and not _same(list(saved), list(derived)):
        out.append("findings differ (order, hints or value types)")
    return out


def _short(value: object, width: int = 60) -> str:
    text = terminal(repr(value))
    return text if len(text) <= width else text[: width - 1] + "…"

