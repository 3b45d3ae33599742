"""The start-up budget of every hook entry point, as a test rather than a ritual in each file.

Each hook runs in a new Python process on every commit (or checkout, or push), so what it
imports is paid every time. Each entry point of pyproject's ``[project.scripts]`` that a runner
calls is run here for real — in a real session worktree with a staged change, the way git and
pre-commit start it — and the modules it imported are compared with what it must never import.

``typing`` is allowed only where something we cannot avoid brings it: ``tomllib`` (the policy
parser, Python >= 3.11) imports ``typing``, so every hook that reads the policy has it; the hooks
that read no policy (``require-checks``, ``ref-store-guard`` in a session) must not.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import POLICY, gg, git, make_repo, write

# never on any hook's path: each costs milliseconds of every commit, or is a sign that a
# command-only module leaked into a hook
NEVER = {"subprocess", "dataclasses", "inspect", "argparse", "click", "unidiff", "pathspec",
         "asyncio", "concurrent", "threading", "logging"}
# the hooks that read no policy file in a session: nothing brings typing
NO_TYPING = {"require_checks", "ref_store_guard"}

HOOKS = ["combined", "check_scope", "clean_baseline", "no_skipped_hooks", "ref_store_guard",
         "require_checks", "verify_commit", "record_baseline"]

PROBE = """\
import json, sys
name, argv = sys.argv[1], sys.argv[2:]
mod = __import__("guardrails_hooks." + name, fromlist=["main"])
try:
    rc = mod.main(argv)
except SystemExit as e:
    rc = e.code
sys.stdout.flush()
print("\\n@@" + json.dumps({"rc": rc, "modules": sorted(sys.modules)}))
"""


@pytest.fixture
def session_wt(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo", policy=POLICY)
    wt = root.parent / "wt-auth"
    proc = gg("worktree", "add", str(wt), "agent/auth", "--task", "auth", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(wt, "src/auth/login.py", "print('hi')\n")
    git("add", "src/auth/login.py", cwd=wt)
    return wt


def _run(wt: Path, name: str) -> tuple[object, set[str]]:
    argv: list[str] = []
    if name == "require_checks":
        msg = wt / "MSG"
        msg.write_text("message\n")
        argv = [str(msg)]
    elif name == "record_baseline":
        head = git("rev-parse", "HEAD", cwd=wt).stdout.strip()
        argv = ["0" * 40, head, "1"]
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([sys.executable, "-c", PROBE, name, *argv], cwd=wt, env=env,
                          capture_output=True, text=True, check=False)
    marker = proc.stdout.rfind("\n@@")
    assert marker >= 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout[marker + 3:])
    return data["rc"], set(data["modules"])


@pytest.mark.parametrize("name", HOOKS)
def test_hook_start_up_imports_nothing_it_must_not(session_wt: Path, name: str) -> None:
    rc, modules = _run(session_wt, name)
    # the hook really ran its work: these modules are imported only by the work itself
    assert "guardrails.git" in modules, sorted(m for m in modules if m.startswith("guard"))
    assert isinstance(rc, int), rc
    leaked = {m for m in modules if m.split(".")[0] in NEVER}
    assert not leaked, f"{name} imported {sorted(leaked)} (exit {rc})"
    if name in NO_TYPING:
        assert "typing" not in modules, f"{name} imported typing (exit {rc})"


def test_the_probe_sees_an_import() -> None:
    """The probe can fail: a module that imports argparse shows up in what it reports."""
    proc = subprocess.run(
        [sys.executable, "-c", "import argparse, sys; print('argparse' in sys.modules)"],
        capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "True"


def test_every_runner_entry_point_is_measured() -> None:
    """A new hook entry point in pyproject.toml is added to HOOKS (or the test fails)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    root = Path(__file__).resolve().parent.parent
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    modules = {v.split(":")[0].split(".")[-1] for k, v in scripts.items()
               if v.startswith("guardrails_hooks.")}
    assert modules == set(HOOKS)
