"""Big inputs, end to end: an agent's ``git commit`` under prek with the guardrails hooks
(``guardrails`` + ``require-checks``, the combined hook at pre-commit) in a session, when

- the policy is huge: a task of 10,000 ``allow`` patterns and 10,000 ``locked`` patterns
  (the ``indexed`` pattern backend; TOML parse, validation, translation per pattern);
- the change is huge: a 150 MB binary file staged (no line scan of binary data; numstat and
  the bypass scan must not hold the file's diff);

against, in the same interleaved run, the same 5-file commit with a 5-pattern policy and the
same commit with ``--no-verify``. Peak RSS is the largest ru_maxrss of the commit's process
tree (os.wait4 rusage of ``git commit``: git waits for its hooks). Targets (issue 18): the
10k-pattern commit <= 1 s, the 150 MB commit <= 3 s with bounded memory.

    python -m bench.big_inputs [--rounds 5] [--patterns 10000] [--mb 150] [--project DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import (
    PROJECT,
    clean_env,
    default_hooks,
    git,
    hook_stages,
    machine,
    run,
    snapshot_repo,
)

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


def _config(repo: tuple[str, str], ids: list[str], hook_types: list[str]) -> str:
    hooks = "".join(f"  - id: {i}\n" for i in ids)
    return (f"default_install_hook_types: [{', '.join(hook_types)}]\n"
            f"repos:\n- repo: {repo[0]}\n  rev: {repo[1]}\n  hooks:\n{hooks}")


def setup(work: Path, patterns: int, project: Path) -> dict[str, Any]:
    env = clean_env(work / "home")
    ids = [h.strip() for h in default_hooks().split(",")]
    stages = hook_stages(ids)
    hook_types = sorted({s for ss in stages.values() for s in ss if s != "manual"})
    hook_repo = snapshot_repo(work / "hook-repo", env, project)
    worktrees: dict[str, Path] = {}
    for name, policy in (("small", SMALL), ("patterns", big_policy(patterns))):
        repo = work / f"repo-{name}"
        git("init", "-q", "-b", "main", str(repo), cwd=work, env=env)
        # the untimed `git add` of a 150 MB incompressible file: no zlib work wasted on it
        git("config", "core.compression", "0", cwd=repo, env=env)
        for i in range(20):
            (repo / "src").mkdir(exist_ok=True)
            (repo / "src" / f"f{i}.py").write_text(f"value = {i}\n")
        (repo / ".guardrails.toml").write_text(policy)
        (repo / ".pre-commit-config.yaml").write_text(_config(hook_repo, ids, hook_types))
        git("add", "-A", cwd=repo, env=env)
        git("commit", "-q", "--no-verify", "-m", "start", cwd=repo, env=env)
        wt = work / f"wt-{name}"
        git("worktree", "add", "-q", "-b", "agent/bench-1", str(wt), "main", cwd=repo, env=env)
        run(["prek", "install", *(a for t in hook_types for a in ("-t", t)), "-f"], wt, env)
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


def measure(state: dict[str, Any], rounds: int, mb: int) -> dict[str, Any]:
    env = dict(state["env"], CLAUDECODE="1")
    wts: dict[str, Path] = state["worktrees"]
    counter = {"n": 0}
    big = os.urandom(1 << 20)

    def small_change(wt: Path) -> None:
        counter["n"] += 1
        for k in range(5):
            with open(wt / "src" / f"f{k}.py", "a") as f:
                f.write(f"# edit {counter['n']}\n")
        git("add", "-A", "src", cwd=wt, env=env)

    def big_change(wt: Path) -> None:
        counter["n"] += 1
        (wt / "data").mkdir(exist_ok=True)
        with open(wt / "data" / "blob.bin", "wb") as f:
            f.write(counter["n"].to_bytes(8, "little"))
            for _ in range(mb):
                f.write(big)  # incompressible, different every round (its first bytes)
        git("add", "data/blob.bin", cwd=wt, env=env)

    commit = ["git", "commit", "-q", "-m", "edit"]
    nohooks = work_dir(wts) / "no-hooks"
    nohooks.mkdir(exist_ok=True)
    bare = ["git", "-c", f"core.hooksPath={nohooks}", *commit[1:]]  # git alone, no hooks at all
    cases: dict[str, tuple[Path, Any, list[str]]] = {
        "5 files, 5 patterns": (wts["small"], small_change, commit),
        "5 files, no hooks": (wts["small"], small_change, bare),
    }
    cases["5 files, 10k+10k patterns"] = (wts["patterns"], small_change, commit)
    cases[f"{mb} MB file"] = (wts["small"], big_change, commit)
    cases[f"{mb} MB file, no hooks"] = (wts["small"], big_change, bare)
    times: dict[str, list[float]] = {k: [] for k in cases}
    rss: dict[str, int] = {k: 0 for k in cases}
    for r in range(rounds + 1):  # the first round warms up, untimed
        for name, (wt, prepare, cmd) in cases.items():
            prepare(wt)
            wall, peak = timed(cmd, wt, env)
            if r:
                times[name].append(wall)
                rss[name] = max(rss[name], peak)
    (wts["small"] / "data" / "blob.bin").unlink()
    import statistics

    return {"median_s": {k: round(statistics.median(v), 3) for k, v in times.items()},
            "min_s": {k: round(min(v), 3) for k, v in times.items()},
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
    lines = [f"big inputs: an agent's commit under prek (guardrails + require-checks), median of "
             f"{r['rounds']} interleaved rounds; load {r['load_before']} -> "
             f"{r['machine']['load']}"]
    for name, s in r["median_s"].items():
        lines.append(f"  {name:28} {s:7.3f} s (min {r['min_s'][name]:.3f})  peak RSS "
                     f"{r['peak_rss_mb'][name]:5d} MB")
    pat = r["median_s"].get("5 files, 10k+10k patterns")
    if pat is not None:
        lines.append(f"  10k+10k patterns: {pat:.2f} s per commit (target <= 1 s: "
                     f"{'ok' if pat <= 1 else 'MISSES'})")
    big = r["median_s"].get(f"{r['mb']} MB file")
    if big is not None:
        lines.append(f"  {r['mb']} MB file: {big:.2f} s (target <= 3 s: "
                     f"{'ok' if big <= 3 else 'MISSES'})")
    return "\n".join(lines)


if __name__ == "__main__":
    res = main()
    print(render(res))
    print(json.dumps(res, indent=1))
