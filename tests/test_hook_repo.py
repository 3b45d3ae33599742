"""git.hook_repo(): what discover() says, read from what git gives hooks, without starting git
in the usual cases, and asking git in every unusual one."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from guardrails import git
from tests.conftest import ref_format
from tests.helpers import counting_git, git_subcommands, make_repo
from tests.helpers import git as run_git


def both(cwd: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
         log: Path) -> tuple[git.Repo, git.Repo, int]:
    """(hook_repo(), discover(), git processes hook_repo started) as a hook in ``cwd``."""
    monkeypatch.chdir(cwd)
    for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    if log.exists():
        log.unlink()
    fast = git.hook_repo()
    started = len(git_subcommands(log))
    slow = git.discover()  # under the same environment
    for k in env:
        monkeypatch.delenv(k)
    return fast, slow, started


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shim_dir, path = counting_git(tmp_path / "shim")
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    return path


def test_usual_cases_start_no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  log: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=None)
    wt = tmp_path / "wt"
    run_git("worktree", "add", "-q", "-b", "agent/x", str(wt), cwd=repo)
    gd = run_git("rev-parse", "--absolute-git-dir", cwd=wt).stdout.strip()
    # the main worktree (git exports no GIT_DIR there), a linked one (it does)
    # reftable: HEAD lives in the stack, not the HEAD file: one `git symbolic-ref`
    expect = 1 if ref_format() == "reftable" else 0
    for cwd, env in ((repo, {}), (wt, {"GIT_DIR": gd}), (wt, {})):
        fast, slow, started = both(cwd, monkeypatch, env, log)
        assert fast == slow, (cwd, env)
        assert started == expect, (cwd, env)
    run_git("checkout", "-q", "--detach", cwd=wt)
    fast, slow, started = both(wt, monkeypatch, {"GIT_DIR": gd}, log)
    assert fast == slow and fast.branch is None and started == expect


def test_unusual_cases_ask_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               log: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=None)
    wt = tmp_path / "wt"
    run_git("worktree", "add", "-q", "-b", "agent/x", str(wt), cwd=repo)
    (repo / "sub").mkdir()
    cases: list[tuple[Path, dict[str, str]]] = [
        (repo / "sub", {}),  # not at the top level
        (wt, {"GIT_DIR": str(repo / ".git")}),  # GIT_DIR of another worktree
    ]
    for cwd, env in cases:
        fast, slow, started = both(cwd, monkeypatch, env, log)
        assert fast == slow and started > 0, (cwd, env)
    sha = tmp_path / "sha256"
    subprocess.run(["git", "init", "-q", "--object-format=sha256", "-b", "main", str(sha)],
                   check=True)
    fast, slow, started = both(sha, monkeypatch, {}, log)
    assert fast == slow and fast.object_format == "sha256" and started > 0
    run_git("config", "extensions.worktreeConfig", "true", cwd=repo)
    fast, slow, started = both(wt, monkeypatch, {}, log)
    assert fast == slow and started > 0
