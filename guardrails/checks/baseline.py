"""Clean baseline: an agent commit comes from a session that started clean, on the session's own
(unprotected) branch, on top of the session's baseline, and commits nothing that was already
dirty before the session started.

Judged from the session record (a file read) and the index (ctx.staged, shared with the scope
check), never from ``git status``: pre-commit stashes unstaged changes while hooks run. At most
one git call of its own (``merge-base --is-ancestor``).
"""
from __future__ import annotations

import os

from guardrails import git
from guardrails.findings import Finding, shell_path, show_path

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from typing import Optional

    from guardrails.context import Context
    from guardrails.scope.changes import Commit
    from guardrails.sessions.session import Session


def _quote(word: str) -> str:
    """shlex.quote, imported only for a finding's hint (shlex costs every commit ~0.3 ms)."""
    import shlex

    return shlex.quote(word)


def descends(baseline: str) -> tuple[str, ...]:
    """The one git command of this check: does HEAD still descend from the baseline?"""
    return ("merge-base", "--is-ancestor", baseline, "HEAD")


def prefetch(repo: git.Repo) -> None:
    """Start that command ahead (see git.prefetch) when there is a session baseline."""
    from guardrails.sessions import session

    sess = session.current(repo)
    if sess is not None and sess.baseline:
        git.prefetch(*descends(sess.baseline), cwd=repo.toplevel)


def rebase_branch(git_dir: str) -> Optional[str]:
    """The branch being rebased when HEAD is detached by a rebase in progress, else None."""
    for d in ("rebase-merge", "rebase-apply"):
        try:
            with open(os.path.join(git_dir, d, "head-name"), "rb") as f:
                ref = os.fsdecode(f.read().strip())
        except OSError:
            continue
        if ref.startswith("refs/heads/"):
            return ref[len("refs/heads/"):]
    return None


def _start_hint(ctx: Context) -> str:
    pol, branch = ctx.policy, ctx.branch
    task = pol.task_for_branch(branch) if pol and branch else None
    if branch is None or (pol is not None and (pol.is_protected(branch) or branch == pol.base)):
        name = next(iter(pol.tasks), "NAME") if pol else "NAME"
        return (f"git guardrails worktree add ../{name} agent/{name} --task {name}   "
                "(then work and commit in ../" + name + ")")
    if task is not None:
        return "git guardrails start   # the task `" + task.name + "` covers this branch"
    return "git guardrails start --task NAME   (or an ad-hoc session: --allow 'src/**')"


def check(ctx: Context) -> list[Finding]:
    sess, pol = ctx.session, ctx.policy
    src = ctx.scope_source or (pol.source if pol else None)
    if sess is None:
        return _outside_session(ctx, src)
    found: list[Finding] = []
    branch = ctx.branch
    rebasing = False
    if branch is None:
        branch = rebase_branch(ctx.repo.git_dir)
        rebasing = branch is not None
    if branch is None:
        found.append(Finding(
            "baseline-detached-head",
            f"HEAD is detached; the session ({sess.scope_label}) works on `{sess.branch}`",
            f"git switch {_quote(sess.branch or 'BRANCH')}   (keep these changes: git stash "
            "first, then git stash pop)", policy=src))
    if not sess.clean and not sess.allow_dirty:
        listed = ", ".join(sorted(sess.dirty)[:5]) + (" …" if len(sess.dirty) > 5 else "")
        found.append(Finding(
            "baseline-dirty-start",
            "the session started with a dirty work tree"
            + (f" ({listed})" if listed else "")
            + "; its commits would mix the agent's changes with work already in progress",
            "git guardrails finish --force && git stash push --include-untracked && "
            "git guardrails start   (or restart it with --allow-dirty to fence those files)",
            policy=src))
    if branch is not None:
        found += _wrong_branch(ctx, sess, branch, src)
    if sess.baseline:
        found += _diverged(ctx, sess.baseline, rebasing, src)
    if sess.allow_dirty and sess.dirty:
        found += _dirty_paths(ctx, sess, src)
    return found


def _outside_session(ctx: Context, src: Optional[str]) -> list[Finding]:
    """No session in this worktree: an agent's commit is refused (and, under enforce =
    "always", anyone's commit on a protected branch)."""
    pol = ctx.policy
    found: list[Finding] = []
    if ctx.agent is None and not (pol is not None and pol.enforce == "always"):
        return []  # a human outside any session is not bothered
    if ctx.agent is not None:
        found.append(Finding(
            "baseline-no-session",
            f"agent commit ({ctx.agent}) without a session: nobody can tell its changes "
            "from work already in progress",
            _start_hint(ctx), policy=src))
    if ctx.branch is not None and pol is not None and pol.is_protected(ctx.branch):
        human = ctx.agent is None  # enforce = "always": a human's commit, called so
        found.append(Finding(
            "baseline-protected-branch",
            f"commit on the protected branch `{ctx.branch}`"
            + (' (enforce = "always": every commit lands there by a reviewed merge)'
               if human else ""),
            f"git switch -c NAME   (a branch of your own; merge it into {ctx.branch} after "
            "review)" if human else _start_hint(ctx), policy=src))
    return found


def _wrong_branch(ctx: Context, sess: Session, branch: str,
                  src: Optional[str]) -> list[Finding]:
    """A commit on a protected or the base branch, or on a branch not the session's."""
    pol = ctx.policy
    if (pol is not None and pol.is_protected(branch)) or branch == sess.base:
        return [Finding(
            "baseline-protected-branch",
            f"commit on `{branch}`, "
            + ("a protected branch" if pol is not None and pol.is_protected(branch)
               else "the base branch")
            + f"; the session works on `{sess.branch}`",
            f"git switch {_quote(sess.branch or 'BRANCH')}", policy=src)]
    if sess.branch is not None and branch != sess.branch:
        return [Finding(
            "baseline-wrong-branch",
            f"commit on `{branch}`, but this worktree's session ({sess.scope_label}) works "
            f"on `{sess.branch}`",
            f"git switch {_quote(sess.branch)}   (or end the session: "
            "git guardrails finish, and start one for this branch)", policy=src)]
    return []


def _diverged(ctx: Context, baseline: str, rebasing: bool,
              src: Optional[str]) -> list[Finding]:
    """HEAD no longer descends from the session's baseline (the check's one git call)."""
    proc = git.run(*descends(baseline), cwd=ctx.repo.toplevel, ok=(0, 1, 128))
    if proc.returncode == 0:
        return []
    why = ("" if proc.returncode == 1 else
           " (the baseline commit cannot be found: " +
           proc.stderr.decode(errors="replace").strip() + ")")
    return [Finding(
        "baseline-diverged",
        f"HEAD no longer descends from the session's baseline {baseline[:12]}"
        f"{why}{' during a rebase' if rebasing else ''}: history the session started "
        "from was rewritten or another branch was checked out",
        f"git log --oneline {baseline[:12]}...HEAD   # see what changed; to start "
        "over from here: git guardrails finish && git guardrails start",
        commit=baseline, policy=src)]


def _dirty_paths(ctx: Context, sess: Session, src: Optional[str]) -> list[Finding]:
    """Under --allow-dirty: a staged path that was dirty before the session started."""
    found: list[Finding] = []
    for ch in ctx.staged:
        for p in ch.paths:
            if p not in sess.dirty:
                continue
            same = sess.dirty[p] is not None and ch.new_oid == sess.dirty[p]
            what = ("its staged content is exactly the content it had before the session"
                    if same else "its staged change includes changes made before the "
                    "session")
            found.append(Finding(
                "baseline-dirty-path",
                f"{show_path(p)}: was dirty before the session started (--allow-dirty); {what}",
                f"git restore --staged -- {shell_path(p)}   (pre-session changes are "
                "committed outside the session, after git guardrails finish)",
                path=p, policy=src))
    return found


def check_commits(ctx: Context, commits: list[Commit]) -> list[Finding]:
    """A baseline is a fact about a live worktree, not about commits: nothing to check."""
    return []
