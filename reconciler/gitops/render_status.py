"""Text, Markdown and JSON views of ``OrgStatus`` (JSON: ``schemas/status.schema.json``)."""

from __future__ import annotations

import json

from reconciler import escape
from reconciler.gitops.render_policy_diff import code, money
from reconciler.gitops.status import OrgStatus

SYNC_WORDS = {"in_sync": "in sync", "drift": "drift", "not_applied": "merged but not applied"}


def status_to_dict(s: OrgStatus) -> dict[str, object]:
    low, high = s.band_seats
    return {
        "org": {"name": s.org_name, "type": s.org_type, "provider": s.provider},
        "as_of": s.today.isoformat(),
        "seats": {
            "purchased": s.purchased_seats,
            "assigned": s.assigned,
            "members": s.members,
            "pending_invites": s.pending_invites,
            "free": s.free,
            "free_pct": s.free_pct,
            "tiers": [{"name": t.name, "seat_type": t.seat_type,
                       "monthly_price_cents": t.monthly_price_cents, "assigned": t.assigned}
                      for t in s.tiers],
        },
        "buffer": {"min_pct": s.buffer_min_pct, "max_pct": s.buffer_max_pct,
                   "min_free_seats": low, "max_free_seats": high, "state": s.buffer},
        "active": {"window_start": s.active.window_start.isoformat(),
                   "window_end": s.active.window_end.isoformat(),
                   "active_members": s.active.active, "definition": s.active.definition,
                   "note": s.active.note},
        "contract": {"end": s.contract_end.isoformat() if s.contract_end else None,
                     "days_left": s.days_left},
        "sync": {"state": s.sync, "counts": dict(s.drift_counts),
                 "policy_commit": s.policy_commit, "last_apply_commit": s.last_apply_commit},
        **({"bill": {"cycle_start": s.bill.cycle.start.isoformat(),
                     "cycle_end": s.bill.cycle.end.isoformat(),
                     "held_seats": s.bill.held_seats, "seat_cents": s.bill.seat_cents,
                     "unassigned_seats": s.bill.unassigned_seats,
                     "unassigned_cents": s.bill.unassigned_cents,
                     "total_cents": s.bill.seat_cents + s.bill.unassigned_cents}}
           if s.bill is not None else {}),
    }


def render_status_json(s: OrgStatus) -> str:
    return json.dumps(status_to_dict(s), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _active(s: OrgStatus) -> str:
    a = s.active
    if a.active is None:
        return a.note
    pct = f" ({100.0 * a.active / s.members:.0f}% of members)" if s.members else ""
    return f"{a.active}{pct}" + (f" — {a.note}" if a.note else "")


def _contract(s: OrgStatus) -> str:
    if s.contract_end is None:
        return "not set (add contract.end to org.yaml)"
    left = s.days_left or 0
    return f"{s.contract_end} ({left} days left)" if left >= 0 else \
        f"{s.contract_end} (ended {-left} days ago)"


def _bill(s: OrgStatus) -> str:
    b = s.bill
    assert b is not None
    return (f"{money(b.seat_cents + b.unassigned_cents)} for {b.cycle.start}..{b.cycle.end}: "
            f"{b.held_seats} held seats {money(b.seat_cents)} + {b.unassigned_seats} "
            f"unassigned {money(b.unassigned_cents)} (seats only; `usage chargeback` adds "
            "metered cost)")


def _sync(s: OrgStatus) -> str:
    counts = {k: v for k, v in s.drift_counts.items() if v}
    detail = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
    return SYNC_WORDS[s.sync] + (f" ({detail})" if detail else "")


def _rows(s: OrgStatus) -> list[tuple[str, str]]:
    low, high = s.band_seats
    tiers = ", ".join(f"{t.name} {money(t.monthly_price_cents)}/month ({t.assigned} assigned)"
                      for t in s.tiers)
    return [
        ("Organization", f"{s.org_name} ({s.org_type}, provider {s.provider})"),
        ("Purchased seats", str(s.purchased_seats)),
        ("Seat tiers", tiers or "none declared"),
        ("Seats assigned", f"{s.assigned} ({s.members} members + {s.pending_invites} pending "
                           "invites)"),
        (f"Active, last {(s.active.window_end - s.active.window_start).days + 1} days",
         _active(s)),
        ("Free seats", f"{s.free} ({s.free_pct:g}%) — {s.buffer} the "
                       f"{s.buffer_min_pct:g}–{s.buffer_max_pct:g}% buffer band "
                       f"({low}–{high} seats)"),
        *((("Monthly bill", _bill(s)),) if s.bill is not None else ()),
        ("Contract end", _contract(s)),
        ("Policy", _sync(s)),
    ]


def render_status_text(s: OrgStatus) -> str:
    rows = _rows(s)
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {escape.terminal(v)}" for k, v in rows) + "\n"


def render_status_markdown(s: OrgStatus) -> str:
    lines = [f"## {code(s.org_name)} — status on {s.today}", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {escape.markdown(v)} |" for k, v in _rows(s)]
    return "\n".join(lines) + "\n"


def render_status(s: OrgStatus, fmt: str) -> str:
    return {"text": render_status_text, "markdown": render_status_markdown,
            "json": render_status_json}[fmt](s)
