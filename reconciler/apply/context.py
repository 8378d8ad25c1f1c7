"""``ApplyContext``: what the handlers of one apply share.

Why its own module: the built-in handlers (``handlers``) and the managed-settings
handler (``settings_handlers``) both need it, and ``handlers`` lists the settings
handler in its table, so the context cannot live in either without a cycle.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from reconciler.errors import PlanError
from reconciler.model import Group, Member, OrgState


@dataclass
class ApplyContext:
    """What handlers share during one apply: the live state and what apply created."""

    live: OrgState
    created_groups: dict[str, Group] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Group name → id re-read during this apply (groups created since the live read).
    group_ids: dict[str, str] = field(default_factory=dict)

    def group(self, name: str, group_id: str | None = None) -> Group:
        with self.lock:
            created = self.created_groups.get(name)
        if created is not None:
            return created
        live = self.live.groups.get(name)
        if live is not None:
            return live
        if group_id:
            return Group(name=name, id=group_id)
        raise PlanError(f"group {name!r} is neither live nor created by this apply",
                        hint="its creation failed or was not planned; re-plan")

    def member(self, email: str, user_id: str | None = None) -> Member:
        live = self.live.members.get(email)
        if live is not None:
            return live
        return Member(email=email, role="", id=user_id)
