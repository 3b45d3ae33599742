"""`git guardrails conflicts` on 16 branches: 16 merges into the base and 120 between branches
(136 `git merge-tree` runs), against the floor of the same 136 bare `git merge-tree
--write-tree --name-only -z` calls run one after another.

A scratch repository (800 files in 40 directories) gets 16 branches of 3 commits each; some
edit lines others edit too (conflicts), some the base edited since (conflicts with the base).
Timed, interleaved round by round:

- ``floor``: the 136 merge-trees, sequential, each started with subprocess.run;
- ``forecast``: guardrails.review.conflicts.forecast in this process, no cache (its merges run
  side by side, one per CPU);
- ``cli cold``: ``git-guardrails conflicts BRANCH… --format json`` with the cache removed;
- ``cli warm``: the same with the cache in place (every pair's tips unchanged).

    python -m bench.conflicts [--branches 16] [--rounds 5]

Target: cli cold within a few seconds on 2 CPUs, i.e. at or under the sequential floor.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Optional

from bench._common import BIN, clean_env, git, interleaved, machine, median_ms, run

FILES_PER_DIR = 20
DIRS = 40


def build(root: Path, branches: int, env: dict[str, str]) -> tuple[Path, list[str]]:
    repo = root / "repo"
    repo.mkdir()
    git("init", "-q", "-b", "main", str(repo), cwd=root, env=env)
    for d in range(DIRS):
        (repo / f"src/m{d}").mkdir(parents=True)
        for f in range(FILES_PER_DIR):
            lines = "".join(f"line {n} of m{d}/f{f}\n" for n in range(40))
            (repo / f"src/m{d}/f{f}.txt").write_text(lines)
    git("add", "-A", cwd=repo, env=env)
    git("commit", "-q", "-m", "init", cwd=repo, env=env)
    names = []
    for b in range(branches):
        name = f"agent/bench-{b}"
        names.append(name)
        git("checkout", "-q", "-b", name, "main", cwd=repo, env=env)
        for c in range(3):
            # each branch edits its own files, and line 10 of a file shared by four branches
            targets = [repo / f"src/m{(b * 2 + c) % DIRS}/f{b % FILES_PER_DIR}.txt",
                       repo / f"src/m{b % 4}/f0.txt"]
            for path in targets:
                text = path.read_text().splitlines(keepends=True)
                line = 10 if path.name == "f0.txt" else 20 + c
                text[line] = f"{name} commit {c}\n"
                path.write_text("".join(text))
            git("commit", "-q", "-am", f"{name} {c}", cwd=repo, env=env)
    git("checkout", "-q", "main", cwd=repo, env=env)
    path = repo / "src/m1/f0.txt"  # the base moves on: a line two of the branches edit
    text = path.read_text().splitlines(keepends=True)
    text[10] = "the base's own line 10\n"
    path.write_text("".join(text))
    git("commit", "-q", "-am", "base moves", cwd=repo, env=env)
    return repo, names


def main(argv: Optional[list[str]] = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m bench.conflicts", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--branches", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="guardrails-conflicts-bench-"))
    try:
        env = clean_env(root)
        repo, names = build(root, args.branches, env)
        from guardrails import git as g
        from guardrails.review import conflicts as cf

        old = os.getcwd()
        os.chdir(repo)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            r = g.discover()
            base = cf.resolve(r, ["main"], "base")[0]
            tips = cf.resolve(r, names)
            oids = [t.oid or "" for t in tips]
            pairs = [("main", n) for n in oids] + [
                (a, b) for i, a in enumerate(oids) for b in oids[i + 1:]]
            cache = Path(r.common_dir) / "guardrails" / cf.CACHE
            gg = str(BIN / "git-guardrails")
            cli = [gg, "conflicts", "--format", "json", *names]

            def floor() -> None:
                for a, b in pairs:
                    subprocess.run(["git", "merge-tree", "--write-tree", "--name-only", "-z",
                                    a, b], cwd=repo, env=env, capture_output=True, check=False)

            def forecast() -> None:
                cf.forecast(r, base, tips, None)

            def cli_run() -> None:
                run(cli, repo, env)

            def prepare(name: str) -> None:
                if name == "cli cold" and cache.exists():
                    cache.unlink()

            cli_run()  # fills the cache for the first warm round
            fc = cf.forecast(r, base, tips, None)
            times = interleaved({"floor": floor, "forecast": forecast, "cli cold": cli_run,
                                 "cli warm": cli_run}, args.rounds, prepare)
            out = json.loads(run(cli, repo, env).stdout)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            os.chdir(old)
        med = {k: median_ms(v) for k, v in times.items()}
        return {
            "branches": len(names), "merges": len(pairs),
            "conflicting_merges": len(fc.conflicts), "findings": len(out["findings"]),
            "order": len(fc.order), "rebase": len(fc.rebase),
            "workers": cf.workers(), "rounds": args.rounds, "median_ms": med,
            "ratio_to_floor": {k: round(v / med["floor"], 2) for k, v in med.items()},
            "machine": machine(),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def render(r: dict[str, Any]) -> str:
    m, ratio = r["median_ms"], r["ratio_to_floor"]
    lines = [f"conflicts: {r['branches']} branches, {r['merges']} merges "
             f"({r['conflicting_merges']} conflicting, {r['findings']} findings; order "
             f"{r['order']}, {r['rebase']} to rebase), {r['workers']} worker(s), median of "
             f"{r['rounds']}"]
    for name in ("floor", "forecast", "cli cold", "cli warm"):
        note = f" ({r['merges']} bare git merge-tree, sequential)" if name == "floor" else ""
        lines.append(f"  {name:9} {m[name]:8.0f} ms  x{ratio[name]:.2f}{note}")
    return "\n".join(lines)


if __name__ == "__main__":
    res = main()
    print(render(res))
    print(json.dumps(res, indent=1))
