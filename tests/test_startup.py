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
import tempfile
from pathlib import Path
from typing import Optional

import pytest

from tests.helpers import git, session_worktree

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
    return session_worktree(tmp_path)[1]


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


# An agent's commit in a session through the combined hook (the README's configuration):
# what it leaves out beyond NEVER (the policy is read without tomllib, so no typing or
# datetime either; every regex of ours compiles on first use), and which modules may compile a
# regex at all: json's own, and two of other owners' modules that compile theirs on import.
AGENT_COMMIT_NEVER = {"typing", "tomllib", "tomli", "datetime", "string", "contextlib", "shlex",
                      "fnmatch", "warnings", "importlib", "difflib", "hashlib"}
COMPILES_ALLOWED = {"json/decoder.py", "json/scanner.py", "json/encoder.py",
                    "guardrails/skipped/attestation.py", "guardrails/git/patchlog.py"}

COMPILE_PROBE = """\
import sys
sys.path.insert(0, sys.argv[1])  # the package as installed: no site, no editable finder
import json, os, re  # (traceback would import contextlib)
seen = []
real = re._compile
def counting(pattern, flags):
    if (type(pattern), pattern, flags) not in re._cache:
        frame = sys._getframe(1)
        while os.sep + "re" + os.sep in frame.f_code.co_filename:
            frame = frame.f_back
        seen.append("/".join(frame.f_code.co_filename.split(os.sep)[-3:]))
    return real(pattern, flags)
re._compile = counting
from guardrails_hooks.combined import main
rc = main([])
sys.stdout.flush()
print("\\n@@" + json.dumps({"rc": rc, "modules": sorted(sys.modules), "compiles": seen}))
"""


def test_an_agent_commit_imports_and_compiles_only_what_it_needs(session_wt: Path,
                                                                 tmp_path: Path) -> None:
    """Run with ``python -S`` on the package laid out as an install lays it out: site and the
    editable install's finder import contextlib, fnmatch and importlib before any hook runs,
    which would hide the hook's own imports of them."""
    root = Path(__file__).resolve().parent.parent
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "guardrails").symlink_to(root / "guardrails")
    (lib / "guardrails_hooks").symlink_to(root / "hooks")
    env = dict(os.environ, CLAUDECODE="1")
    env.pop("PYTHONPATH", None)
    for name in ("pre-commit", "prepare-commit-msg", "post-checkout"):  # no-skipped-hooks
        hook = Path(git("rev-parse", "--git-common-dir", cwd=session_wt).stdout.strip())
        hook = (session_wt / hook if not hook.is_absolute() else hook) / "hooks" / name
        hook.write_text("#!/bin/sh\nexit 0\n")
        hook.chmod(0o755)
    proc = subprocess.run([sys.executable, "-S", "-c", COMPILE_PROBE, str(lib)], cwd=session_wt,
                          env=env,
                          capture_output=True, text=True, check=False)
    marker = proc.stdout.rfind("\n@@")
    assert marker >= 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout[marker + 3:])
    modules = set(data["modules"])
    # the hook did its work (every check ran, the policy was parsed) and passed
    assert data["rc"] == 0, proc.stdout + proc.stderr
    assert {"guardrails.checks.bypass", "guardrails.checks.scope", "guardrails.scope.policy",
            "guardrails.scope.toml_lite"} <= modules
    assert not modules & AGENT_COMMIT_NEVER, sorted(modules & AGENT_COMMIT_NEVER)
    compiled = [c for c in data["compiles"] if not c.endswith(tuple(COMPILES_ALLOWED))]
    assert compiled == [], compiled
    assert len(data["compiles"]) <= 3, data["compiles"]  # (the probe imported json first)


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


# --- `TYPE_CHECKING = False`: only where a hook imports the module -----------------------------
#
# A module on a hook's path writes `TYPE_CHECKING = False` instead of importing it from typing,
# so that the hooks that read no policy never load typing. In a module no hook imports (only
# the commands do, and they import click, which imports typing) the trick buys nothing: such a
# module imports typing plainly. What the hooks import is measured here, not guessed: every hook
# entry point in a session worktree and in a checkout without one, `agent-hook AGENT` with every
# agent payload fixture, and the native reference-transaction hook.

# modules no hook imports that other branches own (and drop the trick on) when this came in
ELSEWHERE = {"guardrails.commands.ci"}

HOOK_PROBE = """\
import atexit, json, sys
atexit.register(lambda: sys.__stdout__.write(
    "\\n@@" + json.dumps(sorted(m for m in sys.modules if m.startswith("guardrails"))) + "\\n"))
kind, argv = sys.argv[1], sys.argv[2:]
if kind == "hook":
    mod = __import__("guardrails_hooks." + argv[0], fromlist=["main"])
    sys.exit(mod.main(argv[1:]))
if kind == "agent":
    from guardrails.cli import main
    sys.exit(main(["agent-hook", argv[0]]))
from guardrails.refstore.native.reftx import main
sys.exit(main(argv))
"""


def _probe(cwd: Path, args: list[str], stdin: str = "",
           env: Optional[dict[str, str]] = None) -> set[str]:
    full = dict(os.environ)
    full.pop("PYTHONPATH", None)
    full.update(env or {})
    proc = subprocess.run([sys.executable, "-c", HOOK_PROBE, *args], cwd=cwd, env=full,
                          input=stdin, capture_output=True, text=True, check=False)
    marker = proc.stdout.rfind("\n@@")
    assert marker >= 0, proc.stdout + proc.stderr
    return set(json.loads(proc.stdout[marker + 3:]))


@pytest.fixture(scope="module")
def hook_modules(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every guardrails module some hook imports, in the situations the tests build."""
    from tests.conftest import base_environment

    with pytest.MonkeyPatch.context() as mp:  # what tests/conftest.git_env sets per test
        base_environment(mp)
        return _measure(tmp_path_factory.mktemp("hookpaths"))


def _measure(base: Path) -> set[str]:
    from tests.test_agent_hook_fixtures import AGENTS, CASES, load

    root, wt, argv = session_worktree(base)
    seen: set[str] = set()
    for where in (wt, root):
        for env in ({}, {"CLAUDECODE": "1"}):
            for name in HOOKS:
                seen |= _probe(where, ["hook", name, *argv.get(name, [])], env=env)
    subst = {"wt": str(wt), "main": str(root), "other": str(root), "agentwt": str(wt),
             "tmp": os.path.realpath(tempfile.gettempdir())}
    for agent, case in CASES:
        data = load(agent, case, **subst)
        seen |= _probe(wt, ["agent", agent], json.dumps(data["payload"]))
    assert {a for a, _ in CASES} == set(AGENTS)
    head = argv["record_baseline"][1]
    update = f"{head} {'1' * 40} refs/heads/agent/auth\n"
    git_dir = git("rev-parse", "--absolute-git-dir", cwd=wt).stdout.strip()
    for state in ("prepared", "committed"):
        seen |= _probe(wt, ["reftx", state], update, env={"GIT_DIR": git_dir})
    return seen


def _trick_modules() -> dict[str, Path]:
    root = Path(__file__).resolve().parent.parent
    out = {}
    for path in [*(root / "guardrails").rglob("*.py"), *(root / "hooks").glob("*.py")]:
        if any(line.startswith("TYPE_CHECKING = False") for line in path.read_text().splitlines()):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[0] == "hooks":
                parts[0] = "guardrails_hooks"
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def test_type_checking_trick_only_where_a_hook_imports_the_module(hook_modules: set[str]) -> None:
    # the measurement can fail: it sees the hooks' own work and the agent hook's
    assert {"guardrails.git", "guardrails.skipped.shellcmd", "guardrails.agents.cline",
            "guardrails.refstore.native.reftx", "guardrails.checks.baseline"} <= hook_modules
    hook_modules = hook_modules | {"guardrails_hooks." + n for n in HOOKS} | {"guardrails_hooks"}
    off_path = set(_trick_modules()) - hook_modules
    assert off_path <= ELSEWHERE, (
        f"{sorted(off_path - ELSEWHERE)} no hook imports: `from typing import TYPE_CHECKING` "
        "(or plain imports) instead of `TYPE_CHECKING = False`")
