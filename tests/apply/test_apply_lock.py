"""The org lock: one writer, a clear holder message, exact-id force-unlock (L9, F13, F14, F17)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import threading

import pytest

from reconciler.apply import audit, lock
from reconciler.errors import AuditError, LockError

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def take(path: pathlib.Path, **kw) -> lock.OrgLock:
    kw.setdefault("clock", lambda: NOW)
    return lock.acquire(path, org="acme", owner=kw.pop("owner", "alice"),
                        run_id=kw.pop("run_id", "101"), **kw)


def test_lock_path_is_per_org_and_safe(tmp_path: pathlib.Path) -> None:
    assert lock.lock_path("Acme Corp", tmp_path).name == "Acme-Corp.lock"
    assert lock.lock_path("../etc", tmp_path).parent == tmp_path


def test_lock_dir_comes_from_the_environment_not_the_state_dir(tmp_path: pathlib.Path) -> None:
    env = {"SEATCTL_LOCK_DIR": str(tmp_path / "l"), "XDG_STATE_HOME": str(tmp_path / "x")}
    assert lock.lock_dir(env) == tmp_path / "l"
    assert lock.lock_dir({"XDG_STATE_HOME": str(tmp_path / "x")}) == \
        tmp_path / "x" / "seatctl" / "locks"


def test_lock_records_holder_and_releases(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    with take(path) as held:
        info = lock.read_lock(path)
        assert info == held.info
        assert (info.owner, info.run_id, info.org) == ("alice", "101", "acme")
        assert info.pid > 0 and info.host
    assert lock.read_lock(path) is None


def test_held_lock_fails_naming_holder_run_and_age(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    first = take(path)
    later = NOW + dt.timedelta(minutes=7)
    with pytest.raises(LockError) as err:
        take(path, owner="bob", run_id="202", clock=lambda: later)
    text = str(err.value)
    assert "held by alice" in text and "run 101" in text and "age 7m" in text
    assert first.info.id in text and "force-unlock" in text
    first.release()


def test_waits_up_to_the_timeout_then_fails(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    take(path)
    t = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        t[0] += s

    with pytest.raises(LockError, match="after waiting 3s"):
        take(path, timeout=3, poll=0.5, monotonic=lambda: t[0], sleep=sleep)
    assert sum(slept) == pytest.approx(3.0)


def test_waiting_succeeds_when_the_holder_finishes(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    first = take(path)
    threading.Timer(0.2, first.release).start()
    second = take(path, owner="bob", timeout=5, poll=0.05)
    assert lock.read_lock(path).owner == "bob"
    second.release()


def test_two_racing_applies_only_one_wins(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    winners: list[str] = []
    errors: list[str] = []
    barrier = threading.Barrier(8)

    def contender(i: int) -> None:
        barrier.wait()
        try:
            take(path, owner=f"run{i}")
            winners.append(f"run{i}")
        except LockError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(winners) == 1 and len(errors) == 7
    assert lock.read_lock(path).owner == winners[0]


def test_force_unlock_needs_the_exact_id_and_is_audited(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    held = take(path)  # a crashed run never releases
    log = audit.AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(LockError, match="does not match"):
        wrong_last = "1" if held.info.id.endswith("0") else "0"  # one character off, always
        lock.force_unlock(path, held.info.id[:-1] + wrong_last, audit=log, actor="carol")
    assert lock.read_lock(path) is not None
    assert log.records_written == 0
    lock.force_unlock(path, held.info.id, audit=log, actor="carol")
    assert lock.read_lock(path) is None
    (event,) = audit.show(tmp_path / "audit.jsonl")
    assert event["event"] == "force_unlock" and event["by"] == "carol"
    assert event["lock"]["id"] == held.info.id


def test_force_unlock_not_done_when_audit_cannot_be_written(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    held = take(path)
    (tmp_path / "blocker").write_text("")
    with pytest.raises(AuditError):
        lock.force_unlock(path, held.info.id, audit=audit.AuditLog(tmp_path / "blocker" / "a"))
    assert lock.read_lock(path) is not None


def test_release_after_force_unlock_does_not_remove_the_new_holder(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    old = take(path)
    lock.force_unlock(path, old.info.id)
    new = take(path, owner="bob")
    old.release()
    assert lock.read_lock(path).id == new.info.id


def test_unreadable_lock_dir_fails_closed(tmp_path: pathlib.Path) -> None:
    (tmp_path / "locks").write_text("not a directory")
    with pytest.raises(LockError, match="refusing"):
        take(lock.lock_path("acme", tmp_path / "locks"))


def test_damaged_lock_file_fails_closed(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{half a lock")
    with pytest.raises(LockError, match="damaged"):
        take(path)
    assert path.read_text() == "{half a lock"


def test_lock_created_in_the_future_shows_clock_skew(tmp_path: pathlib.Path) -> None:
    path = lock.lock_path("acme", tmp_path)
    take(path, clock=lambda: NOW + dt.timedelta(hours=3))
    with pytest.raises(LockError) as err:
        take(path, owner="bob")
    assert "created in the future (clock skew)" in str(err.value)
    info = lock.read_lock(path)
    assert info.age(NOW) == dt.timedelta(0)
    assert json.loads(path.read_text())["created"].endswith("Z")
