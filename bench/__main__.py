"""`make bench`: every bench, one run each, figures as ratios and medians (never as tests).

    python -m bench [--hooks guardrails[,require-checks]] [--rounds 15] [--quick]

Each figure is printed with the machine's load average as it was measured (a shared 2-CPU
host: ratios within one interleaved run mean something, absolute times much less). Writes
bench/results/latest.json (ignored by git) and prints a summary for docs/performance.md.
``--quick``: fewer rounds and the small sizes only (ci to 10k commits, 16 worktrees, 8 agents
x 10 commits).
"""
from __future__ import annotations

import argparse
import io
import json
import os
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from bench import (
    agent_hook,
    big_inputs,
    ci_range,
    conflicts,
    hook_latency,
    parallel_agents,
    scope_scale,
    status_scale,
)
from bench._common import default_hooks, machine


def _load() -> str:
    return machine()["load"]


def _quiet(fn: Any, *args: Any) -> tuple[Any, str]:
    """Run a bench whose progress goes to stdout; its output kept for the summary."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        rv = fn(*args)
    return rv, buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--hooks", default=default_hooks())
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rounds = 5 if args.quick else args.rounds
    out: dict[str, Any] = {}

    def show(name: str, text: str, load: str) -> None:
        print(f"== {name} (load before: {load}; after: {_load()})\n{text.rstrip()}\n",
              flush=True)

    load = _load()
    out["scope_scale"] = scope_scale.main([])
    show("scope: 100,000 paths x 200 patterns", scope_scale.render(out["scope_scale"]), load)
    load = _load()
    out["scope_10k"] = scope_scale.main(["--patterns", "10000", "--paths", "10000",
                                         "--backends", "indexed,re2"])
    show("scope: 10,000 paths x 10,000 patterns", scope_scale.render(out["scope_10k"]), load)
    load = _load()
    out["hook_latency"] = hook_latency.main(["--hooks", args.hooks, "--rounds", str(rounds)])
    show("hook latency (two hooks vs two trivial hooks)", hook_latency.render(out["hook_latency"]),
         load)
    load = _load()
    out["readme_config"] = hook_latency.main(["--config", "readme", "--rounds",
                                              str(min(rounds, 11))])
    show("the README's configuration", hook_latency.render(out["readme_config"]), load)
    load = _load()
    sizes = "100,1000,10000" if args.quick else "100,1000,10000,50000"
    _, text = _quiet(ci_range.main, ["--sizes", sizes, "--repeat", "2" if args.quick else "3"])
    out["ci_range"] = dict(ci_range.RESULT)
    show("ci over ranges vs git log -M -C", text, load)
    load = _load()
    _, text = _quiet(status_scale.main, ["--worktrees", "16" if args.quick else "64",
                                         "--runs", "3" if args.quick else "5"])
    out["status_scale"] = dict(status_scale.RESULT)
    show("status over many worktrees", text, load)
    load = _load()
    out["big_inputs"] = big_inputs.main(["--rounds", "2" if args.quick else "3"])
    show("big inputs", big_inputs.render(out["big_inputs"]), load)
    load = _load()
    out["conflicts"] = conflicts.main([])
    show("conflict forecast", conflicts.render(out["conflicts"]), load)
    load = _load()
    out["agent_hook"] = agent_hook.main(["--rounds", str(max(rounds, 15))])
    show("agent hook per call vs python3 -c pass", agent_hook.render(out["agent_hook"]), load)
    load = _load()
    size = ["-n", "8", "-k", "10"] if args.quick else ["-n", "16", "-k", "20"]
    modes = ("plain/none", "guarded/none", "native/none", "plain/prunenow", "guarded/prunenow")
    _, text = _quiet(parallel_agents.main, [*size, *(a for m in modes for a in ("--mode", m))])
    out["parallel_agents"] = text
    show("parallel agents (git on PATH; other gits: PATH=.cache/git-2.55.0/bin:$PATH "
         "python -m bench.parallel_agents [--ref-format reftable])", text, load)
    print("not run here: python -m bench.parallel_agents --all (every maintenance mode) and "
          "python -m bench.shellcmd_cost")
    path = Path(__file__).resolve().parent / "results" / "latest.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1, default=str) + "\n")
    m = machine()
    print(f"machine: {m['machine']}; load {m['load']}; {m['git']}; Python {m['python']}; "
          f"{m['date']}; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')}"
          f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
