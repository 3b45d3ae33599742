"""`git guardrails worktree add/remove`: real worktrees, created in parallel by real processes."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from guardrails import git as ggit
from guardrails.sessions import session
from tests.helpers import commit_all, gg, git, make_repo, write


def branches(repo: Path) -> set[str]:
    out = git("for-each-ref", "--format=%(refname:short)", "refs/heads/", cwd=repo).stdout
    return set(out.split())


def worktree_paths(repo: Path) -> list[str]:
    out = git("worktree", "list", "--porcelain", "-z", cwd=repo).stdout
    return [f[len("worktree "):] for f in out.split("\0") if f.startswith("worktree ")]


POLICY = """\
[guardrails]
base = "main"
protected = ["main"]

[tasks.swarm]
branch = "agent/swarm-*"
allow = ["src/**"]
"""


def test_add_creates_branch_worktree_and_session(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    proc = gg("worktree", "add", str(wt), "agent/auth", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert git("symbolic-ref", "--short", "HEAD", cwd=wt).stdout.strip() == "agent/auth"
    s = session.load(ggit.discover(str(wt)).git_dir)
    main = git("rev-parse", "main", cwd=repo).stdout.strip()
    assert s is not None and s.task == "auth" and s.baseline == main and s.base == "main"
    assert s.origin == "worktree add" and s.clean
    # no upstream config was written for the new branch (no shared config.lock needed)
    assert git("config", "--get", "branch.agent/auth.merge", cwd=repo, check=False).stdout == ""


def test_add_with_base_and_allow(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    write(repo, "docs/more.md")
    commit_all(repo, "main moves")
    wt = tmp_path / "wt"
    proc = gg("worktree", "add", str(wt), "fix/readme", "--allow", "README.md", "--base", first,
              cwd=repo)
    assert proc.returncode == 0, proc.stderr
    s = session.load(ggit.discover(str(wt)).git_dir)
    assert s is not None and s.allow == ["README.md"] and s.baseline == first
    assert s.base == first


def test_add_refusals_create_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    before = branches(repo)
    cases = [
        (("main",), "base branch"),
        (("agent/auth", "--task", "nope"), "not in the trusted policy"),
        (("agent/auth", "--task", "docs"), "may commit on"),
        (("feature/x",), "covers branch `feature/x`"),
        (("agent/auth", "--base", "no-such-ref"), "not a commit here"),
        (("bad..name",), "not a valid branch name"),
    ]
    for n, (args, message) in enumerate(cases):
        proc = gg("worktree", "add", str(tmp_path / f"w{n}"), *args, cwd=repo)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
        assert not (tmp_path / f"w{n}").exists()
    occupied = tmp_path / "occupied"
    write(occupied, "file.txt")
    proc = gg("worktree", "add", str(occupied), "agent/auth", cwd=repo)
    assert proc.returncode == 2 and "not an empty directory" in proc.stderr
    assert branches(repo) == before
    assert len(worktree_paths(repo)) == 1


def test_failed_git_worktree_add_deletes_the_new_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    blocker = write(tmp_path, "a-file")
    proc = gg("worktree", "add", str(blocker / "sub"), "agent/auth", cwd=repo)
    assert proc.returncode == 2, proc.stdout
    assert "agent/auth" not in branches(repo)
    assert len(worktree_paths(repo)) == 1


def test_sixteen_parallel_adds_all_succeed_no_orphans(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=POLICY)
    procs = [subprocess.Popen(
        ["git-guardrails", "worktree", "add", str(tmp_path / f"w{i}"), f"agent/swarm-{i}"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(16)]
    # status polled while the worktrees appear must never crash
    polls = [subprocess.run(["git-guardrails", "status", "--format", "json"], cwd=repo,
                            capture_output=True, text=True, check=False) for _ in range(3)]
    assert [p.returncode for p in polls] == [0, 0, 0], [p.stderr for p in polls]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert all(rc == 0 for rc, _o, _e in results), [e for rc, _o, e in results if rc]
    assert branches(repo) == {"main", *(f"agent/swarm-{i}" for i in range(16))}
    assert len(worktree_paths(repo)) == 17
    for i in range(16):
        s = session.load(ggit.discover(str(tmp_path / f"w{i}")).git_dir)
        assert s is not None and s.branch == f"agent/swarm-{i}" and s.task == "swarm"
    assert git("fsck", "--no-dangling", cwd=repo).returncode == 0
    assert not [f for f in os.listdir(repo / ".git") if f.endswith(".lock")]


def test_parallel_adds_racing_for_one_branch_leave_no_orphan(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=POLICY)
    procs = [subprocess.Popen(
        ["git-guardrails", "worktree", "add", str(tmp_path / f"w{i}"),
         "agent/swarm-shared" if i % 2 else f"agent/swarm-{i}"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(8)]
    rcs = [p.wait(timeout=120) for p in procs]
    for p in procs:
        p.communicate()
    ok = [i for i, rc in enumerate(rcs) if rc == 0]
    assert set(range(0, 8, 2)) <= set(ok)  # every distinct branch made it
    assert sum(1 for i in ok if i % 2) == 1  # exactly one got the shared branch
    assert all(rcs[i] == 2 for i in range(8) if i not in ok)
    assert branches(repo) == {"main", "agent/swarm-shared",
                              *(f"agent/swarm-{i}" for i in range(0, 8, 2))}
    assert len(worktree_paths(repo)) == 1 + len(ok)
    for i in range(8):
        assert (tmp_path / f"w{i}").exists() == (i in ok)


def test_remove_refuses_session_and_unmerged_work(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    assert gg("worktree", "add", str(wt), "agent/auth", cwd=repo).returncode == 0
    proc = gg("worktree", "remove", str(wt), cwd=repo)
    assert proc.returncode == 2 and "active session" in proc.stderr
    assert "guardrails finish" in proc.stderr and wt.exists()
    write(wt, "src/auth/new.py")
    commit_all(wt, "agent work")
    assert gg("finish", cwd=wt).returncode == 0
    proc = gg("worktree", "remove", str(wt), cwd=repo)
    assert proc.returncode == 2 and "1 commit(s) not merged into `main`" in proc.stderr
    assert "agent work" in proc.stderr and wt.exists()
    git("merge", "-q", "--ff-only", "agent/auth", cwd=repo)
    proc = gg("worktree", "remove", str(wt), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert not wt.exists() and "agent/auth" in branches(repo)


def test_remove_force_and_main_and_unknown(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    assert gg("worktree", "add", str(wt), "agent/auth", cwd=repo).returncode == 0
    write(wt, "src/auth/new.py")
    commit_all(wt, "agent work")
    write(wt, "src/auth/uncommitted.py")
    # --force is for the session and the unmerged commit; it never deletes local changes
    proc = gg("worktree", "remove", "--force", str(wt), cwd=repo)
    assert proc.returncode == 2 and "src/auth/uncommitted.py" in proc.stderr
    assert "--discard-changes" in proc.stderr and (wt / "src/auth/uncommitted.py").exists()
    proc = gg("worktree", "remove", "--force", "--discard-changes", str(wt), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert not wt.exists() and "agent/auth" in branches(repo)
    assert len(worktree_paths(repo)) == 1
    proc = gg("worktree", "remove", str(repo), cwd=repo)
    assert proc.returncode == 2 and "main worktree" in proc.stderr
    proc = gg("worktree", "remove", str(tmp_path / "nowhere"), cwd=repo)
    assert proc.returncode == 2 and "not a worktree" in proc.stderr


def test_remove_worktree_deleted_by_hand(tmp_path: Path) -> None:
    import shutil

    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    assert gg("worktree", "add", str(wt), "agent/auth", cwd=repo).returncode == 0
    shutil.rmtree(wt)
    proc = gg("worktree", "remove", str(wt), cwd=repo)
    assert proc.returncode == 2 and "active session" in proc.stderr
    proc = gg("worktree", "remove", "--force", str(wt), cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "stale entry" in proc.stdout
    assert len(worktree_paths(repo)) == 1
    # the path can be used again at once
    assert gg("worktree", "add", str(wt), "agent/auth", cwd=repo).returncode == 0
