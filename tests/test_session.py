"""Sessions: records, `start` and `finish`, on real repositories and worktrees."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from guardrails import git as ggit
from guardrails.sessions import session
from tests.helpers import add_worktree, commit_all, gg, git, make_repo, write


def record(wt: Path) -> dict[str, object]:
    p = git("rev-parse", "--path-format=absolute", "--git-path", "guardrails/session.json",
            cwd=wt).stdout.strip()
    data: dict[str, object] = json.loads(Path(p).read_text())
    return data


def snapshot(wt: Path) -> tuple[str, str, str]:
    """What `start` must not change when it refuses: status, refs, stash."""
    return (git("status", "--porcelain", "-z", "--untracked-files=all", cwd=wt).stdout,
            git("for-each-ref", cwd=wt).stdout,
            git("stash", "list", cwd=wt).stdout)


def test_start_records_session_in_private_git_dir(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    proc = gg("start", "--agent", "claude-code", cwd=wt)
    assert proc.returncode == 0, proc.stderr
    assert "task `auth`" in proc.stdout
    rec = record(wt)
    head = git("rev-parse", "HEAD", cwd=wt).stdout.strip()
    assert rec["task"] == "auth" and rec["branch"] == "agent/auth"
    assert rec["baseline"] == head and rec["clean"] is True and rec["agent"] == "claude-code"
    assert rec["base"] == "main"
    # never in the work tree
    assert git("status", "--porcelain", "--ignored", cwd=wt).stdout == ""
    # readable from every other worktree
    found = session.all_sessions(ggit.discover(str(repo)))
    assert [s.task for _d, s in found if s is not None] == ["auth"]
    # no temp files left next to it
    files = os.listdir(os.path.dirname(session.path(ggit.discover(str(wt)).git_dir)))
    assert files == ["session.json"]


def test_start_adhoc_allow_patterns(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "fix/typo")
    proc = gg("start", "--allow", "docs/**", "README.md", cwd=wt)
    assert proc.returncode == 0, proc.stderr
    rec = record(wt)
    assert rec["task"] is None and rec["allow"] == ["docs/**", "README.md"]
    wt2 = add_worktree(repo, tmp_path / "wt2", "fix/other")
    bad = gg("start", "--allow", "", cwd=wt2)
    assert bad.returncode == 2 and "bad --allow pattern" in bad.stderr
    for args in (("--task", "auth", "--allow", "x"), ("--allow", "x", "--stash", "--allow-dirty"),
                 ("stray-pattern",)):
        bad = gg("start", *args, cwd=wt2)
        assert bad.returncode == 2, args
    assert not session.is_active(ggit.discover(str(wt2)).git_dir)


def test_start_refuses_dirty_tree_and_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/login.py", "changed\n")
    write(wt, "src/auth/new.py", "new\n")
    write(wt, "README.md", "staged\n")
    git("add", "README.md", cwd=wt)
    before = snapshot(wt)
    proc = gg("start", cwd=wt)
    assert proc.returncode == 2
    for name in ("src/auth/login.py", "src/auth/new.py", "README.md", "untracked"):
        assert name in proc.stderr
    assert "--stash" in proc.stderr and "--allow-dirty" in proc.stderr
    assert snapshot(wt) == before
    assert not os.path.exists(session.path(ggit.discover(str(wt)).git_dir))


def test_start_stash_names_task_and_says_how_to_get_it_back(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/login.py", "changed\n")
    write(wt, "notes.txt", "untracked\n")
    proc = gg("start", "--stash", cwd=wt)
    assert proc.returncode == 0, proc.stderr
    assert git("status", "--porcelain", "--untracked-files=all", cwd=wt).stdout == ""
    stash_list = git("stash", "list", cwd=wt).stdout
    assert "before session auth on agent/auth" in stash_list
    rec = record(wt)
    assert rec["clean"] is True and isinstance(rec["stash"], str)
    assert f"git stash apply {rec['stash']}" in proc.stdout
    # finish reminds, and the command given really brings both files back
    fin = gg("finish", cwd=wt)
    assert fin.returncode == 0 and f"git stash apply {rec['stash']}" in fin.stdout
    git("stash", "apply", str(rec["stash"]), cwd=wt)
    assert (wt / "notes.txt").read_text() == "untracked\n"
    assert (wt / "src/auth/login.py").read_text() == "changed\n"


def test_start_allow_dirty_records_path_and_blob(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/login.py", "changed\n")
    write(wt, "src/auth/wip.py", "wip\n")
    (wt / "README.md").unlink()
    proc = gg("start", "--allow-dirty", cwd=wt)
    assert proc.returncode == 0, proc.stderr
    rec = record(wt)
    dirty = rec["dirty"]
    assert isinstance(dirty, dict)
    blob = git("hash-object", "src/auth/login.py", cwd=wt).stdout.strip()
    assert dirty == {"src/auth/login.py": blob,
                     "src/auth/wip.py": git("hash-object", "src/auth/wip.py",
                                            cwd=wt).stdout.strip(),
                     "README.md": None}
    assert rec["clean"] is False and rec["allow_dirty"] is True


def test_start_refuses_protected_and_base_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    proc = gg("start", "--task", "auth", cwd=repo)
    assert proc.returncode == 2 and "`main` is the base branch" in proc.stderr
    assert "git guardrails worktree add" in proc.stderr
    wt = add_worktree(repo, tmp_path / "rel", "release/1")
    proc = gg("start", "--allow", "src/**", cwd=wt)
    assert proc.returncode == 2 and "protected branch" in proc.stderr


def test_start_unknown_task_and_uncovered_branch_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    proc = gg("start", "--task", "payments", cwd=wt)
    assert proc.returncode == 2
    assert "task `payments` is not in the trusted policy (main@" in proc.stderr
    assert "auth, docs" in proc.stderr
    proc = gg("start", "--task", "docs", cwd=wt)
    assert proc.returncode == 2 and "may commit on agent/docs" in proc.stderr
    other = add_worktree(repo, tmp_path / "o", "feature/x")
    proc = gg("start", cwd=other)
    assert proc.returncode == 2 and "no task in the trusted policy" in proc.stderr


def test_task_only_on_agent_branch_authorises_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/pay")
    policy = (wt / ".guardrails.toml").read_text()
    write(wt, ".guardrails.toml",
          policy + '\n[tasks.pay]\nbranch = "agent/pay"\nallow = ["src/**"]\n')
    commit_all(wt, "widen my own scope")
    proc = gg("start", "--task", "pay", cwd=wt)
    assert proc.returncode == 2 and "`pay` is not in the trusted policy" in proc.stderr


def test_start_refuses_branch_owned_by_another_session(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    assert gg("start", cwd=a).returncode == 0
    b = add_worktree(repo, tmp_path / "b", "agent/docs")
    # another worktree can have the branch checked out only by force; the session still owns it
    git("checkout", "-q", "--detach", cwd=b)
    git("checkout", "-q", "--ignore-other-worktrees", "agent/auth", cwd=b)
    proc = gg("start", cwd=b)
    assert proc.returncode == 2
    assert "belongs to the session of the worktree" in proc.stderr and str(a) in proc.stderr


def test_start_twice_and_detached_and_bare(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert gg("start", cwd=wt).returncode == 0
    again = gg("start", cwd=wt)
    assert again.returncode == 2 and "already active" in again.stderr
    det = tmp_path / "det"
    git("worktree", "add", "-q", "--detach", str(det), "main", cwd=repo)
    proc = gg("start", "--allow", "src/**", cwd=det)
    assert proc.returncode == 2 and "detached" in proc.stderr and "git switch -c" in proc.stderr
    bare = tmp_path / "bare.git"
    git("clone", "-q", "--bare", str(repo), str(bare), cwd=tmp_path)
    for args in (("start", "--allow", "x"), ("status",), ("finish",)):
        proc = gg(*args, cwd=bare)
        assert proc.returncode == 2 and "bare repository" in proc.stderr, args


@pytest.mark.parametrize("content", [
    b"{not json",
    b"[1, 2]",
    json.dumps({"version": 99, "branch": "agent/auth"}).encode(),
    json.dumps({"version": 1, "branch": "agent/auth", "baseline": None, "started": 1.0,
                "dirty": ["a"]}).encode(),
    json.dumps({"version": 1, "branch": "agent/auth", "baseline": None, "started": 1.0,
                "from_the_future": True}).encode(),
])
def test_corrupt_or_future_record(tmp_path: Path, content: bytes) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    p = Path(session.path(ggit.discover(str(wt)).git_dir))
    p.parent.mkdir(parents=True)
    p.write_bytes(content)
    for args in (("start",), ("finish",), ("check",)):
        proc = gg(*args, cwd=wt)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "cannot be read" in proc.stderr and "finish --force" in proc.stderr
    # a hook in that worktree: exit 2 with the same fix
    hook = subprocess.run(["guardrails-clean-baseline"], cwd=wt, capture_output=True,
                          text=True, check=False)
    assert hook.returncode == 2 and "finish --force" in hook.stderr
    # status elsewhere does not crash; it names the fix
    st = gg("status", cwd=repo)
    assert st.returncode == 0 and "session-unreadable" in st.stdout
    assert "finish --force" in st.stdout
    forced = gg("finish", "--force", cwd=wt)
    assert forced.returncode == 0 and not p.exists()
    assert gg("start", cwd=wt).returncode == 0


def test_finish_prints_log_and_diffstat(tmp_path: Path) -> None:
    """finish prints the review: the log since the base and the diffstat among it."""
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert gg("start", cwd=wt).returncode == 0
    write(wt, "src/auth/token.py", "a\nb\n")
    commit_all(wt, "add token module")
    proc = gg("finish", cwd=wt)
    assert proc.returncode == 0, proc.stderr
    assert "git log --oneline main..agent/auth" in proc.stdout
    assert "add token module" in proc.stdout
    assert "src/auth/token.py | 2 ++" in proc.stdout
    assert not os.path.exists(session.path(ggit.discover(str(wt)).git_dir))
    again = gg("finish", cwd=wt)
    assert again.returncode == 2 and "no session" in again.stderr


def test_git_dir_and_work_tree_set_by_caller(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    gd = git("rev-parse", "--absolute-git-dir", cwd=wt).stdout.strip()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"GIT_DIR": gd, "GIT_WORK_TREE": str(wt)}
    proc = gg("start", cwd=elsewhere, env=env)
    assert proc.returncode == 0, proc.stderr
    assert os.path.exists(os.path.join(gd, "guardrails", "session.json"))
    assert not (elsewhere / ".git").exists() and os.listdir(elsewhere) == []
    # status from the caller's environment still sees every worktree by its own git dir
    st = gg("status", "--format", "json", cwd=elsewhere, env=env)
    assert st.returncode == 0, st.stderr
    rows = {r["path"]: r for r in json.loads(st.stdout)["worktrees"]}
    assert rows[str(wt)]["session"] == "active" and rows[str(repo)]["session"] == "none"
    # worktree add with the caller's GIT_DIR: the new worktree gets its own session
    proc = gg("worktree", "add", str(tmp_path / "docs"), "agent/docs", cwd=elsewhere, env=env)
    assert proc.returncode == 0, proc.stderr
    assert record(tmp_path / "docs")["task"] == "docs"
    assert record(wt)["task"] == "auth"


def test_allow_dirty_odd_names_and_agent_from_env(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    names = [b"src/auth/caf\xe9.py", b'"quoted".txt', b"src/auth/sp ace.py"]
    for n in names:
        write(wt, n, "dirty\n")
    os.symlink("login.py", wt / "src/auth/link.py")
    proc = gg("start", "--allow-dirty", cwd=wt, env={"GEMINI_CLI": "1"})
    assert proc.returncode == 0, proc.stderr
    s = session.load(ggit.discover(str(wt)).git_dir)
    assert s is not None and s.agent == "gemini-cli"
    blob = git("hash-object", "--stdin", cwd=wt, input=b"dirty\n").stdout.strip()
    for n in names:
        assert s.dirty[os.fsdecode(n)] == blob, n
    link_blob = git("hash-object", "--stdin", cwd=wt, input=b"login.py").stdout.strip()
    assert s.dirty["src/auth/link.py"] == link_blob
    # what the index will hold for them is what was recorded
    git("add", "-A", cwd=wt)
    staged = git("ls-files", "-s", "-z", "--", "src/auth/link.py", cwd=wt).stdout
    assert link_blob in staged
