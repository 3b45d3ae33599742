"""`check --range` and `ci` judge the same commits the same way (issue 17, item 5): real
repositories, real worktrees and sessions, commits that skip their hooks; and `ci` on a
detached head fails closed unless every commit names its agent."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import add_worktree, commit_all, git, make_repo, write

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CLAUDE = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"


pytestmark = pytest.mark.usefixtures("no_ci_env")  # tests/conftest.py


def gg(cwd: Path, *args: str, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(["git-guardrails", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, **(env or {})})


def judged(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str, str]]:
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return sorted((f["rule"], f["severity"], f["commit"] or "", f["path"] or "")
                  for f in doc["findings"])


def billing_repo(tmp: Path) -> tuple[Path, Path, str]:
    """The issue's case: the examples' policy on main, the billing agent's worktree made by
    `git guardrails worktree add`, and a commit that strays into src/auth with its hooks off."""
    repo = make_repo(tmp / "repo", policy=(EXAMPLES / ".guardrails.toml").read_text(),
                     files={"src/auth/login.py": "def login(user):\n    return user\n",
                            "src/billing/invoice.py": "def invoice(total):\n    return total\n",
                            "README.md": "demo\n"})
    wt = tmp / "wt-billing"
    proc = gg(repo, "worktree", "add", str(wt), "agent/billing", "--agent", "claude-code")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(wt, "src/billing/invoice.py", "def invoice(total):\n    return round(total, 2)\n")
    write(wt, "src/auth/login.py", 'def login(user):\n    return "admin"\n')
    sha = commit_all(wt, "billing: round totals")  # --no-verify: no hook attested it
    return repo, wt, sha


def test_check_range_from_main_checkout_agrees_with_ci(tmp_path: Path) -> None:
    repo, wt, sha = billing_repo(tmp_path)
    ci = judged(gg(repo, "ci", "--base", "main", "--head", "agent/billing", "--format", "json"))
    assert ("scope-outside-allow", "error", sha, "src/auth/login.py") in ci
    assert ("attest-missing", "error", sha, "") in ci
    for where in (repo, wt):  # from the main checkout and from the agent's worktree
        proc = gg(where, "check", "--range", "main..agent/billing", "--format", "json")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert judged(proc) == ci
        doc = json.loads(proc.stdout)
        assert (doc["task"], doc["branch"]) == ("billing", "agent/billing")
        main = git("rev-parse", "--short=7", "main", cwd=repo).stdout.strip()
        assert doc["policy"] == f"main@{main}"
    # text: the same two errors, grouped by commit as ci prints them
    proc = gg(repo, "check", "--range", "main..agent/billing")
    assert proc.returncode == 1
    assert "error[scope-outside-allow] src/auth/login.py" in proc.stdout
    assert "error[attest-missing]" in proc.stdout and "task: billing" in proc.stdout


def test_every_spelling_of_the_range_is_judged_alike(tmp_path: Path) -> None:
    repo, wt, _ = billing_repo(tmp_path)
    ci = judged(gg(repo, "ci", "--base", "main", "--head", "agent/billing", "--format", "json"))
    for where, spec in ((wt, "main..HEAD"), (wt, "main.."), (wt, "main...agent/billing"),
                        (repo, "main...agent/billing"), (repo, "refs/heads/main..agent/billing")):
        assert judged(gg(where, "check", "--range", spec, "--format", "json")) == ci, spec


def test_range_without_a_branch_says_what_it_skipped(tmp_path: Path) -> None:
    """A SHA names no branch, so no task: check says which commits it could not judge, and
    --branch names the branch (the same verdict as ci --branch)."""
    repo, wt, sha = billing_repo(tmp_path)
    write(wt, "src/billing/tax.py", "RATE = 0.2\n")
    claude = commit_all(wt, "billing: tax" + CLAUDE)
    base = git("rev-parse", "main", cwd=repo).stdout.strip()
    proc = gg(repo, "check", "--range", f"{base}..{claude}", "--format", "json")
    assert proc.returncode == 1, proc.stderr  # the Claude-marked commit has no task: no-task
    doc = json.loads(proc.stdout)
    assert doc["branch"] is None and doc["task"] is None
    skipped = [f for f in doc["findings"] if f["rule"] == "ci-unknown-branch"]
    assert len(skipped) == 1 and skipped[0]["severity"] == "warning"
    assert "1 of 2 commit(s)" in skipped[0]["message"] and "not checked" in skipped[0]["message"]
    assert "--branch" in skipped[0]["hint"]
    assert [f["commit"] for f in doc["findings"] if f["rule"] == "no-task"] == [claude]
    named = judged(gg(repo, "check", "--range", f"{base}..{claude}", "--branch",
                      "agent/billing", "--format", "json"))
    ci = judged(gg(repo, "ci", "--base", "main", "--head", claude, "--branch", "agent/billing",
                   "--format", "json"))
    assert named == ci and ("scope-outside-allow", "error", sha, "src/auth/login.py") in named
    # text says it too
    proc = gg(repo, "check", "--range", f"{base}..{claude}")
    assert "warning[ci-unknown-branch]" in proc.stdout


@pytest.mark.parametrize("spec", ["", " ", "..", "...", "main..agent/billing..x", "-n1",
                                  "--all", "main..--all", "main..no-such-branch",
                                  "no-such..main", "HEAD~99..HEAD", "ma in..x",
                                  "main..agent/billing\n"])
def test_bad_ranges_exit_2_with_a_clear_message(tmp_path: Path, spec: str) -> None:
    repo, _, _ = billing_repo(tmp_path)
    for fmt in ("text", "json"):
        proc = gg(repo, "check", "--range", spec, "--format", fmt)
        assert proc.returncode == 2, (spec, proc.stdout, proc.stderr)
        assert proc.stdout == ""
        err = proc.stderr
        assert "error" in err and "Traceback" not in err
        assert "usage: git" not in err and "fatal:" not in err, err
        assert "fix:" in err, err


def test_empty_range_is_said(tmp_path: Path) -> None:
    repo, _, _ = billing_repo(tmp_path)
    proc = gg(repo, "check", "--range", "agent/billing..main")
    assert proc.returncode == 0, proc.stderr
    assert "0 commit(s)" in proc.stdout


def test_one_commit_is_its_own_range(tmp_path: Path) -> None:
    repo, _, sha = billing_repo(tmp_path)
    got = judged(gg(repo, "check", "--range", "agent/billing", "--format", "json"))
    assert ("scope-outside-allow", "error", sha, "src/auth/login.py") in got


# --- ci on a detached head -----------------------------------------------------------------------

def detached_clone(tmp: Path, message: str) -> tuple[Path, str]:
    """CI's checkout: the whole history, HEAD detached at the branch's tip."""
    repo, wt, _ = billing_repo(tmp)
    write(wt, "src/billing/tax.py", "RATE = 0.2\n")
    sha = commit_all(wt, message)
    clone = tmp / "clone"
    git("clone", "-q", f"file://{repo}", str(clone), cwd=tmp)
    git("checkout", "-q", "--detach", sha, cwd=clone)
    return clone, sha


def test_ci_detached_without_branch_fails_closed(tmp_path: Path) -> None:
    clone, _ = detached_clone(tmp_path, "billing: tax")
    for fmt in ("text", "json", "sarif"):
        proc = gg(clone, "ci", "--base", "origin/main", "--format", fmt)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stdout == ""
        assert '--branch "$GITHUB_HEAD_REF"' in proc.stderr
        assert "$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME" in proc.stderr
        assert "Traceback" not in proc.stderr
    # the branch named: judged, and the stray commit fails
    for how in (["--branch", "agent/billing"], []):
        env = {} if how else {"GITHUB_HEAD_REF": "agent/billing"}
        proc = gg(clone, "ci", "--base", "origin/main", *how, "--format", "json", env=env)
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["task"] == "billing"


def test_ci_detached_runs_when_every_commit_names_its_agent(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/a.py", "a\n")
    a = commit_all(wt, "a" + CLAUDE)
    write(wt, "src/auth/b.py", "b\n")
    b = commit_all(wt, "b", None, "--author", "aider (gpt-4) <aider@aider.chat>")
    git("checkout", "-q", "--detach", "agent/auth", cwd=repo)
    proc = gg(repo, "ci", "--base", "main", "--format", "json")
    assert proc.returncode == 1, proc.stderr  # judged: agent commits that no task covers
    doc = json.loads(proc.stdout)
    assert doc["branch"] is None
    assert {f["commit"] for f in doc["findings"] if f["rule"] == "no-task"} == {a, b}
    assert doc["findings"][0]["rule"] == "ci-unknown-branch"


def test_ci_detached_with_nothing_to_judge_passes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git("checkout", "-q", "--detach", "main", cwd=repo)
    proc = gg(repo, "ci", "--base", "main")
    assert proc.returncode == 0, proc.stderr
    assert "0 commit(s)" in proc.stdout


def test_range_of_human_commits_exits_cleanly(tmp_path: Path) -> None:
    """Nothing reads the range's patch log when no commit is an agent's: the process still
    exits 0 (a daemon thread stopped inside re2 at exit aborted it, SIGABRT, about 1 run in 4)."""
    repo = make_repo(tmp_path / "repo")
    git("switch", "-q", "-c", "feature/human", cwd=repo)
    for i in range(3):
        write(repo, "src/auth/login.py", f"def login(): return {i}\n" * 200)
        commit_all(repo, f"human {i}")
    for _ in range(8):
        for args in (("ci", "--base", "main"), ("check", "--range", "main..HEAD")):
            proc = gg(repo, *args)
            assert proc.returncode == 0, proc.stdout + proc.stderr
