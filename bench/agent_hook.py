"""Median wall time of one `git guardrails agent-hook` call, for a Bash and an Edit payload,
from inside a session worktree, against `python3 -c pass` (the same interpreter) in the same
run, interleaved. The hook runs before every shell and edit call of the agent.

    python -m bench.agent_hook [--rounds 25] [--agent claude]

Target: agent-hook / python3 -c pass <= 2.5 for each payload.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

from bench._common import BIN, clean_env, git, interleaved, machine, median_ms, run

TARGET = 2.5
POLICY = """\
[guardrails]
base = "main"
protected = ["main"]
locked = [".guardrails.toml", ".pre-commit-config.yaml", ".github/**"]

[tasks.bench]
branch = "agent/bench-*"
allow = ["src/**", "tests/**"]
"""
FILES = 2_000


def setup(root: Path, env: dict[str, str]) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git("init", "-q", "-b", "main", str(repo), cwd=root, env=env)
    (repo / ".guardrails.toml").write_text(POLICY)
    for i in range(FILES):
        p = repo / "src" / f"m{i % 40}" / f"f{i}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"x = {i}\n")
    git("add", "-A", cwd=repo, env=env)
    git("commit", "-q", "--no-verify", "-m", "initial", cwd=repo, env=env)
    wt = root / "wt"
    git("worktree", "add", "-q", "-b", "agent/bench-1", str(wt), "main", cwd=repo, env=env)
    run([str(BIN / "git-guardrails"), "start", "--task", "bench"], cwd=wt, env=env)
    return wt


def payloads(wt: Path) -> dict[str, bytes]:
    base = {"session_id": "bench", "transcript_path": "/dev/null", "cwd": str(wt),
            "permission_mode": "default", "hook_event_name": "PreToolUse",
            "tool_use_id": "toolu_bench"}
    bash = {**base, "tool_name": "Bash",
            "tool_input": {"command": "git add src/m1/f1.py && git commit -m 'fix: m1' && "
                                      "git log --oneline -3", "description": "Commit"}}
    edit = {**base, "tool_name": "Edit",
            "tool_input": {"file_path": str(wt / "src" / "m1" / "f1.py"), "old_string": "x",
                           "new_string": "y", "replace_all": False}}
    return {"bash": json.dumps(bash).encode(), "edit": json.dumps(edit).encode()}


def main(argv: Optional[list[str]] = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m bench.agent_hook", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--agent", default="claude")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-agent-hook.") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        env = clean_env(root / "home")
        wt = setup(root, env)
        hook = [str(BIN / "git-guardrails"), "agent-hook", args.agent]
        data = payloads(wt)
        cases = {
            "python3 -c pass": lambda: run([sys.executable, "-c", "pass"], cwd=wt, env=env),
            "agent-hook (Bash)": lambda: run(hook, cwd=wt, env=env, input=data["bash"]),
            "agent-hook (Edit)": lambda: run(hook, cwd=wt, env=env, input=data["edit"]),
        }
        for fn in cases.values():  # warm the page cache and the bytecode
            fn()
        times = interleaved(cases, args.rounds)
    med = {k: median_ms(v) for k, v in times.items()}
    floor = med["python3 -c pass"]
    ratios = {k: round(v / floor, 2) for k, v in med.items() if k != "python3 -c pass"}
    return {"agent": args.agent, "rounds": args.rounds, "files": FILES, "median_ms": med,
            "ratio": ratios, "target": TARGET, "machine": machine()}


def render(r: dict[str, Any]) -> str:
    floor = r["median_ms"]["python3 -c pass"]
    lines = [f"agent hook ({r['agent']}), median of {r['rounds']} interleaved calls, "
             f"python3 -c pass = {floor} ms"]
    for k, ratio in r["ratio"].items():
        ok = "ok" if ratio <= r["target"] else f"MISSES the {r['target']} target"
        lines.append(f"  {k:20} {r['median_ms'][k]:7.1f} ms  x{ratio:<5}  {ok}")
    return "\n".join(lines)


if __name__ == "__main__":
    res = main()
    print(render(res))
