"""Matching a change of 100,000 paths against 200 patterns (a task's allow list plus the
locked list, the work check-scope does per commit), with the re2 backend (RE2::Set) and with
the `simple` backend (Python's re).

    python -m bench.scope_scale [--paths 100000] [--patterns 200] [--repeat 3]

Target: <= 0.3 s with re2.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

from bench._common import machine


def make_paths(n: int, rnd: random.Random) -> list[str]:
    tops = ["src", "tests", "docs", "vendor", "tools", ".github"]
    exts = [".py", ".md", ".txt", ".json", ".c", ".h", ""]
    paths = set()
    while len(paths) < n:
        depth = rnd.randint(1, 5)
        parts = [rnd.choice(tops)] + [f"m{rnd.randint(0, 60)}" for _ in range(depth)]
        paths.add("/".join(parts) + f"/f{rnd.randint(0, 999)}{rnd.choice(exts)}")
    return sorted(paths)


def make_patterns(n: int, rnd: random.Random) -> list[str]:
    """A mix of the shapes real policies use: directory trees, extensions, anchored files,
    negations, character classes, dir-only patterns."""
    shapes = [
        lambda: f"src/m{rnd.randint(0, 60)}/**",
        lambda: f"!src/m{rnd.randint(0, 60)}/m{rnd.randint(0, 60)}/**",
        lambda: f"tests/m{rnd.randint(0, 60)}/",
        lambda: f"*.{rnd.choice(['md', 'txt', 'json'])}",
        lambda: f"/docs/m{rnd.randint(0, 60)}/*.md",
        lambda: f"**/m{rnd.randint(0, 60)}/f{rnd.randint(0, 99)}*",
        lambda: f"vendor/m[0-{rnd.randint(1, 9)}]*/**",
        lambda: f"!**/f{rnd.randint(0, 999)}.py",
        lambda: f".github/m{rnd.randint(0, 60)}/**",
        lambda: f"tools/**/m{rnd.randint(0, 60)}/*.c",
    ]
    return [rnd.choice(shapes)() for _ in range(n)]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m bench.scope_scale", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--patterns", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    from guardrails.scope.patterns import Matcher

    rnd = random.Random(20261125)
    paths = make_paths(args.paths, rnd)
    patterns = make_patterns(args.patterns, rnd)
    result: dict[str, Any] = {"paths": len(paths), "patterns": len(patterns),
                              "repeat": args.repeat, "seconds": {}, "compile_s": {},
                              "matched": {}}
    for backend in ("re2", "simple"):
        try:
            t0 = time.perf_counter()
            m = Matcher(patterns, backend=backend)
            result["compile_s"][backend] = round(time.perf_counter() - t0, 4)
        except Exception as e:  # re2 missing: pip install -e '.[fast]'
            result["seconds"][backend] = f"unavailable: {e}"
            continue
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            matched = m.matching(paths)
            runs.append(time.perf_counter() - t0)
        result["seconds"][backend] = round(statistics.median(runs), 3)
        result["matched"][backend] = len(matched)
    counts = set(result["matched"].values())
    assert len(counts) <= 1, f"the backends disagree: {result['matched']}"
    result["machine"] = machine()
    return result


def render(r: dict[str, Any]) -> str:
    lines = [f"scope scale: {r['paths']:,} paths x {r['patterns']} patterns, median of "
             f"{r['repeat']}"]
    for backend, s in r["seconds"].items():
        if isinstance(s, str):
            lines.append(f"  {backend:8} {s}")
            continue
        verdict = ""
        if backend == "re2":
            verdict = "   ok" if s <= 0.3 else "   MISSES the 0.3 s target"
        lines.append(f"  {backend:8} {s:7.3f} s  (compile {r['compile_s'][backend]:.3f} s, "
                     f"{r['matched'][backend]:,} matched){verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    res = main()
    print(render(res))
    print(json.dumps(res, indent=1))
