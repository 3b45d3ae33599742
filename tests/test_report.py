"""report.py: the rule catalogue is docs/rules.md's, and each format's escaping round-trips."""
from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import report
from guardrails.findings import WARNING, Finding
from guardrails.rules import RULES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_rule_catalogue_matches_docs() -> None:
    documented = re.findall(r"^\| `([a-z0-9-]+)` \| (error|warning) \|", DOCS.read_text(),
                            re.MULTILINE)
    assert [d[0] for d in documented] == list(RULES)
    assert {d[0]: d[1] for d in documented} == {r.id: r.severity for r in RULES.values()}


def test_github_escaping() -> None:
    s = "100% done,\r\nnext: a,b"
    assert report.gh_data(s) == "100%25 done,%0D%0Anext: a,b"
    assert report.gh_property(s) == "100%25 done%2C%0D%0Anext%3A a%2Cb"
    # % first: an input that already looks escaped survives
    assert report.gh_data("%0A") == "%250A"


def test_github_line_without_path_and_warning() -> None:
    f = Finding("ci-unknown-branch", "who?", "pass --branch", severity=WARNING)
    out = report.render([f], "github", {"policy": "main@1234567"}).splitlines()
    assert out[0] == ("::warning title=guardrails ci-unknown-branch::who?%0Afix: pass --branch"
                      "%0Apolicy: main@1234567")
    assert out[1] == "::notice title=git-guardrails::0 error(s), 1 warning(s); policy: main@1234567"


def test_markdown_cells_are_escaped() -> None:
    f = Finding("scope-outside-allow", "a|b\n<c>", "x", path="p|`q`.md", commit="a" * 40)
    md = report.render([f], "markdown", {"policy": "main@1"}, commits=[])
    row = next(line for line in md.splitlines() if line.startswith("| ❌"))
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    assert len(cells) == 6  # the pipes inside were escaped
    assert cells[4].strip() == r"a\|b<br>&lt;c>"
    assert cells[3].strip() == r"``p\|`q`.md``"  # GFM: a pipe in a code span is escaped too


def test_sarif_unknown_rule_and_path_encoding() -> None:
    f = Finding("made-up", "m", path="dir/a b#c.py", line=3)
    doc = json.loads(report.render([f], "sarif", {"policy": "main@1"}))
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids[:len(RULES)] == list(RULES) and ids[-1] == "made-up"
    res = run["results"][0]
    assert res["ruleIndex"] == len(ids) - 1
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "dir/a%20b%23c.py"
    assert loc["region"]["startLine"] == 3


def test_text_and_json_for_existing_callers() -> None:
    f = Finding("scope-locked", "x: locked", "git restore --staged -- x", path="x",
                commit="b" * 40, policy="main@1")
    out = report.render([f], "text", {"policy": "main@1", "task": "auth"})
    assert out.splitlines() == [
        f"error[scope-locked] {'b' * 12} x: locked",
        "  fix: git restore --staged -- x",
        "guardrails: 1 error(s), 0 warning(s) (policy: main@1, task: auth)",
    ]
    doc = json.loads(report.render([f], "json", {"policy": "main@1"}))
    assert doc["summary"] == {"errors": 1, "warnings": 0} and "commits" not in doc
    doc = json.loads(report.render([f], "json", {"policy": "main@1"},
                                   commits=[{"oid": "b" * 40}]))
    assert doc["commits"] == [{"oid": "b" * 40}]


def test_grouped_text_colour_only_when_asked() -> None:
    f = Finding("scope-locked", "x: locked", "fix it", path="x", commit="c" * 40)
    commits = [{"oid": "c" * 40, "subject": "s", "agent": "aider"}]
    plain = report.grouped_text([f], {"policy": "main@1"}, commits)
    coloured = report.grouped_text([f], {"policy": "main@1"}, commits, color=True)
    assert "\033[" not in plain
    assert "\033[31merror[scope-locked]" in coloured
    assert re.sub(r"\033\[\d+m", "", coloured) == plain
    assert plain.splitlines()[1] == f"commit {'c' * 12} s (aider)"


_json_scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
                 | st.text(alphabet=st.sampled_from("\x00\x1f\"\\/\u2028\ud800é😀 \n\t")))
_json_docs = st.recursive(_json_scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.tuples(inner, inner)
                          | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                          max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(doc=_json_docs)
def test_dumps_is_json_dumps_with_indent_2(doc: object) -> None:
    """report.dumps lays JSON out itself (json's indent path is pure Python): the very text
    json.dumps(doc, indent=2) gives, for every document a report can hold."""
    assert report.dumps(doc) == json.dumps(doc, indent=2)
