"""Matcher against git itself: `git check-ignore --no-index` on the same patterns and paths.

One documented difference (docs/rules.md, "Patterns"): git never re-includes a path below a
directory it excluded, because it never walks into that directory; for a list of changed files
a later ``!`` pattern that matches the file still re-includes it (``!src/auth/vendored/**``
after ``src/auth/**``). So where git's verdict comes from an excluded parent directory, the
Matcher may say "no" where git says "yes" — never the reverse. Everywhere else they agree.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.patterns import Matcher, PatternError, validate
from tests.helpers import git

BACKENDS = ("re2", "simple")


class GitOracle:
    """A scratch repository whose info/exclude holds the patterns; one check-ignore call per
    question, for every path and every parent directory of it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        git("init", "-q", str(root), cwd=root.parent)
        git("config", "core.ignorecase", "false", cwd=root)
        self.exclude = root / ".git" / "info" / "exclude"

    def ask(self, patterns: Sequence[str], paths: Sequence[str]) -> dict[str, bool]:
        self.exclude.write_bytes(b"".join(os.fsencode(p) + b"\n" for p in patterns))
        data = git("check-ignore", "--no-index", "-z", "--stdin", "-v", "-n", cwd=self.root,
                   input=b"".join(os.fsencode(p) + b"\0" for p in paths),
                   check=False)
        assert data.returncode in (0, 1), data.stderr
        fields = data.stdout.split("\0")
        out: dict[str, bool] = {}
        for i in range(0, len(fields) - 1, 4):
            _source, _line, pattern, path = fields[i:i + 4]
            out[path] = bool(pattern) and not pattern.startswith("!")
        assert len(out) == len(set(paths)), (paths, fields)
        return out

    def compare(self, patterns: Sequence[str], paths: Sequence[str]) -> list[str]:
        """Problems found comparing every backend with git (empty: they agree)."""
        parents = {p: [p[:i + 1] for i, c in enumerate(p) if c == "/"] for p in paths}
        verdict = self.ask(patterns, sorted(set(paths) | {d for v in parents.values()
                                                          for d in v}))
        problems = []
        results = {b: Matcher(patterns, backend=b).matching(paths) for b in BACKENDS}
        if results["re2"] != results["simple"]:
            problems.append(f"backends differ: {results['re2'] ^ results['simple']}")
        for p in paths:
            ours, theirs = p in results["re2"], verdict[p]
            below_excluded = any(verdict[d] for d in parents[p])
            if not below_excluded and ours != theirs:
                problems.append(f"{p!r}: ours {ours}, git {theirs}")
            if below_excluded and ours and not theirs:  # never wider than git
                problems.append(f"{p!r}: ours {ours}, git {theirs} (below an excluded dir)")
        return problems


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> GitOracle:
    return GitOracle(tmp_path_factory.mktemp("oracle") / "repo")


# --- generated patterns and paths --------------------------------------------------------------

NAMES = ["a", "b", "ab", "A", "c.md", "x.md", "build", "src", "-x", "sp ace", "é"]
PSEGS = ["a", "b", "A", "*", "**", "?", "[ab]", "[!a]", "a*", "*.md", "build", "src", "é",
         "[a-c]", "*b", "sp ace"]

segment_path = st.lists(st.sampled_from(NAMES), min_size=1, max_size=4).map("/".join)


@st.composite
def pattern(draw: st.DrawFn) -> str:
    body = "/".join(draw(st.lists(st.sampled_from(PSEGS), min_size=1, max_size=3)))
    if draw(st.booleans()):
        body = "/" + body
    if draw(st.booleans()):
        body += "/"
    if draw(st.integers(0, 3)) == 0:
        body = "!" + body
    return body


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(patterns=st.lists(pattern(), min_size=1, max_size=4),
       paths=st.lists(segment_path, min_size=1, max_size=25, unique=True))
def test_matcher_agrees_with_git_check_ignore(oracle: GitOracle, patterns: list[str],
                                              paths: list[str]) -> None:
    try:
        validate(patterns)
    except PatternError:
        return
    assert oracle.compare(patterns, paths) == []


# --- the cases the contract names, and where the two could disagree --------------------------

CASE_PATHS = [
    "README.md", "docs/a.md", "docs/deep/b.md", "src/x.py", "src/auth/login.py",
    "src/auth/vendored/lib.py", "src/auth/vendored/deep/x.py", "SRC/x.py", "build/out.o",
    "build", "a/build/out.o", "build/keep.txt", "x", "a/x", "a/b/x", "trail ", "trail",
    "#hash", "!bang", "sp ace/f", "a/**/b", "ab/c", "a/b/c/d",
]

CASES: list[list[str]] = [
    ["*.md"],  # nested *.md: any depth
    ["/x"],  # anchored
    ["x"],  # unanchored: any depth
    ["build/"],  # dir-only: files below it, not a file named build
    ["src/"],  # case-sensitive: not SRC/x.py
    ["SRC/"],
    ["src/**", "!src/auth/**"],  # negation
    ["src/auth/**", "!src/auth/vendored/**"],  # the contract's example (see module doc)
    ["build/", "!build/keep.txt"],  # negation of a file under an excluded dir
    ["**/b"], ["a/**/x"], ["a/**"], ["**"],  # **
    ["a/**/"], ["**/"],  # dir-only ** (pathspec read these differently from git)
    ["trail "], ["trail\\ "],  # trailing spaces: stripped unless escaped
    ["\\#hash"], ["\\!bang"],  # escapes
    ["a/\\*\\*/b"],
    ["sp ace/"], ["[a-c]b/*"], ["[!a]*"],
    ["!**", "/[ab]/?", "!*/"],  # re2 used to resolve this in RE2's own (undefined) order
    ["?/?/[ab]", "/[ab]", "!a*"],
]


@pytest.mark.parametrize("patterns", CASES, ids=lambda ps: " ".join(ps))
def test_named_cases_agree_with_git(oracle: GitOracle, patterns: list[str]) -> None:
    assert oracle.compare(patterns, CASE_PATHS) == []


def test_the_documented_difference_is_the_contract_example(oracle: GitOracle) -> None:
    pats = ["src/auth/**", "!src/auth/vendored/**"]
    m = Matcher(pats)
    assert m.match("src/auth/login.py")
    assert not m.match("src/auth/vendored/lib.py")  # excluded, as the policy author means
    # git keeps it ignored: it never walks into the excluded directory src/auth/vendored
    assert oracle.ask(pats, ["src/auth/vendored/lib.py"]) == {"src/auth/vendored/lib.py": True}


def test_case_and_anchoring_semantics() -> None:
    assert Matcher(["src/"]).matching(["src/a", "SRC/a", "x/src/a"]) == {"src/a", "x/src/a"}
    assert Matcher(["/src/"]).matching(["src/a", "x/src/a"]) == {"src/a"}
    assert Matcher(["*.md"]).matching(["a.md", "d/e/b.md", "c.mdx"]) == {"a.md", "d/e/b.md"}
    assert not Matcher([]).match("anything")
    assert Matcher([]).matching(["a"]) == set()


def test_non_utf8_paths_match_like_their_bytes(oracle: GitOracle) -> None:
    raw = os.fsdecode(b"d/latin1-\xe9.txt")
    assert Matcher(["d/*.txt"]).match(raw)
    assert oracle.ask(["d/*.txt"], [raw]) == {raw: True}


@pytest.mark.parametrize("bad", ["", "   ", "# comment", "!", "a\\"])
def test_bad_patterns_are_refused(bad: str) -> None:
    with pytest.raises(PatternError) as e:
        validate(["ok/**", bad])
    assert e.value.pattern == bad


def test_re2_backend_resolves_ids_itself() -> None:
    """The fast path (RE2::Set ids resolved by guardrails) is the one in use with re2, so the
    differential test above covers it; pathspec's own resolution is only a fallback."""
    pytest.importorskip("re2")
    m = Matcher(["src/**", "!src/x/**", "*.md"], backend="re2")
    assert m._resolve is not None
    assert m.matching(["src/a.py", "src/x/b.py", "docs/c.md", "src/x/d.md"]) == \
        {"src/a.py", "docs/c.md", "src/x/d.md"}
    assert Matcher(["src/**"], backend="simple")._resolve is None
