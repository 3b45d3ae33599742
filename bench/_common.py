"""What the benches share: a clean git environment, this checkout as a hook repository, a
trivial hook repository to compare with, interleaved timing, and the machine's description."""
from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The policy of the hook-latency benches: one task whose branches are agent/bench-*, over src/.
POLICY = """\
[guardrails]
base = "main"
protected = ["main"]
locked = [".guardrails.toml", ".pre-commit-config.yaml"]

[tasks.bench]
branch = "agent/bench-*"
allow = ["src/**"]
"""

CLEAN_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "SKIP",
              "PREK_SKIP", "PRE_COMMIT", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF",
              "CLAUDECODE", "CODEX_THREAD_ID", "GEMINI_CLI", "AGENT", "AI_AGENT",
              "GUARDRAILS_BASE")


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_VARS}
    env.update({
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1",
        "PRE_COMMIT_HOME": str(home / "pre-commit"), "PREK_HOME": str(home / "prek"),
    })
    return env


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str],
        input: Optional[bytes] = None) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, input=input, capture_output=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench: `{' '.join(cmd)}` failed ({proc.returncode}) in {cwd}:\n"
                         f"{proc.stdout.decode(errors='replace')}"
                         f"{proc.stderr.decode(errors='replace')}")
    return proc


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    return run(["git", *args], cwd, env).stdout.decode().strip()


def snapshot_repo(dest: Path, env: dict[str, str], project: Path = PROJECT) -> tuple[str, str]:
    """This checkout (committed and uncommitted files, as tests/conftest.py does) as a git
    repository for pre-commit and prek to install from. Returns (path, sha)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=project, capture_output=True, check=True).stdout
    for rel in (os.fsdecode(p) for p in out.split(b"\0") if p):
        src = project / rel
        if not src.is_file() or rel.startswith(("tests/", "bench/")):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    return _commit_repo(dest, env)


TRIVIAL_SETUP = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "trivial-hook"
version = "0.1.0"

[project.scripts]
trivial = "trivial_hook:main"

[tool.setuptools]
py-modules = ["trivial_hook"]
"""


def trivial_repo(dest: Path, env: dict[str, str], stages: dict[str, list[str]]) -> tuple[str, str]:
    """A hook repository whose hooks do nothing: a console script returning 0, one hook id
    ``trivial-<id>`` per measured hook, in the same stages."""
    dest.mkdir(parents=True)
    (dest / "pyproject.toml").write_text(TRIVIAL_SETUP)
    (dest / "trivial_hook.py").write_text("def main() -> int:\n    return 0\n")
    manifest = ""
    for hook_id, hook_stages in stages.items():
        manifest += (f"- id: trivial-{hook_id}\n  name: trivial {hook_id}\n  entry: trivial\n"
                     f"  language: python\n  stages: [{', '.join(hook_stages)}]\n"
                     "  always_run: true\n  pass_filenames: false\n  require_serial: true\n")
    (dest / ".pre-commit-hooks.yaml").write_text(manifest)
    return _commit_repo(dest, env)


def _commit_repo(dest: Path, env: dict[str, str]) -> tuple[str, str]:
    git("init", "-q", str(dest), cwd=dest, env=env)
    git("add", "-A", cwd=dest, env=env)
    git("commit", "-q", "--no-verify", "-m", "snapshot", cwd=dest, env=env)
    return str(dest), git("rev-parse", "HEAD", cwd=dest, env=env)


def default_hooks() -> str:
    """guardrails, plus require-checks when the manifest has it (the combined hook refuses an
    agent commit whose prepare-commit-msg hook is not installed)."""
    import yaml

    ids = {h["id"] for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())}
    return "guardrails,require-checks" if "require-checks" in ids else "guardrails"


def hook_stages(hook_ids: Sequence[str]) -> dict[str, list[str]]:
    """The stages of each hook id in this checkout's .pre-commit-hooks.yaml."""
    import yaml  # pre-commit's own dependency, in the venv

    manifest = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    known = {h["id"]: h for h in manifest}
    missing = [h for h in hook_ids if h not in known]
    if missing:
        raise SystemExit(f"bench: no hook {', '.join(missing)} in .pre-commit-hooks.yaml "
                         f"(known: {', '.join(known)})\n  fix: python -m bench.hook_latency "
                         "--hooks guardrails")
    return {h: list(known[h].get("stages") or ["pre-commit"]) for h in hook_ids}


def interleaved(cases: dict[str, Callable[[], None]], rounds: int,
                prepare: Optional[Callable[[str], None]] = None) -> dict[str, list[float]]:
    """Wall times (s) of each case, run round-robin ``rounds`` times so that load on a shared
    host falls on every case alike. ``prepare(name)`` runs untimed before each timed call."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            if prepare is not None:
                prepare(name)
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def median_ms(xs: Sequence[float]) -> float:
    return round(statistics.median(xs) * 1000, 1)


def machine() -> dict[str, str]:
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       cpu)
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu})",
        "load": load,
        "git": git_version,
        "python": platform.python_version(),
    }
