"""Fixtures: a clean git environment for every test, and this project as a real hook
repository for pre-commit and prek (built once per test session)."""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from tests.helpers import AGENT_VARS, CI_VARS, GIT_VARS, PRE_COMMIT_VARS, git

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: git-guardrails, pre-commit, prek, uv


@functools.cache
def git_version() -> tuple[int, int, int]:
    """The version of the ``git`` on PATH (the one every test runs), e.g. (2, 55, 0)."""
    out = subprocess.run(["git", "--version"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    assert m, f"cannot read git's version from {out!r}"
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def git_version_str() -> str:
    return ".".join(map(str, git_version()))


def ref_format() -> str:
    """The ref format new test repositories get: "reftable" when GIT_DEFAULT_REF_FORMAT says so
    (git >= 2.45), else "files"."""
    fmt = os.environ.get("GIT_DEFAULT_REF_FORMAT", "files") or "files"
    return "reftable" if fmt == "reftable" and git_version() >= (2, 45, 0) else "files"


def requires_git(major: int, minor: int, patch: int = 0, *, why: str) -> pytest.MarkDecorator:
    """Skip (with a reason pytest -rs prints) on a git older than major.minor.patch."""
    need = (major, minor, patch)
    return pytest.mark.skipif(
        git_version() < need,
        reason=f"needs git >= {major}.{minor}.{patch} ({why}); this is git {git_version_str()}")


def requires_ref_format(fmt: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        ref_format() != fmt,
        reason=f"needs {fmt} refs; this leg's repositories use {ref_format()} "
               f"(GIT_DEFAULT_REF_FORMAT={os.environ.get('GIT_DEFAULT_REF_FORMAT', 'unset')})")


def base_environment(mp: pytest.MonkeyPatch, home: Optional[Path] = None) -> None:
    """No agent markers, no outer git/pre-commit variables, a fixed identity, no system config,
    this venv first on PATH (and with ``home``, no user config): what every test runs in, and
    what module-scoped fixtures (which cannot use the per-test fixture) set for themselves."""
    for var in (*AGENT_VARS, *GIT_VARS, *PRE_COMMIT_VARS):
        mp.delenv(var, raising=False)
    if home is not None:
        home.mkdir(exist_ok=True)
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for who in ("AUTHOR", "COMMITTER"):
        mp.setenv(f"GIT_{who}_NAME", "Test Human")
        mp.setenv(f"GIT_{who}_EMAIL", "human@example.com")
    mp.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    mp.setenv("NO_COLOR", "1")


@pytest.fixture(autouse=True)
def git_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    base_environment(monkeypatch, tmp_path_factory.getbasetemp() / "home")


def _project_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT, capture_output=True, check=True,
    ).stdout
    return [os.fsdecode(p) for p in out.split(b"\0") if p]


@pytest.fixture
def no_ci_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CI system's variables (a module uses it with pytestmark = usefixtures)."""
    for var in CI_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A snapshot of this checkout (committed and uncommitted files) as a git repository,
    so pre-commit and prek install exactly the code under test. Returns (path, sha)."""
    dest = tmp_path_factory.mktemp("hook-repo")
    for rel in _project_files():
        src = PROJECT / rel
        if not src.is_file() or rel.startswith(("tests/", "bench/")):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1"}
    git("init", "-q", str(dest), cwd=dest, env=env)
    git("add", "-A", cwd=dest, env=env)
    git("commit", "-q", "--no-verify", "-m", "snapshot", cwd=dest, env=env)
    sha = git("rev-parse", "HEAD", cwd=dest).stdout.strip()
    return str(dest), sha


@pytest.fixture(scope="session")
def runner_homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """PRE_COMMIT_HOME / PREK_HOME shared by the whole session: hook envs are built once."""
    base = tmp_path_factory.mktemp("runner-homes")
    return {"PRE_COMMIT_HOME": str(base / "pre-commit"), "PREK_HOME": str(base / "prek")}


@pytest.fixture(params=["pre-commit", "prek"])
def runner(request: pytest.FixtureRequest, runner_homes: dict[str, str],
           monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test using it runs once under real pre-commit and once under real prek."""
    for k, v in runner_homes.items():
        monkeypatch.setenv(k, v)
    yield str(request.param)


def install_hooks(repo: Path, runner: str, hook_repo: tuple[str, str], hooks: str,
                  hook_types: str = "[pre-commit]") -> None:
    """Write .pre-commit-config.yaml using ``hook_repo`` and install the runner's shims.

    ``hooks`` is the YAML list under ``hooks:``, e.g. "  - id: guardrails\\n".
    The config is committed on the current branch (pre-commit refuses an unstaged config).
    """
    path, sha = hook_repo
    cfg = (f"default_install_hook_types: {hook_types}\n"
           f"repos:\n- repo: {path}\n  rev: {sha}\n  hooks:\n{hooks}")
    (repo / ".pre-commit-config.yaml").write_text(cfg)
    git("add", ".pre-commit-config.yaml", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "hooks config", cwd=repo)
    proc = subprocess.run([runner, "install", "-f"] if runner == "prek" else [runner, "install"],
                          cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start pre-commit or prek (they use the ``runner`` or ``hook_repo`` fixture)
    carry the ``runner`` marker, so ``make test-fast`` (``-m "not runner"``) can leave them out."""
    for item in items:
        if {"runner", "hook_repo"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.runner)
