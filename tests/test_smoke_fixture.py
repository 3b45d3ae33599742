from __future__ import annotations

from pathlib import Path

from tests.conftest import install_hooks
from tests.helpers import add_worktree, git, make_repo, write


def test_agent_commit_out_of_scope_refused(tmp_path: Path, runner: str,
                                           hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, "  - id: guardrails\n")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "docs/stray.md", "no\n")
    git("add", "-A", cwd=wt)
    head = git("rev-parse", "HEAD", cwd=wt).stdout
    proc = git("commit", "-m", "stray", cwd=wt, env={"CLAUDECODE": "1"}, check=False)
    assert proc.returncode != 0
    assert "scope-outside-allow" in proc.stdout + proc.stderr
    assert git("rev-parse", "HEAD", cwd=wt).stdout == head
