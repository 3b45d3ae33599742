"""No false `policy-worktree-differs` (issue 17): committing the policy on the base branch for
the first time, and work trees whose copy git checked out with other line endings, are not a
policy that "differs". Real hooks under pre-commit and prek, real worktrees and sessions."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from guardrails import context, git
from tests.conftest import install_hooks
from tests.helpers import POLICY, commit_all, make_repo, write
from tests.helpers import git as run_git

AGENT = {"CLAUDECODE": "1"}


def gg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git-guardrails", *args], cwd=cwd, capture_output=True, text=True,
                          check=False)


def last_findings(repo: Path) -> dict[str, object]:
    proc = gg(repo, "status", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return {w["path"]: w["last_finding"] for w in json.loads(proc.stdout)["worktrees"]}


def differs(wt: Path) -> list[str]:
    ctx = context.build(git.discover(str(wt)))
    return [f.message for f in ctx.notes if f.rule == "policy-worktree-differs"]


def test_first_commit_of_the_policy_leaves_no_warning(tmp_path: Path, runner: str,
                                                       hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo", policy=None)
    install_hooks(repo, runner, hook_repo,
                  "  - id: guardrails\n  - id: require-checks\n  - id: record-baseline\n",
                  hook_types="[pre-commit, prepare-commit-msg, post-checkout]")
    write(repo, ".guardrails.toml", POLICY)
    run_git("add", ".guardrails.toml", cwd=repo)
    proc = run_git("commit", "-m", "the policy", "--", ".guardrails.toml", cwd=repo,
                   check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "policy-worktree-differs" not in proc.stdout + proc.stderr
    assert last_findings(repo) == {str(repo): None}
    # then an agent works in a session worktree: nothing about the policy there either
    wt = tmp_path / "wt"
    proc = gg(repo, "worktree", "add", str(wt), "agent/auth", "--agent", "claude-code")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(wt, "src/auth/new.py", "x = 1\n")
    run_git("add", "-A", cwd=wt)
    proc = run_git("commit", "-m", "auth: new", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "policy-worktree-differs" not in proc.stdout + proc.stderr
    assert last_findings(repo) == {str(repo): None, str(wt): None}
    assert differs(repo) == [] and differs(wt) == []


def test_on_the_base_branch_only_uncommitted_edits_are_reported(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=None)
    write(repo, ".guardrails.toml", POLICY)
    run_git("add", ".guardrails.toml", cwd=repo)
    assert differs(repo) == []  # staged on main: the commit being made is the policy's
    write(repo, ".guardrails.toml", POLICY + "\n# more\n")
    (msg,) = differs(repo)  # not even staged: it is not what the next commit holds
    assert "not committed" in msg and "main" in msg
    commit_all(repo, "policy")
    assert differs(repo) == []


def test_line_endings_git_converts_are_not_a_difference(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    run_git("config", "core.autocrlf", "true", cwd=repo)  # as on Windows
    wt = tmp_path / "wt"
    run_git("worktree", "add", "-q", "-b", "agent/auth", str(wt), "main", cwd=repo)
    assert b"\r\n" in (wt / ".guardrails.toml").read_bytes()
    assert differs(wt) == []
    write(wt, ".guardrails.toml", POLICY.replace("max-files = 40", "max-files = 400")
          .replace("\n", "\r\n"))
    assert len(differs(wt)) == 1  # a real edit still is one


@pytest.mark.parametrize("branch", ["agent/auth", "feature/x"])
def test_a_policy_edited_on_another_branch_is_still_reported(tmp_path: Path,
                                                             branch: str) -> None:
    repo = make_repo(tmp_path / "repo")
    run_git("switch", "-q", "-c", branch, cwd=repo)
    write(repo, ".guardrails.toml", POLICY.replace('"src/auth/**", ', '"**", '))
    run_git("add", ".guardrails.toml", cwd=repo)
    (msg,) = differs(repo)
    assert "it is not used" in msg
