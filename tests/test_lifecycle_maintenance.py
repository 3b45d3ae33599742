"""start/finish turn git's automatic maintenance off while sessions are active and restore it
after the last one ends (worktree remove too)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import add_worktree, gg, git, make_repo


def _cfg(repo: Path, key: str) -> str:
    return git("config", "--local", "--get", key, cwd=repo, check=False).stdout.strip()


def _gg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = gg(*args, cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_sessions_suspend_and_last_finish_restores(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git("config", "gc.auto", "123", cwd=repo)  # a user's own value comes back afterwards
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    b = add_worktree(repo, tmp_path / "b", "agent/docs")
    _gg("start", cwd=a)
    _gg("start", cwd=b)
    assert (_cfg(repo, "gc.auto"), _cfg(repo, "maintenance.auto")) == ("0", "false")
    _gg("finish", cwd=a)
    assert _cfg(repo, "gc.auto") == "0", "one session is still active"
    out = _gg("finish", cwd=b).stdout
    assert "restored" in out
    assert (_cfg(repo, "gc.auto"), _cfg(repo, "maintenance.auto")) == ("123", "")


def test_worktree_remove_restores(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    _gg("worktree", "add", str(tmp_path / "wt"), "agent/auth", cwd=repo)
    assert _cfg(repo, "maintenance.auto") == "false"
    _gg("worktree", "remove", "--force", str(tmp_path / "wt"), cwd=repo)
    assert (_cfg(repo, "gc.auto"), _cfg(repo, "maintenance.auto")) == ("", "")
