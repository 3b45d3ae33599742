"""examples/demo-review.sh on a scratch repository shaped like the demo's: it ends the story
(one agent straying, one skipping hooks), exits 0 although ci/review exit 1, and does not
pile up commits when run again."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import add_worktree, commit_all, git, make_repo, write

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "demo-review.sh"
DEMO = SCRIPT.parent / "demo.sh"


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


@pytest.mark.runner
def test_demo_tells_each_layer_and_reuses_its_hook_environment(tmp_path: Path) -> None:
    """examples/demo.sh as `make demo` runs it, twice: every attempt is stopped by the layer it
    names, the fallback to hooks off is said and caught by CI, and the second run reuses the
    hook environment the first one built (that is what makes it take seconds)."""
    env = {**os.environ, "DEMO_DIR": str(tmp_path / "demo")}
    first = subprocess.run(["bash", str(DEMO)], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    out = first.stdout
    assert "building the hook environment" in out
    stopped = re.findall(
        r"stopped by: (the pre-tool hook|the git hook [a-z-]+|the native ref hook)", out)
    assert stopped == ["the pre-tool hook", "the git hook pre-commit", "the pre-tool hook",
                       "the git hook prepare-commit-msg", "the native ref hook",
                       "the git hook prepare-commit-msg"], stopped
    assert "falls back to turning hooks off: git -c core.hooksPath=/dev/null commit" in out
    assert "error[attest-missing]" in out and "error[scope-outside-allow]" in out
    second = subprocess.run(["bash", str(DEMO)], capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    assert "reusing the hook environment" in second.stdout
    assert "building the hook environment" not in second.stdout
