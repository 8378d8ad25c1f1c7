"""Policy as code: strict YAML loading, JSON Schema, semantic rules, compile to a Policy.

Public API (other layers import from here):

- ``load_policy(root) -> Policy`` — raises ``PolicyError`` with every finding.
- ``validate_policy(root, *, today=None, ...) -> ValidationResult`` — ``.policy``,
  ``.findings``, ``.ok``.
- ``Finding`` — ``file:line:col: severity: message (hint: ...)``.
- ``write_policy(policy, out_dir) -> list[Path]`` — a policy repo that loads back equal.
- ``compile_desired(...)`` — roles + teams + assignments → desired ``OrgState``.
- ``allocated_seats_at(team, budget, at) -> int`` — dynamic seating on a day.
"""

from reconciler.policy.api import ValidationResult, load_policy, validate_policy
from reconciler.policy.compile import compile_desired
from reconciler.policy.findings import Finding, sort_findings
from reconciler.policy.seating import allocated_seats_at
from reconciler.policy.writer import write_policy

__all__ = [
    "Finding",
    "ValidationResult",
    "allocated_seats_at",
    "compile_desired",
    "load_policy",
    "sort_findings",
    "validate_policy",
    "write_policy",
]
