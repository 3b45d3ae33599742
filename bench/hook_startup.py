"""Start-up of each hook entry point, this checkout against another one (``--compare``), run
the way git starts them: a new Python process in a session worktree with a staged change.
Interleaved rounds; median child CPU time (user + sys: less sensitive to a loaded machine
than wall time) and wall time per hook, and the modules each side imports.

    python -m bench.hook_startup --compare /tmp/main-checkout [--rounds 30]

``--compare`` is a checkout of the project (``git archive main | tar -x -C DIR``); both sides
run with this interpreter, each with its own ``guardrails`` and ``guardrails_hooks`` first on
``sys.path``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import PROJECT, machine
from tests.helpers import session_worktree

HOOKS = ["combined", "check_scope", "clean_baseline", "no_skipped_hooks", "ref_store_guard",
         "require_checks", "verify_commit", "record_baseline"]
PROBE = ("import json, sys\nfrom guardrails_hooks.{} import main\n"
         "try:\n    rc = main(sys.argv[1:])\nexcept SystemExit as e:\n    rc = e.code\n"
         "sys.stderr.write('\\n@@' + json.dumps(sorted(sys.modules)) + '\\n')\n")


def _pkgs(checkout: Path, into: Path) -> str:
    into.mkdir(parents=True)
    (into / "guardrails").symlink_to(checkout / "guardrails")
    (into / "guardrails_hooks").symlink_to(checkout / "hooks")
    return str(into)


def _worktree(tmp: Path) -> tuple[Path, dict[str, list[str]]]:
    _root, wt, argv = session_worktree(tmp)
    return wt, argv


def _once(wt: Path, path: str, name: str, args: list[str]) -> tuple[float, float, list[str]]:
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("GUARDRAILS_DEBUG", None)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PROBE.format(name), *args], cwd=wt, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    marker = proc.stderr.rfind("\n@@")
    mods = json.loads(proc.stderr[marker + 3:]) if marker >= 0 else []
    return cpu, wall, mods


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compare", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=30)
    opts = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hook-startup-"))
    sides = {"compare": _pkgs(opts.compare.resolve(), tmp / "compare"),
             "this": _pkgs(PROJECT, tmp / "this")}
    wt, argv = _worktree(tmp)
    mods: dict[tuple[str, str], list[str]] = {}
    for side, path in sides.items():  # warm: bytecode written
        for name in HOOKS:
            mods[(side, name)] = _once(wt, path, name, argv.get(name, []))[2]
    cpu: dict[tuple[str, str], list[float]] = {k: [] for k in mods}
    wall: dict[tuple[str, str], list[float]] = {k: [] for k in mods}
    for r in range(opts.rounds):
        for name in HOOKS:
            for side in (("compare", "this") if r % 2 == 0 else ("this", "compare")):
                c, w, _m = _once(wt, sides[side], name, argv.get(name, []))
                cpu[(side, name)].append(c)
                wall[(side, name)].append(w)
    print(json.dumps(machine()))
    print(f"load average {os.getloadavg()}, {opts.rounds} interleaved rounds")
    print(f"{'hook':17} {'cpu ms':>7} {'this':>6} {'ratio':>6} {'wall ms':>8} {'this':>6} "
          f"{'ratio':>6}  modules (this vs compare)")
    for name in HOOKS:
        c0, c1 = (statistics.median(cpu[(s, name)]) * 1000 for s in ("compare", "this"))
        w0, w1 = (statistics.median(wall[(s, name)]) * 1000 for s in ("compare", "this"))
        m0, m1 = set(mods[("compare", name)]), set(mods[("this", name)])
        print(f"{name:17} {c0:7.1f} {c1:6.1f} {c1 / c0:6.3f} {w0:8.1f} {w1:6.1f} "
              f"{w1 / w0:6.3f}  {len(m1)} vs {len(m0)} +{sorted(m1 - m0)} -{sorted(m0 - m1)}")


if __name__ == "__main__":
    main()
