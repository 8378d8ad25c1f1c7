"""A fake GitHub REST API on 127.0.0.1: the calls seatctl's workflow steps make.

Holds issues/PR comments, label history, merged PRs by merge commit, workflow runs by
head commit and issues, in memory. Tests set it up (``merge``, ``label``,
``plan_run``) and read what the steps wrote (``comments``, ``issues``).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "ghs_fake_token_for_tests"


@dataclass
class FakeGitHub:
    repo: str = "acme/policy"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    # -- test-side setup -------------------------------------------------------------

    def open_pr(self, number: int, head_sha: str, base_sha: str) -> dict[str, Any]:
        pr = {"number": number, "head": {"sha": head_sha, "repo": {"full_name": self.repo}},
              "base": {"sha": base_sha, "repo": {"full_name": self.repo}}, "labels": [],
              "merge_commit_sha": None, "merged_at": None}
        self.pulls[number] = pr
        return pr

    def label(self, number: int, name: str, actor: str) -> None:
        self.events.setdefault(number, []).append(
            {"event": "labeled", "label": {"name": name}, "actor": {"login": actor}})
        labels = self.pulls[number]["labels"]
        if all(lb["name"] != name for lb in labels):
            labels.append({"name": name})

    def plan_run(self, head_sha: str, conclusion: str = "success") -> int:
        run_id = next(self._ids)
        self.runs.append({"id": run_id, "head_sha": head_sha, "event": "pull_request",
                          "path": ".github/workflows/seatctl-plan.yml",
                          "conclusion": conclusion, "created_at": f"2026-11-25T{run_id}"})
        return run_id

    def merge(self, number: int, merge_sha: str) -> None:
        self.pulls[number].update(merge_commit_sha=merge_sha, merged_at="2026-11-25T12:00:00Z")

    def sticky(self, number: int, marker: str = "<!-- seatctl-plan -->") -> str:
        mine = [c["body"] for c in self.comments.get(number, []) if marker in c["body"]]
        assert len(mine) <= 1, "more than one sticky comment"
        return mine[0] if mine else ""

    # -- the API -----------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any
               ) -> tuple[int, Any]:
        self.calls.append((method, path))
        base = f"/repos/{self.repo}"
        if not path.startswith(base):
            return 404, {"message": "Not Found"}
        rest = path[len(base):]
        if query.get("page", "1") != "1":
            return 200, {"workflow_runs": []} if rest == "/actions/runs" else []
        if m := re.fullmatch(r"/issues/(\d+)/comments", rest):
            n = int(m[1])
            if method == "GET":
                return 200, self.comments.get(n, [])
            c = {"id": next(self._ids), "body": body["body"]}
            self.comments.setdefault(n, []).append(c)
            return 201, c
        if m := re.fullmatch(r"/issues/comments/(\d+)", rest):
            for cs in self.comments.values():
                for c in cs:
                    if c["id"] == int(m[1]):
                        c["body"] = body["body"]
                        return 200, c
            return 404, {"message": "Not Found"}
        if m := re.fullmatch(r"/issues/(\d+)/events", rest):
            return 200, self.events.get(int(m[1]), [])
        if m := re.fullmatch(r"/commits/([0-9a-f]+)/pulls", rest):
            return 200, [p for p in self.pulls.values() if p["merge_commit_sha"] == m[1]]
        if rest == "/actions/runs":
            return 200, {"workflow_runs": [r for r in self.runs
                                           if r["head_sha"] == query.get("head_sha")]}
        if rest == "/issues" and method == "GET":
            return 200, [i for i in self.issues.values() if i["state"] == "open"
                         and query.get("labels", "") in [lb for lb in i["labels"]]]
        if rest == "/issues" and method == "POST":
            n = next(self._ids)
            self.issues[n] = {"number": n, "state": "open", **body}
            return 201, self.issues[n]
        if rest == "/pulls":
            return self._pulls(method, query, body)
        if (m := re.fullmatch(r"/pulls/(\d+)", rest)) and method == "PATCH":
            pr = self.pulls[int(m[1])]
            pr.update(body)
            return 200, pr
        if m := re.fullmatch(r"/issues/(\d+)", rest):
            issue = self.issues[int(m[1])]
            issue.update(body)
            return 200, issue
        return 404, {"message": "Not Found"}

    def _pulls(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        """List by ``head=owner:branch`` and ``state``; create refuses a second open PR
        for one head with 422, as GitHub does."""
        owner = self.repo.split("/", 1)[0]
        if method == "GET":
            state = query.get("state", "open")
            return 200, [p for p in self.pulls.values()
                         if p.get("head", {}).get("label") == query.get("head")
                         and (state == "all" or p.get("state") == state)]
        label = f"{owner}:{body['head']}"
        if any(p.get("head", {}).get("label") == label and p.get("state") == "open"
               for p in self.pulls.values()):
            return 422, {"message": "A pull request already exists for " + label}
        n = next(self._ids)
        self.pulls[n] = {"number": n, "state": "open", "title": body["title"],
                         "body": body["body"], "head": {"ref": body["head"], "label": label},
                         "base": {"ref": body["base"]}, "labels": [],
                         "merge_commit_sha": None, "merged_at": None}
        return 201, self.pulls[n]


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Serve ``fake`` on a free port of 127.0.0.1 for the block; checks the token."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _do(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            size = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(size)) if size else None
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, doc = 401, {"message": "Bad credentials"}
            else:
                with lock:
                    status, doc = fake.handle(self.command, url.path, query, body)
            raw = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = _do

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
