"""start/finish turn git's automatic maintenance off while sessions are active and restore it
after the last one ends (worktree remove too)."""
from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import requires_git
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


def _loose_objects(repo: Path, n: int = 120) -> None:
    data = "".join(f"object {i}\n" for i in range(n))
    for i in range(n):
        git("hash-object", "-w", "--stdin", cwd=repo, input=f"{i}\n{data[:40]}".encode())


def _packs(repo: Path) -> list[Path]:
    return list((repo / ".git" / "objects" / "pack").glob("*.pack"))


def test_sessions_switch_off_maintenance_tasks(tmp_path: Path) -> None:
    """Every task that packs, prunes or rewrites refs is off while a session is active (the
    scheduled and explicit `git maintenance run` ignore maintenance.auto); the last finish puts
    the user's own values back."""
    from guardrails.refstore import maintenance

    repo = make_repo(tmp_path / "repo")
    git("config", "maintenance.pack-refs.enabled", "true", cwd=repo)  # the user's own
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    _gg("start", cwd=a)
    for t in maintenance.TASKS:
        assert _cfg(repo, f"maintenance.{t}.enabled") == "false", t
    _gg("finish", cwd=a)
    assert _cfg(repo, "maintenance.pack-refs.enabled") == "true"
    assert _cfg(repo, "maintenance.gc.enabled") == ""


@requires_git(2, 54, why="`git maintenance run --auto` uses the geometric strategy")
def test_geometric_auto_maintenance_is_suspended_where_pre_auto_gc_cannot(
        tmp_path: Path) -> None:
    """git >= 2.54: `git maintenance run --auto` (what commit, merge, fetch start) repacks
    geometrically without running pre-auto-gc, so the native hook alone cannot stop it; the
    session's maintenance.<task>.enabled=false does."""
    repo = make_repo(tmp_path / "repo")
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    _gg("install", cwd=repo)
    _gg("start", cwd=a)
    _loose_objects(repo)
    # auto=-1: the geometric repack is always due
    auto = ("-c", "maintenance.geometric-repack.auto=-1", "maintenance", "run", "--auto")
    proc = git(*auto, cwd=a)
    assert _packs(repo) == [], proc.stderr
    # scheduled maintenance (`git maintenance register` sets a strategy) is off as well
    git("config", "maintenance.strategy", "geometric", cwd=repo)
    git("maintenance", "run", "--schedule=daily", cwd=a)
    assert _packs(repo) == []
    git("config", "--unset", "maintenance.strategy", cwd=repo)
    # what the session's suspension is for: with only the pre-auto-gc hook, it repacks
    git("-c", "maintenance.geometric-repack.enabled=true", *auto, cwd=a)
    assert _packs(repo), "pre-auto-gc stopped it after all: revisit docs/ref-store.md"
    _gg("finish", cwd=a)
    assert _cfg(repo, "maintenance.geometric-repack.enabled") == ""
