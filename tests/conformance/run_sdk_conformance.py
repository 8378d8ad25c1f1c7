"""Run the official SDK's generated organization tests against ``seatctl sandbox serve``.

Usage: ``.venv/bin/python tests/conformance/run_sdk_conformance.py [--work DIR]``

1. Downloads the source distribution of the ``anthropic`` version installed here
   (``pip download --no-binary :all: --no-deps anthropic==<version>``) into
   ``--work`` (default ``.seatctl/conformance``) and unpacks it; nothing of it is
   copied into this repository.
2. Replaces its ``tests/conftest.py`` with a small one (``CONFTEST`` below: the same
   ``client`` fixture, loose and strict, without the snapshot and async plugins).
3. For each org type (Enterprise, Console) seeds a sandbox (``seed.py``: the demo
   org plus an object under each placeholder ID), serves it with ``seatctl sandbox
   serve --accept-key-env`` for the tests' fixed key, and runs the sync tests of
   ``tests/api_resources/organization`` and ``tests/api_resources/beta/organization``.
4. A test passes when it passes against either org type (each endpoint exists for
   one type or both). A test of an endpoint the sandbox does not emulate must meet
   that endpoint's catalogued answer (``CATALOGUED``: 403 org:admin, 404 beta off, not
   modelled, a report not emulated). Every other failure must be listed in
   ``expected_failures.txt`` with its placeholder reason; an unlisted failure fails the
   run (exit 1), and so does a listed test that now passes (the list must stay true).

The async tests are left out: they send the same requests through the same
serialisation, and need the SDK's own test plugins.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import pathlib
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXPECTED = HERE / "expected_failures.txt"
SDK_TEST_KEY = "my-anthropic-api-key"  # the fixed key in the SDK's tests/conftest.py
SUITES = ("tests/api_resources/organization", "tests/api_resources/beta/organization")
CONFTEST = '''\
import os

import pytest

from anthropic import Anthropic

pytest.register_assert_rewrite("tests.utils")


_clients = {}


@pytest.fixture  # per test, so loose and strict cases alternate; the clients are shared
def client(request):
    strict = getattr(request, "param", True)
    if strict not in _clients:
        _clients[strict] = Anthropic(base_url=os.environ["TEST_API_BASE_URL"],
                                     api_key="SDK_TEST_KEY",
                                     _strict_response_validation=strict, max_retries=0)
    return _clients[strict]
'''.replace("SDK_TEST_KEY", SDK_TEST_KEY)


def fetch_sdist(version: str, work: pathlib.Path) -> pathlib.Path:
    """The unpacked sdist of ``anthropic==version`` (downloaded once, then reused)."""
    src = work / f"anthropic-{version}"
    if (src / "tests" / "api_resources").is_dir():
        return src
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
                    "--no-deps", "--quiet", f"anthropic=={version}", "-d", str(work)],
                   check=True)  # fmt: skip
    archive = work / f"anthropic-{version}.tar.gz"
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    return src


def prepare(src: pathlib.Path) -> None:
    (src / "tests" / "conftest.py").write_text(CONFTEST)
    (src / "conformance.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")


def serve(db: pathlib.Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "SDK_TEST_KEY": SDK_TEST_KEY}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.cli.main", "sandbox", "serve", "--db", str(db),
         "--port", "0", "--accept-key-env", "SDK_TEST_KEY"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"conformance: the sandbox did not start: {line!r}")
    return proc, line.split(" on ", 1)[1].split()[0]


def run_suite(src: pathlib.Path, url: str, report: pathlib.Path, suite: str) -> dict[str, str]:
    """test id → "" when it passed, else the first line of its failure."""
    env = {**os.environ, "TEST_API_BASE_URL": url}
    for name in list(env):
        if name.startswith("ANTHROPIC_"):
            env.pop(name)
    subprocess.run([sys.executable, "-m", "pytest", suite, "-c", "conformance.ini",
                    "--rootdir", str(src), "-q", "-k", "not Async", "-p", "no:randomly",
                    "--continue-on-collection-errors", "--tb=no",
                    f"--junitxml={report}", "-o", "junit_family=xunit1"],
                   cwd=src, env=env, stdout=subprocess.DEVNULL, check=False)  # fmt: skip
    results: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if case.find("skipped") is not None:
            continue
        results[test_id] = "" if bad is None else (bad.get("message") or "failed").splitlines()[0]
    return results


#: Failures that are the catalogued answer of an endpoint the sandbox does not emulate
#: (reconciler/sandbox/catalog.py; only its fallback routes say these words). They are
#: checked here, not listed: a different failure of such a test is unexpected.
CATALOGUED: tuple[tuple[str, str], ...] = (
    ("not turned on for this organization", "beta off: 404, as the SDK documents"),
    ("org:admin", "needs an org:admin OAuth token: 403 to Admin API keys"),
    ("is not configured for this organization", "not modelled: 400"),
    ("none is configured in this organization", "not modelled: 404"),
    ("is not emulated by the sandbox", "a report the sandbox does not emulate: 404"),
    ("collection failure", "not run: the module needs respx (an SDK test dependency)"),
)
#: (substring of the failure, reason written to the expectations file), first match wins.
REASONS: tuple[tuple[str, str], ...] = (
    ("is not a member of workspace", "placeholder id: an earlier test removed that member"),
    ("has no Claude Code managed settings",
     "placeholder id: an earlier test deleted that group's settings (404)"),
    ("Use at most one of after_id and before_id",
     "placeholder value: sends both after_id and before_id (400, ADMIN_API.md §2)"),
    ("An archived workspace cannot be", "placeholder id: an earlier test archived it"),
    ("date or starting_date: one is required",
     "placeholder value: sends neither date nor starting_date (400)"),
    ("Use either date or starting_date",
     "placeholder value: sends both date and starting_date (400)"),
    ("not found", "placeholder id: no such object, or an earlier test deleted it (404)"),
    ("is not in RBAC group", "placeholder id: an earlier test removed that member (404)"),
    ("not a member of this organization", "placeholder id: an earlier test removed that member"),
    ("already exists", "placeholder value: the same placeholder email is invited twice"),
    ("already approved", "placeholder id: an earlier test resolved that request"),
    ("already denied", "placeholder id: an earlier test resolved that request"),
    ("Only a pending invite", "placeholder id: an earlier test deleted that invite"),
    ("not a page token", "placeholder value: page=\"page\" is not a page token (400)"),
    ("Analytics data starts on",
     "placeholder value: a date before the org's analytics begin (400)"),
    ("unknown role 'string'", "placeholder value: roles[]=\"string\" is not a role (400)"),
    ("rbac_group_order_version", "placeholder value: a made-up order version (409)"),
)


def catalogued(failure: str) -> str | None:
    """The catalogued answer this failure is, or None."""
    return next((why for needle, why in CATALOGUED if needle in failure), None)


def reason_for(failure: str) -> str:
    for needle, reason in REASONS:
        if needle in failure:
            return reason
    return "UNCLASSIFIED: " + failure[:200]


def load_expected() -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in EXPECTED.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            test_id, _, reason = line.partition(" | ")
            out[test_id.strip()] = reason.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default=str(ROOT / ".seatctl" / "conformance"))
    parser.add_argument("--write-expected", action="store_true",
                        help="print the failures in the expectations file's format")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.conformance.seed import seed_conformance

    started = time.monotonic()
    version = importlib.metadata.version("anthropic")
    work = pathlib.Path(args.work)
    src = fetch_sdist(version, work)
    prepare(src)
    merged: dict[str, str] = {}
    runs = [(org_type, suite) for org_type in ("enterprise", "console") for suite in SUITES]
    for org_type, suite in runs:  # a fresh org per run: the tests delete what they find
        db = work / f"conformance-{org_type}.db"
        for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)
        seed_conformance(str(db), org_type)
        proc, url = serve(db)
        try:
            report = work / f"junit-{org_type}-{suite.rsplit('/', 2)[-2]}.xml"
            results = run_suite(src, url, report, suite)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        for test_id, failure in results.items():
            before = merged.get(test_id)
            if before == "" or not failure:
                merged[test_id] = ""
            elif before is None or "organization_type_not_supported" in before:
                merged[test_id] = failure  # the failure of the org type it belongs to
    answered = {t: f for t, f in merged.items() if f and catalogued(f)}
    failed = {t: f for t, f in merged.items() if f and t not in answered}
    if args.write_expected:
        print("# Generated organization tests of the SDK that fail against the sandbox, with why")
        print("# (tests/conformance/run_sdk_conformance.py --write-expected; review before use).")
        for test_id, failure in sorted(failed.items()):
            print(f"{test_id} | {reason_for(failure)}")
        return 0
    expected = load_expected()
    unexpected = sorted(set(failed) - set(expected))
    now_pass = sorted(t for t in expected if merged.get(t) == "")
    took = time.monotonic() - started
    passed = len(merged) - len(failed) - len(answered)
    print(f"anthropic {version}: {len(merged)} generated organization tests, {passed} passed, "
          f"{len(answered)} met the catalogued answer of an endpoint not emulated, "
          f"{len(failed)} failed ({len(failed) - len(unexpected)} listed), {took:.0f} s")
    for why, count in sorted(Counter(catalogued(f) for f in answered.values()).items()):
        print(f"  {count:5d}  {why}")
    for test_id in unexpected:
        print(f"UNEXPECTED FAILURE {test_id}: {failed[test_id]}")
    for test_id in now_pass:
        print(f"LISTED BUT PASSES {test_id}: remove it from {EXPECTED.name}")
    return 1 if unexpected or now_pass else 0


if __name__ == "__main__":
    sys.exit(main())
