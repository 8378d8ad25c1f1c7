"""Messages that render where they land (issue 18) and carry hostile names inert (16/7).

Slack gets Block Kit: a header with the headline (once), headings as bold sections,
tables as preformatted text, never GitHub Markdown; email gets multipart/alternative
with an HTML version whose every value is escaped. The drift report is evaluated at
``TODAY`` (2026-11-20), stated here; nothing else depends on a date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from types import MappingProxyType
from typing import Any

from gitops.gitops_builders import make_policy

from reconciler.gitops.drift import drift_from_live
from reconciler.gitops.render_drift import headline, render_drift, render_drift_markdown
from reconciler.model import Group, Member, OrgState, OrgType
from reconciler.notify.email import build_message
from reconciler.notify.message import from_markdown, from_text
from reconciler.notify.webhook import HEADER_LIMIT, MAX_BLOCKS, SECTION_LIMIT, build_payload
from reconciler.usage.render import Column, Table, View, render

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
A = "alice@acme.example"
EVIL_GROUP = "team-<!here> <!channel> <http://evil.example|Click> & <script>x</script>"
EVIL_EMAIL = "<!channel>@acme.example"


def _drift() -> tuple[str, str, str]:
    policy = make_policy({"platform": (8, {A: "developer"})})
    live = OrgState(
        OrgType.ENTERPRISE,
        MappingProxyType({A: Member(A, "managed", id="u1"),
                          EVIL_EMAIL: Member(EVIL_EMAIL, "user", id="u2")}),
        groups=MappingProxyType({EVIL_GROUP: Group(EVIL_GROUP, frozenset({A}), id="g1")}),
        org_name="Acme Corp")
    report = drift_from_live(policy, live, at=TODAY, now=NOW, last=None)
    assert report.drifted
    return headline(report), render_drift(report, "text"), render_drift_markdown(report)


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def _mrkdwn(payload: dict[str, Any]) -> list[str]:
    out = []
    for b in payload["blocks"]:
        if b["type"] == "section":
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out += [e["text"] for e in b["elements"]]
    return out


def test_webhook_carries_mentions_and_links_inert() -> None:
    subject, text, markdown = _drift()
    payload = build_payload(subject, text, markdown=markdown)
    for s in _strings(payload):
        assert "<!here>" not in s and "<!channel>" not in s and "<http" not in s
        assert "<script>" not in s
        assert not re.search(r"<[^>]*>", s)  # no Slack control sequence survives
    everything = json.dumps(payload)
    assert "&lt;!here&gt;" in everything and "&lt;!channel&gt;" in everything
    assert "&lt;http://evil.example|Click&gt;" in everything and "&amp;" in everything


def test_webhook_is_block_kit_without_github_markdown() -> None:
    subject, text, markdown = _drift()
    payload = build_payload(subject, text, markdown=markdown)
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds[0] == "header" and set(kinds) <= {"header", "section", "context"}
    assert payload["blocks"][0]["text"] == {"type": "plain_text",
                                            "text": subject.replace("&", "&amp;")}
    for t in _mrkdwn(payload):
        assert not t.lstrip().startswith("#"), t   # no GitHub headings
        assert "|---" not in t and "<code>" not in t and "&#64;" not in t
    tables = [t for t in _mrkdwn(payload) if t.startswith("```")]
    assert tables and all(t.endswith("```") for t in tables)
    # the headline once across header and sections
    assert sum(s.count(subject) for s in [payload["blocks"][0]["text"]["text"],
                                          *_mrkdwn(payload)]) == 1
    assert any(t.startswith("*") and "Unknown" in t or "unknown" in t.lower()
               for t in _mrkdwn(payload))


def test_usage_table_becomes_a_preformatted_section() -> None:
    view = View("Usage alerts", (("period", "2026-11"),),
                (Table("alerts", "Alerts", (Column("target", "Target"),
                                            Column("n", "Days", "int")),
                       (("<!here>", 3), ("web", 12))),), notes=("estimated <hours>",))
    text = render(view, "table")
    payload = build_payload("seatctl: 2 usage alert(s)", text)
    pre = [t for t in _mrkdwn(payload) if t.startswith("```")]
    assert len(pre) == 1 and re.search(r"\n&lt;!here&gt; +3\nweb +12\n", pre[0])
    notes = [b for b in payload["blocks"] if b["type"] == "context"]
    assert notes and "estimated &lt;hours&gt;" in notes[0]["elements"][0]["text"]
    assert payload["text"].startswith("seatctl: 2 usage alert(s)\nUsage alerts")


def test_webhook_stays_within_slack_limits() -> None:
    rows = tuple((f"member{i}@corp.example", i) for i in range(3000))
    view = View("Inactive", (), (Table("t", "Seats", (Column("m", "Member"),
                                                       Column("d", "Days", "int")), rows),))
    payload = build_payload("x" * 300, render(view, "table"))
    assert len(payload["blocks"]) <= MAX_BLOCKS
    assert len(payload["blocks"][0]["text"]["text"]) <= HEADER_LIMIT
    assert all(len(t) <= SECTION_LIMIT for t in _mrkdwn(payload))


def test_email_has_an_escaped_html_alternative() -> None:
    subject, text, markdown = _drift()
    msg = build_message("seatctl@corp.example", ["admin@corp.example"], subject, text,
                        markdown=markdown)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    html_part, plain_part = msg.get_body(("html",)), msg.get_body(("plain",))
    assert html_part is not None and plain_part is not None
    page = html_part.get_content()
    assert "<script>x</script>" not in page and "<!here>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "&lt;!channel&gt;@acme.example" in page  # the email, shown as text
    assert "<table" in page and "<th " in page and "<h2>" in page
    assert "##" not in page and "|---" not in page
    assert plain_part.get_content() == text


def test_reading_back_markdown_gives_raw_text_once() -> None:
    """The Markdown's own escapes are undone (each medium escapes again itself)."""
    md = ("## Title\n\n| who | what |\n|---|---|\n| <code>a&#64;b&#124;c</code> | x\\_y |\n\n"
          "> note &lt;b&gt;\n")
    msg = from_markdown("Title", md)
    assert [b.kind for b in msg.blocks] == ["table", "note"]
    assert msg.blocks[0].rows == (("who", "what"), ("a@b|c", "x_y"))
    assert msg.blocks[1].lines == ("note <b>",)
    text = from_text("Head", "Head\nline\nGroup:\n  a: b\nnote: n\n")
    assert [b.kind for b in text.blocks] == ["text", "heading", "pre", "note"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from reconciler import escape  # noqa: E402

_NAMES = st.text(alphabet=st.one_of(st.sampled_from(list("<>&|`*_!@#:/\n\r\x1b\x07 ")),
                                    st.characters()), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(_NAMES, _NAMES)
def test_any_name_arrives_inert_in_slack_and_email(target: str, detail: str) -> None:
    """Whatever a live name holds, as the renderers put it in text and Markdown: no
    Slack control sequence (``<…>``) in any string of the payload, no tag in the HTML
    but ours."""
    text = f"Org: drift\nChanged outside (1):\n  {escape.terminal(target)}: " \
           f"{escape.terminal(detail)}\n"
    md = ("## Changed outside (1)\n\n| target | difference |\n|---|---|\n"
          f"| {escape.markdown_code(target)} | {escape.markdown(detail)} |\n")
    for markdown in (None, md):
        payload = build_payload("Org: drift", text, markdown=markdown)
        assert not any(re.search(r"[<>]", s) for s in _strings(payload))
        page = build_message("s@corp.example", ["a@corp.example"], "Org: drift", text,
                             markdown=markdown).get_body(("html",))
        assert page is not None
        tags = set(re.findall(r"</?([a-zA-Z0-9!]+)", page.get_content()))
        assert tags <= {"!DOCTYPE", "html", "head", "meta", "title", "body", "h2", "h3",
                        "p", "br", "em", "pre", "table", "tr", "th", "td"}
