"""git-guardrails gc, maintenance.suspend/restore, doctor's ref-store diagnosis, and the git
runner's lock behaviour (optional locks for reads, retries for writes)."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from guardrails import git as ggit
from guardrails import state
from guardrails.checks import refstore
from guardrails.refstore import maintenance
from tests.conftest import git_version, requires_git, requires_ref_format
from tests.helpers import add_worktree, git, make_repo
from tests.refstore_helpers import agents, cli, end_session, start_session
from tests.test_refstore_locks import slow_git


def _unreachable_blob(repo: Path, text: str) -> str:
    return git("hash-object", "-w", "--stdin", cwd=repo, input=text.encode()).stdout.strip()


def _exists(repo: Path, oid: str) -> bool:
    return git("cat-file", "-e", oid, cwd=repo, check=False).returncode == 0


def test_gc_refuses_while_sessions_are_active(tmp_path: Path) -> None:
    repo, a, b = agents(tmp_path)
    proc = cli("gc", cwd=repo)
    assert proc.returncode == 1
    assert "error[refstore-gc-sessions-active] git guardrails gc: refusing: 2 agent session(s) " \
        "active" in proc.stderr
    assert "auth (agent/auth)" in proc.stderr and "gc --wait" in proc.stderr
    assert not list((repo / ".git" / "objects" / "pack").glob("*.pack"))
    end_session(a)
    end_session(b)
    proc = cli("gc", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert list((repo / ".git" / "objects" / "pack").glob("*.pack"))


def test_gc_wait_never_prunes_now_beside_sessions(tmp_path: Path) -> None:
    repo, a, b = agents(tmp_path)
    git("config", "gc.pruneExpire", "now", cwd=repo)
    blob = _unreachable_blob(repo, "just written by an agent\n")
    proc = cli("gc", "--wait", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    if git_version() < (2, 54, 0):
        assert "prune expiry 'now' ignored while 2 session(s) are active" in proc.stderr
    # else: `git maintenance run` with the geometric tasks, which prune nothing
    assert _exists(repo, blob)
    proc = cli("gc", "--wait", "--prune=now", cwd=repo)
    assert proc.returncode == 0 and _exists(repo, blob)
    end_session(a)
    end_session(b)
    assert cli("gc", cwd=repo).returncode == 0
    assert not _exists(repo, blob)  # no session: the configured expiry applies


@requires_ref_format("files")
@pytest.mark.parametrize("git_maintenance", [False, True])
def test_gc_wait_packs_no_refs_beside_sessions(tmp_path: Path, git_maintenance: bool) -> None:
    """Files refs: a pack-refs beside a commit can fail it (git's "cannot lock ref 'HEAD': is
    at X but expected Y", seen once in 320 commits of bench.parallel_agents guarded/prunenow on
    2.39): with sessions active the safe gc leaves the loose refs alone, and says so; once the
    sessions are over it packs them."""
    if git_maintenance and git_version() < (2, 54, 0):
        pytest.skip("needs git >= 2.54.0 (`git guardrails gc` runs `git maintenance run`)")
    repo, a, b = agents(tmp_path)
    loose = repo / ".git" / "refs" / "heads" / "agent" / "auth"
    assert loose.is_file()
    args = ("gc", "--wait") if git_maintenance else ("gc", "--wait", "--prune=2.weeks.ago")
    proc = cli(*args, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "pack-refs skipped while 2 session(s) are active" in proc.stderr
    assert loose.is_file()
    end_session(a)
    end_session(b)
    proc = cli(*args, cwd=repo)
    assert proc.returncode == 0 and "pack-refs skipped" not in proc.stderr, proc.stderr
    assert not loose.exists()
    assert "refs/heads/agent/auth" in (repo / ".git" / "packed-refs").read_text()


def test_gc_wait_waits_for_a_running_ref_update(tmp_path: Path) -> None:
    repo, _a, _b = agents(tmp_path)
    proc, _ = slow_git(tmp_path, repo, 1.5, "update-ref", "refs/heads/agent/docs", "HEAD")
    try:
        t0 = time.monotonic()
        out = cli("gc", "--wait", cwd=repo)
        assert out.returncode == 0, out.stderr
        assert time.monotonic() - t0 >= 0.5
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_gc_serialises_on_the_guardrails_lock(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with state.hold(str(repo / ".git"), "test holder"):
            held.set()
            release.wait(30)

    t = threading.Thread(target=holder)
    t.start()
    try:
        held.wait(10)
        proc = cli("gc", "--timeout", "0.5", cwd=repo)
        assert proc.returncode == 2
        assert "timed out" in proc.stderr and "test holder" in proc.stderr
    finally:
        release.set()
        t.join()
    assert cli("gc", cwd=repo).returncode == 0


def _cfg(repo: Path, key: str) -> str | None:
    proc = git("config", "--local", "--get", key, cwd=repo, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def test_suspend_and_restore_on_the_last_finish(tmp_path: Path) -> None:
    repo, a, b = agents(tmp_path)
    git("config", "gc.auto", "100", cwd=repo)
    r = ggit.discover(str(repo))
    found = [f.rule for f in refstore.diagnose(r)]
    assert "refstore-auto-maintenance" in found
    assert maintenance.suspend(r) is True
    assert (_cfg(repo, "gc.auto"), _cfg(repo, "maintenance.auto")) == ("0", "false")
    assert maintenance.suspend(r) is False  # second session: nothing to change, record kept
    assert "refstore-auto-maintenance" not in [f.rule for f in refstore.diagnose(r)]
    end_session(a)
    assert maintenance.restore(r) is False  # b is still active
    assert _cfg(repo, "gc.auto") == "0"
    end_session(b)
    assert maintenance.restore(r) is True
    assert (_cfg(repo, "gc.auto"), _cfg(repo, "maintenance.auto")) == ("100", None)
    assert maintenance.restore(r) is False


def test_doctor_reports_risky_settings_and_worktrees(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    gone = add_worktree(repo, tmp_path / "gone", "agent/gone")
    add_worktree(repo, tmp_path / "kept", "agent/kept")
    r = ggit.discover(str(repo))
    assert refstore.diagnose(r) == []
    git("config", "gc.pruneExpire", "now", cwd=repo)
    git("config", "gc.worktreePruneExpire", "now", cwd=repo)
    shutil.rmtree(gone)
    git("worktree", "lock", "--reason", "agent 7", str(tmp_path / "kept"), cwd=repo)
    git("worktree", "add", "-q", "--force", str(tmp_path / "twin"), "agent/auth", cwd=repo)
    start_session(a, "agent/auth", "auth")
    found = {f.rule: f for f in refstore.diagnose(r)}
    assert set(found) == {"refstore-prune-now", "refstore-worktree-prune-now",
                          "refstore-worktree-prunable", "refstore-worktree-locked",
                          "refstore-shared-branch", "refstore-auto-maintenance",
                          "refstore-native-hooks"}
    assert str(gone) in found["refstore-worktree-prunable"].message
    assert "agent 7" in found["refstore-worktree-locked"].message
    assert "checked out in 2 worktrees" in found["refstore-shared-branch"].message


def test_doctor_module_is_registered() -> None:
    from guardrails import checks

    assert "refstore" in checks.DOCTOR
    assert checks.PRE_COMMIT[-1] == "refstore"


# --- the git runner ----------------------------------------------------------------------------

def test_writes_retry_a_transient_config_lock(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    lk = repo / ".git" / "config.lock"
    lk.write_text("")
    with pytest.raises(ggit.GitError, match="could not lock config file"):
        ggit.run("config", "guardrails.test", "1", cwd=str(repo))
    timer = threading.Timer(0.4, lk.unlink)
    timer.start()
    try:
        ggit.run("config", "guardrails.test", "2", cwd=str(repo), write=True)
    finally:
        timer.join()
    assert _cfg(repo, "guardrails.test") == "2"


def test_writes_pass_longer_ref_lock_timeouts(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git("branch", "x", cwd=repo)
    proc, _ = slow_git(tmp_path, repo, 0.8, "update-ref", "refs/heads/x", "HEAD")
    try:
        # git's default 100 ms would fail here; the runner's 2000 ms (and retries) do not
        ggit.run("update-ref", "refs/heads/y", "HEAD", cwd=str(repo), write=True)
        ggit.run("update-ref", "refs/heads/x", "HEAD", cwd=str(repo), write=True)
    finally:
        proc.wait(30)


def test_reads_take_no_optional_index_lock(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    index = repo / ".git" / "index"
    for p in ("README.md", "docs/index.md"):  # stat-dirty, content unchanged
        os.utime(repo / p, (time.time() + 5, time.time() + 5))
    before = index.stat().st_mtime_ns
    ggit.run("status", "--porcelain", cwd=str(repo))
    ggit.run("diff", "--cached", cwd=str(repo))
    ggit.run("diff-files", "--name-only", cwd=str(repo))
    assert index.stat().st_mtime_ns == before
    # plain git takes the optional lock and rewrites the index
    git("status", "--porcelain", cwd=repo)
    assert index.stat().st_mtime_ns != before


def test_porcelain_worktree_diff_ignores_optional_locks(tmp_path: Path) -> None:
    """Why guardrails reads the work tree with diff-files/status, never `git diff`: git's
    porcelain diff refreshes the index under index.lock even with GIT_OPTIONAL_LOCKS=0."""
    repo = make_repo(tmp_path / "repo")
    index = repo / ".git" / "index"
    os.utime(repo / "README.md", (time.time() + 5, time.time() + 5))
    before = index.stat().st_mtime_ns
    ggit.run("diff", cwd=str(repo))
    assert index.stat().st_mtime_ns != before


def test_polling_eight_worktrees_while_agents_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wts = [add_worktree(repo, tmp_path / f"w{i}", f"agent/w{i}") for i in range(8)]
    # what `start` sets: under reftable, eight plain `git commit`s side by side fail with
    # "cannot lock references" on git's 100 ms default wait for the one tables.list.lock
    maintenance.suspend(ggit.discover(str(repo)))
    stop = threading.Event()
    polling = threading.Event()  # the poller is past its first round: the agents may start
    poll_errors: list[str] = []
    polls = [0]

    def poll() -> None:
        while not stop.is_set():
            if polls[0] >= len(wts):
                polling.set()
            for wt in wts:
                try:
                    ggit.run("status", "--porcelain", "-z", cwd=str(wt))
                    ggit.run("diff", "--cached", "--stat", cwd=str(wt))
                    ggit.run("diff-files", "--name-status", "-z", cwd=str(wt))
                    polls[0] += 1
                except ggit.GitError as e:
                    poll_errors.append(str(e))

    poller = threading.Thread(target=poll)
    poller.start()
    assert polling.wait(120)
    script = ("set -u; for j in $(seq 1 6); do echo \"$j\" >> f.txt; "
              "git add f.txt || echo ADD-FAIL; git commit -q -m c$j || echo COMMIT-FAIL; done")
    try:
        before = polls[0]
        workers = [subprocess.Popen(["sh", "-c", script], cwd=wt, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for wt in wts]
        outs = [w.communicate(timeout=300) for w in workers]
        during = polls[0] - before  # polls that ended while the agents committed
    finally:
        stop.set()
        poller.join()
    text = "".join(o + e for o, e in outs)
    assert during >= 1
    assert "index.lock" not in text and "FAIL" not in text, text
    assert poll_errors == []
    for i in range(len(wts)):
        assert git("rev-list", "--count", f"main..agent/w{i}", cwd=repo).stdout.strip() == "6"


@requires_git(2, 45, why="reftable refs")
def test_parallel_reftable_commits_need_the_sessions_lock_timeout(tmp_path: Path) -> None:
    """Why sessions set reftable.lockTimeout: on git's 100 ms default, parallel commits in a
    reftable repository's worktrees fail with "cannot lock references" (bench.parallel_agents:
    8 of 60 beside `git guardrails gc`, and this test's eight-worktree cousin above failed
    most of its commits); with what `start` sets, none does."""
    repo = tmp_path / "rt"
    git("init", "-q", "-b", "main", "--ref-format=reftable", str(repo), cwd=tmp_path)
    git("commit", "-q", "--allow-empty", "-m", "base", cwd=repo)
    wts = [add_worktree(repo, tmp_path / f"w{i}", f"agent/w{i}") for i in range(6)]
    script = ("for j in $(seq 1 15); do echo $j >> f.txt; git add f.txt; "
              "git commit -q -m c$j || echo COMMIT-FAIL; done")

    def run_all() -> str:
        ws = [subprocess.Popen(["sh", "-c", script], cwd=wt, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True) for wt in wts]
        return "".join(w.communicate(timeout=300)[0] for w in ws)

    maintenance.suspend(ggit.discover(str(repo)))
    assert git("config", "reftable.lockTimeout", cwd=repo).stdout.strip() == "60000"
    out = run_all()
    assert "COMMIT-FAIL" not in out, out
    for i in range(len(wts)):
        assert git("rev-list", "--count", f"agent/w{i}", "--not", "main",
                   cwd=repo).stdout.strip() == "15"
