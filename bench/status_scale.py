"""`git guardrails status` on 64 worktrees: wall time against a floor, and the git processes.

A scratch repository gets 64 linked worktrees (48 with a session, all dirty, 32 of them with a
commit). Timed round-robin in one run, without any shim, wall time and CPU time (user + system
of every process: less moved by other jobs on a shared host):

- ``floor``: what any status must run — one ``git worktree list --porcelain -z`` and one
  ``git status --porcelain=v1 -z --untracked-files=all`` in each worktree (there is no git
  command that reads several work trees), from ``sh``, one after another;
- ``floor-parallel``: the same, the ``git status`` calls ``xargs -P <CPUs>`` at a time (what
  status itself does);
- ``startup``: ``git-guardrails --version`` (Python and the command line, no git);
- ``now``: ``git-guardrails status --format json``; ``--compare``: another executable;
- ``now, a tip moved``: the same right after one session committed (untimed), so that its
  new tip's merge forecasts are not cached.

Then one untimed run of each executable with a PATH shim that logs every git invocation: the
processes it starts, and how many more than one per worktree. Target: under 1 s.

    python -m bench.status_scale [--worktrees N] [--runs N] [--exe GG] [--compare GG]

``--compare`` times another ``git-guardrails`` executable (e.g. one installed from an older
checkout) in the same run, interleaved.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
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
DIRTY = ("status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none")
SERIAL = ('git worktree list --porcelain -z >/dev/null || exit 1\n'
          'for d in "$@"; do git -C "$d" ' + " ".join(DIRTY) + ' >/dev/null || exit 1; done\n')
PARALLEL = ('git worktree list --porcelain -z >/dev/null || exit 1\n'
            'printf "%s\\0" "$@" | xargs -0 -P "$STATUS_BENCH_P" -I{} git -C {} '
            + " ".join(DIRTY) + ' >/dev/null\n')


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _shim(root: str) -> tuple[str, str]:
    """A directory with a ``git`` that logs its subcommand and execs the real git."""
    real = shutil.which("git")
    if real is None:
        raise SystemExit("status_scale: git not found")
    shim_dir = os.path.join(root, "shim")
    os.makedirs(shim_dir)
    log = os.path.join(root, "git.log")
    with open(os.path.join(shim_dir, "git"), "w") as f:
        f.write('#!/bin/sh\nsub=$1\nif [ "$sub" = -C ]; then sub=$3; fi\n'
                f'echo "$sub" >> "{log}"\nexec "{real}" "$@"\n')
    os.chmod(os.path.join(shim_dir, "git"), 0o755)
    return shim_dir, log


def _count(exe: str, repo: str, env: dict[str, str], shim_dir: str, log: str
           ) -> dict[str, int]:
    """The git processes one ``status`` starts, by subcommand."""
    if os.path.exists(log):
        os.unlink(log)
    shim_env = dict(env, PATH=f"{shim_dir}{os.pathsep}{env.get('PATH', '')}")
    subprocess.run([exe, "status", "--format", "json"], cwd=repo, env=shim_env,
                   capture_output=True, check=True)
    by: dict[str, int] = {}
    with open(log) as f:
        for c in f.read().split():
            by[c] = by.get(c, 0) + 1
    return by


def _cases(tops: list[str], exes: dict[str, str]) -> dict[str, list[str]]:
    cases = {"floor": ["sh", "-c", SERIAL, "sh", *tops],
             "floor-parallel": ["sh", "-c", PARALLEL, "sh", *tops],
             "startup": [exes["now"], "--version"]}
    for name, exe in exes.items():
        cases[name] = [exe, "status", "--format", "json"]
        cases[f"{name}, a tip moved"] = cases[name]
    return cases


def _cpu() -> float:
    """CPU seconds (user + system) of every finished child process and their children."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _time(cases: dict[str, list[str]], repo: str, mover: str, env: dict[str, str], runs: int
          ) -> tuple[dict[str, list[float]], dict[str, list[float]], int]:
    """Round-robin wall times and CPU times; before each "a tip moved" case one session
    commits (untimed): its new tip has no merge forecast cached yet."""
    times: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    rows = 0
    for i in range(runs + 1):  # the first round warms the caches and is not counted
        for name, cmd in cases.items():  # interleaved
            if name.endswith("moved"):  # new content: a new tree (forecasts are by tree)
                with open(os.path.join(mover, "src", "moves.py"), "a") as f:
                    f.write("z = 1\n")
                _git("add", "--", "src/moves.py", cwd=mover, env=env)
                _git("commit", "-q", "--no-verify", "-m", "moves", "--", "src/moves.py",
                     cwd=mover, env=env)
            c0, t0 = _cpu(), time.perf_counter()
            proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, check=False)
            elapsed, used = time.perf_counter() - t0, _cpu() - c0
            if proc.returncode != 0:
                raise SystemExit(f"status_scale: {name} failed ({proc.returncode}):\n"
                                 f"{proc.stderr.decode(errors='replace')}")
            if name == "now":
                rows = len(json.loads(proc.stdout)["worktrees"])
            if i:
                times[name].append(elapsed)
                cpu[name].append(used)
    return times, cpu, rows


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
                    "HOME": root, "GIT_OPTIONAL_LOCKS": "0",
                    "STATUS_BENCH_P": str(_cpus())})
        repo = build(root, args.worktrees, env)
        tops = [repo] + [os.path.join(root, f"w{i}") for i in range(args.worktrees)]
        exes = {"now": args.exe or _tool("git-guardrails"),
                **({"compare": args.compare} if args.compare else {})}
        load0 = _load()
        times, cpu, rows = _time(_cases(tops, exes), repo, tops[1], env, args.runs)
        load1 = _load()
        shim_dir, log = _shim(root)
        counts = {name: _count(exe, repo, env, shim_dir, log) for name, exe in exes.items()}
        return _report(args, times, cpu, counts, rows, (load0, load1))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _report(args: argparse.Namespace, times: dict[str, list[float]],
            cpu: dict[str, list[float]], counts: dict[str, dict[str, int]], rows: int,
            load: tuple[str, str]) -> int:
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
    print(f"status_scale: {rows} worktrees ({args.worktrees} linked), {args.runs} runs "
          f"interleaved, load {load[0]} -> {load[1]}, {git_version}, {_cpus()} CPUs")
    print(f"  floor: worktree list + {rows} x git status, serial: median "
          f"{med['floor'] * 1000:.0f} ms; in parallel (-P {_cpus()}): "
          f"{med['floor-parallel'] * 1000:.0f} ms; git-guardrails --version: "
          f"{med['startup'] * 1000:.0f} ms; CPU (user + system, every process): floor "
          f"{cpu_med['floor'] * 1000:.0f} ms, start-up {cpu_med['startup'] * 1000:.0f} ms")
    for name, by in counts.items():
        ts, n = times[name], sum(by.values())
        print(f"  {name}: median {med[name] * 1000:.0f} ms, min {min(ts) * 1000:.0f} ms, max "
              f"{max(ts) * 1000:.0f} ms (target < 1000 ms) = {med[name] / med['floor']:.2f}x "
              f"the floor, {med[name] / med['floor-parallel']:.2f}x the parallel floor "
              f"(less the start-up: {(med[name] - med['startup']) / med['floor']:.2f}x); "
              f"CPU {cpu_med[name] * 1000:.0f} ms = {cpu_med[name] / cpu_med['floor']:.2f}x "
              f"the floor's; {n} git processes = {rows} + {n - rows} "
              f"({', '.join(f'{k} {v}' for k, v in sorted(by.items()))})")
        moved = med[f"{name}, a tip moved"]
        print(f"    after one session commits (its merge forecasts not cached): median "
              f"{moved * 1000:.0f} ms = {moved / med['floor']:.2f}x the floor")
    print(f"  {'OK' if med['now'] < 1.0 else 'SLOW'}")
    RESULT.update({"worktrees": rows, "load": list(load), "git": git_version,
                   "median_ms": {k: round(v * 1000) for k, v in med.items()},
                   "cpu_ms": {k: round(v * 1000) for k, v in cpu_med.items()},
                   "ratio_to_floor": {k: round(med[k] / med["floor"], 2) for k in counts},
                   "ratio_to_parallel_floor": {k: round(med[k] / med["floor-parallel"], 2)
                                               for k in counts},
                   "git_processes": {k: sum(v.values()) for k, v in counts.items()}})
    return 0 if med["now"] < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
