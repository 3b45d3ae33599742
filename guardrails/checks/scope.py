"""Out-of-scope edits: every path a change touches must match the task's ``allow`` patterns and
none may match the policy's ``locked`` patterns; per-commit budgets hold."""
from __future__ import annotations

from guardrails import git
from guardrails.findings import Finding, shell_path, show_path
from guardrails.scope import changes
from guardrails.scope.patterns import Matcher

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from typing import Optional

    from guardrails.context import Context
    from guardrails.scope.changes import Change, Commit
    from guardrails.scope.policy import Task


def prefetch(repo: git.Repo) -> None:
    """Start the staged changes' git command ahead (see git.prefetch)."""
    git.prefetch(*changes.STAGED, cwd=repo.toplevel)


def _no_task(ctx: Context, commit: Optional[str]) -> Finding:
    if ctx.policy is None:
        why = ("no trusted policy: no .guardrails.toml on the base branch "
               "(a policy that exists only on the agent's branch authorises nothing)")
        hint = ("commit .guardrails.toml with a task for this branch on the base branch, "
                "or start an ad-hoc session: git guardrails start --allow 'src/**'")
    elif ctx.session is not None and ctx.session.task:
        why = f"the session's task `{ctx.session.task}` is not in the trusted policy"
        hint = (f"add [tasks.{ctx.session.task}] to .guardrails.toml on "
                f"{ctx.policy.base}, or: git guardrails finish && git guardrails start --task NAME")
    else:
        why = f"no task in the trusted policy covers branch `{ctx.branch or '(detached HEAD)'}`"
        names = ", ".join(f"{t.name} ({'|'.join(t.branches)})" for t in ctx.policy.tasks.values())
        hint = (f"work on a task's branch ({names or 'the policy has no tasks'}), or start an "
                "ad-hoc session: git guardrails start --allow 'src/**'")
    return Finding("no-task", f"agent commit not covered by any task: {why}", hint,
                   commit=commit, policy=ctx.policy.source if ctx.policy else None)


_MATCHERS: dict[tuple[str, ...], Matcher] = {}


def _matcher(patterns: tuple[str, ...]) -> Matcher:
    """Compiled once per pattern list: a range of 10,000 commits must not compile 20,000."""
    m = _MATCHERS.get(patterns)
    if m is None:
        m = _MATCHERS[patterns] = Matcher(patterns)
    return m


def check_changes(ctx: Context, chs: list[Change], commit: Optional[str] = None) -> list[Finding]:
    """Scope and budget findings for one change set (the index, or one commit)."""
    task = ctx.task
    if task is None:
        return [_no_task(ctx, commit)]
    in_locked, allowed = _matches(ctx, task, {p for ch in chs for p in ch.paths})
    found = _path_findings(ctx, task, chs, commit, in_locked, allowed)
    found += _files_budget(ctx, task, chs, commit)
    found += _lines_budget(ctx, task, chs, commit)
    return found


def _matches(ctx: Context, task: Task, paths: set[str]) -> tuple[set[str], set[str]]:
    """(those in the policy's locked patterns, those in the task's allow patterns)."""
    pol = ctx.policy
    return (_matcher(tuple(pol.locked) if pol else ()).matching(paths),
            _matcher(tuple(task.allow)).matching(paths))


def _label(ctx: Context, task: Task) -> str:
    return f"task `{task.name}`" if ctx.scope_source != "session (ad hoc)" else \
        "the ad-hoc session"


def _path_findings(ctx: Context, task: Task, chs: list[Change], commit: Optional[str],
                   in_locked: set[str], allowed: set[str]) -> list[Finding]:
    """A finding per path outside the allow patterns or locked (matches computed by the
    caller: one Matcher call for a whole range rather than one per commit)."""
    found: list[Finding] = []
    for ch in chs:
        for p in ch.paths:
            if p in allowed and p not in in_locked:
                continue
            found.append(_path_finding(ctx, task, ch, p, commit, p in in_locked))
    return found


def _path_finding(ctx: Context, task: Task, ch: Change, p: str, commit: Optional[str],
                  locked: bool) -> Finding:
    pol, source = ctx.policy, ctx.scope_source
    base = pol.base if pol else "the base branch"
    side, what = "", ch.describe()
    if ch.status == "R":
        side = " (rename source)" if p == ch.old_path else " (rename target)"
        if p == ch.old_path:
            what = what.replace(f"from {show_path(p)}", f"to {show_path(ch.path)}")
    if commit is None:
        fix = f"git restore --staged -- {shell_path(p)}"
        if ch.status == "R":
            fix = (f"git restore --staged -- {shell_path(ch.old_path or '')} "
                   f"{shell_path(ch.path)}")
    else:
        fix = (f"revert this change in a new commit (git show {commit[:12]} -- "
               f"{shell_path(p)}), or move it to a branch whose task allows it")
    if locked:
        return Finding(
            "scope-locked",
            f"{show_path(p)}: {what}{side}: locked by the policy; no agent "
            "commit may change it",
            f"{fix}; only a human may change locked paths, on {base}",
            path=p, commit=commit, policy=source,
        )
    return Finding(
        "scope-outside-allow",
        f"{show_path(p)}: {what}{side}: outside the allow patterns of "
        f"{_label(ctx, task)} ({', '.join(task.allow)})",
        f"{fix}; or widen [tasks.{task.name}].allow on "
        f"{pol.base if pol else 'the base branch'} (a human change)"
        if source != "session (ad hoc)" else fix,
        path=p, commit=commit, policy=source,
    )


def _files_budget(ctx: Context, task: Task, chs: list[Change],
                  commit: Optional[str]) -> list[Finding]:
    if task.max_files is None or len(chs) <= task.max_files:
        return []
    return [Finding(
        "budget-max-files",
        f"{len(chs)} files changed, more than max-files = {task.max_files} of "
        f"{_label(ctx, task)}",
        "split the change into smaller commits (git restore --staged -- PATH…, then commit "
        "in parts)",
        commit=commit, policy=ctx.scope_source,
    )]


def _lines_budget(ctx: Context, task: Task, chs: list[Change],
                  commit: Optional[str]) -> list[Finding]:
    if task.max_lines is None:
        return []
    lines = sum(ch.lines for ch in chs)
    if lines <= task.max_lines:
        return []
    return [Finding(
        "budget-max-lines",
        f"{lines} lines added and removed, more than max-lines = {task.max_lines} of "
        f"{_label(ctx, task)}",
        "split the change into smaller commits (git add -p stages part of a file)",
        commit=commit, policy=ctx.scope_source,
    )]


def check(ctx: Context) -> list[Finding]:
    if not ctx.enforced:
        return []
    return check_changes(ctx, ctx.staged)


def check_commits(ctx: Context, commits: list[Commit]) -> list[Finding]:
    """check_changes of every agent commit, with the paths of the whole range matched at once;
    line counts are read (changes.count_lines) only when a max-lines budget needs them, after
    every path was checked."""
    todo = [c for c in commits if not c.is_merge and ctx.is_agent_commit(c)]
    task = ctx.task
    if task is None:
        return [_no_task(ctx, c.oid) for c in todo]
    paths = {p for c in todo for ch in c.changes for p in ch.paths}
    in_locked, allowed = _matches(ctx, task, paths)
    per_commit: list[list[Finding]] = []
    for c in todo:
        found = _path_findings(ctx, task, c.changes, c.oid, in_locked, allowed) \
            if not paths.issubset(allowed) or in_locked else []
        found += _files_budget(ctx, task, c.changes, c.oid)
        per_commit.append(found)
    if task.max_lines is not None:
        changes.count_lines(ctx.repo, commits)
        for c, found in zip(todo, per_commit):
            found += _lines_budget(ctx, task, c.changes, c.oid)
    return [f for found in per_commit for f in found]
