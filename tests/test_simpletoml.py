"""guardrails.simpletoml against tomllib: wherever it answers, it answers what tomllib does,
on generated documents (valid and not) and on every policy the docs and tests show."""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import simpletoml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def same_as_tomllib(text: str) -> bool:
    """simpletoml's answer is tomllib's (or None); whether it answered."""
    got = simpletoml.loads(text)
    if got is None:
        return False
    assert tomllib.loads(text) == got, text  # tomllib raising here fails the test too
    assert list(tomllib.loads(text)) == list(got)  # in document order
    return True


KEYS = st.sampled_from(["base", "allow", "max-files", "tasks", "a", "b_1", "A-b", "auth",
                        "", "a.b", '"q"', "x y", "é"])
STRINGS = st.text(alphabet=st.sampled_from(list("ab */!.-_#[]=,'\"\\\t\x01\x7fé\n")),
                  max_size=6)
SCALARS = st.one_of(
    STRINGS.map(lambda s: f'"{s}"'), STRINGS.map(lambda s: f"'{s}'"),
    st.sampled_from(["true", "false", "0", "-0", "12", "-7", "007", "+1", "1_0", "1.5",
                     "1979-05-27", "inf", "True", "", '"""x"""', "'''x'''", "{a = 1}"]))
GOOD_KEYS = st.sampled_from(["base", "allow", "max-files", "tasks", "a", "b_1", "A-b", "9"])
GOOD_STRINGS = st.text(alphabet=st.sampled_from(list("ab */!.-_#[]=,\té")), max_size=6)
GOOD_SCALARS = st.one_of(
    GOOD_STRINGS.map(lambda s: f'"{s}"'), GOOD_STRINGS.map(lambda s: f"'{s}'"),
    st.sampled_from(["true", "false", "0", "-0", "12", "-7"]))
GAP = st.sampled_from(["", " ", "\t", "\n", " # c\n", "\n  ", "#\x01\n", "\r\n"])


@st.composite
def arrays(draw: st.DrawFn, good: bool = False) -> str:
    items = draw(st.lists(GOOD_SCALARS if good else st.one_of(SCALARS, st.just("[1]")),
                          max_size=4))
    sep = draw(st.sampled_from([",", ", ", ",\n", " ,", ",,"]))
    trail = draw(st.sampled_from(["", ",", ",\n", " # c\n"]))
    return "[" + draw(GAP) + sep.join(items) + trail + draw(GAP) + "]"


@st.composite
def lines(draw: st.DrawFn, good: bool = False) -> str:
    """A line of a document; ``good``: one the subset reads (mostly)."""
    keys = GOOD_KEYS if good else KEYS
    kind = draw(st.sampled_from(["kv", "kv", "kv", "header", "comment", "blank"]
                                + ([] if good else ["junk"])))
    if kind == "header" and good:
        return "[" + ".".join(draw(st.lists(keys, min_size=1, max_size=3))) + "]"
    if kind == "header":
        path = draw(st.lists(KEYS, min_size=1, max_size=3))
        left, right = draw(st.sampled_from([("[", "]"), ("[[", "]]"), ("[ ", "]"), ("[", "")]))
        return left + ".".join(path) + right + draw(st.sampled_from(["", " # t", " x"]))
    if kind == "comment":
        return "#" + draw(STRINGS.filter(lambda s: "\n" not in s))
    if kind == "blank":
        return draw(st.sampled_from(["", " ", "\t"]))
    if kind == "junk":
        return draw(st.sampled_from(["=", "a =", "a = 1 2", "a == 1", "[", "a = [", "\ufeffa=1"]))
    value = draw(st.one_of(GOOD_SCALARS, arrays(good=True)) if good
                 else st.one_of(SCALARS, arrays()))
    eq = draw(st.sampled_from(["=", " = ", "\t=\t", "= "]))
    return draw(st.sampled_from(["", "  "])) + draw(keys) + eq + value + \
        draw(st.sampled_from(["", " ", " # c", "#c"] + ([] if good else [" x"])))


@settings(max_examples=1500, deadline=None)
@given(st.lists(lines(), max_size=8))
def test_answers_only_what_tomllib_answers(doc: list[str]) -> None:
    same_as_tomllib("\n".join(doc))


@settings(max_examples=1500, deadline=None)
@given(st.lists(lines(good=True), max_size=10))
def test_answers_what_tomllib_answers_for_documents_like_policies(doc: list[str]) -> None:
    same_as_tomllib("\n".join(doc))


def policies() -> list[tuple[str, str]]:
    """Every TOML policy in the docs, the README, the examples and the test helpers."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"```toml\n(.*?)```", path.read_text(), re.S):
            found.append((path.name, block))
    for path in sorted((ROOT / "examples").rglob(".guardrails.toml")):
        found.append((str(path.relative_to(ROOT)), path.read_text()))
    from tests.helpers import POLICY

    found.append(("tests/helpers.py POLICY", POLICY))
    bench = importlib.import_module("bench.ci_range")  # (mypy does not check bench/ here)
    found.append(("bench/ci_range.py POLICY", bench.POLICY))
    return found


@pytest.mark.parametrize("name,text", policies(), ids=[n for n, _ in policies()])
def test_the_policies_users_write_take_the_short_way(name: str, text: str) -> None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        pytest.skip(f"{name}: a fragment, not a whole document")
    answered = same_as_tomllib(text)
    if name.endswith("POLICY") or name.endswith(".guardrails.toml"):
        assert answered, f"{name} falls back to tomllib"


@pytest.mark.parametrize("text", [
    'a = "x\\ny"', "a.b = 1", '"a" = 1', "a = 1.0", "a = {b = 1}", "[a]\n[a]", "a = 1\na = 2",
    "[a.b]\n[a]", "a = 1\n[a]", "[[a]]", 'a = """x"""', "a = 0x10", "a = 1_000",
    "a = 1979-05-27", "a = [[1]]", "a = 'x'\r\n", "a = \"\x01\"", "# \x01", "\ufeffa = 1",
])
def test_beyond_the_subset_tomllib_decides(text: str) -> None:
    assert simpletoml.loads(text) is None


def test_a_policy_beyond_the_subset_reads_the_same(tmp_path: Path) -> None:
    """Through tomllib: the policy module's answer does not depend on the way taken."""
    from guardrails.scope import policy as policies_mod

    short = '[guardrails]\nbase = "main"\n[tasks.auth]\nbranch = "agent/auth"\n' \
            'allow = ["src/**"]\n'
    long = short.replace('base = "main"', 'base = "m\\u0061in"')
    assert simpletoml.loads(short) is not None and simpletoml.loads(long) is None
    a = policies_mod.parse(short.encode(), "x")
    b = policies_mod.parse(long.encode(), "x")
    assert (a.base, a.tasks["auth"].allow) == (b.base, b.tasks["auth"].allow) == \
        ("main", ("src/**",))
