"""The commit's own native hooks (commit.sh, `git guardrails install --pre-commit`):
ref-store-guard at pre-commit and verify-commit at post-commit in shell for the common case of an
agent's commit in a session, Python only when something needs judging. Real git, real shims,
real worktrees; the Python the shims start is a wrapper that logs each start."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guardrails.refstore import locks as gitlocks
from tests.conftest import ref_format, requires_git, requires_ref_format
from tests.helpers import add_worktree, gg, git, make_repo, write
from tests.refstore_helpers import commit_file, start_session

SHIMS = ("pre-commit", "post-commit", "reference-transaction", "post-checkout", "pre-auto-gc")
COMMIT_SH = Path(__file__).resolve().parent.parent / "guardrails" / "refstore" / "native" / \
    "commit.sh"


def _setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """main + worktree a (agent/auth) in a session, `install --pre-commit`; the shims' Python
    logs its starts."""
    repo = make_repo(tmp_path / "repo")
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    add_worktree(repo, tmp_path / "b", "agent/docs")
    proc = gg("install", "--pre-commit", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pre-commit: installed at" in proc.stdout
    start_session(a, "agent/auth", "auth")
    start_session(tmp_path / "b", "agent/docs", "docs")
    log = tmp_path / "python-starts.log"
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho start >> "{log}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    for name in SHIMS:
        p = repo / ".git" / "hooks" / name
        text = p.read_text()
        assert f"GUARDRAILS_PYTHON='{sys.executable}'" in text, name
        p.write_text(text.replace(f"GUARDRAILS_PYTHON='{sys.executable}'",
                                  f"GUARDRAILS_PYTHON='{wrapper}'"))
    return repo, a, log


def _starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def _age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_a_session_commit_starts_no_python_and_is_journaled(tmp_path: Path) -> None:
    repo, a, log = _setup(tmp_path)
    for i in range(3):
        proc = commit_file(a, f"src/auth/f{i}.py", f"x = {i}\n")
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _starts(log) == 0, "the common case started Python"
    assert git("log", "-3", "--format=%s", cwd=a).stdout.split("\n")[0] == "change src/auth/f2.py"
    journal = (repo / ".git" / "guardrails" / "journal.jsonl").read_text()
    assert journal.count('"ref": "refs/heads/agent/auth"') == 3


def test_the_hooks_shell_lock_list_is_the_guards(tmp_path: Path) -> None:
    """commit.sh names the fixed lock files itself (no Python): the same as locks.py's."""
    text = COMMIT_SH.read_text()
    block = text[text.index("for f in config.lock"):text.index("done", text.index(
        "for f in config.lock"))]
    names = set(re.findall(r"[\w./-]+\.lock|gc\.pid\b", block.replace("\\\n", " ")))
    # packed-refs.lock is judged only once stale (the `find` below), as by the guard
    assert names == {rel for rel, _ in gitlocks.COMMON_LOCKS} - {"packed-refs.lock"} | {"gc.pid"}
    assert '"$common/packed-refs.lock" "$common/reftable"' in text
    wt = text[text.index("for f in HEAD.lock"):].split(";", 1)[0]
    assert set(wt.split()[3:]) == {rel for rel, _ in gitlocks.WORKTREE_LOCKS} - {"index.lock"}


@pytest.mark.parametrize("rel", ["packed-refs.lock", "config.lock", "objects/maintenance.lock",
                                 "HEAD.lock", "reftable/tables.list.lock"])
def test_a_stale_lock_sends_the_commit_to_python_which_refuses(tmp_path: Path, rel: str) -> None:
    if rel.startswith("reftable/") and ref_format() != "reftable":
        pytest.skip("a reftable stack lock needs a reftable repository (this leg: files)")
    repo, a, log = _setup(tmp_path)
    base = repo / ".git" / ("worktrees/a" if rel == "HEAD.lock" else "")
    lock = base / rel
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    _age(lock, 3600)
    before = git("rev-parse", "HEAD", cwd=a).stdout
    proc = commit_file(a, "src/auth/x.py", "x = 1\n")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "refstore-stale-lock" in out and f"rm -f -- {lock}" in out, out
    assert _starts(log) == 1
    assert git("rev-parse", "HEAD", cwd=a).stdout == before
    lock.unlink()
    proc = git("commit", "-q", "-m", "again", cwd=a, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _starts(log) == 1


@requires_ref_format("files")  # loose ref locks
def test_another_branchs_young_ref_lock_is_not_judged_a_stale_one_is(tmp_path: Path) -> None:
    repo, a, log = _setup(tmp_path)
    lock = repo / ".git" / "refs" / "heads" / "agent" / "docs.lock"
    lock.write_text("")
    assert commit_file(a, "src/auth/y.py", "y = 1\n").returncode == 0
    assert _starts(log) == 0  # another branch's young lock cannot block this commit
    _age(lock, 3600)
    proc = commit_file(a, "src/auth/z.py", "z = 1\n")
    assert _starts(log) == 1  # stale: Python reports it
    assert "refs/heads/agent/docs.lock" in proc.stdout + proc.stderr


@requires_ref_format("files")  # loose refs and their locks
@pytest.mark.parametrize("where", ["deep/down/.hidden.lock", "many"])
def test_a_stale_ref_lock_is_found_wherever_it_is(tmp_path: Path, where: str) -> None:
    """commit.sh runs find (for the lock's age) only when its own globs meet a *.lock under
    refs/: one in a dot name deep down is met, and past 256 entries find walks them all."""
    repo, a, log = _setup(tmp_path)
    heads = repo / ".git" / "refs" / "heads"
    if where == "many":
        # git 2.55's automatic maintenance would pack 300 loose refs (sessions suspend it)
        git("config", "maintenance.auto", "false", cwd=repo)
        tip = git("rev-parse", "HEAD", cwd=repo).stdout
        for i in range(300):
            (heads / f"h{i:03d}").write_text(tip)
        lock = heads / "zz" / "late.lock"  # walked after the 300 loose refs
    else:
        lock = heads / where
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    assert commit_file(a, "src/auth/y.py", "y = 1\n").returncode == 0
    assert _starts(log) == 0  # young: not judged
    _age(lock, 3600)
    proc = commit_file(a, "src/auth/z.py", "z = 1\n")
    assert _starts(log) == 1  # stale: Python reports it
    assert str(lock.relative_to(repo / ".git")) in proc.stdout + proc.stderr


def test_a_running_gc_is_waited_for_by_python(tmp_path: Path) -> None:
    repo, a, log = _setup(tmp_path)
    gc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        (repo / ".git" / "gc.pid").write_text(f"{gc.pid} {socket.gethostname()}")
        write(a, "src/auth/g.py", "g = 1\n")
        git("add", "src/auth/g.py", cwd=a)
        t0 = time.monotonic()
        commit = subprocess.Popen(["git", "commit", "-q", "-m", "beside gc"], cwd=a,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert commit.poll() is None, "the commit did not wait for the running gc"
        os.killpg(gc.pid, signal.SIGKILL)
        gc.wait()
        out, err = commit.communicate(timeout=60)
    finally:
        if gc.poll() is None:
            os.killpg(gc.pid, signal.SIGKILL)
            gc.wait()
    assert time.monotonic() - t0 >= 1.5
    # the gc is gone: its gc.pid is left behind, a warning (git ignores it); the commit is made
    assert commit.returncode == 0, out + err
    assert "left by a gc that is no longer running" in out + err
    assert _starts(log) == 1


def test_a_staged_object_a_prune_removed_is_refused(tmp_path: Path) -> None:
    repo, a, log = _setup(tmp_path)
    write(a, "src/auth/new.py", "new = 1\n")
    git("add", "src/auth/new.py", cwd=a)
    oid = git("rev-parse", ":src/auth/new.py", cwd=a).stdout.strip()
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    proc = git("commit", "-q", "-m", "broken", cwd=a, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "refstore-missing-object" in out and "git add --renormalize -- src/auth/new.py" in out
    assert _starts(log) == 1


@pytest.mark.parametrize("missing", [False, True])
def test_a_path_shaped_like_a_diff_record_only_adds_a_check(tmp_path: Path,
                                                            missing: bool) -> None:
    """commit.sh reads `git diff-index -z` with the NULs dropped, split at ":": a path holding
    ":" and a record's fixed fields (an object that does not exist) only sends the commit to
    Python, which passes it; a staged blob a prune removed, staged after such a path, is still
    seen."""
    repo, a, log = _setup(tmp_path)
    fake = f"x:100644 100644 {'1' * 40} {'2' * 40} M"
    write(a, f"src/auth/{fake}.py", "odd = 1\n")
    git("add", "--", f"src/auth/{fake}.py", cwd=a)
    if missing:
        write(a, "src/auth/zz.py", "zz = 1\n")
        git("add", "src/auth/zz.py", cwd=a)
        oid = git("rev-parse", ":src/auth/zz.py", cwd=a).stdout.strip()
        (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    proc = git("commit", "-q", "-m", "odd path", cwd=a, check=False)
    out = proc.stdout + proc.stderr
    if missing:
        assert proc.returncode != 0 and "refstore-missing-object" in out, out
    else:
        assert proc.returncode == 0, out
    assert _starts(log) == 1  # pre-commit's Python, nothing else


def test_without_a_head_reflog_post_commit_asks_python(tmp_path: Path) -> None:
    """The commit just made is HEAD@{0}; with no reflog git would answer HEAD's own value, which
    a rolled-back branch also has: Python looks instead."""
    _repo, a, log = _setup(tmp_path)
    git("config", "core.logAllRefUpdates", "false", cwd=a)
    gd = Path(git("rev-parse", "--absolute-git-dir", cwd=a).stdout.strip())
    (gd / "logs" / "HEAD").unlink(missing_ok=True)  # reftable: none (HEAD is the value)
    proc = commit_file(a, "src/auth/r.py", "r = 1\n")
    assert proc.returncode == 0, proc.stderr
    assert "refstore-" not in proc.stdout + proc.stderr
    assert _starts(log) == (1 if ref_format() == "files" else 0)


def test_a_commit_whose_objects_went_missing_is_reported_after_the_fact(tmp_path: Path) -> None:
    """A prune between the commit and post-commit (a hook that was there before removes a
    blob of the new commit): the shell check sees it, Python names it and journals it."""
    repo, a, log = _setup(tmp_path)
    legacy = repo / ".git" / "hooks" / "post-commit.legacy"
    legacy.write_text('#!/bin/sh\noid=$(git rev-parse HEAD:src/auth/p.py)\n'
                      f'rm -f "{repo}/.git/objects/$(echo $oid | cut -c1-2)/'
                      '$(echo $oid | cut -c3-)"\n')
    legacy.chmod(0o755)
    proc = commit_file(a, "src/auth/p.py", "p = 1\n")
    assert proc.returncode == 0  # post-commit never fails the commit
    assert "refstore-commit-broken" in proc.stdout + proc.stderr
    assert _starts(log) == 1
    assert '"kind": "commit-broken"' in (repo / ".git" / "guardrails" / "journal.jsonl") \
        .read_text()


@requires_ref_format("files")  # reftable has no rollback race; HEAD is the branch's value
def test_a_commit_not_on_its_branch_is_reported_after_the_fact(tmp_path: Path) -> None:
    repo, a, log = _setup(tmp_path)
    legacy = repo / ".git" / "hooks" / "post-commit.legacy"
    # a rollback of the loose ref without a ref update, as a concurrent pack-refs does
    legacy.write_text(f'#!/bin/sh\ngit rev-parse HEAD~1 > "{repo}/.git/refs/heads/agent/auth"\n')
    legacy.chmod(0o755)
    proc = commit_file(a, "src/auth/q.py", "q = 1\n")
    assert "refstore-commit-lost" in proc.stdout + proc.stderr
    assert _starts(log) == 1


def test_a_session_deleting_another_branch_without_an_old_value_is_refused(
        tmp_path: Path) -> None:
    """`git update-ref -d REF` reaches the hook as `0 0 REF`: not a no-op to skip."""
    repo, a, _log = _setup(tmp_path)
    for ref in ("refs/heads/agent/docs", "refs/heads/main"):
        proc = git("update-ref", "-d", ref, cwd=a, check=False)
        assert proc.returncode != 0, ref
        assert "ref update refused" in proc.stderr, proc.stderr
        assert git("rev-parse", "-q", "--verify", ref, cwd=repo, check=False).returncode == 0


def test_outside_a_session_post_commit_costs_no_python(tmp_path: Path) -> None:
    repo, _a, log = _setup(tmp_path)
    hook = repo / ".git" / "hooks" / "post-commit"
    log2 = tmp_path / "post-commit-starts.log"
    wrapper = tmp_path / "python-wrapper-2"
    wrapper.write_text(f'#!/bin/sh\necho start >> "{log2}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    hook.write_text(re.sub(r"(?m)^GUARDRAILS_PYTHON=.*$", f"GUARDRAILS_PYTHON='{wrapper}'",
                           hook.read_text()))
    proc = commit_file(repo, "README.md", "human\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # (pre-commit: a human outside any session is Python's to judge: agent markers,
    # enforce = "always")
    assert _starts(log) >= 1
    assert _starts(log2) == 0


def test_uninstall_removes_the_pre_commit_hook_and_install_refreshes_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    assert gg("install", "--pre-commit", cwd=repo).returncode == 0
    hook = repo / ".git" / "hooks" / "pre-commit"
    assert "git-guardrails native hook: pre-commit" in hook.read_text()
    proc = gg("install", cwd=repo)  # without the flag: kept, and refreshed
    assert "pre-commit: already installed" in proc.stdout
    assert gg("uninstall", cwd=repo).returncode == 0
    assert not hook.exists()


@requires_git(2, 45, why="reftable refs")
def test_eight_sessions_commit_beside_a_held_reftable_lock(tmp_path: Path) -> None:
    """The failure of issue 14: sixteen worktrees under reftable contend for the one
    tables.list.lock. A writer holds it for 1.5 s while eight session worktrees commit:
    nobody fails (git waits, reftable.lockTimeout from the sessions; the guard neither waits
    nor refuses over a live stack lock). With git's own 100 ms the same commits fail with
    `cannot lock references` -- and git runs no `aborted` state then, so no hook could name
    that failure: it has to be prevented."""
    from bench import parallel_agents as bench

    bench.REF_FORMAT[0] = "reftable"
    try:
        work = tmp_path / "w"
        work.mkdir()
        env = bench._env(work)
        repo, wts = bench.setup(work, 8, True, env)
    finally:
        bench.REF_FORMAT[0] = "files"
    states = tmp_path / "states"
    legacy = repo / ".git" / "hooks" / "reference-transaction.legacy"
    legacy.write_text(f'#!/bin/sh\necho "$1" >> "{states}"\ncat > /dev/null\n')
    legacy.chmod(0o755)

    def round_(tag: str, hold: float, *cfg: str) -> list[subprocess.CompletedProcess[str]]:
        for i, wt in enumerate(wts, 1):
            write(wt, f"f{i}.txt", f"{tag}\n")
            subprocess.run(["git", "add", f"f{i}.txt"], cwd=wt, env=env, check=True)
        lock = repo / ".git" / "reftable" / "tables.list.lock"
        lock.write_text("")
        procs = [subprocess.Popen(["git", *cfg, "commit", "-q", "-m", tag], cwd=wt, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for wt in wts]
        time.sleep(hold)
        lock.unlink()
        outs = [p.communicate(timeout=120) for p in procs]
        return [subprocess.CompletedProcess(p.args, p.returncode, o, e)
                for p, (o, e) in zip(procs, outs)]

    done = round_("held", 1.5)
    assert [p.returncode for p in done] == [0] * 8, [p.stderr for p in done]
    states.unlink(missing_ok=True)
    failed = round_("short", 3, "-c", "reftable.lockTimeout=100")
    bad = [p for p in failed if p.returncode != 0]
    assert bad and all("cannot lock references" in p.stderr for p in bad)
    assert "aborted" not in states.read_text().split()
