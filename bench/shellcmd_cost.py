"""What the shell-command analysis costs per command: ``shellcmd.analyze(command, cwd)`` on
the commands agents send most (status, add+commit, a heredoc commit message, tests, greps,
pipelines, writes), timed in-process, and the cost of importing the module, against
``python3 -c pass`` in the same run.

    python -m bench.shellcmd_cost [--repeat 2000]

Target: well below 1 ms per typical command (it runs before every agent shell call; the
agent hook's whole-process ratio against ``python3 -c pass`` is the agents bench's figure).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench._common import interleaved, machine

TYPICAL = {
    "git status": "git status",
    "add + commit": "git add -A && git commit -m 'fix: handle empty tokens'",
    "heredoc commit (Claude Code)": (
        "git commit -m \"$(cat <<'EOF'\nfix(auth): refresh tokens before expiry\n\n"
        "The old code refreshed after the 401 (1) and retried once (2).\n\n"
        "Co-Authored-By: Claude <noreply@anthropic.com>\nEOF\n)\""),
    "tests": "cd src && python -m pytest -q tests/auth -x 2>&1 | tail -20",
    "grep": "grep -rn --include='*.py' 'def refresh' src/ | head -50",
    "pipeline": "git log --oneline -20 | cat && git diff --stat HEAD~3",
    "write": "sed -i 's/old_name/new_name/g' src/auth/login.py && echo done > /tmp/x.log",
    "blocked: --no-verify": "git commit --no-verify -m wip",
    "blocked: rm hook": "rm -f .git/hooks/pre-commit",
    "long script": "\n".join(f"echo step {n} && python -m tool --arg {n} > out/{n}.txt"
                             for n in range(40)),
}


def _per_call(command: str, cwd: str, repeat: int) -> float:
    from guardrails.skipped.shellcmd import analyze

    analyze(command, cwd)
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(repeat):
            analyze(command, cwd)
        samples.append((time.perf_counter() - t0) / repeat)
    return statistics.median(samples)


def _startups(codes: dict[str, str], rounds: int) -> dict[str, float]:
    """Median wall time of ``python -c CODE`` per case, interleaved (bytecode compiled
    beforehand, as an install has it: this host sets PYTHONDONTWRITEBYTECODE)."""
    cases = {name: (lambda c=code: subprocess.run([sys.executable, "-c", c], check=True))
             for name, code in codes.items()}
    times = interleaved(cases, rounds)  # type: ignore[arg-type]
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m bench.shellcmd_cost")
    ap.add_argument("--repeat", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=25)
    args = ap.parse_args(argv)
    import compileall

    compileall.compile_dir(os.path.join(os.path.dirname(os.path.dirname(__file__)),
                                        "guardrails"), quiet=1)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["git", "init", "-q", d], check=True)
        os.makedirs(os.path.join(d, "src"))
        per = {name: _per_call(cmd, d, max(1, args.repeat // (10 if "long" in name else 1)))
               for name, cmd in TYPICAL.items()}
        once = ("from guardrails.skipped.shellcmd import analyze; "
                f"analyze({TYPICAL['add + commit']!r}, {d!r})")
        t = _startups({"pass": "pass", "package": "import guardrails.records",
                       "module": "import guardrails.skipped.shellcmd", "one call": once},
                      args.rounds)
    return {
        "per_command_us": {k: round(v * 1e6, 1) for k, v in per.items()},
        "python_c_pass_ms": round(t["pass"] * 1e3, 1),
        "python_import_package_ms": round(t["package"] * 1e3, 1),
        "python_import_shellcmd_ms": round(t["module"] * 1e3, 1),
        "python_one_call_ms": round(t["one call"] * 1e3, 1),
        "shellcmd_import_ms": round((t["module"] - t["package"]) * 1e3, 1),
        "first_call_ms": round((t["one call"] - t["module"]) * 1e3, 1),
        "machine": machine(),
    }


def render(result: dict[str, Any]) -> str:
    lines = ["| command | analyze() per call |", "|---|---|"]
    lines += [f"| {k} | {v:.0f} µs |" for k, v in result["per_command_us"].items()]
    lines.append(f"\n`python3 -c pass` {result['python_c_pass_ms']} ms; importing the "
                 f"package {result['python_import_package_ms']} ms; importing "
                 f"guardrails.skipped.shellcmd {result['python_import_shellcmd_ms']} ms "
                 f"(the module itself: {result['shellcmd_import_ms']} ms); a fresh process "
                 f"that imports it and analyses one command {result['python_one_call_ms']} ms "
                 f"(the first call: {result['first_call_ms']} ms)")
    return "\n".join(lines)


if __name__ == "__main__":
    res = main()
    print(render(res))
    print(json.dumps(res["machine"]))
