"""`git guardrails status` on 64 worktrees: wall time and the number of git processes it starts.

A scratch repository gets 64 linked worktrees (24 with a session, some with commits and dirty
files); `git-guardrails status --format json` then runs several times with a PATH shim that logs
every git invocation and execs the real git. Target: under 1 s.

    python -m bench.status_scale [--worktrees N] [--runs N] [--compare GIT_GUARDRAILS]

``--compare`` times another ``git-guardrails`` executable (e.g. one installed from an older
checkout) in the same run, interleaved.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Optional

POLICY = """\
[guardrails]
base = "main"
protected = ["main"]

[tasks.bench]
branch = "agent/bench-*"
allow = ["src/**"]
"""


def _git(*args: str, cwd: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _tool(name: str) -> str:
    here = os.path.dirname(sys.executable)
    candidate = os.path.join(here, name)
    return candidate if os.path.exists(candidate) else (shutil.which(name) or name)


def build(root: str, n: int, env: dict[str, str]) -> str:
    repo = os.path.join(root, "repo")
    os.makedirs(os.path.join(repo, "src"))
    _git("init", "-q", "-b", "main", repo, cwd=root, env=env)
    with open(os.path.join(repo, ".guardrails.toml"), "w") as f:
        f.write(POLICY)
    for i in range(200):
        with open(os.path.join(repo, "src", f"f{i}.py"), "w") as f:
            f.write(f"x = {i}\n")
    _git("add", "-A", cwd=repo, env=env)
    _git("commit", "-q", "-m", "init", cwd=repo, env=env)
    gg = _tool("git-guardrails")
    for i in range(n):
        path = os.path.join(root, f"w{i}")
        if i % 4 == 3:  # a quarter without a session
            _git("worktree", "add", "-q", "-b", f"feature/{i}", path, "main", cwd=repo, env=env)
            continue
        subprocess.run([gg, "worktree", "add", path, f"agent/bench-{i}"], cwd=repo, env=env,
                       check=True, capture_output=True)
        if i % 2 == 0:
            with open(os.path.join(path, "src", f"new{i}.py"), "w") as f:
                f.write("y = 1\n")
            _git("add", "-A", cwd=path, env=env)
            _git("commit", "-q", "--no-verify", "-m", "work", cwd=path, env=env)
        with open(os.path.join(path, "src", "f0.py"), "a") as f:
            f.write("# dirty\n")
    return repo


RESULT: dict[str, object] = {}  # the last run's figures (python -m bench)


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="status_scale")
    ap.add_argument("--worktrees", type=int, default=64)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--exe", metavar="GIT_GUARDRAILS",
                    help="the git-guardrails executable to time (default: this venv's)")
    ap.add_argument("--compare", metavar="GIT_GUARDRAILS",
                    help="another git-guardrails executable, timed alongside")
    args = ap.parse_args(argv)
    RESULT.clear()
    root = tempfile.mkdtemp(prefix="guardrails-status-bench-")
    try:
        env = dict(os.environ)
        for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            env.pop(var, None)
        env.update({"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
                    "GIT_COMMITTER_EMAIL": "b@b", "GIT_CONFIG_NOSYSTEM": "1",
                    "HOME": root})
        repo = build(root, args.worktrees, env)
        real = shutil.which("git")
        if real is None:
            print("git not found", file=sys.stderr)
            return 2
        shim_dir = os.path.join(root, "shim")
        os.makedirs(shim_dir)
        log = os.path.join(root, "git.log")
        with open(os.path.join(shim_dir, "git"), "w") as f:
            f.write(f'#!/bin/sh\necho "$1" >> "{log}"\nexec "{real}" "$@"\n')
        os.chmod(os.path.join(shim_dir, "git"), 0o755)
        shim_env = dict(env, PATH=f"{shim_dir}{os.pathsep}{env.get('PATH', '')}")
        gg = args.exe or _tool("git-guardrails")
        exes = {"now": gg, **({"compare": args.compare} if args.compare else {})}
        load0 = _load()
        times: dict[str, list[float]] = {k: [] for k in exes}
        counts: dict[str, int] = {}
        by_cmd: dict[str, dict[str, int]] = {}
        rows = 0
        for i in range(args.runs + 1):  # the first run warms the caches and is not counted
            for name, exe in exes.items():  # interleaved
                if os.path.exists(log):
                    os.unlink(log)
                t0 = time.perf_counter()
                proc = subprocess.run([exe, "status", "--format", "json"], cwd=repo,
                                      env=shim_env, capture_output=True, text=True, check=False)
                elapsed = time.perf_counter() - t0
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    return 1
                rows = len(json.loads(proc.stdout)["worktrees"])
                with open(log) as f:
                    calls = f.read().split()
                if i:
                    times[name].append(elapsed)
                counts[name] = len(calls)
                by_cmd[name] = {}
                for c in calls:
                    by_cmd[name][c] = by_cmd[name].get(c, 0) + 1
        med = statistics.median(times["now"])
        load1 = _load()
        print(f"status_scale: {rows} worktrees ({args.worktrees} linked), {args.runs} runs, "
              f"load {load0} -> {load1}")
        for name in exes:
            ts = times[name]
            print(f"  {name}: median {statistics.median(ts) * 1000:.0f} ms, min "
                  f"{min(ts) * 1000:.0f} ms, max {max(ts) * 1000:.0f} ms (target < 1000 ms); "
                  f"{counts[name]} git processes "
                  f"({', '.join(f'{k} {v}' for k, v in sorted(by_cmd[name].items()))})")
        print(f"  {'OK' if med < 1.0 else 'SLOW'}")
        RESULT.update({"worktrees": rows, "load": [load0, load1],
                       "median_ms": {k: round(statistics.median(v) * 1000) for k, v in
                                     times.items()},
                       "git_processes": counts})
        return 0 if med < 1.0 else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
