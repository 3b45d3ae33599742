"""Matcher against git itself: `git check-ignore --no-index` on the same patterns and paths.

One documented difference (docs/rules.md, "Patterns"): git never re-includes a path below a
directory it excluded, because it never walks into that directory; for a list of changed files
a later ``!`` pattern that matches the file still re-includes it (``!src/auth/vendored/**``
after ``src/auth/**``). So where git's verdict comes from an excluded parent directory, the
Matcher may say "no" where git says "yes" — never the reverse. Everywhere else they agree.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Union

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.scope.patterns import (
    RE2_ABOVE,
    RE2_WORK,
    Matcher,
    PatternError,
    _resolver,
    _rules,
    pick_backend,
    validate,
)
from tests import pathspec_oracle
from tests.helpers import git

BACKENDS = ("re2", "simple", "str", "indexed")


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
        for b in ("re2", "indexed"):
            if results[b] != results["simple"]:
                problems.append(f"{b} and simple differ: {results[b] ^ results['simple']}")
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


def test_both_backends_resolve_ids_themselves() -> None:
    """With re2 the ids of the RE2::Set are resolved by guardrails (RE2 returns them in no
    defined order); Python's re resolves by the order of its alternatives. Same answers."""
    pytest.importorskip("re2")
    pats = ["src/**", "!src/x/**", "*.md"]
    for backend in BACKENDS:
        m = Matcher(pats, backend=backend)
        assert m.matching(["src/a.py", "src/x/b.py", "docs/c.md", "src/x/d.md"]) == \
            {"src/a.py", "docs/c.md", "src/x/d.md"}
    assert Matcher([]).backend is None


def test_the_default_backend_follows_the_size() -> None:
    pytest.importorskip("re2")
    assert pick_backend(30, 5) == "simple"
    assert pick_backend(RE2_ABOVE, RE2_WORK // RE2_ABOVE) == "simple"
    assert pick_backend(RE2_ABOVE + 1, 1) == "re2"
    assert pick_backend(10, RE2_WORK) == "re2"
    pats = [f"d{i}/**" for i in range(10)]
    paths = [f"d{i % 20}/f{i}" for i in range(RE2_WORK // 10 + 1)]
    assert Matcher(pats).matching(paths[:5]) == {p for p in paths[:5] if int(p[1:2]) < 10}
    assert Matcher(pats).matching(paths) == Matcher(pats, backend="simple").matching(paths)


def test_many_patterns_use_the_index_and_agree_with_one_alternation() -> None:
    """Thousands of patterns: ``indexed`` (chosen above INDEXED_ABOVE) gives the verdicts of
    the one-alternation backend, with patterns under shared, nested and no literal directories,
    re-excludes, and paths under none of them."""
    from guardrails.scope.patterns import INDEXED_ABOVE

    assert pick_backend(INDEXED_ABOVE + 1, 1) == "indexed"
    assert pick_backend(INDEXED_ABOVE, 1) != "indexed"
    pats = []
    for i in range(300):
        pats += [f"src/m{i}/**", f"!src/m{i}/vendored/**", f"src/m{i}/vendored/keep.py",
                 f"docs/{i}/", f"/top{i}.txt", f"**/gen{i}/*.py"]
    pats += ["!*.lock", "src/m7/*.lock", "ü/**"]
    paths = [f"src/m{i}/{rest}" for i in range(0, 320, 7)
             for rest in ("a.py", "vendored/x.py", "vendored/keep.py", "b.lock", "sub/gen3/z.py")]
    paths += ["docs/5/x.md", "docs/5", "top3.txt", "x/top3.txt", "a/gen9/q.py", "ü/x",
              "other/file", "src/m7/c.lock", "src", "src/m1"]
    assert Matcher(pats, backend="indexed").matching(paths) == \
        Matcher(pats, backend="simple").matching(paths)


def test_compiles_once_per_pattern_list() -> None:
    pats = ["cache/**", "!cache/keep"]
    validate(pats)
    assert _rules(tuple(pats)) is _rules(tuple(pats))
    Matcher(pats).match("cache/x")
    assert _resolver(tuple(pats), "simple") is _resolver(tuple(pats), "simple")


@pytest.mark.parametrize("bad", ["!", "! ", "a\\/b", "[z-a]", "x/[b-a]*/y"])
def test_what_pathspec_refuses_is_refused(bad: str) -> None:
    with pytest.raises(PatternError) as e:
        Matcher(["ok/**", bad])
    assert e.value.pattern == bad


@pytest.mark.parametrize("noop", ["/", "/ ", "a[", "[]", "[!]", "x/[\\", "[z-a]/["])
def test_what_pathspec_drops_is_refused(oracle: GitOracle, noop: str) -> None:
    """pathspec and git drop a line that can match nothing (a ``[`` that does not close, ``/``)
    without a word; in ``locked`` such a typo would protect nothing, so guardrails refuses it."""
    assert _pathspec_drops(noop)
    assert oracle.ask([noop], ["a", "a[", "x/[\\"]) == {"a": False, "a[": False, "x/[\\": False}
    with pytest.raises(PatternError) as e:
        validate(["ok/**", noop])
    assert e.value.pattern == noop and "can match nothing" in e.value.reason


# --- where guardrails follows git rather than pathspec ----------------------------------------

def test_patterns_ending_in_a_or_a_ring_match_like_git(oracle: GitOracle) -> None:
    """pathspec stripped white space from the one-character-per-byte text, taking the last byte
    of ``à`` (0xa0) and ``Å`` (0x85): ``voilà`` never matched ``voilà``. git strips spaces."""
    for pats in (["voilà"], ["Å/"], ["d/à"], ["x\xa0"]):
        assert oracle.compare(pats, ["voilà", "Å/f", "d/à", "d/à/f", "x\xa0", "x"]) == []
    assert Matcher(["voilà"]).match("docs/voilà")
    assert Matcher(["voilà "]).match("voilà")  # the trailing space still goes


def test_newlines_in_paths_are_ordinary_characters_like_git(oracle: GitOracle) -> None:
    """pathspec's ``.`` does not match a newline (``*`` matched no path that is a newline, ``a``
    no ``x\\n/a``) and its pure-Python backend's ``$`` matched before one; git's wildmatch
    treats a newline like any other character."""
    paths = ["\n", "x\ny.md", "a\n/b.md", "d\n", "d/\n", "\n/a", "a\n"]
    for pats in (["*"], ["**"], ["*.md"], ["a"], ["*/"], ["d/**"], ["?"], ["!*", "a*"]):
        assert oracle.compare(pats, paths) == []


# --- against pathspec itself (tests/pathspec_oracle.py: the implementation before this one) ---

PIECES = [*"ab/A*?[]!^-\\# .\t", "é", "**", "***", "/**/", "[ab]", "[!a]", "[^a]", "[]a]",
          "[!]a]", "[a-c]", "[c-a]", "[a-]", "[]-]", "[[:alpha:]]", "[\\]", "\\*", "\\ ",
          "\\!", "\\#", "\\[", "[é]", os.fsdecode(b"\xe9"), "[a-é]", "  ", "]", "[!", "[^",
          "--", "&&", "\n"]
PATH_NAMES = ["a", "b", "A", "ab", "ba", "!", "#", "[", "]", "*", "-", " ", "a ", "é", "à",
              os.fsdecode(b"\xe9"), "\\", "x.md", "^", "", "\t", "\xa0"]

any_pattern = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
any_path = st.tuples(st.sampled_from(["", "", "", "/", "./"]),
                     st.lists(st.sampled_from(PATH_NAMES), min_size=1, max_size=4).map("/".join)
                     ).map("".join)


def _pathspec_drops(p: str) -> bool:
    """Whether pathspec reads ``p`` as a line that matches nothing (include None)."""
    import pathspec

    line = pathspec_oracle._git_equivalent(pathspec_oracle._bytewise(p))
    try:
        spec = pathspec.GitIgnoreSpec.from_lines([line], backend="simple")
    except Exception:
        return False
    return all(pat.include is None for pat in spec.patterns)


def _outcome(matcher: Callable[..., Any], patterns: list[str], paths: list[str],
             backend: str) -> Union[set[str], str]:
    try:
        return set(matcher(patterns, backend=backend).matching(paths))
    except Exception as e:
        return type(e).__name__


@pytest.mark.filterwarnings("ignore::FutureWarning")  # re, on pathspec's "[[" and "[]--]"
@settings(max_examples=1000, deadline=None)
@given(patterns=st.lists(any_pattern, min_size=1, max_size=4),
       paths=st.lists(any_path, min_size=1, max_size=12))
def test_matcher_agrees_with_pathspec(patterns: list[str], paths: list[str]) -> None:
    """Same verdicts as pathspec's GitIgnoreSpec (its pure-Python backend) for both backends,
    and a PatternError wherever pathspec raised or dropped a pattern as matching nothing
    (guardrails refuses those, see above). Generated patterns avoid the two places where
    guardrails follows git instead (the tests above): a pattern ending in à or Å, a newline
    in a path."""
    expected = _outcome(pathspec_oracle.Matcher, patterns, paths, "simple")
    for backend in BACKENDS:
        got = _outcome(Matcher, patterns, paths, backend)
        if isinstance(expected, str):
            assert got == "PatternError", (backend, expected)
        elif got == "PatternError":
            assert any(_pathspec_drops(p) for p in patterns), (backend, got)
        else:
            assert got == expected, (backend, got ^ expected if isinstance(got, set) else got)


# --- a task of thousands of patterns: checked, not translated ----------------------------------

@settings(max_examples=2000, deadline=None)
@given(p=st.text(alphabet="ab/*?!#. \t-[]\\", min_size=0, max_size=8))
def test_a_pattern_called_safe_is_never_refused(p: str) -> None:
    """The long-list check translates only the patterns that could be refused (``_safe``
    says which): for every pattern, checking refuses exactly what translating refuses."""
    from guardrails.scope import patterns as pm

    try:
        pm.translate([p])
        refused = False
    except PatternError:
        refused = True
    if pm._safe(p):
        assert not refused, p
    try:
        pm._check([p])
        checked = False
    except PatternError:
        checked = True
    assert checked == refused, p


def _big(n: int) -> list[str]:
    pats = ["src/**"]
    for i in range(n):
        pats += [f"lib/m{i}/**", f"pkg/p{i}/*.py", f"!src/gen{i}/**", f"docs/d{i}.md",
                 f"conf/c{i}/*.ini"]
        if i < 20:  # patterns under no literal directory: candidates for every path
            pats += [f"**/g{i}/x", f"/t{i}", f"a{i}*/b"]
    return pats


def test_a_long_list_translates_only_what_its_paths_can_match(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 patterns: the policy check translates none of the safe ones, matching five paths
    translates a handful, and a refused pattern deep in the list is still refused."""
    from guardrails.scope import patterns as pm

    pats = _big(4000)
    calls: list[str] = []
    real = pm._translate
    def counting(line: str) -> Any:
        calls.append(line)
        return real(line)

    monkeypatch.setattr(pm, "_translate", counting)
    pm.validate(pats)
    assert calls == []
    m = Matcher(pats)
    paths = ["src/a.py", "src/gen7/b.py", "lib/m3/x.py", "docs/d9.md", "other/z"]
    assert m.matching(paths) == {"src/a.py", "lib/m3/x.py", "docs/d9.md"}
    assert len(calls) < 200, len(calls)  # the candidates of five paths, not 20,061
    bad = [*pats[:15000], "src/[oops", *pats[15000:]]
    with pytest.raises(PatternError, match=r"\[oops"):
        pm.validate(bad)


def test_a_long_list_agrees_with_one_alternation() -> None:
    """The lazily translated index gives the one-alternation backend's verdicts on a long list
    with anchored, any-depth, re-excluded and globbed patterns, and unsafe ones among them."""
    pats = [*_big(300), "!**/*.lock", "src/[ab]*/keep", "src/\\*star", "ü/**", "!lib/m7/x.py"]
    paths = [f"{top}/{rest}" for top in ("src", "lib/m7", "lib/m12", "pkg/p5", "docs")
             for rest in ("x.py", "gen3/y.py", "a.lock", "a1/b", "keep", "*star", "g4/x")]
    paths += ["src/gen12/z", "src/ab/keep", "src/*star", "t5", "x/t5", "a12x/b", "ü/q",
              "conf/c9/a.ini", "conf/c9/sub/a.ini", "other", "docs/d33.md", "lib/m7/x.py"]
    assert Matcher(pats, backend="indexed").matching(paths) == \
        Matcher(pats, backend="simple").matching(paths)


@settings(max_examples=3000, deadline=None)
@given(patterns=st.lists(st.text(alphabet="ab/*!. -", min_size=1, max_size=9), min_size=1,
                         max_size=4),
       paths=st.lists(st.text(alphabet="ab/.-", min_size=1, max_size=9), min_size=1,
                      max_size=8))
def test_the_str_backend_gives_the_regex_verdicts(patterns: list[str], paths: list[str]) -> None:
    """Patterns of literal text, ``*`` and ``**`` are matched with str methods (no fallback to
    the regexes but for paths with an empty component), with the one-alternation verdicts."""
    from guardrails.scope import patterns as pat

    expected = _outcome(Matcher, patterns, paths, "simple")
    if isinstance(expected, str):
        return  # refused: the same PatternError either way (Matcher validates first)
    assert pat._str_rules(tuple(patterns)) is not None, patterns
    assert _outcome(Matcher, patterns, paths, "str") == expected


def test_a_hook_run_compiles_no_pattern_regex() -> None:
    """The hook configuration list and the usual policy patterns take the str backend."""
    from guardrails.checks.scope import HOOK_CONFIG
    from guardrails.scope import patterns as pat

    for pats in (HOOK_CONFIG, (".guardrails.toml", ".pre-commit-config.yaml", ".github/**"),
                 ("src/**", "!src/vendored/**", "tests/auth/", "*.md", "docs/**/*.md")):
        assert pat._str_rules(tuple(pats)) is not None, pats
