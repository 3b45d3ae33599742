"""guardrails.scope.toml_lite against tomllib: whatever the subset reader accepts, tomllib reads
as the very same document (same keys, same values, same types); whatever it refuses goes to
tomllib. Checked on every policy text in the repository (docs, examples, tests, benches) and on
generated near-misses of the usual policy."""
from __future__ import annotations

import ast
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from guardrails.scope import policy, toml_lite

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def typed(obj: Any) -> Any:
    """``obj`` with every value tagged by its type (``True == 1`` must not pass for equal) and
    every table's keys in their order (the first task that covers a branch is its task)."""
    if isinstance(obj, dict):
        return ("dict", [(k, typed(v)) for k, v in obj.items()])
    if isinstance(obj, list):
        return ("list", [typed(v) for v in obj])
    return (type(obj).__name__, obj)


def same_as_tomllib(text: str) -> bool:
    """The reader agrees with tomllib on ``text``; True when it accepted it."""
    lite = toml_lite.loads(text)
    if lite is None:
        return False
    assert typed(tomllib.loads(text)) == typed(lite), text
    return True


def corpus() -> list[str]:
    """Every policy text of the repository: ```toml blocks of the docs, the example, and the
    string constants of the tests and benches that hold a [guardrails] or [tasks.…] table."""
    texts = [(ROOT / "examples" / ".guardrails.toml").read_text()]
    for md in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        texts += re.findall(r"```toml\n(.*?)```", md.read_text(), re.S)
    for py in [*sorted((ROOT / "tests").glob("*.py")), *sorted((ROOT / "bench").glob("*.py"))]:
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    "[guardrails]" in node.value or "[tasks." in node.value):
                texts.append(node.value)
    return texts


def test_every_policy_of_the_repository_reads_the_same() -> None:
    texts = corpus()
    accepted = [t for t in texts if same_as_tomllib(t)]
    assert len(texts) > 50, len(texts)
    # the usual policy takes the fast path: the README's, the example's, the benches'
    assert len(accepted) > len(texts) // 2, (len(accepted), len(texts))
    readme = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert readme and all(toml_lite.loads(t) is not None for t in readme)
    assert toml_lite.loads((ROOT / "examples" / ".guardrails.toml").read_text()) is not None


LINES = [
    "[guardrails]", "[tasks.auth]", "[tasks.docs]", "[tasks]", "[tasks.auth.x]", "[[tasks]]",
    "[ tasks.auth ]", '[tasks."a b"]', "[a.b.c]", "[a]", "[]", "[a.]",
    'base = "main"', "base = 'main'", 'base = "ma\\u0069n"', 'base = """main"""', "base = main",
    'protected = ["main", "release/*"]', "protected = []", 'protected = [ "main" , ]',
    "protected = [\n  'main', # the trunk\n  \"release/*\",\n]", 'locked = [".github/**",]',
    'allow = ["src/**", "!src/vendored/**"]', "allow = [\"src/**\" \"x\"]", "allow = [,]",
    'allow = ["a",,]', "allow = [1, 2]", "allow = [[\"a\"]]", "allow = [\"a\"",
    "max-files = 40", "max-files = 040", "max-files = +40", "max-files = 4_0", "max-files = 0",
    "max-files = 1e3", "max-files = 4.0", "max-files = 0x28", "max-lines = 1500 # budget",
    'enforce = "always"', "enforce = true", "enforce = false", "enforce = truely", "enforce=1",
    'branch = "agent/auth"', 'branch = ["agent/a-*", "agent/b-*"]', 'a.b = "x"', '"key" = 1',
    "# a comment", "   # indented comment", "", "   ", "\t", 'x = "tab\there"', "x = 'it\\s'",
    'x = "café"', "x = 'naïve \u2028'", "date = 1979-05-27", "t = 07:32:00", "x =", "= 1",
    'x = "a" "b"', "x = 'a'#c", 'x = "a"  # c', 'x = "#not a comment"', "x = '\"'",
    'dup = 1', 'dup = 2', "inline = { a = 1 }", "f = inf", "n = -1",
]
NOISE = ["\r", "\x00", "\x7f", "\x1b", "\ufeff", "\u00a0", "\\", '"', "'", "#", "[", "]", "=",
         ",", ".", " ", "\t", "\n", "0", "a", "-", "_", "*", "\u00e9"]


def mutate(rng: random.Random, text: str) -> str:
    """One random edit: a noise character inserted, a character dropped or doubled."""
    if not text:
        return rng.choice(NOISE)
    i = rng.randrange(len(text))
    what = rng.randrange(3)
    if what == 0:
        return text[:i] + rng.choice(NOISE) + text[i:]
    if what == 1:
        return text[:i] + text[i + 1:]
    return text[:i] + text[i] + text[i:]


@pytest.mark.parametrize("seed", range(4))
def test_generated_documents_read_the_same(seed: int) -> None:
    rng = random.Random(seed)
    accepted = refused = 0
    for _ in range(1500):
        lines = [rng.choice(LINES) for _ in range(rng.randrange(1, 9))]
        text = "\n".join(lines) + rng.choice(["", "\n", "\n\n"])
        for _ in range(rng.choice([0, 0, 1, 2])):
            text = mutate(rng, text)
        if same_as_tomllib(text):
            accepted += 1
        else:
            refused += 1
            try:  # refused: tomllib decides (it may accept or refuse)
                tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                pass
    # both sides are exercised: the comparison is not vacuous
    assert accepted > 150 and refused > 150, (accepted, refused)


@pytest.mark.parametrize("text", [
    'x = "a\\"b"',  # escapes: tomllib's
    "[tasks]\n[tasks]\n",  # a table defined twice: tomllib's error
    "a = 1\na = 2\n",
    "x = 1\r\n",  # CRLF
    "[a.b]\n[a]\n",  # a super-table after its sub-table (valid TOML): tomllib's
    'x = """a"""',
])
def test_outside_the_subset_goes_to_tomllib(text: str) -> None:
    assert toml_lite.loads(text) is None


def test_a_broken_policy_still_gets_tomllibs_message() -> None:
    with pytest.raises(policy.PolicyError, match=r"not valid TOML: .*line 2"):
        policy.parse(b'[guardrails]\nbase = "main\n', "main@1234567")


def test_the_usual_policy_parses_without_tomllib() -> None:
    """In a fresh interpreter: parsing the example policy imports no tomllib (nor typing)."""
    import subprocess

    code = ("import sys; from guardrails.scope import policy; "
            "policy.parse(open(sys.argv[1], 'rb').read(), 'main@1234567'); "
            "print(sorted(m for m in ('tomllib', 'tomli', 'typing', 'datetime') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / ".guardrails.toml")],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
