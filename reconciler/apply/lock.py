"""One writer per organization: a lock file per organization in one lock directory.

The lock is keyed by the organization, not by ``--state-dir``: two applies to the same
org with different state directories must still exclude each other (issue 16, defect
10), so the lock directory is per machine user — ``$SEATCTL_LOCK_DIR``, else
``$XDG_STATE_HOME/seatctl/locks``, else ``~/.local/state/seatctl/locks`` — and the file
is named for the organization. Two orgs of the same name share a lock (over-locking is
safe; under-locking is not).

Why a file: local runs and self-hosted CI share a machine, and a file created
with an atomic exclusive operation is the simplest lock that survives a crash visibly
(the holder, its run id and its age stay readable). GitHub workflows add a
``concurrency`` group on top (see docs/apply.md); this lock is the backstop.

Rules (RELIABILITY invariant 3, L9, F13, F14, F17):

- The lock is created complete or not at all: the record is written to a temporary
  file and hard-linked into place (``link`` fails if the name exists), so a reader
  never sees a half-written lock.
- A held lock fails after ``timeout`` seconds, naming holder, run id, host, pid, age.
- A lock is never broken automatically; ``force_unlock`` needs the exact lock id and
  writes an audit event.
- Anything unexpected (unreadable directory, damaged lock file) fails closed.
- A ``created`` time in the future (clock skew) shows as age 0 "created in the
  future", never a negative age.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from reconciler.errors import LockError

LOCK_DIR_ENV = "SEATCTL_LOCK_DIR"


def lock_dir(env: Mapping[str, str] | None = None) -> pathlib.Path:
    """The one lock directory of this machine user (see the module docstring)."""
    env = os.environ if env is None else env
    if env.get(LOCK_DIR_ENV):
        return pathlib.Path(env[LOCK_DIR_ENV])
    state = env.get("XDG_STATE_HOME") or str(pathlib.Path.home() / ".local" / "state")
    return pathlib.Path(state) / "seatctl" / "locks"


def lock_path(org: str, folder: str | os.PathLike[str] | None = None) -> pathlib.Path:
    """Where the lock for ``org`` lives: ``folder`` (default ``lock_dir()``) / a
    filesystem-safe form of the organization's name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", org.strip()).strip("-.") or "default"
    return pathlib.Path(lock_dir() if folder is None else folder) / f"{safe}.lock"


@dataclass(frozen=True, slots=True)
class LockInfo:
    """What a lock file holds: enough for a person to find and judge the holder."""

    id: str
    org: str
    owner: str
    run_id: str
    pid: int
    host: str
    created: str  # ISO 8601 UTC

    def created_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created.replace("Z", "+00:00"))

    def age(self, now: dt.datetime) -> dt.timedelta:
        """Never negative: a lock from the future (clock skew) is age 0."""
        return max(now - self.created_at(), dt.timedelta(0))

    def describe(self, now: dt.datetime) -> str:
        skew = self.created_at() > now + dt.timedelta(seconds=5)
        age = "created in the future (clock skew)" if skew else f"age {_fmt_age(self.age(now))}"
        return (f"held by {self.owner} (run {self.run_id or '-'}, pid {self.pid} on {self.host}, "
                f"{age}, lock id {self.id})")


def _fmt_age(age: dt.timedelta) -> str:
    secs = int(age.total_seconds())
    if secs < 120:
        return f"{secs}s"
    if secs < 7200:
        return f"{secs // 60}m"
    if secs < 172800:
        return f"{secs // 3600}h{(secs % 3600) // 60:02d}m"
    return f"{secs // 86400}d"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def read_lock(path: str | os.PathLike[str]) -> LockInfo | None:
    """The current holder, or None if free. Damaged or unreadable → ``LockError``."""
    p = pathlib.Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LockError(f"cannot read lock {p}: {exc.strerror or exc}",
                        hint="fix the lock directory's permissions; refusing to write") from exc
    try:
        data: dict[str, Any] = json.loads(raw)
        return LockInfo(**{k: data[k] for k in LockInfo.__dataclass_fields__})
    except (ValueError, KeyError, TypeError) as exc:
        raise LockError(
            f"lock file {p} is damaged; refusing to write",
            hint=f"inspect it; if no apply is running, delete {p} by hand",
        ) from exc


class OrgLock:
    """A held lock; release it with ``release()`` or use it as a context manager."""

    def __init__(self, path: pathlib.Path, info: LockInfo) -> None:
        self.path = path
        self.info = info
        self.released = False

    def release(self) -> None:
        """Remove the lock only if it is still ours (a force-unlock may have taken it)."""
        if self.released:
            return
        self.released = True
        try:
            current = read_lock(self.path)
        except LockError:
            return
        if current is not None and current.id == self.info.id:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> OrgLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(
    path: str | os.PathLike[str],
    *,
    org: str,
    owner: str,
    run_id: str,
    timeout: float = 0.0,
    poll: float = 0.5,
    clock: Callable[[], dt.datetime] = _utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> OrgLock:
    """Take the org lock, waiting up to ``timeout`` seconds for a holder to finish."""
    p = pathlib.Path(path)
    info = LockInfo(
        id=uuid.uuid4().hex,
        org=org,
        owner=owner,
        run_id=run_id,
        pid=os.getpid(),
        host=socket.gethostname(),
        created=clock().astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
    deadline = monotonic() + max(timeout, 0.0)
    while True:
        if _try_create(p, info):
            return OrgLock(p, info)
        holder = read_lock(p)
        if holder is None:  # released between our attempt and the read: try again now
            continue
        remaining = deadline - monotonic()
        if remaining <= 0:
            waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
            raise LockError(
                f"organization {org!r} is locked{waited}: {holder.describe(clock())}",
                hint=_hint(p, holder),
            )
        sleep(min(poll, remaining))


def _hint(path: pathlib.Path, holder: LockInfo) -> str:
    gone = ""
    if holder.host == socket.gethostname() and not _pid_alive(holder.pid):
        gone = "its process is gone; "
    return (f"{gone}wait for that run (or pass --lock-timeout), or if it crashed run "
            f"`seatctl lock force-unlock {holder.id}`")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _try_create(path: pathlib.Path, info: LockInfo) -> bool:
    """Atomically create the lock with full content; False if it already exists."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{info.id}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, (json.dumps(asdict(info), sort_keys=True) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise LockError(
            f"cannot create lock {path}: {exc.strerror or exc}",
            hint="the lock directory must be writable; refusing to apply without a lock",
        ) from exc


def force_unlock(
    path: str | os.PathLike[str],
    lock_id: str,
    *,
    audit: Any | None = None,
    actor: str = "",
    clock: Callable[[], dt.datetime] = _utcnow,
) -> LockInfo:
    """Remove a lock left by a crashed run; only the exact lock id is accepted."""
    p = pathlib.Path(path)
    holder = read_lock(p)
    if holder is None:
        raise LockError(f"no lock at {p}; nothing to unlock")
    if lock_id.strip() != holder.id:
        raise LockError(
            f"lock id {lock_id!r} does not match the lock {holder.describe(clock())}",
            hint="copy the exact lock id from `seatctl lock show`",
        )
    if audit is not None:
        audit.event("force_unlock", lock=asdict(holder), by=actor)
    try:
        p.unlink()
    except OSError as exc:
        raise LockError(f"cannot remove lock {p}: {exc.strerror or exc}") from exc
    return holder
