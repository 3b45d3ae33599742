"""verify-commit (post-commit): loud when the commit just made is lost or broken, never fails."""
from __future__ import annotations

from pathlib import Path

from guardrails import git as ggit
from guardrails.checks import refstore
from tests.conftest import install_hooks, requires_ref_format
from tests.helpers import add_worktree, git, make_repo, write
from tests.refstore_helpers import commit_file, head, journal, start_session, stat_clean


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "a", "agent/auth")
    start_session(wt, "agent/auth", "auth")
    return repo, wt


def test_good_commit_says_nothing(tmp_path: Path) -> None:
    _repo, wt = _setup(tmp_path)
    assert commit_file(wt, "src/auth/x.py", "1\n", "--no-verify").returncode == 0
    assert refstore.verify_commit(ggit.discover(str(wt))) == []


def test_broken_commit_reported_with_recovery(tmp_path: Path) -> None:
    repo, wt = _setup(tmp_path)
    assert commit_file(wt, "src/auth/x.py", "lost content\n", "--no-verify").returncode == 0
    c = head(wt)
    stat_clean(wt, "src/auth/x.py")  # so a plain `git add` would skip it
    oid = git("rev-parse", "HEAD:src/auth/x.py", cwd=wt).stdout.strip()
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()  # what a racing prune leaves
    found = refstore.verify_commit(ggit.discover(str(wt)))
    assert [f.rule for f in found] == ["refstore-commit-broken"]
    assert "src/auth/x.py" in found[0].message and found[0].commit == c
    assert found[0].hint.endswith(f"git reset --soft HEAD~1 && git add --renormalize -- "
                                  f"src/auth/x.py && git commit -C {c[:12]}")
    assert [e["kind"] for e in journal(repo)] == ["commit-broken"]
    # the recovery works: the file is still in the work tree
    git("reset", "--soft", "HEAD~1", cwd=wt)
    git("add", "--renormalize", "--", "src/auth/x.py", cwd=wt)
    git("commit", "-q", "--no-verify", "-C", c, cwd=wt)
    assert git("fsck", "--no-dangling", cwd=repo, check=False).returncode == 0
    assert refstore.verify_commit(ggit.discover(str(wt))) == []


def test_not_an_agent_commit_is_not_checked(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    write(repo, "README.md", "changed\n")
    git("commit", "-qam", "human", cwd=repo)
    oid = git("rev-parse", "HEAD:README.md", cwd=repo).stdout.strip()
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    assert refstore.verify_commit(ggit.discover(str(repo))) == []


ROLLBACK_HOOK = """#!/bin/sh
# simulate a concurrent pack-refs rolling the branch back right after the commit
while read o n r; do
    if [ "$1" = committed ] && [ "$r" = refs/heads/agent/auth ] &&
       [ "$o" != 0000000000000000000000000000000000000000 ]; then
        echo "$o" > "$COMMON/refs/heads/agent/auth"
    fi
done
exit 0
"""


@requires_ref_format("files")  # the rollback is simulated by writing the loose ref
def test_lost_commit_is_loud_but_does_not_fail(tmp_path: Path, runner: str,
                                               hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, "  - id: verify-commit\n",
                  hook_types="[post-commit]")
    wt = add_worktree(repo, tmp_path / "a", "agent/auth")
    start_session(wt, "agent/auth", "auth")
    before = head(wt)
    hook = repo / ".git" / "hooks" / "reference-transaction"
    hook.write_text(ROLLBACK_HOOK)
    hook.chmod(0o755)
    proc = commit_file(wt, "src/auth/x.py", "1\n", env={"COMMON": str(repo / ".git")})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert head(repo, "refs/heads/agent/auth") == before  # the branch really lost it
    assert "refstore-commit-lost" in out
    assert "git cherry-pick" in out
    assert any(e["kind"] == "commit-lost" for e in journal(repo))
