"""git-guardrails review: the seed's ritual (log, diff, what changed outside the area asked
for) on one screen, over real agent branches."""
from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.helpers import POLICY, add_worktree, commit_all, git, make_repo, write
from tests.test_ci import (
    CLAUDE,
    Run,
    agents_repo,
    checked_commit,
    gg,
    head,
    skip_hooks_commit,
)

__all__ = ["gg"]  # a fixture shared with test_ci
pytestmark = pytest.mark.usefixtures("no_ci_env")  # tests/conftest.py

REVIEW_POLICY = POLICY.replace('allow = ["src/auth/**", "tests/auth/**", "!src/auth/vendored/**"]',
                               'allow = ["src/auth/**", "tests/auth/**", "requirements.txt"]')


def straying_agent(tmp: Path) -> tuple[Path, Path, dict[str, str]]:
    repo = make_repo(tmp / "repo", policy=REVIEW_POLICY)
    wt = add_worktree(repo, tmp / "wt", "agent/auth")
    ids = {}
    write(wt, "src/auth/login.py", "def login():\n    return True\n")
    ids["ok"] = checked_commit(wt, "login returns True" + CLAUDE)
    write(wt, "requirements.txt", "requests==2.32.0\n")  # in scope, but a dependency
    write(wt, "docs/odd name's.md", "aside\n")  # outside scope; a name that needs quoting
    write(wt, ".github/workflows/ci.yml", "on: push\n")
    ids["stray"] = skip_hooks_commit(wt, "also fix the docs and CI" + CLAUDE)
    return repo, wt, ids


def test_review_text(tmp_path: Path, gg: Run) -> None:
    repo, _, ids = straying_agent(tmp_path)
    rc, out, err = gg(repo, "review", "agent/auth")
    assert rc == 1, err
    lines = out.splitlines()
    assert lines[0].startswith(f"review policy: main@{head(repo, 'main')[:7]}")
    # the log, newest first, with agent and attestation status
    log = out.index("$ git log --oneline main..agent/auth")
    assert lines[lines.index("$ git log --oneline main..agent/auth") + 1].startswith(
        f"{ids['stray'][:12]} also fix the docs and CI  [claude-code; attestation: missing]")
    assert f"{ids['ok'][:12]} login returns True" in out[log:]
    # the diffstat agrees with git's own numstat
    numstat = git("diff", "--numstat", "main...agent/auth", cwd=repo).stdout.splitlines()
    assert f"{len(numstat)} file(s) changed" in out
    # every finding, and the changes outside the area asked for, each with its diff command
    assert "error[scope-outside-allow]" in out and "error[scope-locked]" in out
    outside = out[out.index("outside task auth's scope:"):]
    quoted = shlex.quote("docs/odd name's.md")
    assert f"git diff main...agent/auth -- {quoted}" in outside
    bytheway = out[out.index("touched by the way"):]
    assert "requirements.txt (dependencies)" in bytheway
    assert ".github/workflows/ci.yml (CI config)" in bytheway
    assert "src/auth/login.py" not in out[out.index("changes outside the area"):]
    assert lines[-1] == "read the whole diff before merging: git diff main...agent/auth"
    # the printed command is a real one: it shows that file's diff
    cmd = next(line.split("  ")[-1].strip() for line in outside.splitlines()
               if "odd name" in line)
    shown = subprocess.run(cmd, shell=True, cwd=repo, capture_output=True, text=True)
    assert shown.returncode == 0 and "+aside" in shown.stdout


def test_review_json(tmp_path: Path, gg: Run) -> None:
    repo, wt, ids = straying_agent(tmp_path)
    rc, out, _ = gg(wt, "review", "--format", "json")  # BRANCH defaults to HEAD's branch
    assert rc == 1
    doc = json.loads(out)
    assert doc["branch"] == "agent/auth" and doc["task"] == "auth"
    assert doc["policy"] == f"main@{head(repo, 'main')[:7]}"
    assert [c["oid"] for c in doc["commits"]] == [ids["stray"], ids["ok"]]
    assert doc["commits"][0]["attestation"] == "missing"  # committed with hooks off
    assert doc["commits"][1]["attestation"] == ("present" if "Guardrails-Checked" in
                                                git("log", "-1", "--format=%B", ids["ok"],
                                                    cwd=repo).stdout else "missing")
    assert {d["path"] for d in doc["diffstat"]} == {
        "src/auth/login.py", "requirements.txt", "docs/odd name's.md",
        ".github/workflows/ci.yml"}
    assert [o["path"] for o in doc["outside_scope"]] == [".github/workflows/ci.yml",
                                                         "docs/odd name's.md"]
    assert {b["path"]: b["kind"] for b in doc["by_the_way"]} == {
        "requirements.txt": "dependencies", ".github/workflows/ci.yml": "CI config"}
    assert doc["log_command"] == "git log --oneline main..agent/auth"
    assert doc["summary"]["errors"] == sum(f["severity"] == "error" for f in doc["findings"])


def test_review_markdown(tmp_path: Path, gg: Run) -> None:
    repo, _, ids = straying_agent(tmp_path)
    rc, out, _ = gg(repo, "review", "agent/auth", "--format", "markdown")
    assert rc == 1
    assert out.startswith("## Review of `agent/auth`")
    assert f"| `{ids['stray'][:7]}` | also fix the docs and CI | claude-code | missing |" in out
    assert "- `requirements.txt` — dependencies: `git diff main...agent/auth -- " \
           "requirements.txt`" in out


def test_review_clean_branch_and_base_option(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    git("branch", "-m", "main", "trunk", cwd=repo)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth", base="trunk")
    write(wt, "src/auth/a.py", "a\n")
    sha = checked_commit(wt, "in scope")  # a human's commit on a task branch: the task's
    rc, out, err = gg(wt, "review")
    assert rc == 2 and "--base" in err  # neither main nor master exists
    rc, out, _ = gg(wt, "review", "--base", "trunk")
    assert rc == 0, out
    assert "findings: 0 error(s), 0 warning(s)" in out
    assert "changes outside the area asked for" not in out
    attested = "Guardrails-Checked" in git("log", "-1", "--format=%B", sha, cwd=wt).stdout
    assert f"[agent (task branch); attestation: {'present' if attested else 'missing'}]" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_review_of_hook_skipping_agent(tmp_path: Path, gg: Run, fmt: str) -> None:
    """The docs agent skipped hooks and committed by plumbing: review lists both commits as
    missing their attestation, and the attest check's findings fail it."""
    ids = agents_repo(tmp_path)
    rc, out, _ = gg(tmp_path / "repo", "review", "agent/docs", "--format", fmt)
    assert rc == 1  # both commits are inside the docs scope: attest-missing fails them
    if fmt == "json":
        status = {c["oid"]: c["attestation"] for c in json.loads(out)["commits"]}
        assert status == {ids["docs_skip"]: "missing", ids["docs_plumb"]: "missing"}
    else:
        assert f"{ids['docs_plumb'][:12]} plumbing  [agent (task branch); attestation: " \
               "missing]" in out
        assert f"{ids['docs_skip'][:12]} guide  [claude-code; attestation: missing]" in out


def test_review_odd_path_commands_paste_into_bash(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "docs/new\nline.md", "odd\n")
    commit_all(wt, "odd name" + CLAUDE)
    rc, out, _ = gg(repo, "review", "agent/auth", "--format", "json")
    assert rc == 1
    (row,) = json.loads(out)["outside_scope"]
    assert row["path"] == "docs/new\nline.md"
    assert row["command"] == "git diff main...agent/auth -- $'docs/new\\nline.md'"
    shown = subprocess.run(["bash", "-c", row["command"]], cwd=repo, capture_output=True,
                           text=True)
    assert shown.returncode == 0 and "+odd" in shown.stdout
    rc, out, _ = gg(repo, "review", "agent/auth")
    assert '    "docs/new\\nline.md"  git diff main...agent/auth -- $' in out
