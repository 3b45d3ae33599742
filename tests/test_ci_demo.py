"""examples/demo-review.sh on a scratch repository shaped like the demo's: it ends the story
(one agent straying, one skipping hooks), exits 0 although ci/review exit 1, and does not
pile up commits when run again."""
from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import add_worktree, commit_all, git, make_repo, write

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "demo-review.sh"


def run(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), str(repo)], capture_output=True, text=True)


def test_demo_review(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    auth = add_worktree(repo, tmp_path / "auth", "agent/auth")
    docs = add_worktree(repo, tmp_path / "docs", "agent/docs")
    write(auth, "src/auth/a.py", "a\n")
    commit_all(auth, "auth work")
    write(docs, "docs/g.md", "g\n")
    commit_all(docs, "docs work")
    proc = run(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "$ git-guardrails review agent/auth --base main" in out
    assert "$ git-guardrails review agent/docs --base main" in out
    assert "$ git-guardrails ci --base main --head agent/auth" in out
    auth_ci = out[out.index("$ git-guardrails ci --base main --head agent/auth"):]
    assert "error[scope-outside-allow] notes.md" in auth_ci
    hooks_off = git("log", "-1", "--format=%s", "agent/docs", cwd=repo).stdout.strip()
    assert hooks_off == "update docs/hooks-off.md (hooks off)"
    assert "update docs/hooks-off.md (hooks off)  [claude-code; attestation: missing]" in out
    heads = git("rev-parse", "agent/auth", "agent/docs", cwd=repo).stdout
    again = run(repo)
    assert again.returncode == 0, again.stderr
    assert git("rev-parse", "agent/auth", "agent/docs", cwd=repo).stdout == heads


def test_demo_review_needs_two_agents(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    add_worktree(repo, tmp_path / "auth", "agent/auth")
    proc = run(repo)
    assert proc.returncode == 2 and "two agent worktrees" in proc.stderr
