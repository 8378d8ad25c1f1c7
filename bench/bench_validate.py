"""Policy loading and validation at scale: 10,000 and 100,000 members.

``make_policy_repo(dir, members=..., teams=...)`` writes a valid policy repository of
that size (org.yaml, roles.yaml, ``teams`` team files); the plan benchmark reuses it.

Measured: ``validate_policy`` (strict loader, compiled schema, rules, compile) on
10k members in 500 files and 100k members in 5,000 files, against a baseline that does
what a straightforward implementation would: ``yaml.load`` with the pure-Python
``SafeLoader`` and ``jsonschema`` on every file (no rules, no compile).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import jsonschema
import yaml

from bench.harness import Result, peak_memory_mb, time_median

ROLES = ("developer", "senior_developer", "contractor", "intern")

ORG = """# yaml-language-server: $schema=../schemas/org.schema.json
organization:
  name: Bench Corp
  type: enterprise
  provider: sandbox
  admin_key_env: SEATCTL_ADMIN_KEY
  allowed_domains: [bench.example]
seats:
  purchased: {purchased}
  default_tier: standard
  tiers:
    standard: {{seat_type: Standard, monthly_price: 30.00}}
    restricted: {{seat_type: Restricted, monthly_price: 20.00}}
    learning: {{seat_type: Learning, monthly_price: 20.00}}
seat_policy:
  allocation_model: team_based
  overflow_allowed: false
safety:
  protected: [user000000@bench.example]
"""

ROLES_YAML = """# yaml-language-server: $schema=../schemas/roles.schema.json
roles:
  developer: {display_name: Developer, org_role: user, seat_tier: standard,
              features: [full_code_edit], group: claude-developers}
  senior_developer: {display_name: Senior Developer, org_role: user, seat_tier: standard,
                     features: [full_code_edit, audit], group: claude-senior-developers}
  contractor: {display_name: Contractor, org_role: managed, seat_tier: restricted,
               max_daily_hours: 4, features: [read_only, suggestions], monthly_spend_cap: 100,
               group: claude-contractors}
  intern: {display_name: Intern, org_role: user, seat_tier: learning, max_daily_hours: 6,
           features: [full_code_edit, mentoring], monthly_spend_cap: 50, group: claude-interns}
"""


def make_policy_repo(directory: str | Path, *, members: int = 10_000, teams: int = 500) -> Path:
    """Write a valid policy repo with ``members`` spread evenly over ``teams`` team files.

    Emails are ``user{n:06d}@bench.example``; roles cycle through developer (most),
    senior developer, contractor and intern; every tenth member has an expiry date.
    Returns the policy directory.
    """
    root = Path(directory)
    (root / "teams").mkdir(parents=True, exist_ok=True)
    per, extra = divmod(members, teams)
    purchased = members + teams * 2 + 10
    (root / "org.yaml").write_text(ORG.format(purchased=purchased))
    (root / "roles.yaml").write_text(ROLES_YAML)
    n = 0
    for t in range(teams):
        size = per + (1 if t < extra else 0)
        lines = [
            "# yaml-language-server: $schema=../../schemas/team.schema.json",
            f"name: team-{t:05d}",
            f"cost_center: CC-{t % 97:03d}",
            f"allocated_seats: {size + 2}",
            f"group: team-{t:05d}",
            "members:",
        ]
        for i in range(size):
            role = ROLES[0] if i % 5 else ROLES[(i // 5) % 4]
            lines.append(f"  - email: user{n:06d}@bench.example")
            lines.append(f"    role: {role}")
            if n % 10 == 3:
                lines.append("    expires: 2099-12-31")
            n += 1
        (root / "teams" / f"team-{t:05d}.yaml").write_text("\n".join(lines) + "\n")
    return root


def baseline(root: Path) -> int:
    """Pure-Python SafeLoader + jsonschema per file (what we avoid)."""
    schemas = {k: json.loads((Path(__file__).parent.parent / "schemas" / f"{k}.schema.json")
                             .read_text()) for k in ("org", "roles", "team")}
    validators = {k: jsonschema.Draft202012Validator(v) for k, v in schemas.items()}
    count = 0
    for kind, path in [("org", root / "org.yaml"), ("roles", root / "roles.yaml")] + [
        ("team", p) for p in sorted((root / "teams").glob("*.yaml"))
    ]:
        data = yaml.load(path.read_bytes(), Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
        count += sum(1 for _ in validators[kind].iter_errors(data))
    return count


def run() -> list[Result]:
    from reconciler.policy import load_policy, validate_policy

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for members, teams, target in ((10_000, 500, "≪ 1 s"), (100_000, 5_000, "≤ ~1.0 s")):
            root = make_policy_repo(Path(tmp) / f"p{members}", members=members, teams=teams)
            result = validate_policy(root)
            assert result.ok, result.errors[:3]
            assert len(result.policy.desired.members) == members  # type: ignore[union-attr]
            t = time_median(lambda root=root: load_policy(root), runs=7)
            base = time_median(lambda root=root: baseline(root), runs=1, warmup=0)
            out.append(Result(
                f"policy: load_policy {members:,} members / {teams:,} files",
                f"{t.median_s:.3f} s", target,
                f"one process; baseline "
                f"SafeLoader+jsonschema {base.median_s:.2f} s "
                f"({base.median_s / t.median_s:.1f}x slower)"))
        small = make_policy_repo(Path(tmp) / "p10k-mem", members=10_000, teams=500)
        mem = peak_memory_mb(lambda: load_policy(small))
        out.append(Result("policy: peak Python heap, load 10,000 members", f"{mem:.0f} MiB"))
    return out


if __name__ == "__main__":
    for r in run():
        print(r.row())
