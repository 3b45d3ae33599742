"""The shared ref store, the cheap part: what the ``ref-store-guard`` (pre-commit) and
``verify-commit`` (post-commit) hooks run. Kept apart from guardrails.checks so a hook does not
import the policy and context machinery it does not need (each hook pays Python's start-up).

Before an agent commit: wait out git operations that hold shared locks, refuse over stale locks
(with the command that clears them), wait for a running gc, and make sure every object the
commit will refer to still exists (a concurrent ``gc --prune=now`` can delete a blob between
``git add`` and ``git commit``). After it: the commit is on its branch and complete.
"""
from __future__ import annotations

import os
import time

from guardrails import git
from guardrails.errors import GuardrailsError
from guardrails.findings import WARNING, Finding, shell_path, show_path
from guardrails.refstore import locks as gitlocks
from guardrails.scope.changes import GITLINK, Change

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from typing import Optional

# How long the hook waits (seconds); each can be set in the environment.
LOCK_WAIT = ("GUARDRAILS_LOCK_WAIT", 10.0)  # for a lock held by a running git command
GC_WAIT = ("GUARDRAILS_GC_WAIT", 120.0)  # for a running gc / maintenance
STALE_AFTER = ("GUARDRAILS_STALE_AFTER", gitlocks.DEFAULT_STALE_AFTER)  # lock age without holder
MAINTENANCE_KINDS = ("gc", "maintenance", "commit-graph", "midx")


def setting(name_default: tuple[str, float]) -> float:
    name, default = name_default
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
        if not 0 <= value <= 86400:  # also NaN and infinity: a wait must end
            raise ValueError
    except ValueError:
        from guardrails.findings import printable

        raise GuardrailsError(f"{name}={printable(raw)!r} is not a number of seconds from 0 "
                              "to 86400", f"export {name}={default:g}") from None
    return value


def _inside_git() -> bool:
    """Whether this process runs inside a git command (as a hook): then that command holds this
    worktree's index.lock itself (`git commit -a`, `git commit PATH`)."""
    return bool(gitlocks.parent_argv())


def lock_findings(verdicts: list[gitlocks.Verdict]) -> list[Finding]:
    found: list[Finding] = []
    for v in verdicts:
        lk = v.lock
        age = gitlocks.describe_age(lk.age)
        if v.state == "stale":
            if lk.kind == "gc":
                found.append(Finding(
                    "refstore-stale-lock",
                    f"{lk.rel}: left by a gc that is no longer running (pid {lk.pid}, {age} old); "
                    "git ignores it, so it blocks nothing",
                    gitlocks.remove_command(lk), severity=WARNING, path=lk.rel))
                continue
            found.append(Finding(
                "refstore-stale-lock",
                f"{lk.rel}: stale {lk.kind} lock, {age} old, and no running git process can hold "
                "it (a killed or crashed git left it); every git command that needs it fails",
                f"{gitlocks.remove_command(lk)}   # removes only this lock file",
                path=lk.rel))
        elif lk.kind in ("gc", "maintenance"):
            found.append(Finding(
                "refstore-gc-running",
                f"{lk.rel}: a git {'gc' if lk.kind == 'gc' else 'maintenance'} is still running "
                f"({v.holder_text()}, for {age}); committing now races its prune",
                "wait for it to finish and commit again; run maintenance with "
                "`git guardrails gc` (it waits for sessions) instead of plain `git gc`",
                path=lk.rel))
        else:
            holder = v.holder_text()
            kill = f"; if it hangs: kill {lk.pid}" if lk.pid else ""
            found.append(Finding(
                "refstore-lock-held",
                f"{lk.rel}: {lk.kind} lock held for {age} by {holder}",
                f"wait for that git command to finish, then commit again{kill}",
                path=lk.rel))
    return found


def wait_for_locks(repo: git.Repo, wait: Optional[float] = None,
                   gc_wait: Optional[float] = None,
                   stale_after: Optional[float] = None) -> list[Finding]:
    """Wait (with backoff, bounded) until no lock this commit could meet is held; return
    findings for stale locks and for locks still held when the wait ran out."""
    wait = setting(LOCK_WAIT) if wait is None else wait
    gc_wait = setting(GC_WAIT) if gc_wait is None else gc_wait
    stale: float = setting(STALE_AFTER) if stale_after is None else stale_after
    mine = gitlocks.ancestors()
    own_index_ours = _inside_git()
    own_ref = os.path.join("refs", "heads", *repo.branch.split("/")) + ".lock" \
        if repo.branch else None

    def relevant(lk: gitlocks.Lock) -> bool:
        """Locks this commit can meet: everything but other branches' ref locks and reftable's
        locks, which only matter once they are old enough to be stale."""
        if own_index_ours and lk.kind == "index" and lk.worktree == repo.git_dir:
            return False  # held by the `git commit` running this hook
        if _only_if_stale(lk):
            return lk.age >= stale
        return True

    def _only_if_stale(lk: gitlocks.Lock) -> bool:
        # Another branch's ref lock cannot block this commit. A reftable lock
        # (tables.list.lock, a compaction's table locks) is held for milliseconds by whichever
        # writer of the repository is writing: git itself waits for it (reftable.lockTimeout,
        # which sessions raise), and waiting for it here too only made this hook give up while
        # sixteen worktrees took turns at it (bench.parallel_agents, git 2.55 reftable).
        # packed-refs.lock likewise: a commit never needs it to move its branch (a packed ref
        # is updated as a loose one); git >= 2.42 takes it for a moment to delete AUTO_MERGE,
        # so every commit of every worktree holds it in turn, and git waits for it itself
        # (core.packedRefsTimeout; a timeout there only leaves AUTO_MERGE, the commit is made).
        return lk.kind in ("reftable", "packed-refs") or (
            lk.kind == "ref" and lk.worktree is None and lk.rel != own_ref)

    start = time.monotonic()
    delay = 0.02
    while True:
        locks = [lk for lk in gitlocks.scan(repo.common_dir, [repo.git_dir]) if relevant(lk)]
        if not locks:
            return []
        verdicts = gitlocks.judge(locks, repo.common_dir,
                                  gitlocks.git_processes(exclude=mine), stale)
        # another branch's old ref lock, or an old reftable lock, with a possible holder: not
        # ours to wait for
        verdicts = [v for v in verdicts if not (_only_if_stale(v.lock) and v.state != "stale")]
        blocking = [v for v in verdicts if not (v.state == "stale" and v.lock.kind == "gc")]
        if not blocking:
            return lock_findings(verdicts)
        if any(v.state == "stale" for v in blocking):
            return lock_findings(verdicts)
        elapsed = time.monotonic() - start
        limit = gc_wait if any(v.lock.kind in MAINTENANCE_KINDS for v in blocking) else wait
        if elapsed >= limit:
            return lock_findings(verdicts)
        time.sleep(min(delay, max(0.0, limit - elapsed)))
        delay = min(delay * 2, 0.5)


def missing_staged(repo: git.Repo, staged: list[Change]) -> list[Finding]:
    """Staged content whose object no longer exists.

    Objects of the HEAD commit are reachable and survive any gc; only what was added to the
    index since (the staged changes) can be pruned before it is committed. ``git add`` writes
    loose objects, so most are found with one ``stat`` each; the rest (packed, or gone) are
    asked of git in one ``git cat-file --batch-check``."""
    wanted: dict[str, list[str]] = {}
    objects = os.path.join(repo.common_dir, "objects")
    for ch in staged:
        if ch.new_mode in (GITLINK, "000000") or set(ch.new_oid) == {"0"}:
            continue
        if os.path.exists(os.path.join(objects, ch.new_oid[:2], ch.new_oid[2:])):
            continue
        wanted.setdefault(ch.new_oid, []).append(ch.path)
    if not wanted:
        return []
    oids = list(wanted)
    data = git.run("cat-file", "--batch-check=%(objectname) %(objecttype)",
                   cwd=repo.toplevel, input="".join(o + "\n" for o in oids).encode()).stdout
    found: list[Finding] = []
    for line in data.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == "missing":
            for p in wanted.get(parts[0], []):
                found.append(Finding(
                    "refstore-missing-object",
                    f"{show_path(p)}: its staged content ({parts[0][:12]}) is missing from the "
                    "object store "
                    "(a concurrent `git gc --prune=now` or `git prune` removed it after "
                    "`git add`); committing now would create a broken commit",
                    f"git add --renormalize -- {shell_path(p)}   # from the work tree, where "
                    "the file still is (a plain `git add` skips a file whose stat the index "
                    "already has); then commit again",
                    path=p))
    return found


def hook(_args: list[str], fmt: str) -> int:
    """The ``ref-store-guard`` hook on its own (guardrails.hookrun runs it): the agent's own
    commit needs no policy, so it only loads one (for ``enforce = "always"``) when no session
    or agent marker says agent."""
    import sys

    from guardrails import report
    from guardrails.agents import markers as agents
    from guardrails.findings import exit_code
    from guardrails.scope import changes
    from guardrails.sessions import session

    repo = git.hook_repo()
    if session.current(repo) is None and agents.from_env() is None:
        from guardrails.scope import policy

        try:
            pol = policy.load_trusted(repo)
        except policy.PolicyError:
            return 0  # a human is never locked out by a broken policy (the hook warns)
        if pol is None or pol.enforce != "always":
            return 0
    found = wait_for_locks(repo) + missing_staged(repo, changes.staged(repo))
    report.write(report.render(found, fmt, {}), sys.stdout)
    return exit_code(found)


# --- post-commit -------------------------------------------------------------------------------

def _last_head_update(repo: git.Repo) -> Optional[str]:
    """The commit the last HEAD update wrote, from this worktree's HEAD reflog (a rollback of
    the branch ref by a concurrent pack-refs does not touch it)."""
    try:
        with open(os.path.join(repo.git_dir, "logs", "HEAD"), "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 8192))
            last = f.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    except OSError:
        return None
    parts = last.split(b" ", 2)
    return parts[1].decode() if len(parts) >= 2 else None


def verify_commit(repo: git.Repo) -> list[Finding]:
    """After a commit: it is on its branch, and every object it introduced exists."""
    from guardrails.agents import markers as agents
    from guardrails.refstore import journal
    from guardrails.sessions import session

    sess = session.current(repo)
    if sess is None and agents.from_env() is None:
        return []
    commit = _last_head_update(repo) or git.run(
        "rev-parse", "-q", "--verify", "HEAD", cwd=repo.toplevel,
        ok=(0, 1, 128)).stdout.decode().strip()
    if not commit or set(commit) == {"0"}:
        return []
    found: list[Finding] = []
    proc = git.run("rev-list", "--objects", "--missing=print", commit, "--not",
                   f"{commit}^@", cwd=repo.toplevel, ok=(0, 128))
    missing: list[str] = []
    paths: list[str] = []
    if proc.returncode != 0:
        missing.append(commit)
    for line in proc.stdout.decode(errors="surrogateescape").splitlines():
        if line.startswith("?"):
            missing.append(line[1:].split(" ", 1)[0])
    if missing:
        tree = git.run("ls-tree", "-r", "-z", "--full-tree", commit, cwd=repo.toplevel,
                       ok=(0, 128)).stdout
        gone = set(missing)
        for item in git.zsplit(tree):
            meta, _, p = item.partition(b"\t")
            if meta.split(b" ")[-1].decode() in gone:
                paths.append(os.fsdecode(p))
        shown = " ".join(shell_path(p) for p in paths[:20]) or "-A"
        named = ", ".join(show_path(p) for p in paths[:5]) or ", ".join(m[:12] for m in missing[:5])
        found.append(Finding(
            "refstore-commit-broken",
            f"commit {commit[:12]} is broken: {len(missing)} of its objects are missing "
            f"({named}); a concurrent "
            "prune removed them while it was being made",
            f"the files are still in the work tree: git reset --soft HEAD~1 && "
            f"git add --renormalize -- {shown} && git commit -C {commit[:12]}",
            commit=commit))
    if repo.branch:
        ref = f"refs/heads/{repo.branch}"
        try:  # the loose ref, as git just wrote it; else ask git (packed, reftable)
            with open(os.path.join(repo.common_dir, *ref.split("/"))) as f:
                tip = f.read(128).strip()
        except OSError:
            tip = ""
        if tip != commit:
            tip = git.run("rev-parse", "-q", "--verify", ref, cwd=repo.toplevel,
                          ok=(0, 1, 128)).stdout.decode().strip()
        on_branch = tip == commit or (bool(tip) and git.is_ancestor(repo, commit, tip))
        if not on_branch:
            found.append(Finding(
                "refstore-commit-lost",
                f"commit {commit[:12]} was reported as made but {repo.branch} is at "
                f"{tip[:12] or '(nothing)'} and does not contain it (a concurrent "
                "pack-refs/gc rolled the branch back)",
                f"git cherry-pick {commit[:12]}   # or: git merge {commit[:12]}; the commit "
                "object still exists", commit=commit))
    if found:
        journal.append(repo.common_dir, [{
            "kind": f.rule.replace("refstore-", ""), "worktree": repo.toplevel,
            "task": sess.task if sess else None, "ref": f"refs/heads/{repo.branch}"
            if repo.branch else "HEAD", "old": None, "new": f.commit, "note": f.message,
        } for f in found])
    return found
