"""ref-store-guard: live and stale locks of each kind, held by real git processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardrails import git as ggit
from guardrails.checks import refstore
from guardrails.refstore import locks as gitlocks
from tests.conftest import install_hooks, ref_format, requires_git, requires_ref_format
from tests.helpers import add_worktree, git, make_repo, write
from tests.refstore_helpers import start_session, stat_clean

SLOW_HOOK = """#!/bin/sh
cat >/dev/null
if [ "$1" = prepared ] && [ -n "$READY" ]; then
    : > "$READY"
    sleep "$HOLD"
fi
exit 0
"""


@pytest.fixture
def repo2(tmp_path: Path) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "a", "agent/auth")
    add_worktree(repo, tmp_path / "b", "agent/docs")
    return repo, wt


def slow_git(tmp_path: Path, cwd: Path, hold: float, *args: str) -> tuple[subprocess.Popen[bytes],
                                                                         Path]:
    """Start a real git command whose reference-transaction hook sleeps in `prepared`, i.e.
    while git holds that transaction's locks. Returns once the locks are taken."""
    hooks = tmp_path / "slow-hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "reference-transaction").write_text(SLOW_HOOK)
    (hooks / "reference-transaction").chmod(0o755)
    ready = tmp_path / f"ready-{time.monotonic_ns()}"
    env = dict(os.environ, READY=str(ready), HOLD=str(hold))
    proc = subprocess.Popen(["git", "-c", f"core.hooksPath={hooks}", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return proc, ready


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


FILES_ONLY = requires_ref_format("files")  # a reftable repository has no loose refs
# the lock a ref update holds: the ref's own in the files backend, the stack's in reftable
STACK = "reftable/tables.list.lock"

STALE_KINDS = [
    ("packed-refs.lock", "packed-refs"),
    pytest.param("refs/heads/agent/docs.lock", "ref", marks=FILES_ONLY),
    ("config.lock", "config"),
    ("objects/info/commit-graph.lock", "commit-graph"),
    ("objects/pack/multi-pack-index.lock", "midx"),
    ("reftable/tables.list.lock", "reftable"),
    # compaction locks each table it merges (auto-compaction after every reftable write)
    ("reftable/0x000000000001-0x000000000004-1a2b3c4d.ref.lock", "reftable"),
    ("worktrees/a/reftable/tables.list.lock", "reftable"),
    ("objects/maintenance.lock", "maintenance"),
    ("worktrees/a/HEAD.lock", "HEAD"),
    ("worktrees/a/index.lock", "index"),
]


@pytest.mark.parametrize(("rel", "kind"), STALE_KINDS)
def test_stale_lock_of_each_kind(repo2: tuple[Path, Path], rel: str, kind: str) -> None:
    repo, wt = repo2
    lock = repo / ".git" / rel
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    _age(lock, 3600)
    r = ggit.discover(str(wt))
    found = refstore.wait_for_locks(r, wait=0.2, gc_wait=0.2, stale_after=60)
    assert [(f.rule, f.path) for f in found] == [("refstore-stale-lock", rel)]
    assert f"stale {kind} lock, 60 min old" in found[0].message
    # the hint is the exact command, and it clears exactly that lock
    cmd = found[0].hint.split("   #")[0]
    assert cmd == f"rm -f -- {lock}"
    subprocess.run(cmd, shell=True, check=True)
    assert refstore.wait_for_locks(r, wait=0.2, gc_wait=0.2, stale_after=60) == []


def test_other_worktrees_private_locks_are_not_ours(repo2: tuple[Path, Path]) -> None:
    repo, wt = repo2
    lock = repo / ".git" / "worktrees" / "b" / "index.lock"
    lock.write_text("")
    _age(lock, 3600)
    assert refstore.wait_for_locks(ggit.discover(str(wt)), wait=0.2, stale_after=60) == []
    # … but doctor reports it
    found = refstore.diagnose(ggit.discover(str(wt)))
    assert [f.path for f in found if f.rule == "refstore-stale-lock"] == \
        ["worktrees/b/index.lock"]


def test_young_lock_without_holder_waits_then_reports(repo2: tuple[Path, Path]) -> None:
    repo, wt = repo2
    (repo / ".git" / "config.lock").write_text("")
    t0 = time.monotonic()
    found = refstore.wait_for_locks(ggit.discover(str(wt)), wait=0.5, stale_after=60)
    assert time.monotonic() - t0 >= 0.5
    assert [f.rule for f in found] == ["refstore-lock-held"]
    assert "config.lock: config lock held for" in found[0].message


def test_a_young_packed_refs_lock_is_gits_to_wait_for(repo2: tuple[Path, Path]) -> None:
    """Every commit of every worktree takes packed-refs.lock for a moment on git >= 2.42 (to
    delete AUTO_MERGE) and none needs it to move its branch: not waited for, stale reported."""
    repo, wt = repo2
    lock = repo / ".git" / "packed-refs.lock"
    lock.write_text("")
    t0 = time.monotonic()
    assert refstore.wait_for_locks(ggit.discover(str(wt)), wait=3, stale_after=60) == []
    assert time.monotonic() - t0 < 2
    _age(lock, 3600)
    found = refstore.wait_for_locks(ggit.discover(str(wt)), wait=0.2, stale_after=60)
    assert [f.rule for f in found] == ["refstore-stale-lock"]


@pytest.mark.parametrize(("args", "rel"), [
    (("update-ref", "refs/heads/agent/auth", "HEAD~0"), "refs/heads/agent/auth.lock"),
    (("branch", "-D", "gone"), "packed-refs.lock"),
])
def test_live_lock_released_during_wait(tmp_path: Path, repo2: tuple[Path, Path],
                                        procs: list[subprocess.Popen[bytes]],
                                        args: tuple[str, ...], rel: str) -> None:
    repo, wt = repo2
    git("branch", "gone", cwd=repo)
    git("pack-refs", "--all", cwd=repo)
    proc, _ = slow_git(tmp_path, repo, 1.5, *args)
    procs.append(proc)
    rel = rel if ref_format() == "files" else STACK
    assert (repo / ".git" / rel).exists()
    t0 = time.monotonic()
    found = refstore.wait_for_locks(ggit.discover(str(wt)), wait=30, stale_after=60)
    assert found == []
    if ref_format() == "files" and rel != "packed-refs.lock":
        assert time.monotonic() - t0 >= 0.5
    else:  # reftable's one stack lock, packed-refs.lock: git waits for them itself
        assert time.monotonic() - t0 < 0.5
    assert proc.wait(30) == 0
    assert not (repo / ".git" / rel).exists()


@FILES_ONLY  # under reftable every ref update holds the one stack lock: see the reftable test
def test_other_branches_live_ref_locks_are_not_waited_for(
        tmp_path: Path, repo2: tuple[Path, Path], procs: list[subprocess.Popen[bytes]]) -> None:
    repo, wt = repo2
    proc, _ = slow_git(tmp_path, repo, 20, "update-ref", "refs/heads/agent/docs", "HEAD")
    procs.append(proc)
    t0 = time.monotonic()
    assert refstore.wait_for_locks(ggit.discover(str(wt)), wait=5, stale_after=60) == []
    assert time.monotonic() - t0 < 2


@FILES_ONLY  # a live reftable lock is git's to wait for: test_reftable_ref_update_holds_…
def test_live_lock_past_the_wait_names_lock_age_and_holder(
        tmp_path: Path, repo2: tuple[Path, Path], procs: list[subprocess.Popen[bytes]]) -> None:
    repo, wt = repo2
    proc, _ = slow_git(tmp_path, repo, 20, "update-ref", "refs/heads/agent/auth", "HEAD")
    procs.append(proc)
    found = refstore.wait_for_locks(ggit.discover(str(wt)), wait=0.6, stale_after=60)
    assert [(f.rule, f.path) for f in found] == [("refstore-lock-held",
                                                  "refs/heads/agent/auth.lock")]
    msg = found[0].message
    assert "ref lock held for" in msg
    assert f"pid {proc.pid}" in msg and "update-ref" in msg


def test_killed_holder_leaves_a_stale_lock(tmp_path: Path, repo2: tuple[Path, Path],
                                           procs: list[subprocess.Popen[bytes]]) -> None:
    repo, wt = repo2
    proc, _ = slow_git(tmp_path, repo, 30, "update-ref", "refs/heads/agent/auth", "HEAD")
    procs.append(proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    files = ref_format() == "files"
    lock = repo / ".git" / ("refs/heads/agent/auth.lock" if files else STACK)
    assert lock.exists()  # SIGKILL gives git no chance to clean up
    r = ggit.discover(str(wt))
    # young and holderless: the guard waits, then says so (not yet "stale"); a young
    # reftable lock is git's to wait for (reftable.lockTimeout)
    found = refstore.wait_for_locks(r, wait=0.2, stale_after=60)
    if files:
        assert [f.rule for f in found] == ["refstore-lock-held"]
        assert "no git process seen" in found[0].message
    else:
        assert found == []
    _age(lock, 120)
    found = refstore.wait_for_locks(r, wait=0.2, stale_after=60)
    assert [f.rule for f in found] == ["refstore-stale-lock"]
    proc2 = git("update-ref", "refs/heads/agent/auth", "HEAD", cwd=repo, check=False)
    assert proc2.returncode != 0
    assert ("File exists" if files else "cannot lock references") in proc2.stderr, proc2.stderr
    subprocess.run(found[0].hint.split("   #")[0], shell=True, check=True)
    git("update-ref", "refs/heads/agent/auth", "HEAD", cwd=repo)


@FILES_ONLY  # a reftable gc compacts without a ref transaction: no hook to hold it open
def test_gc_running_is_waited_for(tmp_path: Path, repo2: tuple[Path, Path],
                                  procs: list[subprocess.Popen[bytes]]) -> None:
    repo, wt = repo2
    r = ggit.discover(str(wt))
    proc, _ = slow_git(tmp_path, repo, 2.0, "gc", "--quiet")
    procs.append(proc)
    gp = gitlocks.gc_pid(str(repo / ".git"))
    assert gp is not None and gp.pid == proc.pid
    found = refstore.wait_for_locks(r, wait=0.1, gc_wait=0.3, stale_after=60)
    assert found and {f.rule for f in found} <= {"refstore-gc-running", "refstore-lock-held"}
    assert any(f.rule == "refstore-gc-running" and f"pid {proc.pid}" in f.message
               for f in found)
    assert refstore.wait_for_locks(r, wait=0.1, gc_wait=60, stale_after=60) == []
    assert proc.wait(30) == 0


def test_dead_gc_pid_is_only_a_warning(repo2: tuple[Path, Path]) -> None:
    repo, wt = repo2
    dead = subprocess.Popen(["true"])
    dead.wait()
    import socket

    (repo / ".git" / "gc.pid").write_text(f"{dead.pid} {socket.gethostname()}")
    found = refstore.wait_for_locks(ggit.discover(str(wt)), wait=0.2, stale_after=60)
    assert [(f.rule, f.severity) for f in found] == [("refstore-stale-lock", "warning")]


@FILES_ONLY  # loose refs
def test_scan_of_a_big_refs_tree_is_cheap(repo2: tuple[Path, Path]) -> None:
    repo, _wt = repo2
    heads = repo / ".git" / "refs" / "heads" / "many"
    head = git("rev-parse", "HEAD", cwd=repo).stdout
    for i in range(3000):
        d = heads / f"d{i % 50}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"b{i}").write_text(head)
    t0 = time.perf_counter()
    locks = gitlocks.scan(str(repo / ".git"), [str(repo / ".git" / "worktrees" / "a")])
    assert locks == []
    assert time.perf_counter() - t0 < 1.0


# --- through a real `git commit` under pre-commit and prek -------------------------------------

def test_commit_refused_over_stale_lock_and_missing_object(
        tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, "  - id: ref-store-guard\n")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    start_session(wt, "agent/auth", "auth")
    # an ordinary agent commit passes (its own index.lock, held by `git commit -a`, is ignored)
    write(wt, "src/auth/ok.py", "ok = 1\n")
    git("add", "-A", cwd=wt)
    write(wt, "src/auth/ok.py", "ok = 2\n")
    proc = git("commit", "-a", "-m", "ok", cwd=wt, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # a stale packed-refs.lock: refused, with the exact command
    lock = repo / ".git" / "packed-refs.lock"
    lock.write_text("")
    _age(lock, 3600)
    write(wt, "src/auth/new.py", "new = 1\n")
    git("add", "-A", cwd=wt)
    before = git("rev-parse", "HEAD", cwd=wt).stdout
    proc = git("commit", "-m", "blocked", cwd=wt, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "refstore-stale-lock" in out and f"rm -f -- {lock}" in out
    lock.unlink()
    # the staged blob vanishes (what a concurrent `gc --prune=now` does between add and commit)
    stat_clean(wt, "src/auth/new.py")  # so a plain `git add` would skip it
    oid = git("rev-parse", ":src/auth/new.py", cwd=wt).stdout.strip()
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    proc = git("commit", "-m", "broken", cwd=wt, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "refstore-missing-object" in out and "git add --renormalize -- src/auth/new.py" in out
    assert git("rev-parse", "HEAD", cwd=wt).stdout == before
    git("add", "--renormalize", "--", "src/auth/new.py", cwd=wt)
    proc = git("commit", "-m", "fixed", cwd=wt, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git("fsck", "--no-dangling", cwd=repo, check=False).returncode == 0


@requires_git(2, 45, why="reftable refs")
def test_reftable_ref_update_holds_a_lock_git_waits_for_not_the_guard(tmp_path: Path) -> None:
    """A reftable repository whatever this leg's default: a ref update in flight holds
    reftable/tables.list.lock. Every writer of the repository takes that one lock for
    milliseconds and git waits for it itself (reftable.lockTimeout): the guard neither waits
    for it nor refuses over it (waiting made it give up while 16 worktrees took turns at the
    lock); once no git process can hold it and it is old, it is refused as stale."""
    repo = tmp_path / "rt"
    git("init", "-q", "-b", "main", "--ref-format=reftable", str(repo), cwd=tmp_path)
    write(repo, "f", "1\n")
    git("add", "f", cwd=repo)
    git("commit", "-q", "-m", "one", cwd=repo)
    wt = add_worktree(repo, tmp_path / "a", "agent/auth")
    assert (repo / ".git" / "reftable" / "tables.list").is_file()
    r = ggit.discover(str(wt))
    assert r.branch == "agent/auth"  # not the `.invalid` placeholder of the HEAD file
    proc, _ready = slow_git(tmp_path, repo, 30, "update-ref", "refs/heads/other", "HEAD")
    try:
        held = [lk for lk in gitlocks.scan(r.common_dir, [r.git_dir]) if lk.kind == "reftable"]
        assert [lk.rel for lk in held] == ["reftable/tables.list.lock"]
        t0 = time.monotonic()
        assert refstore.wait_for_locks(r, wait=3, gc_wait=3, stale_after=60) == []
        assert time.monotonic() - t0 < 2  # not waited for
        # held for an hour by a live git process: still git's to wait for, not stale
        lock = repo / ".git" / "reftable" / "tables.list.lock"
        _age(lock, 3600)
        assert refstore.wait_for_locks(r, wait=0.3, gc_wait=0.3, stale_after=60) == []
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # the killed writer left the lock: stale once old, with the exact command
    assert lock.exists()
    _age(lock, 3600)
    found = refstore.wait_for_locks(r, wait=0.2, gc_wait=0.2, stale_after=60)
    assert [f.rule for f in found] == ["refstore-stale-lock"]
    assert found[0].hint.startswith(f"rm -f -- {lock}")
    # young and without a holder: a writer that has just taken it; not waited for either
    _age(lock, 1)
    assert refstore.wait_for_locks(r, wait=0.3, gc_wait=0.3, stale_after=60) == []


@requires_git(2, 45, why="reftable refs")
def test_hook_repo_in_a_reftable_worktree(tmp_path: Path) -> None:
    """git.hook_repo() reads HEAD files to avoid a git process; a reftable HEAD file is the
    placeholder `ref: refs/heads/.invalid`: it must ask git and get the real branch."""
    repo = tmp_path / "rt"
    git("init", "-q", "-b", "main", "--ref-format=reftable", str(repo), cwd=tmp_path)
    git("commit", "-q", "--allow-empty", "-m", "one", cwd=repo)
    wt = add_worktree(repo, tmp_path / "a", "agent/auth")
    gd = Path(git("rev-parse", "--absolute-git-dir", cwd=wt).stdout.strip())
    assert (gd / "HEAD").read_text().strip() == "ref: refs/heads/.invalid"
    out = tmp_path / "out"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'from guardrails import git; "
                    f"r = git.hook_repo(); print(r.branch, r.git_dir)' > {out}\n")
    hook.chmod(0o755)
    git("commit", "-q", "--allow-empty", "-m", "two", cwd=wt)
    assert out.read_text().split() == ["agent/auth", str(gd)]
