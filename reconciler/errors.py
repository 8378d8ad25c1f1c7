"""One exception tree; each class knows the exit code the CLI returns for it.

    SeatctlError (1)                 anything seatctl reports instead of a traceback
    ├── PolicyError                  policy files invalid; carries findings
    ├── ConfigError                  missing env var, bad flag combination
    ├── ProviderError                the live org could not be read or changed
    │   ├── AuthError                401/403: wrong, revoked or under-scoped key
    │   ├── RateLimitedError         429 that could not be waited out in the deadline
    │   ├── TransientError           5xx, timeouts, dropped connections after retries
    │   ├── LiveReadError            incomplete, inconsistent or suspiciously empty read
    │   │   └── LiveReadInconsistent a listing changed while it was read
    │   ├── ApiRejectedError         a 4xx with a stable error_code (domain, seats...)
    │   ├── OrderConflict            409: the managed-settings order moved; re-plan
    │   └── ReadOnlyViolation        a write through a read-only provider (drift)
    ├── PlanError                    a plan that must not be applied (stale, guards...)
    ├── LockError                    another apply holds the org lock
    ├── AuditError                   the audit log cannot be written or does not verify
    ├── NotifyError                  a notification could not be delivered (never fatal)
    └── ApplyIncompleteError (3)     some changes done, some failed or not started

Messages are for people: one line saying what happened, then what to do. They never
contain the admin key (providers scrub it before raising).
"""

from __future__ import annotations


class SeatctlError(Exception):
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class PolicyError(SeatctlError):
    """Invalid policy; ``findings`` holds every finding, not just the first."""

    def __init__(self, message: str, findings: list[object] | None = None, **kw: str) -> None:
        super().__init__(message, **kw)
        self.findings = findings or []


class ConfigError(SeatctlError):
    pass


class ProviderError(SeatctlError):
    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.error_code = error_code
        self.request_id = request_id


class AuthError(ProviderError):
    pass


class RateLimitedError(ProviderError):
    pass


class TransientError(ProviderError):
    pass


class LiveReadError(ProviderError):
    pass


class LiveReadInconsistent(LiveReadError):
    """The listing changed while it was read (an id twice, a reference to nobody)."""


class ApiRejectedError(ProviderError):
    pass


class OrderConflict(ProviderError):
    """409: the order version is stale (or the order moved while listing): re-read, re-plan."""


class ReadOnlyViolation(ProviderError):
    """A write attempted through a read-only provider (drift runs, S17/F23)."""


class PlanError(SeatctlError):
    pass


class LockError(SeatctlError):
    pass


class AuditError(SeatctlError):
    pass


class NotifyError(SeatctlError):
    """A notification could not be delivered; reported, never fatal to the run."""


class ApplyIncompleteError(SeatctlError):
    exit_code = 3
