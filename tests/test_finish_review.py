"""`finish` ends the session and prints the review of its branch (contract: "ends the session
and prints the review")."""
from __future__ import annotations

from pathlib import Path

from guardrails import git as ggit
from guardrails.sessions import session
from tests.helpers import commit_all, gg, make_repo, write


def test_finish_prints_the_review_and_ends_the_session(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    assert gg("worktree", "add", str(wt), "agent/auth", cwd=repo).returncode == 0
    write(wt, "src/auth/login.py", "def login(): return 1\n")
    write(wt, "notes.md", "stray\n")  # outside task auth: the review lists it
    commit_all(wt, "agent work")
    proc = gg("finish", cwd=wt)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "session finished: task `auth`" in out
    assert "git log --oneline main..agent/auth" in out
    assert "agent work" in out and "attestation: missing" in out
    assert "scope-outside-allow" in out and "notes.md" in out
    assert session.current(ggit.discover(str(wt))) is None
