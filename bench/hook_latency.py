"""Median wall time of an agent's `git commit` in a linked worktree of a 10,000-file repository
(a 5-file change), with the guardrails hook(s) versus the same commit with trivial
`language: python` hooks in the same stages, under pre-commit and under prek. Interleaved.

    python -m bench.hook_latency [--hooks guardrails[,require-checks]] [--rounds 15]
    python -m bench.hook_latency --config readme [--rounds 11]   (bench/readme_config.py)

Target: guardrails / trivial <= 1.5 under each runner.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench._common import (
    POLICY,
    PROJECT,
    clean_env,
    default_hooks,
    git,
    hook_stages,
    interleaved,
    machine,
    median_ms,
    run,
    snapshot_repo,
    trivial_repo,
)

FILES = 10_000
CHANGED = 5
RUNNERS = ("pre-commit", "prek")


def _config(repo: tuple[str, str], ids: list[str], hook_types: list[str]) -> str:
    hooks = "".join(f"  - id: {i}\n" for i in ids)
    return (f"default_install_hook_types: [{', '.join(hook_types)}]\n"
            f"repos:\n- repo: {repo[0]}\n  rev: {repo[1]}\n  hooks:\n{hooks}")


def setup(work: Path, hook_ids: list[str], project: Path = PROJECT,
          compare: Path | None = None) -> dict[str, Any]:
    env = clean_env(work / "home")
    (work / "home").mkdir(parents=True)
    stages = hook_stages(hook_ids)
    hook_types = sorted({s for ss in stages.values() for s in ss if s != "manual"})
    repo = work / "repo"
    git("init", "-q", "-b", "main", str(repo), cwd=work, env=env)
    for i in range(FILES):
        d = repo / "src" / f"d{i // 100:03d}"
        if i % 100 == 0:
            d.mkdir(parents=True)
        (d / f"f{i:05d}.py").write_text(f"value = {i}\n")
    (repo / ".guardrails.toml").write_text(POLICY)
    git("add", "-A", cwd=repo, env=env)
    git("commit", "-q", "--no-verify", "-m", "10,000 files", cwd=repo, env=env)

    guard = snapshot_repo(work / "hook-repo", env, project)
    trivial = trivial_repo(work / "trivial-repo", env, stages)
    variants = {"guardrails": (guard, hook_ids),
                "trivial": (trivial, [f"trivial-{h}" for h in hook_ids])}
    if compare is not None:  # another checkout (e.g. before a change), measured alongside
        variants["compare"] = (snapshot_repo(work / "compare-repo", env, compare), hook_ids)
    worktrees: dict[str, Path] = {}
    for name, (hook_repo, ids) in variants.items():
        wt = work / f"wt-{name}"
        git("worktree", "add", "-q", "-b", f"agent/bench-{name}", str(wt), "main", cwd=repo,
            env=env)
        (wt / ".pre-commit-config.yaml").write_text(_config(hook_repo, ids, hook_types))
        git("add", ".pre-commit-config.yaml", cwd=wt, env=env)
        git("commit", "-q", "--no-verify", "-m", "hooks", cwd=wt, env=env)
        # an agent works in a session (the combined hook refuses agent commits without one)
        run(["git-guardrails", "start", "--agent", "bench"], wt, env)
        worktrees[name] = wt

    # each runner's shims in a directory of their own, chosen per commit with core.hooksPath
    hooks_dirs: dict[str, Path] = {}
    common_hooks = repo / ".git" / "hooks"
    for runner in RUNNERS:
        shutil.rmtree(common_hooks, ignore_errors=True)
        common_hooks.mkdir()
        types = [a for t in hook_types for a in ("-t", t)]
        run([runner, "install", *types, *(["-f"] if runner == "prek" else [])],
            worktrees["guardrails"], env)
        hooks_dirs[runner] = work / f"hooks-{runner}"
        shutil.copytree(common_hooks, hooks_dirs[runner])
        for wt in worktrees.values():  # build the hook environments now, not while timing
            run([runner, "install-hooks"], wt, env)
    shutil.rmtree(common_hooks)
    common_hooks.mkdir()
    return {"env": env, "repo": repo, "worktrees": worktrees, "hooks_dirs": hooks_dirs,
            "variants": list(variants)}


def measure(state: dict[str, Any], rounds: int) -> dict[str, Any]:
    env = dict(state["env"], CLAUDECODE="1")  # an agent's commit: the checks apply
    worktrees: dict[str, Path] = state["worktrees"]
    hooks_dirs: dict[str, Path] = state["hooks_dirs"]
    counter = {"n": 0}

    def change(wt: Path) -> None:
        counter["n"] += 1
        for k in range(CHANGED):
            p = wt / "src" / "d000" / f"f{k:05d}.py"
            with open(p, "a") as f:
                f.write(f"# edit {counter['n']}\n")
        git("add", "-A", "src/d000", cwd=wt, env=env)

    common_hooks = Path(state["repo"]) / ".git" / "hooks"
    installed = {"runner": ""}

    def use(runner: str) -> None:
        """Put ``runner``'s shims in place (untimed). Not `git -c core.hooksPath`: the hooks
        rightly report that as a bypass."""
        if installed["runner"] != runner:
            shutil.rmtree(common_hooks, ignore_errors=True)
            shutil.copytree(hooks_dirs[runner], common_hooks)
            installed["runner"] = runner

    def commit(wt: Path) -> None:
        run(["git", "commit", "-q", "-m", "edit"], wt, env)

    # sanity: the measured hook is the real one (an out-of-scope change is refused)
    for runner in RUNNERS:
        wt = worktrees["guardrails"]
        (wt / "stray.txt").write_text("out of scope\n")
        git("add", "stray.txt", cwd=wt, env=env)
        use(runner)
        proc = subprocess.run(["git", "commit", "-q", "-m", "stray"], cwd=wt, env=env,
                              capture_output=True, check=False)
        assert proc.returncode != 0 and b"scope-outside-allow" in proc.stdout + proc.stderr, \
            (runner, proc.stdout, proc.stderr)
        git("rm", "-q", "--cached", "stray.txt", cwd=wt, env=env)
        (wt / "stray.txt").unlink()

    cases: dict[str, Any] = {}
    worktree_of: dict[str, Path] = {}
    runner_of: dict[str, str] = {}
    for runner in RUNNERS:
        for variant in state["variants"]:
            name = f"{runner}/{variant}"
            wt = worktrees[variant]
            worktree_of[name] = wt
            runner_of[name] = runner
            cases[name] = (lambda wt=wt: commit(wt))
    worktree_of["--no-verify"] = worktrees["trivial"]
    cases["--no-verify"] = lambda: run(["git", "commit", "-q", "--no-verify", "-m", "edit"],
                                    worktrees["trivial"], env)
    def prepare(name: str) -> None:
        change(worktree_of[name])
        if name in runner_of:
            use(runner_of[name])

    interleaved(cases, 2, prepare=prepare)  # warm-up
    times = interleaved(cases, rounds, prepare=prepare)
    medians = {name: median_ms(ts) for name, ts in times.items()}
    ratios = {runner: round(medians[f"{runner}/guardrails"] / medians[f"{runner}/trivial"], 2)
              for runner in RUNNERS}
    if "compare" in state["variants"]:
        for runner in RUNNERS:
            ratios[f"{runner} (compare)"] = round(
                medians[f"{runner}/compare"] / medians[f"{runner}/trivial"], 2)
    return {"medians_ms": medians, "ratios": ratios, "rounds": rounds,
            "min_ms": {name: round(min(ts) * 1000, 1) for name, ts in times.items()}}


def diagnose(state: dict[str, Any]) -> dict[str, Any]:
    """How the hook itself spends its time: git processes it starts, and its wall time run
    directly (this venv's guardrails-run, the same code) against `python -c pass`."""
    env = dict(state["env"], CLAUDECODE="1")
    wt: Path = state["worktrees"]["guardrails"]
    p = wt / "src" / "d001" / "f00100.py"
    p.write_text("value = 'diagnose'\n")
    git("add", str(p), cwd=wt, env=env)
    real = shutil.which("git", path=env["PATH"])
    shim_dir = Path(state["repo"]).parent / "git-shim"
    shim_dir.mkdir(exist_ok=True)
    log = shim_dir / "calls.log"
    (shim_dir / "git").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n'
                                  f'exec "{real}" "$@"\n')
    (shim_dir / "git").chmod(0o755)
    shim_env = dict(env, PATH=f"{shim_dir}{os.pathsep}{env['PATH']}")
    hook = shutil.which("guardrails-run", path=env["PATH"])
    assert hook, "guardrails-run is not installed in this venv (make venv)"
    run([hook], wt, shim_env)
    calls = log.read_text().splitlines()
    python = shutil.which("python", path=env["PATH"]) or "python3"
    times = interleaved({"guardrails-run": lambda: run([hook], wt, env),
                         "python -c pass": lambda: run([python, "-c", "pass"], wt, env)}, 15)
    git("reset", "-q", "--", str(p), cwd=wt, env=env)
    git("checkout", "-q", "--", str(p), cwd=wt, env=env)
    from guardrails.git import command_args  # `git -C dir -c k=v diff …` -> diff

    return {"git_calls": [(command_args(["git", *c.split(" ")]) or ["?"])[0] for c in calls],
            "direct_ms": {k: median_ms(v) for k, v in times.items()}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(prog="python -m bench.hook_latency", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hooks", default=default_hooks(),
                    help="comma-separated hook ids measured together (default: guardrails, "
                         "and require-checks when it exists)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--config", choices=("minimal", "readme"), default="minimal",
                    help="minimal: the --hooks against trivial hooks (default); readme: the "
                         "README's whole configuration and native hooks, agent and human "
                         "(bench/readme_config.py)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--project", type=Path, default=PROJECT,
                    help="the git-guardrails checkout to install the hooks from (default: this "
                         "one)")
    ap.add_argument("--compare", type=Path, default=None,
                    help="another checkout measured alongside, interleaved (before/after)")
    args = ap.parse_args(argv)
    if args.config == "readme":
        from bench import readme_config

        return readme_config.main(args.rounds, args.keep)
    hook_ids = [h.strip() for h in args.hooks.split(",") if h.strip()]
    work = Path(tempfile.mkdtemp(prefix="guardrails-bench-"))
    try:
        state = setup(work, hook_ids, args.project.resolve(),
                      args.compare.resolve() if args.compare else None)
        result = measure(state, args.rounds)
        result["diagnosis"] = diagnose(state)
        result["hooks"] = hook_ids
        result["files"] = FILES
        result["changed"] = CHANGED
        result["machine"] = machine()
        result["project"] = str(args.project)
        result["compare"] = str(args.compare) if args.compare else None
        result["PYTHONDONTWRITEBYTECODE"] = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    return result


def render(r: dict[str, Any]) -> str:
    if "hook_types" in r:  # --config readme
        from bench import readme_config

        return readme_config.render(r)
    lines = [f"hook latency: git commit in a linked worktree, {r['files']:,} files, "
             f"{r['changed']}-file change, hooks {'+'.join(r['hooks'])}, median of "
             f"{r['rounds']} interleaved rounds"]
    for name, ms in r["medians_ms"].items():
        lines.append(f"  {name:24} {ms:8.1f} ms   (min {r['min_ms'][name]:.1f})")
    for runner, ratio in r["ratios"].items():
        verdict = "ok" if ratio <= 1.5 else "MISSES the 1.5 target"
        lines.append(f"  ratio {runner:18} {ratio:8.2f}   {verdict}")
    d = r["diagnosis"]
    lines.append(f"  the hook starts {len(d['git_calls'])} git processes: "
                 f"{', '.join(d['git_calls'])}")
    lines.append("  run directly: " + ", ".join(f"{k} {v:.1f} ms"
                                               for k, v in d["direct_ms"].items()))
    return "\n".join(lines)


if __name__ == "__main__":
    res = main()
    print(render(res))
    print(json.dumps(res, indent=1))
