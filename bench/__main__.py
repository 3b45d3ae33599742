"""`make bench`: every bench, one run each, figures as ratios and medians (never as tests).

    python -m bench [--hooks guardrails[,require-checks]] [--rounds 15]

Writes bench/results/latest.json (ignored by git) and prints a summary for
docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench import agent_hook, conflicts, hook_latency, scope_scale
from bench._common import default_hooks


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--hooks", default=default_hooks())
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    scale = scope_scale.main([])
    print(scope_scale.render(scale), flush=True)
    latency = hook_latency.main(["--hooks", args.hooks, "--rounds", str(args.rounds)])
    print(hook_latency.render(latency), flush=True)
    forecast = conflicts.main([])
    print(conflicts.render(forecast), flush=True)
    agent = agent_hook.main(["--rounds", str(max(args.rounds, 15))])
    print(agent_hook.render(agent), flush=True)
    out = Path(__file__).resolve().parent / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"scope_scale": scale, "hook_latency": latency,
                               "conflicts": forecast, "agent_hook": agent}, indent=1) + "\n")
    m = latency["machine"]
    print(f"machine: {m['machine']}; load {m['load']}; {m['git']}; Python {m['python']}; "
          f"{m['date']}\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
