"""The configuration users install, measured as they run it: the README's
``.pre-commit-config.yaml`` (every hook id and stage it lists) plus ``git guardrails install``
(the native hooks), against a control of as many trivial ``language: python`` hooks at the
same stages, under prek and pre-commit, for an agent in a session and for a human outside
any session. All cases interleaved in one run; figures are ratios to the control.

    python -m bench.hook_latency --config readme [--rounds 11]

What is timed: a ``git commit`` of a 5-file change in a linked worktree of a 10,000-file
repository (pre-commit, prepare-commit-msg, post-commit and the native reference-transaction
hooks run), and a ``git switch`` to another branch and back (two post-checkouts).
Targets (issue 18): agent ≤ 1.5 / human ≤ 1.1 under prek; ≤ 1.2 / ≤ 1.05 under pre-commit.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench._common import (
    POLICY,
    PROJECT,
    clean_env,
    git,
    interleaved,
    machine,
    median_ms,
    run,
    snapshot_repo,
    trivial_repo,
)

FILES = 10_000
CHANGED = 5
RUNNERS = ("prek", "pre-commit")
PERSONAS = ("agent", "human")
TARGETS = {("prek", "agent"): 1.5, ("prek", "human"): 1.1,
           ("pre-commit", "agent"): 1.2, ("pre-commit", "human"): 1.05}


def readme_config(readme: Path = PROJECT / "README.md") -> str:
    """The first YAML block of the README that configures repos: what a user copies."""
    for block in re.findall(r"```yaml\n(.*?)```", readme.read_text(), re.S):
        if "repos:" in block and "default_install_hook_types" in block:
            return str(block)
    raise SystemExit("bench: README.md has no ```yaml block with repos: and "
                     "default_install_hook_types")


def hook_plan(config: str) -> tuple[list[str], dict[str, list[str]]]:
    """(hook types to install, hook id -> its stages) of the README's config, with each
    id's stages from .pre-commit-hooks.yaml unless the config overrides them."""
    import yaml  # pre-commit's own dependency, in the venv

    cfg = yaml.safe_load(config)
    manifest = {h["id"]: h for h in yaml.safe_load(
        (PROJECT / ".pre-commit-hooks.yaml").read_text())}
    stages: dict[str, list[str]] = {}
    for repo in cfg["repos"]:
        for h in repo["hooks"]:
            stages[h["id"]] = list(h.get("stages") or manifest[h["id"]].get("stages")
                                   or ["pre-commit"])
    return list(cfg["default_install_hook_types"]), stages


def _with_repo(config: str, repo: tuple[str, str]) -> str:
    out = re.sub(r"(?m)^(- repo:).*$", rf"\1 {repo[0]}", config, count=1)
    return re.sub(r"(?m)^(\s+rev:).*$", rf"\1 {repo[1]}", out, count=1)


def _control(hook_types: list[str], stages: dict[str, list[str]],
             repo: tuple[str, str]) -> str:
    hooks = "".join(f"  - id: trivial-{h}\n    stages: [{', '.join(s)}]\n"
                    for h, s in stages.items())
    return (f"default_install_hook_types: [{', '.join(hook_types)}]\n"
            f"repos:\n- repo: {repo[0]}\n  rev: {repo[1]}\n  hooks:\n{hooks}")


def setup(work: Path) -> dict[str, Any]:
    env = clean_env(work / "home")
    (work / "home").mkdir(parents=True)
    config = readme_config()
    hook_types, stages = hook_plan(config)
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
    guard = snapshot_repo(work / "hook-repo", env)
    trivial = trivial_repo(work / "trivial-repo", env, stages)
    configs = {"guardrails": _with_repo(config, guard),
               "control": _control(hook_types, stages, trivial)}
    worktrees: dict[tuple[str, str], Path] = {}
    for variant, cfg in configs.items():
        for persona in PERSONAS:
            branch = f"agent/bench-{variant}" if persona == "agent" else f"human/{variant}"
            wt = work / f"wt-{variant}-{persona}"
            git("worktree", "add", "-q", "-b", branch, str(wt), "main", cwd=repo, env=env)
            (wt / ".pre-commit-config.yaml").write_text(cfg)
            git("add", ".pre-commit-config.yaml", cwd=wt, env=env)
            git("commit", "-q", "--no-verify", "-m", "hooks", cwd=wt, env=env)
            git("branch", "-q", f"{branch}-other", cwd=wt, env=env)  # for the switch case
            if persona == "agent":
                run(["git-guardrails", "start", "--agent", "bench"], wt, env)
            worktrees[(variant, persona)] = wt

    # each runner's shims (and, for guardrails, the native hooks) in a directory of their own,
    # copied into the common hooks dir before each timed command (untimed)
    hooks_dirs: dict[tuple[str, str], Path] = {}
    common_hooks = repo / ".git" / "hooks"
    for runner in RUNNERS:
        for variant in configs:
            shutil.rmtree(common_hooks, ignore_errors=True)
            common_hooks.mkdir()
            types = [a for t in hook_types for a in ("-t", t)]
            wt = worktrees[(variant, "human")]
            run([runner, "install", *types, *(["-f"] if runner == "prek" else [])], wt, env)
            if variant == "guardrails":
                run(["git-guardrails", "install"], wt, env)
            d = work / f"hooks-{runner}-{variant}"
            shutil.copytree(common_hooks, d)
            hooks_dirs[(runner, variant)] = d
            for persona in PERSONAS:  # build the hook environments now, not while timing
                run([runner, "install-hooks"], worktrees[(variant, persona)], env)
    shutil.rmtree(common_hooks)
    common_hooks.mkdir()
    return {"env": env, "repo": repo, "worktrees": worktrees, "hooks_dirs": hooks_dirs,
            "hook_types": hook_types, "stages": stages}


def measure(state: dict[str, Any], rounds: int) -> dict[str, Any]:
    worktrees: dict[tuple[str, str], Path] = state["worktrees"]
    hooks_dirs: dict[tuple[str, str], Path] = state["hooks_dirs"]
    common_hooks = Path(state["repo"]) / ".git" / "hooks"
    installed = {"key": ("", "")}
    counter = {"n": 0}

    def env_of(persona: str) -> dict[str, str]:
        return dict(state["env"], CLAUDECODE="1") if persona == "agent" else state["env"]

    def use(runner: str, variant: str) -> None:
        if installed["key"] != (runner, variant):
            shutil.rmtree(common_hooks, ignore_errors=True)
            shutil.copytree(hooks_dirs[(runner, variant)], common_hooks)
            installed["key"] = (runner, variant)

    def change(wt: Path, persona: str) -> None:
        counter["n"] += 1
        for k in range(CHANGED):
            with open(wt / "src" / "d000" / f"f{k:05d}.py", "a") as f:
                f.write(f"# edit {counter['n']}\n")
        git("add", "-A", "src/d000", cwd=wt, env=env_of(persona))

    # sanity: the measured hooks are the real ones (an agent's out-of-scope change is refused)
    for runner in RUNNERS:
        wt = worktrees[("guardrails", "agent")]
        (wt / "stray.txt").write_text("out of scope\n")
        git("add", "stray.txt", cwd=wt, env=state["env"])
        use(runner, "guardrails")
        proc = subprocess.run(["git", "commit", "-q", "-m", "stray"], cwd=wt,
                              env=env_of("agent"), capture_output=True, check=False)
        assert proc.returncode != 0 and b"scope-outside-allow" in proc.stdout + proc.stderr, \
            (runner, proc.stdout, proc.stderr)
        git("rm", "-q", "--cached", "stray.txt", cwd=wt, env=state["env"])
        (wt / "stray.txt").unlink()

    cases: dict[str, Any] = {}
    prep: dict[str, Any] = {}
    for runner in RUNNERS:
        for variant in ("guardrails", "control"):
            for persona in PERSONAS:
                wt = worktrees[(variant, persona)]
                env = env_of(persona)
                name = f"{runner}/{variant}/{persona}/commit"
                cases[name] = (lambda wt=wt, env=env:
                               run(["git", "commit", "-q", "-m", "edit"], wt, env))
                prep[name] = (lambda wt=wt, p=persona, r=runner, v=variant:
                              (change(wt, p), use(r, v)))
                name = f"{runner}/{variant}/{persona}/switch"
                branch = git("branch", "--show-current", cwd=wt, env=env)
                # there and back in one timed case: two post-checkouts, the session's branch
                # checked out again before the next commit
                cases[name] = (lambda wt=wt, env=env, b=branch: (
                    run(["git", "switch", "-q", f"{b}-other"], wt, env),
                    run(["git", "switch", "-q", b], wt, env)))
                prep[name] = (lambda r=runner, v=variant: use(r, v))

    interleaved(cases, 1, prepare=lambda name: prep[name]())  # warm-up
    times = interleaved(cases, rounds, prepare=lambda name: prep[name]())
    medians = {name: median_ms(ts) for name, ts in times.items()}
    ratios: dict[str, float] = {}
    for runner in RUNNERS:
        for persona in PERSONAS:
            for op in ("commit", "switch"):
                ours = medians[f"{runner}/guardrails/{persona}/{op}"]
                ctl = medians[f"{runner}/control/{persona}/{op}"]
                ratios[f"{runner}/{persona}/{op}"] = round(ours / ctl, 2)
    return {"medians_ms": medians, "ratios": ratios, "rounds": rounds,
            "hook_types": state["hook_types"], "stages": state["stages"]}


def main(rounds: int = 11, keep: bool = False) -> dict[str, Any]:
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="guardrails-bench-readme-"))
    try:
        state = setup(work)
        result = measure(state, rounds)
        result["machine"] = machine()
        result["files"] = FILES
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return result


def render(r: dict[str, Any]) -> str:
    lines = [f"README configuration ({', '.join(r['hook_types'])}; hooks "
             f"{', '.join(r['stages'])} + native hooks) vs as many trivial Python hooks at the "
             f"same stages; {r['files']:,} files, median of {r['rounds']} interleaved rounds; "
             f"load {r['machine']['load']}"]
    for name, ms in r["medians_ms"].items():
        lines.append(f"  {name:36} {ms:8.1f} ms")
    for key, ratio in r["ratios"].items():
        runner, persona, op = key.split("/")
        target = TARGETS[(runner, persona)] if op == "commit" else None
        verdict = "" if target is None else ("  ok" if ratio <= target else
                                             f"  MISSES the {target} target")
        lines.append(f"  ratio {key:28} {ratio:6.2f}{verdict}")
    return "\n".join(lines)
