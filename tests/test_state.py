"""guardrails.state's validators are str methods (no regex compiled on a hook's start-up): they
give the verdicts of the regexes they replaced, on every character class that matters and on
generated names."""
from __future__ import annotations

import random
import re

import pytest

from guardrails import state

# the regexes state.py used before
OID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?\Z")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
REF_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(?:/|\Z)|^\.|^/|/\Z|\.\Z")

ALPHABET = ["a", "b", "f", "g", "0", "9", "A", ".", "/", "-", "@", "{", "}", "~", "^", ":", "?",
            "*", "[", "\\", " ", "\t", "\n", "\x00", "\x1f", "\x7f", "\x80", "\x9f", "\xa0",
            "\u2028", "\u2029", "\ud800", "\udfff", "\u00e9", "\u200b", "\ufeff", "lock",
            ".lock", "x"]


def names(seed: int, count: int = 20_000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 8)))
            for _ in range(count)]


@pytest.mark.parametrize("seed", range(3))
def test_ref_names_and_text_as_the_regexes_judged_them(seed: int) -> None:
    bad = clean = 0
    for name in names(seed):
        assert state._ref_bad(name) == (REF_BAD.search(name) is not None), repr(name)
        assert state.has_control(name) == (CONTROL.search(name) is not None), repr(name)
        bad += state._ref_bad(name)
        clean += not state.has_control(name)
    assert bad and clean  # both verdicts seen


def test_every_character_below_u0800_as_the_regex_judged_it() -> None:
    for c in map(chr, range(0x800)):
        assert state.has_control(f"a{c}b") == (CONTROL.search(c) is not None), hex(ord(c))
        assert state._ref_bad(f"refs/{c}x") == (REF_BAD.search(f"refs/{c}x") is not None)


@pytest.mark.parametrize("value", [
    "a" * 40, "0" * 64, "a" * 39, "a" * 41, "a" * 63, "a" * 65, "A" * 40, "g" + "a" * 39,
    "a" * 39 + "\n", "a" * 40 + "\n", " " + "a" * 39, "", "a" * 20 + "-" + "a" * 19,
])
def test_object_ids_as_the_regex_judged_them(value: str) -> None:
    assert state.is_oid(value) == (OID.match(value) is not None)
