"""guardrails.sessions.health through `git guardrails status`: what an interrupted
`worktree add` leaves behind, each case with its own repair, in git processes that do not grow
with the number of notes."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from guardrails import git as ggit
from guardrails import state
from guardrails.sessions import health
from tests.helpers import counting_git, gg, git, git_calls, make_repo


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _note(repo: Path, branch: str, path: Path, created: bool, pid: int) -> str:
    r = ggit.discover(str(repo))
    p = health.pending_path(r, branch)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    state.write(p, {"branch": branch, "path": str(path), "created_branch": created,
                    "pid": pid, "time": time.time()}, health.PENDING)
    return p


def _half_made(repo: Path, env: Any = None) -> list[dict[str, Any]]:
    proc = gg("status", "--format", "json", cwd=repo, env=env)
    assert proc.returncode == 0, proc.stderr
    return [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "session-half-made"]


def test_interrupted_worktree_add_each_case(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    dead = _dead_pid()
    # the worktree was made, its session was not
    bare_wt = tmp_path / "no-session"
    git("worktree", "add", "-q", "-b", "agent/docs-a", str(bare_wt), "main", cwd=repo)
    a = _note(repo, "agent/docs-a", bare_wt, True, dead)
    # the branch was made, the worktree was not
    git("branch", "agent/docs-b", "main", cwd=repo)
    b = _note(repo, "agent/docs-b", tmp_path / "never", True, dead)
    # nothing was made but the note
    c = _note(repo, "agent/docs-c", tmp_path / "nothing", True, dead)
    # still running: not a finding
    _note(repo, "agent/docs-d", tmp_path / "running", True, os.getpid())
    got = {f["message"].split("`: ")[-1]: f["hint"] for f in _half_made(repo)}
    assert got == {
        f"the worktree {bare_wt} was created without its session":
            f"git -C {bare_wt} guardrails start && rm -f -- {a}   (or undo it: git guardrails "
            f"worktree remove --force {bare_wt})",
        "the branch `agent/docs-b` was created without its worktree":
            f"git branch -D agent/docs-b && rm -f -- {b}   # it has no commits of its own (or "
            f"resume: git guardrails worktree add {tmp_path / 'never'} agent/docs-b)",
        "an interrupted `worktree add` left only its note":
            f"rm -f -- {c}   # nothing is left half-made",
    }, got
    # each repair clears its own finding
    assert subprocess.run(got[f"the worktree {bare_wt} was created without its session"]
                          .split("   (")[0], shell=True, cwd=repo).returncode == 0
    assert len(_half_made(repo)) == 2


def test_notes_cost_no_git_process_each(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    dead = _dead_pid()
    shim_dir, log = counting_git(tmp_path / "shim")
    env = {"PATH": f"{shim_dir}{os.pathsep}{os.environ['PATH']}"}
    counts = []
    for n in (1, 6):
        for i in range(n):
            git("branch", "-f", f"agent/docs-{n}-{i}", "main", cwd=repo)
            _note(repo, f"agent/docs-{n}-{i}", tmp_path / f"never-{n}-{i}", True, dead)
        if log.exists():
            log.unlink()
        assert len(_half_made(repo, env)) == {1: 1, 6: 7}[n]
        counts.append(len(git_calls(log)))
    assert counts[0] == counts[1], counts
