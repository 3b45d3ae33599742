"""Big inputs, end to end: an agent's ``git commit`` under prek with the README's
configuration (its ``.pre-commit-config.yaml``: guardrails, require-checks, check-scope at
pre-push; plus ``git guardrails install``'s native hooks) in a session, when

- the policy is huge: a task of 10,000 ``allow`` patterns and 10,000 ``locked`` patterns
  (the ``indexed`` pattern backend; TOML parse, validation, translation per pattern);
- the change is huge: a 150 MB file staged, binary (random bytes) and text (lines), new
  content every round (no line scan of binary data; numstat and the bypass scan stream);

against floors measured in the same interleaved run: the same 5-file commit with a 5-pattern
policy, and for the big file a plain ``git add`` + ``git commit`` of the same file with no
hooks at all (git itself must read and store the blob; what the hooks add on top counts).
Peak RSS is the largest ru_maxrss of the commit's process tree (os.wait4 rusage of ``git
commit``: git waits for its hooks, which wait for theirs). Targets (issue 18): the 10k-pattern
commit <= 1 s, the 150 MB commit <= 3 s with bounded memory.

    python -m bench.big_inputs [--rounds 3] [--patterns 10000] [--mb 150] [--project DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._common import (
    PROJECT,
    clean_env,
    git,
    machine,
    run,
    snapshot_repo,
)
from bench.readme_config import _with_repo, hook_plan, readme_config

SMALL = """\
[guardrails]
base = "main"
protected = ["main"]
locked = [".guardrails.toml", ".pre-commit-config.yaml"]

[tasks.bench]
branch = "agent/bench-*"
allow = ["src/**", "data/**"]
"""


def big_policy(n: int) -> str:
    """A task of ``n`` allow patterns (globs, directories, negations) and ``n`` locked ones."""
    allow = ['"src/**"']
    for i in range(n - 1):
        kind = i % 4
        allow.append(f'"lib/m{i}/**"' if kind == 0 else f'"pkg/p{i}/*.py"' if kind == 1
                     else f'"!src/gen{i}/**"' if kind == 2 else f'"docs/d{i}.md"')
    locked = [".guardrails.toml", ".pre-commit-config.yaml"]
    locked += [f"conf/c{i}/*.ini" if i % 2 else f"secrets/s{i}/**" for i in range(n - 2)]
    return (f'[guardrails]\nbase = "main"\nprotected = ["main"]\nlocked = '
            f'[{", ".join(json.dumps(p) for p in locked)}]\n\n[tasks.bench]\n'
            f'branch = "agent/bench-*"\nallow = [{", ".join(allow)}]\n')


def setup(work: Path, patterns: int, project: Path) -> dict[str, Any]:
    env = clean_env(work / "home")
    config = readme_config(project / "README.md")
    hook_types, _stages = hook_plan(config)
    hook_repo = snapshot_repo(work / "hook-repo", env, project)
    worktrees: dict[str, Path] = {}
    for name, policy in (("small", SMALL), ("patterns", big_policy(patterns))):
        repo = work / f"repo-{name}"
        git("init", "-q", "-b", "main", str(repo), cwd=work, env=env)
        for i in range(20):
            (repo / "src").mkdir(exist_ok=True)
            (repo / "src" / f"f{i}.py").write_text(f"value = {i}\n")
        (repo / ".guardrails.toml").write_text(policy)
        (repo / ".pre-commit-config.yaml").write_text(_with_repo(config, hook_repo))
        git("add", "-A", cwd=repo, env=env)
        git("commit", "-q", "--no-verify", "-m", "start", cwd=repo, env=env)
        wt = work / f"wt-{name}"
        git("worktree", "add", "-q", "-b", "agent/bench-1", str(wt), "main", cwd=repo, env=env)
        run(["prek", "install", *(a for t in hook_types for a in ("-t", t)), "-f"], wt, env)
        run(["git-guardrails", "install"], wt, env)
        run(["prek", "install-hooks"], wt, env)
        run(["git-guardrails", "start", "--agent", "bench"], wt, env)
        worktrees[name] = wt
    return {"env": env, "worktrees": worktrees}


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and the peak RSS (MiB) of the process tree."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed in {cwd}:\n{out.decode(errors='replace')}")
    return wall, usage.ru_maxrss // 1024


def work_dir(wts: dict[str, Path]) -> Path:
    return next(iter(wts.values())).parent


def text_data(n: int, seed: int) -> bytes:
    """``n`` bytes of source-like lines, different for each seed."""
    import random

    rnd = random.Random(seed)
    pool = [f"    value_{i} = compute({i}, {'x' * (i % 50)})  # {i * 7919 % 10007}\n".encode()
            for i in range(4096)]
    lines = rnd.choices(pool, k=n // 40 + 1)
    return (f"# seed {seed}\n".encode() + b"".join(lines))[:n]


def measure(state: dict[str, Any], rounds: int, mb: int) -> dict[str, Any]:
    env = dict(state["env"], CLAUDECODE="1")
    wts: dict[str, Path] = state["worktrees"]
    counter = {"n": 0}

    def small_change(wt: Path) -> None:
        counter["n"] += 1
        for k in range(5):
            with open(wt / "src" / f"f{k}.py", "a") as f:
                f.write(f"# edit {counter['n']}\n")
        git("add", "-A", "src", cwd=wt, env=env)

    def big_file(kind: str) -> Callable[[Path], list[str]]:
        def write(wt: Path) -> list[str]:
            counter["n"] += 1
            (wt / "data").mkdir(exist_ok=True)
            rel = f"data/big-{kind}-{counter['n']}.{'bin' if kind == 'binary' else 'txt'}"
            # a new file each round: its whole content is new; written 1 MB at a time, so this
            # process stays small (a child's ru_maxrss counts the parent's pages it forked from)
            with open(wt / rel, "wb") as f:
                for k in range(mb):
                    f.write(os.urandom(1 << 20) if kind == "binary"
                            else text_data(1 << 20, counter["n"] * 100_000 + k))
            return ["git", "add", "--", rel]  # timed: part of what a plain commit costs
        return write

    def staged(prepare: Callable[[Path], None]) -> Callable[[Path], list[str]]:
        def wrapped(wt: Path) -> list[str]:
            prepare(wt)
            return []
        return wrapped

    commit = ["git", "commit", "-q", "-m", "edit"]
    nohooks = work_dir(wts) / "no-hooks"
    nohooks.mkdir(exist_ok=True)
    bare = ["git", "-c", f"core.hooksPath={nohooks}", *commit[1:]]  # git alone, no hooks at all
    cases: dict[str, tuple[Path, Callable[[Path], list[str]], list[str]]] = {
        "5 files, 5 patterns": (wts["small"], staged(small_change), commit),
        "5 files, no hooks": (wts["small"], staged(small_change), bare),
        "5 files, 10k+10k patterns": (wts["patterns"], staged(small_change), commit),
    }
    for kind in ("binary", "text"):
        cases[f"{mb} MB {kind}"] = (wts["small"], big_file(kind), commit)
        cases[f"{mb} MB {kind}, no hooks"] = (wts["small"], big_file(kind), bare)
    times: dict[str, list[float]] = {k: [] for k in cases}
    adds: dict[str, list[float]] = {k: [] for k in cases}
    rss: dict[str, int] = {k: 0 for k in cases}
    for r in range(rounds + 1):  # the first round warms up, untimed
        for name, (wt, prepare, cmd) in cases.items():
            add = prepare(wt)
            add_s = timed(add, wt, env)[0] if add else 0.0
            wall, peak = timed(cmd, wt, env)
            if r:
                times[name].append(wall)
                adds[name].append(add_s)
                rss[name] = max(rss[name], peak)
        # the big files stay in the work tree: deleting them would leave unstaged deletions,
        # which the runner saves as a patch (a `git diff --binary` of them) before each hook
    import statistics

    return {"median_s": {k: round(statistics.median(v), 3) for k, v in times.items()},
            "min_s": {k: round(min(v), 3) for k, v in times.items()},
            "add_s": {k: round(statistics.median(v), 3) for k, v in adds.items()},
            "peak_rss_mb": rss, "rounds": rounds}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m bench.big_inputs", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--patterns", type=int, default=10_000)
    ap.add_argument("--mb", type=int, default=150)
    ap.add_argument("--project", type=Path, default=PROJECT,
                    help="the git-guardrails checkout to install the hooks from")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="guardrails-big-"))
    try:
        load0 = machine()["load"]
        state = setup(work, args.patterns, args.project.resolve())
        result = measure(state, args.rounds, args.mb)
        result.update(patterns=args.patterns, mb=args.mb, project=str(args.project),
                      machine=machine(), load_before=load0)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return result


def render(r: dict[str, Any]) -> str:
    lines = [f"big inputs: an agent's commit under prek (the README's configuration and the "
             f"native hooks), median of {r['rounds']} interleaved rounds; load "
             f"{r['load_before']} -> {r['machine']['load']}"]
    for name, s in r["median_s"].items():
        add = r["add_s"][name]
        lines.append(f"  {name:30} commit {s:7.3f} s (min {r['min_s'][name]:.3f})"
                     + (f" + add {add:.3f} s" if add else "")
                     + f"  peak RSS {r['peak_rss_mb'][name]:5d} MB")
    med = r["median_s"]
    pat, floor = med.get("5 files, 10k+10k patterns"), med.get("5 files, 5 patterns")
    if pat is not None and floor:
        lines.append(f"  10k+10k patterns: {pat:.2f} s per commit = {pat / floor:.2f}x the "
                     f"5-pattern commit (target <= 1 s: {'ok' if pat <= 1 else 'MISSES'})")
    for kind in ("binary", "text"):
        name = f"{r['mb']} MB {kind}"
        if name not in med:
            continue
        hooked = med[name] + r["add_s"][name]
        plain = med[f"{name}, no hooks"] + r["add_s"][f"{name}, no hooks"]
        lines.append(
            f"  {name}: commit {med[name]:.2f} s (target <= 3 s: "
            f"{'ok' if med[name] <= 3 else 'MISSES'}); add + commit {hooked:.2f} s = "
            f"{hooked / plain:.2f}x plain add + commit without hooks ({plain:.2f} s); peak RSS "
            f"{r['peak_rss_mb'][name]} MB vs {r['peak_rss_mb'][name + ', no hooks']} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    res = main()
    print(render(res))
    print(json.dumps(res, indent=1))
