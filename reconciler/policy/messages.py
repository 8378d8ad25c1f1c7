"""Every user-facing message of policy validation, as a named constant.

Codes are stable (tests and tools match on them); messages are ``str.format`` templates.
Each entry is ``(code, message, hint)``.
"""

from __future__ import annotations

from typing import NamedTuple


class Msg(NamedTuple):
    code: str
    message: str
    hint: str = ""


# --- files and bytes -------------------------------------------------------------
FILE_MISSING = Msg("file.missing", "{what} not found", "create {path} (see docs/policy.md)")
FILE_UNREADABLE = Msg("file.unreadable", "cannot read file: {reason}", "check permissions")
FILE_TOO_LARGE = Msg(
    "file.too-large",
    "file is {size:,} bytes, over the limit of {limit:,} bytes; not parsed",
    "split the team into several files, or raise the limit with --max-file-bytes",
)
TOO_MANY_FILES = Msg(
    "file.too-many",
    "{count:,} team files, over the limit of {limit:,}; nothing was parsed",
    "merge teams, or raise the limit with --max-files",
)
NOT_UTF8 = Msg("yaml.encoding", "invalid UTF-8 byte 0x{byte:02x}", "save the file as UTF-8")
CONTROL_CHAR = Msg(
    "yaml.control-char",
    "control character {char} is not allowed",
    "delete it; only newlines and spaces may appear as whitespace",
)
TAB = Msg("yaml.tab", "tab character (U+0009) found", "indent with spaces; YAML forbids tabs")
BOM_INSIDE = Msg(
    "yaml.bom",
    "byte order mark (U+FEFF) inside the file",
    "delete it; a BOM is only accepted as the very first character",
)
YAML_SYNTAX = Msg("yaml.syntax", "YAML syntax error: {problem}", "{hint}")
EMPTY = Msg(
    "yaml.empty",
    "policy file is empty",
    "an empty file never means 'remove everyone'; write the {what} or delete the file",
)
NOT_MAPPING = Msg(
    "yaml.top-level",
    "the file must hold a mapping (key: value), not a {kind}",
    "start the file with the top-level keys, e.g. `name:`",
)
MULTI_DOC = Msg(
    "yaml.multi-document", "several YAML documents in one file", "keep one document per file"
)
DUPLICATE_KEY = Msg(
    "yaml.duplicate-key",
    "duplicate key {key!r} (first at line {first}, again at line {again})",
    "keep one of them; YAML would silently drop the first",
)
NON_STRING_KEY = Msg(
    "yaml.key-type",
    "key {text!r} is read as {kind}, not text",
    'quote it ("{text}") so it cannot collide with another key',
)
ALIAS = Msg(
    "yaml.alias",
    "anchors and aliases ({what}) are not allowed",
    "write the values out; policy files stay plain so every line means what it says",
)
MERGE_KEY = Msg("yaml.merge-key", "merge keys (<<) are not allowed", "write the keys out")
TAG = Msg(
    "yaml.tag",
    "YAML tag {tag!r} is not allowed",
    "remove the tag; policy files take no tags (quote a value that must stay text: \"12\")",
)
CONTROL_ESCAPE = Msg(
    "yaml.control-escape",
    "{where} holds control character {char} (from a YAML escape or block scalar)",
    "remove it; names are printed in terminals, chat and files, where a control character "
    "can forge output",
)
SYMLINK_OUTSIDE = Msg(
    "file.symlink",
    "{what} is a symbolic link that leads outside the policy directory; not read",
    "copy the file into the policy directory, or link only to files inside it",
)
TEAM_FILE_SUFFIX = Msg(
    "file.suffix",
    "{name!r} looks like a team file but is not read: only *.yaml and *.yml are",
    "rename it to {fixed!r} (lower-case extension)",
)
TEAM_SUBDIR = Msg(
    "file.subdirectory",
    "{count} YAML file(s) in {name}/ are not read: team files sit directly in teams/",
    "move them up into teams/ (or delete them)",
)
NO_MEMBERS = Msg(
    "policy.empty",
    "the policy lists no members",
    "an empty policy never means 'remove everyone': add team files with members to "
    "{teams}",
)
TOO_DEEP = Msg(
    "yaml.depth",
    "nesting deeper than {limit} levels",
    "policy files need only a few levels; check for runaway indentation or brackets",
)

# --- schema ------------------------------------------------------------------------
SCHEMA_TYPE = Msg("schema.type", "{where}: expected {expected}, got {got}", "{hint}")
SCHEMA_UNKNOWN_KEY = Msg(
    "schema.unknown-key", "unknown key {key!r} in {where}", "allowed keys: {allowed}"
)
SCHEMA_REQUIRED = Msg("schema.required", "{where}: missing required key {key!r}", "add {key}:")
SCHEMA_ENUM = Msg("schema.enum", "{where}: {value!r} is not allowed", "allowed values: {allowed}")
SCHEMA_OTHER = Msg("schema.invalid", "{where}: {message}", "see the schema description")
SCHEMA_TOO_LONG = Msg(
    "schema.too-long",
    "{where}: {length:,} characters, over the limit of {limit:,}",
    "shorten it (limits: docs/policy.md, Limits)",
)
SCHEMA_TOO_BIG = Msg(
    "schema.too-big",
    "{where}: {value} is over the maximum of {limit:,}",
    "lower it (limits: docs/policy.md, Limits)",
)
SCHEMA_BROKEN = Msg(
    "schema.broken",
    "schema {name} is itself invalid: {message}",
    "reinstall seatctl or restore the schema file",
)
QUOTE_HINT = 'quote the value: {quoted}'

# --- semantic rules ----------------------------------------------------------------
BAD_DATE = Msg("value.date", "{value!r} is not a calendar date", "write YYYY-MM-DD")
EMAIL_CASE = Msg(
    "email.normalized",
    "email {raw!r} is compared as {norm!r}",
    "write it in lower case without surrounding spaces",
)
EMAIL_CHAR = Msg(
    "email.char",
    "email {raw!r} contains {char} at position {pos}",
    "retype the address; look-alike and invisible characters are refused, never repaired",
)
EMAIL_FORMAT = Msg("email.format", "email {raw!r} is not a valid address: {why}", "fix the address")
EMAIL_IDN = Msg(
    "email.idn",
    "email {raw!r} uses an internationalised (punycode) domain",
    "only ASCII domains on the allowlist are accepted",
)
EMAIL_DOMAIN = Msg(
    "email.domain",
    "email {raw!r}: domain {domain!r} not allowed",
    "allowed domains: {allowed} (organization.allowed_domains)",
)
EMAIL_PLUS = Msg(
    "email.plus-alias",
    "{email!r} looks like a sub-address of {base!r}",
    "they are two seats; remove one unless both are real accounts",
)
EMAIL_DUPLICATE = Msg(
    "member.duplicate",
    "{email!r} is listed twice in this team (also at line {other})",
    "keep one entry",
)
ROLE_CONFLICT = Msg(
    "member.role-conflict",
    "{email!r} has role {role!r} here but {other_role!r} in {other}",
    "give a member one role across all teams",
)
ROLE_UNKNOWN = Msg("role.unknown", "unknown role {role!r}", "{suggest}allowed roles: {allowed}")
ORG_ROLE_BAD = Msg(
    "role.org-role",
    "role {role!r}: org_role {org_role!r} cannot be assigned in a {org_type} org",
    "allowed org roles: {allowed}",
)
TIER_UNKNOWN = Msg("role.tier", "role {role!r}: unknown seat tier {tier!r}", "tiers: {allowed}")
FEATURE_CONFLICT = Msg(
    "role.features",
    "role {role!r} has both read_only and full_code_edit",
    "a read-only role cannot edit code; drop one",
)
BASELINE_TWICE = Msg(
    "role.baseline", "more than one baseline role: {roles}", "mark at most one role baseline"
)
INCREASE_NO_CAP = Msg(
    "role.spend-increases",
    "role {role!r}: spend_increases needs a monthly_spend_cap to raise",
    "add monthly_spend_cap to the role, or drop spend_increases",
)
INCREASE_BELOW_CAP = Msg(
    "role.spend-increases",
    "role {role!r}: auto_approve_up_to ${ceiling} is not above monthly_spend_cap ${cap}, "
    "so no request could ever be approved",
    "raise auto_approve_up_to above the cap, or drop it to decide every request by hand",
)
GROUP_CLASH = Msg(
    "group.clash",
    "RBAC group {group!r} is used by {first} and {second}",
    "give each team and role its own group",
)
TEAM_DUPLICATE = Msg(
    "team.duplicate", "team {team!r} is also defined in {other}", "team names must be unique"
)
TEAM_CONFLICT = Msg(
    "team.conflict",
    "team {team!r}: {field} is {here} here but {there} in org.yaml teams",
    "state it in one place or make them agree",
)
TEAM_NO_FILE = Msg(
    "team.no-file",
    "team {team!r} has an allocation but no team file",
    "add teams/{team}.yaml with its members, or drop it from org.yaml",
)
TEAM_NO_COST_CENTER = Msg(
    "team.cost-center",
    "team {team!r} has no cost center",
    "set cost_center here or in org.yaml teams",
)
TEAM_OVER = Msg(
    "team.over-allocation",
    "team {team!r} has {members} members but {seats} allocated seats",
    "raise allocated_seats, remove members, or set seat_policy.overflow_allowed",
)
TEAM_OVERFLOW = Msg(
    "team.overflow",
    "team {team!r} has {members} members, over its {seats} allocated seats (overflow)",
    "{approval}",
)
TEAM_OVERFLOW_BLOCKED = Msg(
    "team.overflow-threshold",
    "team {team!r} has {members} members, over its {seats} allocated seats, and the org "
    "already uses {pct:.0f}% of purchased seats (overflow threshold {threshold:.0f}%)",
    "raise the team's allocated_seats or remove members",
)
SEATS_OVER_PURCHASED = Msg(
    "seats.allocated",
    "teams allocate {allocated} seats but only {purchased} are purchased",
    "lower allocations or buy seats (seats.purchased)",
)
MEMBERS_OVER_PURCHASED = Msg(
    "seats.members",
    "{members} members need seats but only {purchased} are purchased",
    "remove members or buy seats",
)
DYNAMIC_MAX = Msg(
    "seats.dynamic-max",
    "dynamic_seating.max_seats {max_seats} is above the {purchased} purchased seats",
    "max_seats may not exceed seats.purchased",
)
PROTECTED_MISSING = Msg(
    "safety.protected",
    "protected member {email!r} is not listed in any team",
    "add them to a team; protected members must stay in the policy",
)
EXPIRED = Msg(
    "member.expired",
    "{email!r} expired on {date} (as of {today})",
    "plan will propose removing them; delete the entry or extend the date",
)
EXPIRY_AFTER_CONTRACT = Msg(
    "member.expiry-contract",
    "{email!r} expires on {date}, after the contract ends on {end}",
    "check the date",
)
SPRINT_ORDER = Msg("sprint.order", "sprint ends ({end}) before it starts ({start})", "swap them")
CONTRACT_ORDER = Msg("contract.order", "contract ends ({end}) before it starts ({start})", "fix")
TIER_DEFAULT = Msg("seats.default-tier", "default_tier {tier!r} is not a tier", "tiers: {allowed}")
BUFFER_ORDER = Msg("seats.buffer", "growth_buffer min_pct {lo} is above max_pct {hi}", "swap them")
NOTIFY_UNKNOWN = Msg(
    "notify.target",
    "notify target {target!r} is neither a webhook, a recipient list nor an email address",
    "known targets: {known}",
)
TELEMETRY_SECRET_HEADER = Msg(
    "usage.tracking-secret",
    "telemetry header {header!r} looks like a secret",
    "managed settings are readable by every member: put the credential in the script "
    "named by usage.tracking.headers_helper (Claude Code's otelHeadersHelper) instead",
)
TELEMETRY_PLAIN_HTTP = Msg(
    "usage.tracking-http",
    "{what} {url!r} is plain http to a host that is not this machine",
    "use https (plain http is accepted only for localhost, 127.0.0.1 or ::1)",
)
WEBHOOK_URL_INLINE = Msg(
    "notify.secret-url",
    "webhook {name!r} has its URL written in the file",
    "webhook URLs are secrets: use url_env and set the variable in CI",
)
BASE_URL_INSECURE = Msg(
    "org.base-url",
    "base_url {url!r} would send the admin key {why}",
    "use https://, or http:// only to a loopback address (127.0.0.1, ::1, localhost) "
    "such as a local sandbox",
)
WEBHOOK_BOTH = Msg("notify.webhook", "webhook {name!r} sets both url and url_env", "keep url_env")
WORKSPACES_ENTERPRISE = Msg(
    "team.workspaces",
    "team {team!r} lists workspaces, but workspaces exist only in Console orgs",
    "remove them, or set organization.type: console",
)
