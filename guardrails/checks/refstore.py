"""The shared ref store as a check: ``check`` (pre-commit, in the combined ``guardrails`` hook)
waits out shared locks and refuses stale ones and pruned staged objects (see
guardrails.refstore.guard, which the standalone hooks use directly); ``diagnose`` is the
repository health report used by ``git-guardrails doctor``.
"""
from __future__ import annotations

from guardrails import git
from guardrails.findings import WARNING, Finding, shell_path
from guardrails.refstore import locks as gitlocks
from guardrails.refstore.guard import (
    GC_WAIT,
    LOCK_WAIT,
    STALE_AFTER,
    lock_findings,
    missing_staged,
    setting,
    verify_commit,
    wait_for_locks,
)

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from guardrails.context import Context
    from guardrails.scope.changes import Commit

__all__ = ["GC_WAIT", "LOCK_WAIT", "STALE_AFTER", "check", "check_commits", "diagnose",
           "lock_findings", "missing_objects", "missing_staged", "setting",
           "verify_commit", "wait_for_locks"]


def missing_objects(ctx: Context) -> list[Finding]:
    return missing_staged(ctx.repo, ctx.staged)


def check(ctx: Context) -> list[Finding]:
    if not ctx.enforced:
        return []
    found = wait_for_locks(ctx.repo)
    found += missing_objects(ctx)
    return found


def check_commits(ctx: Context, commits: list[Commit]) -> list[Finding]:
    """Nothing to say about a range of existing commits: this check is about the next one."""
    return []


# --- doctor ------------------------------------------------------------------------------------

def diagnose(repo: git.Repo) -> list[Finding]:
    """Ref-store health of the whole repository, for ``git-guardrails doctor``: stale and
    live locks, gc settings, worktrees, the native hooks, the journal."""
    from guardrails.refstore import journal
    from guardrails.sessions import session

    verdicts, found = _locks(repo)
    sessions = session.all_sessions(repo)
    found += _gc_running(verdicts, len(sessions))
    found += _gc_settings(git.config(repo.toplevel, r"^(gc|maintenance)\."), len(sessions))
    found += _worktrees(repo)
    if sessions:
        found += _native_hooks(repo)
    found += journal.rollback_findings(repo)
    found += journal.damaged_branches(repo)
    return found


def _locks(repo: git.Repo) -> tuple[list[gitlocks.Verdict], list[Finding]]:
    """Every lock file of the shared ref store judged (live, stale …), and the stale ones'
    findings."""
    locks = gitlocks.scan(repo.common_dir, git.worktree_git_dirs(repo))
    if not locks:
        return [], []
    verdicts = gitlocks.judge(locks, repo.common_dir,
                              gitlocks.git_processes(exclude=gitlocks.ancestors()),
                              setting(STALE_AFTER))
    return verdicts, lock_findings([v for v in verdicts if v.state == "stale"])


def _gc_running(verdicts: list[gitlocks.Verdict], sessions: int) -> list[Finding]:
    """A live ``git gc`` (its gc.pid), an error while sessions are active."""
    found: list[Finding] = []
    for v in (v for v in verdicts if v.state == "live"
              and v.lock.kind == "gc" and v.lock.rel == "gc.pid"):
        pid = v.lock.pid
        found.append(Finding(
            "refstore-gc-running",
            f"git gc is running (pid {pid}{f' on {v.lock.host}' if v.lock.host else ''}, for "
            f"{gitlocks.describe_age(v.lock.age)})"
            + (f" while {sessions} session(s) are active: it repacks and prunes under "
               "the agents' writes" if sessions else ""),
            f"wait for it to finish (ps -p {pid} -o args=), or, if nobody started it on "
            f"purpose: kill {pid}   (git gc is safe to interrupt; run `git guardrails gc` "
            "later)", severity="error" if sessions else WARNING))
    return found


def _gc_settings(cfg: dict[str, str], sessions: int) -> list[Finding]:
    """gc and maintenance settings that endanger parallel agents: pruning ``now``, and
    automatic maintenance while sessions are active."""
    from guardrails.refstore import maintenance

    found: list[Finding] = []
    prune = cfg.get("gc.pruneexpire", "")
    if prune.strip().lower() == "now":
        found.append(Finding(
            "refstore-prune-now",
            "gc.pruneExpire=now: every gc deletes objects that agents in other worktrees have "
            "just written (lost commits, corrupt branches)",
            "git config --unset gc.pruneExpire   # back to the default 2.weeks.ago"))
    wprune = cfg.get("gc.worktreepruneexpire", "")
    if wprune.strip().lower() == "now":
        found.append(Finding(
            "refstore-worktree-prune-now",
            "gc.worktreePruneExpire=now: every gc drops a worktree whose directory is briefly "
            "missing, with its HEAD, index and reflog",
            "git config --unset gc.worktreePruneExpire   # back to the default 3.months.ago",
            severity=WARNING))
    if sessions:
        on = maintenance.automatic(cfg)
        if on:
            found.append(Finding(
                "refstore-auto-maintenance",
                f"{sessions} session(s) active but automatic maintenance is on "
                f"({', '.join(on)}): git runs gc/repack/pack-refs after commits, racing the "
                "agents' writes",
                maintenance.suspend_command(cfg) + "   # what `git guardrails start` sets; "
                "the last `finish` restores the previous values"))
    return found


def _worktrees(repo: git.Repo) -> list[Finding]:
    """Worktrees gc would drop (prunable), locked ones, and a branch checked out twice."""
    from guardrails.git import worktrees

    found: list[Finding] = []
    branches: dict[str, list[str]] = {}
    for wt in worktrees.parse_porcelain(worktrees.list_porcelain(repo)):
        path = wt.get("worktree", "?")
        if "prunable" in wt:
            found.append(Finding(
                "refstore-worktree-prunable",
                f"worktree {path} is prunable ({wt['prunable'] or 'its directory is gone'}); the "
                "next gc drops its HEAD, index and reflog",
                f"git worktree prune   # or restore {path} and run: git worktree repair",
                severity=WARNING, path=path))
        if "locked" in wt:
            found.append(Finding(
                "refstore-worktree-locked",
                f"worktree {path} is locked ({wt['locked'] or 'no reason given'}): gc and "
                "`worktree prune/remove` leave it alone",
                f"git worktree unlock {shell_path(path)}   # when no agent uses it any more",
                severity=WARNING, path=path))
        if "branch" in wt:
            branches.setdefault(wt["branch"], []).append(path)
    for ref, paths in branches.items():
        if len(paths) > 1:
            found.append(Finding(
                "refstore-shared-branch",
                f"{ref[len('refs/heads/'):]} is checked out in {len(paths)} worktrees "
                f"({', '.join(paths)}): each commit moves the branch under the others",
                f"git -C {shell_path(paths[-1])} switch -c "
                f"{ref[len('refs/heads/'):]}-2   # give each worktree its own branch"))
    return found


def _native_hooks(repo: git.Repo) -> list[Finding]:
    """While sessions are active: the native hooks missing or from an older version."""
    from guardrails.refstore import native

    if not native.installed(repo):
        return [Finding(
            "refstore-native-hooks",
            "sessions are active but the native reference-transaction / pre-auto-gc hooks "
            "are not installed: branch moves are neither checked nor journaled, and a "
            "commit whose tree no pre-commit check saw (--no-verify, SKIP, "
            "PRE_COMMIT_ALLOW_NO_CONFIG, commit-tree + update-ref) lands on the branch",
            "git guardrails install")]
    if native.outdated(repo):
        return [Finding(
            "refstore-native-hooks",
            f"the native hooks are from an older git-guardrails "
            f"({', '.join(native.outdated(repo))}): they miss newer checks (rollbacks from "
            "anywhere, the checked-commits record)",
            "git guardrails install   # rewrites the shims, keeps chained hooks",
            severity=WARNING)]
    return []


