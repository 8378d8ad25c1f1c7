"""What counts as "active": the products and metrics named in ``org.yaml`` usage settings.

Vendors and users disagree on it (a chat message? a session? a commit?), so the
definition is configuration, compiled here once into a row predicate (for pure Python)
and a SQL expression (for the store), and printed with every report.

Each metric maps to the nearest columns the Admin API really carries
(``/v1/organizations/analytics/users``). The seat-management guide's metric names are
accepted as aliases; ``api_calls_made`` has no per-user source in that endpoint and is
listed as ignored rather than silently treated as zero activity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.errors import ConfigError
from reconciler.model import UserActivity

#: metric name → (product, store columns summed to decide "did something").
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sessions": ("claude_code", ("sessions",)),
    "lines": ("claude_code", ("lines_added", "lines_removed")),
    "lines_added": ("claude_code", ("lines_added",)),
    "lines_removed": ("claude_code", ("lines_removed",)),
    "tool_accepted": ("claude_code", ("tool_accepted",)),
    "tool_rejected": ("claude_code", ("tool_rejected",)),
    "commits": ("claude_code", ("commits",)),
    "pull_requests": ("claude_code", ("pull_requests",)),
    "tool_actions": ("claude_code", ("tool_accepted", "tool_rejected")),
    "suggestions_accepted": ("claude_code", ("tool_accepted",)),
    "chat_messages": ("chat", ("chat_messages",)),
}

#: The guide's vocabulary → our metric (the nearest real data).
ALIASES: dict[str, str] = {
    "session_duration": "sessions",
    "distinct_session_count": "sessions",
    "commands_executed": "tool_actions",
    "files_modified": "lines",
    "lines_of_code": "lines",
    "code_suggestions_accepted": "suggestions_accepted",
    "commit_count": "commits",
    "pull_request_count": "pull_requests",
}

#: Named by the guide but absent from the per-user analytics: accepted, reported, ignored.
NO_SOURCE: frozenset[str] = frozenset({"api_calls_made"})

#: A product listed without any of its metrics counts through this one.
PRODUCT_DEFAULT: dict[str, str] = {"claude_code": "sessions", "chat": "chat_messages"}


@dataclass(frozen=True, slots=True)
class ActiveDefinition:
    """A compiled "active" rule: a member is active on a day if any column is > 0."""

    products: tuple[str, ...]
    metrics: tuple[str, ...]
    columns: tuple[str, ...]
    ignored: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line printed with every report, so readers know what "active" means."""
        text = (
            f"active = any of [{', '.join(self.metrics)}] > 0 on a day "
            f"(products: {', '.join(self.products)}; columns: {', '.join(self.columns)})"
        )
        if self.ignored:
            text += f"; ignored, no source in the analytics: {', '.join(self.ignored)}"
        return text

    def sql(self) -> str:
        """A SQL boolean over the ``activity`` table; columns come from a fixed whitelist."""
        return "(" + " OR ".join(f"{c} > 0" for c in self.columns) + ")"

    def is_active(self, row: UserActivity) -> bool:
        return any(getattr(row, c) > 0 for c in self.columns)


def compile_active(products: Sequence[str], metrics: Sequence[str]) -> ActiveDefinition:
    """Turn the usage settings into an ``ActiveDefinition``; unknown names are an error."""
    known_products = set(PRODUCT_DEFAULT)
    bad_products = [p for p in products if p not in known_products]
    if bad_products or not products:
        raise ConfigError(
            f"usage.active_products: unknown or empty {bad_products or list(products)}",
            hint=f"use some of: {', '.join(sorted(known_products))} (org.yaml, usage section)",
        )
    chosen: list[str] = []
    ignored: list[str] = []
    for raw in metrics:
        name = ALIASES.get(raw, raw)
        if raw in NO_SOURCE:
            ignored.append(raw)
            continue
        if name not in METRICS:
            allowed = sorted(set(METRICS) | set(ALIASES) | NO_SOURCE)
            raise ConfigError(
                f"usage.active_metrics: unknown metric {raw!r}",
                hint=f"use some of: {', '.join(allowed)} (org.yaml, usage section)",
            )
        if METRICS[name][0] in products and name not in chosen:
            chosen.append(name)
    for product in products:
        if not any(METRICS[m][0] == product for m in chosen):
            chosen.append(PRODUCT_DEFAULT[product])
    columns: list[str] = []
    for name in chosen:
        for col in METRICS[name][1]:
            if col not in columns:
                columns.append(col)
    return ActiveDefinition(tuple(products), tuple(chosen), tuple(columns), tuple(ignored))
