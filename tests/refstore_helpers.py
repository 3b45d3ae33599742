"""Helpers for the ref-store tests: a repository with two agent worktrees in sessions and the
native hooks installed (real git, real hooks, real processes)."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any, Optional

from guardrails.sessions import session
from tests.helpers import add_worktree, git, make_repo, write


def cli(*args: str, cwd: Path, env: Optional[dict[str, str]] = None,
        check: bool = False) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full.update(env or {})
    proc = subprocess.run(["git-guardrails", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, check=False)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def git_dir(wt: Path) -> str:
    return git("rev-parse", "--path-format=absolute", "--git-dir", cwd=wt).stdout.strip()


def start_session(wt: Path, branch: str, task: Optional[str] = None) -> None:
    base = git("rev-parse", "HEAD", cwd=wt).stdout.strip()
    session.save(git_dir(wt), session.Session(branch=branch, baseline=base,
                                              started=time.time() - 1, task=task))


def end_session(wt: Path) -> None:
    os.unlink(session.path(git_dir(wt)))


def agents(tmp_path: Path, install: bool = True) -> tuple[Path, Path, Path]:
    """main repo + worktrees a (agent/auth) and b (agent/docs), both in sessions."""
    repo = make_repo(tmp_path / "repo")
    git("branch", "release/1", cwd=repo)
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    b = add_worktree(repo, tmp_path / "b", "agent/docs")
    if install:
        cli("install", cwd=repo, check=True)
    start_session(a, "agent/auth", "auth")
    start_session(b, "agent/docs", "docs")
    return repo, a, b


def journal(repo: Path) -> list[dict[str, Any]]:
    p = repo / ".git" / "guardrails" / "journal.jsonl"
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


def commit_file(wt: Path, rel: str, text: str, *args: str,
                env: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    write(wt, rel, text)
    git("add", "--", rel, cwd=wt)
    return git("commit", "-q", "-m", f"change {rel}", *args, cwd=wt, env=env, check=False)


def head(wt: Path, rev: str = "HEAD") -> str:
    return git("rev-parse", rev, cwd=wt).stdout.strip()


def stat_clean(wt: Path, rel: str) -> None:
    """Age ``rel`` by an hour and refresh the index, so the index entry is not racily clean:
    a plain ``git add`` of it then skips the file instead of hashing it again."""
    p = wt / rel
    old = time.time() - 3600
    os.utime(p, (old, old))
    git("update-index", "-q", "--refresh", cwd=wt)
