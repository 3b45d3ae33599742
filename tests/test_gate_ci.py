"""The CI gate an agent cannot step around (issue 13): attested commits are agent commits,
human identity by signature (real ssh-keygen keys, real ``git commit -S``), ``enforce =
"always"`` that never calls a human an agent, and budgets over the whole branch.

Every test drives the real ``git-guardrails`` executable on real repositories."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import add_worktree, commit_all, git, make_repo, write

pytestmark = pytest.mark.usefixtures("no_ci_env")  # tests/conftest.py


def gg(cwd: Path, *args: str, env: dict[str, str] | None = None
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git-guardrails", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, **(env or {})})


def ci(repo: Path, head: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    proc = gg(repo, "ci", "--base", "main", "--head", head, "--format", "json", *extra)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def rules(report: dict[str, Any]) -> list[str]:
    return [f["rule"] for f in report["findings"]]


def patch_id(repo: Path, rev: str = "HEAD") -> str:
    from guardrails import git as ggit
    from guardrails.git import patchlog

    sha = git("rev-parse", rev, cwd=repo).stdout.strip()
    return patchlog.patch_ids(ggit.discover(str(repo)), [sha])[sha]


def attested_commit(wt: Path, message: str, env: dict[str, str] | None = None) -> str:
    """A commit carrying the valid trailer require-checks adds to agent commits."""
    commit_all(wt, message, env)
    git("commit", "-q", "--amend", "--no-edit", "--no-verify", "--trailer",
        f"Guardrails-Checked: {patch_id(wt)}", cwd=wt, env=env)
    return git("rev-parse", "HEAD", cwd=wt).stdout.strip()


# --- 1. an attested commit is an agent commit --------------------------------------------------

def test_attested_commit_on_uncovered_branch_is_an_agent_commit(tmp_path: Path) -> None:
    """An agent (CLAUDECODE=1, no metadata) with a tampered ad-hoc session commits on a branch
    no task covers: its trailer marks it, so ci and review judge it."""
    repo = make_repo(tmp_path / "repo")
    git("switch", "-q", "-c", "feature/sneaky", cwd=repo)
    write(repo, "src/billing/pay.py", "PAY = 1\n")
    sha = attested_commit(repo, "pay", env={"CLAUDECODE": "1"})
    rc, rep, _ = ci(repo, "feature/sneaky")
    assert rc == 1
    nt = [f for f in rep["findings"] if f["rule"] == "no-task"]
    assert nt and nt[0]["commit"] == sha
    assert rep["commits"][0]["agent_commit"] is True
    assert rep["commits"][0]["agent"] == "guardrails-attested"
    rv = gg(repo, "review", "feature/sneaky", "--base", "main", "--format", "json")
    assert rv.returncode == 1
    assert "no-task" in rules(json.loads(rv.stdout))


# --- 2. verifiable human identity ------------------------------------------------------------

def keygen(tmp: Path, name: str) -> tuple[Path, str]:
    key = tmp / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True, capture_output=True)
    return key, (tmp / f"{name}.pub").read_text().strip()


def signing(repo: Path, key: Path) -> None:
    git("config", "gpg.format", "ssh", cwd=repo)
    git("config", "user.signingkey", str(key), cwd=repo)


SIGNED_POLICY = """\
[guardrails]
base = "main"
protected = ["main"]
human-commits = "signed"
allowed-signers = ".github/allowed_signers"

[tasks.auth]
branch = "agent/auth"
allow = ["src/auth/**"]
"""


def signed_repo(tmp: Path) -> tuple[Path, Path, Path]:
    """main with the signed policy and the human's key in allowed_signers; returns (repo,
    the human's key, another key nobody allowed)."""
    human, human_pub = keygen(tmp, "human")
    stranger, _ = keygen(tmp, "stranger")
    repo = make_repo(tmp / "repo", policy=SIGNED_POLICY, files={
        ".github/allowed_signers": f"human@example.com {human_pub}\n",
        "src/app.py": "app = 1\n"})
    return repo, human, stranger


def test_signed_human_commit_passes_unsigned_is_judged_as_agent(tmp_path: Path) -> None:
    repo, human, stranger = signed_repo(tmp_path)
    signing(repo, human)
    git("switch", "-q", "-c", "feature/human", cwd=repo)
    write(repo, "src/app.py", "app = 2\n")
    commit_all(repo, "a signed human change", None, "-S")
    assert git("log", "-1", "--format=%G?", cwd=repo,
               env=None).stdout.strip() in ("N", "U", "G")  # git sees a signature
    rc, rep, _ = ci(repo, "feature/human")
    assert (rc, rules(rep)) == (0, []), rep["findings"]
    assert rep["commits"][0]["agent_commit"] is False

    # an agent that skipped every hook and carries no metadata: unsigned
    write(repo, "src/app.py", "app = 3\n")
    sneaky = commit_all(repo, "looks human")
    rc, rep, _ = ci(repo, "feature/human")
    assert rc == 1
    f = next(f for f in rep["findings"] if f["rule"] == "ci-unsigned-commit")
    assert f["commit"] == sneaky and f["severity"] == "error"
    assert "git commit --amend -S" in f["hint"] and "[tasks." in f["hint"]
    assert "no-task" not in rules(rep)  # one finding says it, with both fixes

    # signed with a key nobody allowed: not a human's either
    git("reset", "-q", "--hard", "HEAD~1", cwd=repo)
    signing(repo, stranger)
    write(repo, "src/app.py", "app = 4\n")
    forged = commit_all(repo, "signed by a stranger", None, "-S")
    rc, rep, _ = ci(repo, "feature/human")
    assert rc == 1 and [f["commit"] for f in rep["findings"]
                        if f["rule"] == "ci-unsigned-commit"] == [forged]


def test_signers_come_from_the_merge_base_not_the_branch(tmp_path: Path) -> None:
    repo, _human, stranger = signed_repo(tmp_path)
    git("switch", "-q", "-c", "feature/x", cwd=repo)
    pub = Path(f"{stranger}.pub").read_text().strip()
    write(repo, ".github/allowed_signers", f"human@example.com {pub}\n")
    signing(repo, stranger)
    sha = commit_all(repo, "trust me", None, "-S")
    rc, rep, _ = ci(repo, "feature/x")
    assert rc == 1
    assert sha in [f["commit"] for f in rep["findings"] if f["rule"] == "ci-unsigned-commit"]


def test_signed_agent_commit_on_task_branch_is_still_judged(tmp_path: Path) -> None:
    repo, human, _ = signed_repo(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    signing(wt, human)
    write(wt, "docs/x.md", "outside\n")
    commit_all(wt, "signed, but on the task's branch", None, "-S")
    rc, rep, _ = ci(repo, "agent/auth")
    assert rc == 1 and "scope-outside-allow" in rules(rep)
    assert "ci-unsigned-commit" not in rules(rep)


@pytest.mark.parametrize("policy, needle", [
    ('human-commits = "signed"\n', "allowed-signers"),
    ('human-commits = "gpg"\n', "human-commits"),
    ('human-commits = "signed"\nallowed-signers = "nope/signers"\n', "nope/signers"),
])
def test_signed_policy_errors_exit_2(tmp_path: Path, policy: str, needle: str) -> None:
    repo = make_repo(tmp_path / "repo", policy=f'[guardrails]\nbase = "main"\n{policy}')
    git("switch", "-q", "-c", "feature/x", cwd=repo)
    write(repo, "a.txt", "a\n")
    commit_all(repo, "a")
    proc = gg(repo, "ci", "--base", "main", "--head", "feature/x")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr


# --- 7. enforce = "always" -------------------------------------------------------------------

ALWAYS = """\
[guardrails]
base = "main"
protected = ["main"]
enforce = "always"

[tasks.auth]
branch = "agent/auth"
allow = ["src/auth/**"]
"""


def test_enforce_always_never_calls_a_human_an_agent(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=ALWAYS)
    git("switch", "-q", "-c", "feature/human", cwd=repo)
    write(repo, "README.md", "a human edit\n")
    git("add", "-A", cwd=repo)
    local = gg(repo, "check", "--staged", "--format", "json")
    found = json.loads(local.stdout)["findings"]
    # (its hooks must be installed: enforce = "always" checks every commit)
    assert {f["rule"] for f in found} <= {"bypass-hook-missing"}, found
    assert "agent commit" not in local.stdout
    commit_all(repo, "human work")
    rc, rep, _ = ci(repo, "feature/human")
    assert rc == 0, rep["findings"]
    assert "agent commit" not in json.dumps(rep["findings"])
    # on a protected branch the commit is refused, and called a commit, not an agent's
    git("switch", "-q", "main", cwd=repo)
    write(repo, "README.md", "straight on main\n")
    git("add", "-A", cwd=repo)
    local = gg(repo, "check", "--staged", "--format", "json")
    found = json.loads(local.stdout)["findings"]
    assert local.returncode == 1 and "baseline-protected-branch" in [f["rule"] for f in found]
    assert "agent commit" not in json.dumps(found)


# --- 8. budgets over the whole branch ---------------------------------------------------------

BUDGET = """\
[guardrails]
base = "main"
budget-exclude = ["**/package-lock.json"]

[tasks.auth]
branch = "agent/auth"
allow = ["src/auth/**", "web/**"]
branch-max-lines = 500
branch-max-files = 3
budget-exclude = ["src/auth/fixtures/**"]
"""


def lines(n: int, tag: str) -> str:
    return "".join(f"{tag} {i}\n" for i in range(n))


def budget_repo(tmp: Path, attributes: str = "") -> tuple[Path, Path]:
    files = {"src/auth/login.py": "x\n", "README.md": "r\n"}
    if attributes:
        files[".gitattributes"] = attributes
    repo = make_repo(tmp / "repo", policy=BUDGET, files=files)
    return repo, add_worktree(repo, tmp / "wt", "agent/auth")


def test_branch_budget_counts_every_commit_of_the_branch(tmp_path: Path) -> None:
    repo, wt = budget_repo(tmp_path)
    write(wt, "src/auth/a.py", lines(400, "a"))
    attested_commit(wt, "first half")
    write(wt, "src/auth/b.py", lines(400, "b"))
    attested_commit(wt, "second half")
    rc, rep, _ = ci(repo, "agent/auth")
    assert rc == 1
    f = next(f for f in rep["findings"] if f["rule"] == "budget-branch-max-lines")
    assert "800" in f["message"] and "500" in f["message"]
    rv = gg(repo, "review", "agent/auth", "--format", "json")
    assert "budget-branch-max-lines" in rules(json.loads(rv.stdout))


def test_branch_budget_excludes_listed_paths_only(tmp_path: Path) -> None:
    repo, wt = budget_repo(tmp_path)
    write(wt, "web/package-lock.json", lines(900, "lock"))
    write(wt, "src/auth/fixtures/big.json", lines(900, "fx"))
    write(wt, "src/auth/a.py", lines(100, "a"))
    attested_commit(wt, "lock churn and fixtures")
    rc, rep, _ = ci(repo, "agent/auth")
    assert (rc, rules(rep)) == (0, []), rep["findings"]
    for n in range(3):
        write(wt, f"src/auth/m{n}.py", "m\n")
    attested_commit(wt, "three more files")
    rc, rep, _ = ci(repo, "agent/auth")
    assert rc == 1 and rules(rep) == ["budget-branch-max-files"]


@pytest.mark.parametrize("attr", ["*.dat -diff", "*.dat linguist-generated", "*.dat binary"])
def test_hidden_diffs_are_counted_by_their_real_lines(tmp_path: Path, attr: str) -> None:
    repo, wt = budget_repo(tmp_path, attributes=attr + "\n")
    write(wt, "src/auth/data.dat", lines(600, "d"))
    attested_commit(wt, "generated data")
    rc, rep, _ = ci(repo, "agent/auth")
    assert rc == 1 and "budget-branch-max-lines" in rules(rep), rep["findings"]
