"""Benchmark: `git-guardrails ci` over long ranges versus the `git log` it cannot avoid.

Generates one history with ``git fast-import`` (one process): an agent branch of 10,000
commits from ``main``, each changing a few files, with some renames and deletions. Then, for
the first 100, 1k, 10k and 50k commits of the branch, times in the same run:

- ``git log --raw -z --numstat`` over the range (the floor: reading the changes at all),
- the exact ``git log`` guardrails runs (``-M -C`` rename/copy detection included),
- ``git-guardrails ci --format json`` (a child process; its peak RSS from getrusage).

Target (issue 18): ci / ``git log -M -C`` <= 2 at every size, time growing linearly with the
range and peak RSS less than linearly.
Run: ``python -m bench.ci_range [--sizes 100,1000,10000,50000] [--repeat 3] [--keep DIR]
[--editable] [--compare DIR]``. ci runs from a fresh non-editable install of this checkout (as
in CI) unless ``--editable``; ``--compare DIR`` also installs the checkout DIR (e.g. an older
commit's ``git worktree add --detach``) and times its ci in the same interleaved run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import IO, Optional

POLICY = """\
[guardrails]
base = "main"
protected = ["main"]
locked = [".guardrails.toml"]

[tasks.auth]
branch = "agent/auth"
allow = ["src/**", "tests/**", "!src/vendored/**"]
max-files = 40
max-lines = 1500
"""
ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
       "GIT_CONFIG_NOSYSTEM": "1"}


def _git(*args: str, cwd: str, stdin: Optional[bytes] = None) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True,
                          check=True, env={**os.environ, **ENV}).stdout


def generate(root: str, n: int) -> None:
    """main (policy + 200 files) and agent/auth with ``n`` commits, in one fast-import, its
    input streamed (held whole, 50,000 commits' worth made this process 450 MB, and the
    children forked from it inherit that peak in their ru_maxrss)."""
    _git("init", "-q", "-b", "main", root, cwd=os.path.dirname(root))
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE,
                            env={**os.environ, **ENV})
    assert proc.stdin is not None
    out = proc.stdin

    def data(b: bytes) -> None:
        out.write(b"data %d\n" % len(b) + b + b"\n")

    out.write(b"commit refs/heads/main\nmark :1\ncommitter bench <b@e> 1700000000 +0000\n")
    data(b"initial")
    out.write(b"M 100644 inline .guardrails.toml\n")
    data(POLICY.encode())
    for i in range(200):
        out.write(b"M 100644 inline src/mod%d/file%d.py\n" % (i % 20, i))
        data(b"".join(b"line %d of %d\n" % (k, i) for k in range(30)))
    live = [f"src/mod{i % 20}/file{i}.py" for i in range(200)]
    for c in range(n):
        _commit(out, data, live, c)
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    _git("checkout", "-q", "main", cwd=root)


def _commit(out: IO[bytes], data: Callable[[bytes], None], live: list[str], c: int) -> None:
    msg = b"step %d\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n" % c
    out.write(b"commit refs/heads/agent/auth\ncommitter Agent <agent@example.com> %d +0000\n"
              % (1700000001 + c))
    data(msg)
    if c == 0:
        out.write(b"from :1\n")
    for k in range(3):  # edit three files
        p = live[(c * 7 + k * 13) % len(live)]
        out.write(f"M 100644 inline {p}\n".encode())
        data(b"".join(b"line %d of %s rev %d\n" % (j, p.encode(), c) for j in range(30)))
    if c % 10 == 3:  # a rename
        old = live[(c * 11) % len(live)]
        new = f"tests/renamed/r{c}.py"
        out.write(f"R {old} {new}\n".encode())
        live[live.index(old)] = new
    if c % 25 == 7:  # a deletion, and a new file in its place
        gone = live[(c * 5) % len(live)]
        out.write(f"D {gone}\n".encode())
        fresh = f"src/new/n{c}.py"
        out.write(f"M 100644 inline {fresh}\n".encode())
        data(b"new\n")
        live[live.index(gone)] = fresh
    if c % 1000 == 500:  # the odd stray, so ci has something to report
        out.write(b"M 100644 inline docs/stray%d.md\n" % c)
        data(b"stray\n")
    out.write(b"\n")


def timed(cmd: Sequence[str], cwd: str) -> tuple[float, int, bytes]:
    """Wall seconds, the child's peak RSS (KiB on Linux, from wait4's rusage), stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=out, stderr=err,
                                env={**os.environ, **ENV, "NO_COLOR": "1"})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): "
                             f"{err.read().decode()}")
        return wall, usage.ru_maxrss, out.read()


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def gg_cmd() -> list[str]:
    exe = shutil.which("git-guardrails")
    return [exe] if exe else [sys.executable, "-m", "guardrails.cli"]


def installed(tmp: str, project: Optional[str] = None, name: str = "venv") -> list[str]:
    """``git-guardrails`` installed from this checkout (with the ``fast`` extra) into a venv of
    its own, as a CI job installs it: not editable, bytecode compiled. The editable install of a
    development venv adds ~8 ms to every start (its import finder loads pathlib and more) and,
    with PYTHONDONTWRITEBYTECODE, compiles the package on every run."""
    from bench._common import PROJECT

    project = project or str(PROJECT)
    venv = os.path.join(tmp, name)
    python = os.path.join(venv, "bin", "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([*pip, f"{project}[fast]"], check=True)
    else:  # a kept venv gets this checkout's code, not the code it was built with
        subprocess.run([*pip, "--force-reinstall", "--no-deps", project], check=True)
    return [os.path.join(venv, "bin", "git-guardrails")]


RESULT: dict[str, object] = {}  # the last run's figures (for python -m bench)


def _measure(root: str, sizes: list[int], repeat: int, gg: list[str],
             old: Optional[list[str]]) -> list[dict[str, float]]:
    """Every size, every case interleaved ``repeat`` times; prints a row per size."""
    print(f"{'commits':>8} {'git log':>9} {'git log -M -C':>14} {'ci':>8} "
          f"{'ci/log':>7} {'ci/log-MC':>10} {'ms/1k':>7} {'ci RSS':>9}"
          + (f" {'before':>8} {'b/log-MC':>9} {'b RSS':>8}" if old else ""))
    rows = []
    figures: list[dict[str, float]] = []
    # a kept history may be longer than this run's sizes: the first n commits of it
    length = int(_git("rev-list", "--count", "main..agent/auth", cwd=root))
    if length < max(sizes):
        raise SystemExit(f"{root} has {length} agent commits, fewer than {max(sizes)}: "
                         "use another --keep directory")
    for n in sizes:
        tip = _git("rev-parse", f"agent/auth~{length - n}", cwd=root).decode().strip()
        best, rss = _size(root, n, tip, repeat, gg, old, floors=n == sizes[0])
        rows.append((n, best))
        figures.append({"commits": n, **{f"{k}_s": v for k, v in best.items()},
                        **{f"{k}_rss_mb": v / 1024 for k, v in rss.items()},
                        "ci_per_log_mc": best["ci"] / best["same"]})
        print(f"{n:>8} {best['plain']:>8.2f}s {best['same']:>13.2f}s {best['ci']:>7.2f}s "
              f"{best['ci'] / best['plain']:>7.2f} {best['ci'] / best['same']:>10.2f} "
              f"{best['ci'] * 1e6 / n:>6.0f} {rss['ci'] / 1024:>7.0f}MB"
              + (f" {best['before']:>7.2f}s {best['before'] / best['same']:>9.2f} "
                 f"{rss['before'] / 1024:>6.0f}MB" if old else ""), flush=True)
        if n == sizes[0]:
            print(f"  floors at {n} commits (best of {repeat}, same run): " + ", ".join(
                f"{label} {best[k] * 1e3:.1f} ms" for k, label in FLOORS if k in best)
                + f"; ci - (python + its imports) = {(best['ci'] - best['imports']) * 1e3:.1f} "
                "ms", flush=True)
            figures[-1]["floors_ms"] = {k: best[k] * 1e3 for k, _ in FLOORS if k in best}
    if len(rows) > 1:
        (n0, b0), (n1, b1) = rows[0], rows[-1]
        print(f"growth {n0}->{n1} commits (x{n1 / n0:.0f}): ci x{b1['ci'] / b0['ci']:.1f}, "
              f"git log -M -C x{b1['same'] / b0['same']:.1f}")
    print("ms/1k: ci milliseconds per 1,000 commits; RSS: the child's peak ru_maxrss "
          "(os.wait4 rusage); times: best of --repeat")
    return figures


# What no ci can go below, timed beside it at the smallest size: a bare interpreter, the
# venv's (its site-packages and .pth files), the same with the modules a ci run imports, and
# one small git process (ci starts seven).
FLOORS = (("bare", "python -S -I -c pass"), ("python", "the venv's python -I -c pass"),
          ("imports", "+ ci's imports"), ("onegit", "one git rev-parse"))
IMPORTS = ("import re, json, threading, select, fcntl, guardrails.cli, guardrails.commands.ci, "
           "guardrails.review.judge, guardrails.checks.bypass, guardrails.checks.attest, "
           "guardrails.agents.markers, guardrails.scope.policy, guardrails.scope.toml_lite\n"
           "try:\n import re2\n"
           "except ImportError:\n pass")


def _floor_cases(gg: list[str]) -> list[tuple[str, list[str]]]:
    python = os.path.join(os.path.dirname(gg[0]), "python")
    if not os.path.exists(python):
        python = sys.executable
    return [("bare", [python, "-S", "-I", "-c", "pass"]), ("python", [python, "-I", "-c", "pass"]),
            ("imports", [python, "-c", IMPORTS]), ("onegit", ["git", "rev-parse", "HEAD"])]


def _size(root: str, n: int, tip: str, repeat: int, gg: list[str],
          old: Optional[list[str]],
          floors: bool = False) -> tuple[dict[str, float], dict[str, int]]:
    rng = f"main..{tip}"
    plain = ["git", "log", "--raw", "-z", "--numstat", rng]
    same = ["git", "log", "--reverse", "--raw", "--numstat", "-z", "-M", "-C",
            "--no-abbrev", "--no-ext-diff", "--no-textconv", "--ignore-submodules=none",
            "--format=%x01%H%x02%P%x02%an%x02%ae%x02%cn%x02%ce%x02%B", rng, "--"]
    args_ci = ["ci", "--base", "main", "--head", tip, "--branch", "agent/auth",
               "--format", "json"]
    cases = [("plain", plain), ("same", same), ("ci", [*gg, *args_ci])]
    if old:
        cases.append(("before", [*old, *args_ci]))
    if floors:
        cases += _floor_cases(gg)
    best: dict[str, float] = {}
    rss: dict[str, int] = {}
    for _ in range(repeat):
        for name, cmd in cases:  # interleaved: load falls on each alike
            wall, peak, out = timed(cmd, root)
            best[name] = min(best.get(name, wall), wall)
            rss[name] = max(rss.get(name, 0), peak)
            if name in ("ci", "before"):
                doc = json.loads(out)
                assert len(doc["commits"]) == n, (len(doc["commits"]), n)
    return best, rss


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/ci_range.py", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000,50000")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for every figure")
    ap.add_argument("--keep", metavar="DIR", help="build the repository here and keep it")
    ap.add_argument("--editable", action="store_true",
                    help="time the git-guardrails on PATH (a development venv) instead of a "
                         "fresh non-editable install")
    ap.add_argument("--compare", metavar="DIR",
                    help="also time the ci of the checkout DIR (installed alike), interleaved")
    ap.add_argument("--json", metavar="FILE", help="write the figures here too")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    tmp = args.keep or tempfile.mkdtemp(prefix="gg-bench-ci-")
    root = os.path.join(tmp, "repo")
    try:
        t = time.perf_counter()
        if os.path.isdir(os.path.join(root, ".git")):
            print(f"history: reusing {root}")
        else:
            os.makedirs(tmp, exist_ok=True)
            generate(root, max(sizes))
            print(f"history: {max(sizes)} commits on agent/auth, generated in "
                  f"{time.perf_counter() - t:.1f}s (one git fast-import)")
        try:
            import guardrails.checks as checks

            attest = "attest" in checks.RANGE
            ranged = ", ".join(checks.RANGE)
        except ImportError:
            attest, ranged = False, "?"
        print(f"checks.RANGE: {ranged}" + ("" if attest else
              "  (no attest check: the ratio excludes attestation)"))
        gg = gg_cmd() if args.editable else installed(tmp)
        print(f"ci: {gg[0]}" + (" (as installed on PATH)" if args.editable else
                                " (installed from this checkout, not editable)"))
        old = installed(tmp, os.path.abspath(args.compare), "venv-compare") \
            if args.compare else None
        if old:
            print(f"before: {old[0]} (installed from {args.compare})")
        load0 = _load()
        print(f"load average before: {load0} ({os.cpu_count()} CPUs; others' work on a "
              "shared host shows in every figure)")
        figures = _measure(root, sizes, args.repeat, gg, old)
        load1 = _load()
        print(f"load average after: {load1}")
        RESULT.clear()
        RESULT.update({"load": [load0, load1], "rows": figures})
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(RESULT, fh, indent=1)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
