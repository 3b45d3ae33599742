"""Out-of-scope edits: every path a change touches must match the task's ``allow`` patterns and
none may match the policy's ``locked`` patterns; budgets hold (per commit, and over the branch:
locally the session's baseline to the index, in CI merge-base..head, see checks.branch); hook
configuration staged by an agent is reported with CI's rule id and severity."""
from __future__ import annotations

from guardrails import git
from guardrails.findings import Finding, shell_path, show_path
from guardrails.scope import changes

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from typing import Optional

    from guardrails.context import Context
    from guardrails.scope.changes import Change, Commit
    from guardrails.scope.patterns import Matcher
    from guardrails.scope.policy import Task


# Files that decide whether hooks run, or how agents run them (gitignore syntax): the one list
# the local hook and CI (checks.branch) report, as ci-hook-config-changed.
HOOK_CONFIG = (
    ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", ".husky/**", ".githooks/**",
    "lefthook.yml", "lefthook.yaml", ".lefthook.yml", ".lefthook.yaml", "lefthook-local.yml",
    "lefthook-local.yaml", ".lintstagedrc*", ".claude/settings.json", ".claude/settings.local.json",
    ".claude/hooks/**", ".codex/**", ".gemini/settings.json", ".cursor/hooks.json",
    ".aider.conf.yml", ".clinerules/hooks/**", ".gitattributes", ".gitmodules",
)
POLICY_FILE = ".guardrails.toml"  # scope.policy.FILENAME, without importing tomllib here


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


def _unsigned(ctx: Context, c: Commit) -> Finding:
    """human-commits = "signed": a commit with no agent mark whose signature did not verify."""
    pol = ctx.policy
    signers = pol.allowed_signers if pol else None
    return Finding(
        "ci-unsigned-commit",
        f"\"{c.subject[:60]}\" by {c.author_name} <{c.author_email}> is not signed by a key in "
        f"{signers} ({pol.source if pol else '?'}), so it is judged as an agent commit, and no "
        f"task covers branch `{ctx.branch or '(unknown)'}`",
        f"a human signs it (git commit --amend -S --no-edit, with gpg.format=ssh and "
        f"user.signingkey set; the key listed in {signers} on {pol.base if pol else 'the base'})"
        f", or a human declares a task for this branch in [tasks.NAME] of .guardrails.toml on "
        f"{pol.base if pol else 'the base branch'}",
        commit=c.oid, policy=pol.source if pol else None)


_MATCHERS: dict[tuple[str, ...], Matcher] = {}


def _matcher(patterns: tuple[str, ...]) -> Matcher:
    """Compiled once per pattern list: a range of 10,000 commits must not compile 20,000."""
    m = _MATCHERS.get(patterns)
    if m is None:
        from guardrails.scope.patterns import Matcher  # here: prefetch imports this module

        m = _MATCHERS[patterns] = Matcher(patterns)
    return m


def check_changes(ctx: Context, chs: list[Change], commit: Optional[str] = None) -> list[Finding]:
    """Scope and budget findings for one change set (the index, or one commit)."""
    task = ctx.task
    if task is None:
        return [_no_task(ctx, commit)]
    in_locked, allowed = _matches(ctx, task, {p for ch in chs for p in ch.paths})
    found = _path_findings(ctx, task, chs, commit, in_locked, allowed)
    counted = _budgeted(ctx, task, chs)
    found += _files_budget(ctx, task, counted, commit)
    found += _lines_budget(ctx, task, counted, commit)
    return found


def _budgeted(ctx: Context, task: Task, chs: list[Change]) -> list[Change]:
    """The changes budgets count: all but those budget-exclude lists (policy's and task's)."""
    pats = ctx.policy.budget_excluded(task) if ctx.policy is not None else task.budget_exclude
    if not pats:
        return chs
    left_out = _matcher(tuple(pats)).matching({ch.path for ch in chs})
    return [ch for ch in chs if ch.path not in left_out]


def branch_budget(ctx: Context, task: Task, chs: list[Change], where: str,
                  commit: Optional[str] = None) -> list[Finding]:
    """branch-max-files / branch-max-lines over a branch's net change ``chs`` (``where``: what
    it spans, for the message)."""
    if task.branch_max_files is None and task.branch_max_lines is None:
        return []
    counted = _budgeted(ctx, task, chs)
    found: list[Finding] = []
    files = len(counted)
    if task.branch_max_files is not None and files > task.branch_max_files:
        found.append(Finding(
            "budget-branch-max-files",
            f"{files} files changed over {where}, more than branch-max-files = "
            f"{task.branch_max_files} of {_label(ctx, task)}",
            "finish this branch and merge it after review, then go on in a new one; a human "
            "may raise the budget, or list generated paths in budget-exclude, on "
            f"{ctx.policy.base if ctx.policy else 'the base branch'}",
            commit=commit, policy=ctx.scope_source))
    lines = sum(ch.lines for ch in counted)
    if task.branch_max_lines is not None and lines > task.branch_max_lines:
        found.append(Finding(
            "budget-branch-max-lines",
            f"{lines} lines added and removed over {where}, more than branch-max-lines = "
            f"{task.branch_max_lines} of {_label(ctx, task)}",
            "finish this branch and merge it after review, then go on in a new one; a human "
            "may raise the budget, or list generated paths in budget-exclude, on "
            f"{ctx.policy.base if ctx.policy else 'the base branch'}",
            commit=commit, policy=ctx.scope_source))
    return found


def _session_budget(ctx: Context, task: Task) -> list[Finding]:
    """Locally: the branch budgets over the session's commits plus the index (the index
    against the session's baseline, else against the merge-base with the base branch): one
    ``git diff --cached`` more, only when the task has a branch budget."""
    if task.branch_max_files is None and task.branch_max_lines is None:
        return []
    start = ctx.session.baseline if ctx.session is not None else None
    where = f"the session (since {start[:12]}) and the index" if start else ""
    if not start:
        base = ctx.policy.base if ctx.policy else None
        proc = git.run("merge-base", f"refs/heads/{base}", "HEAD", cwd=ctx.repo.toplevel,
                       ok=(0, 1, 128)) if base else None
        start = proc.stdout.decode().strip() if proc is not None and proc.returncode == 0 \
            else None
        where = f"{base}...HEAD and the index"
    if not start:
        return []
    chs = changes.staged(ctx.repo, start)
    changes.count_text(ctx.repo, chs, start)
    return branch_budget(ctx, task, chs, where)


def hook_config(ctx: Context, chs: list[Change], commit: Optional[str] = None
                ) -> list[Finding]:
    """The staged paths CI reports as ci-hook-config-changed / ci-policy-changed, with CI's
    rule ids and severities (an error for an agent commit: one made in a session or an
    agent's process, or on a branch a task covers), so the agent learns it now."""
    paths = {p for ch in chs for p in ch.paths}
    if not paths:
        return []
    hooks = _matcher(HOOK_CONFIG).matching(paths)
    agent = ctx.agent is not None or ctx.task is not None
    severity = "error" if agent else "warning"
    source = ctx.policy.source if ctx.policy else None
    found: list[Finding] = []
    for p in sorted(hooks | ({POLICY_FILE} & paths)):
        fix = f"git restore --staged -- {shell_path(p)}"
        if p == POLICY_FILE:
            found.append(Finding(
                "ci-policy-changed",
                f"{show_path(p)}: staged: the policy is trusted only from the base branch, and "
                "CI fails an agent commit that changes it",
                f"{fix}; a human changes the policy on "
                f"{ctx.policy.base if ctx.policy else 'the base branch'}",
                severity=severity, path=p, commit=commit, policy=source))
        else:
            found.append(Finding(
                "ci-hook-config-changed",
                f"{show_path(p)}: staged: hook configuration decides which checks run on every "
                "later commit, and CI fails an agent commit that changes it",
                f"{fix}; a human reviews and commits hook configuration",
                severity=severity, path=p, commit=commit, policy=source))
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
    """max-files of one change set (``chs``: the budgeted changes, see _budgeted)."""
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
    found = hook_config(ctx, ctx.staged)
    if ctx.task is not None and ctx.task.max_lines is not None:
        changes.count_text(ctx.repo, ctx.staged)
    if ctx.task is None and ctx.agent is None:
        # enforce = "always", a human on a branch no task covers: no scope to hold them to
        return found
    found += check_changes(ctx, ctx.staged)
    if ctx.task is not None:
        found += _session_budget(ctx, ctx.task)
    return found


def check_commits(ctx: Context, commits: list[Commit]) -> list[Finding]:
    """check_changes of every agent commit, with the paths of the whole range matched at once;
    line counts are read (changes.count_lines) only when a max-lines budget needs them, after
    every path was checked."""
    todo = [c for c in commits if not c.is_merge and ctx.is_agent_commit(c)]
    task = ctx.task
    if task is None:
        return [_unsigned(ctx, c) if ctx.unsigned(c) and changes.agent_of(c) is None
                and ctx.agent is None else _no_task(ctx, c.oid) for c in todo]
    paths = {p for c in todo for ch in c.changes for p in ch.paths}
    in_locked, allowed = _matches(ctx, task, paths)
    per_commit: list[list[Finding]] = []
    for c in todo:
        found = _path_findings(ctx, task, c.changes, c.oid, in_locked, allowed) \
            if not paths.issubset(allowed) or in_locked else []
        found += _files_budget(ctx, task, _budgeted(ctx, task, c.changes), c.oid)
        per_commit.append(found)
    if task.max_lines is not None:
        changes.count_lines(ctx.repo, commits, ctx.patches)
        for c, found in zip(todo, per_commit):
            found += _lines_budget(ctx, task, _budgeted(ctx, task, c.changes), c.oid)
    return [f for found in per_commit for f in found]


def diagnose(repo: git.Repo) -> list[Finding]:
    """doctor: the trusted policy's lint warnings (scope.policy.lint_static, lint_tree over
    the base branch's files: one ``git ls-tree``)."""
    from guardrails.errors import GuardrailsError
    from guardrails.scope import policy as policies

    try:
        pol = policies.load_trusted(repo)
    except GuardrailsError:
        return []  # an unreadable policy is another doctor module's finding (policy-invalid)
    if pol is None:
        return []
    data = git.out("ls-tree", "-r", "-z", "--name-only", "--full-tree", f"refs/heads/{pol.base}",
                   "--", cwd=repo.toplevel)
    paths = [git.decode_path(p) for p in git.zsplit(data) if p]
    return policies.lint_static(pol) + policies.lint_tree(pol, paths)
