"""Branch-level checks only CI can make (they need the whole range and its merge-base):
agent commits on a protected branch, the policy or hook configuration changed on the branch,
and merges that bring another agent branch in.

Not in checks.RANGE: ``git-guardrails ci`` and ``review`` run them after the RANGE checks.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Optional

from guardrails import git
from guardrails.checks.scope import HOOK_CONFIG, branch_budget
from guardrails.context import Context
from guardrails.findings import ERROR, WARNING, Finding, shell_path, show_path
from guardrails.scope import changes
from guardrails.scope import policy as policies
from guardrails.scope.changes import Commit
from guardrails.scope.patterns import Matcher

__all__ = ["HOOK_CONFIG", "budgets", "check_range"]

_MERGE_MSG = re.compile(
    r"^Merge (?:remote-tracking )?branch(?:es)? '([^']+)'"
    r"|^Merge pull request #\d+ from [^/\s]+/(\S+)"
    r"|^Merge branch '([^']+)' of ",
)


def _who(ctx: Context, c: Commit) -> str:
    return "agent commit" if ctx.is_agent_commit(c) else 'commit (enforce = "always")'


def protected(ctx: Context, commits: Sequence[Commit]) -> list[Finding]:
    """Agent commits on a protected branch; with enforce = "always", every commit (a human's
    is called a commit, never an agent's)."""
    pol, branch = ctx.policy, ctx.branch
    if pol is None or branch is None or not pol.is_protected(branch):
        return []
    always = pol.enforce == "always"
    return [Finding(
        "ci-protected-branch",
        f"{_who(ctx, c)} on protected branch `{branch}` ({c.subject[:60]})",
        f"agent work goes on a task's branch and is merged after review: move it there "
        f"(git branch agent/NAME {c.oid[:12]}) and revert it on {branch} "
        f"(git revert {c.oid[:12]})",
        commit=c.oid, policy=pol.source,
    ) for c in commits if not c.is_merge and (always or ctx.is_agent_commit(c))]


def budgets(ctx: Context, merge_base: str, head: str) -> list[Finding]:
    """branch-max-files / branch-max-lines of the task over the net change merge-base..head
    (one ``git diff-tree`` more, only when the task has such a budget)."""
    task = ctx.task
    if task is None or (task.branch_max_files is None and task.branch_max_lines is None) \
            or merge_base == head:
        return []
    where = f"{merge_base[:12]}..{head[:12]} (the branch)"
    chs = changes.between(ctx.repo, merge_base, head)
    changes.count_text(ctx.repo, chs, merge_base, head)
    return branch_budget(ctx, task, chs, where, commit=head)


def config_changed(ctx: Context, commits: Sequence[Commit]) -> list[Finding]:
    """One finding per policy or hook-config path the branch changes, naming its commits."""
    hooks = Matcher(HOOK_CONFIG)
    touched: dict[str, list[Commit]] = {}
    for c in commits:
        for ch in c.changes:
            for p in ch.paths:
                touched.setdefault(p, [])
                if not touched[p] or touched[p][-1] is not c:
                    touched[p].append(c)
    kinds = {p: "hook" for p in hooks.matching(touched)}
    if policies.FILENAME in touched:
        kinds[policies.FILENAME] = "policy"
    source = ctx.policy.source if ctx.policy else None
    found: list[Finding] = []
    for p in sorted(kinds):
        cs = touched[p]
        agent = any(ctx.is_agent_commit(c) for c in cs)
        shas = ", ".join(c.oid[:12] for c in cs[:5]) + (" …" if len(cs) > 5 else "")
        see = f"git log -p {cs[0].oid[:12]}^..{cs[-1].oid[:12]} -- {shell_path(p)}"
        if kinds[p] == "policy":
            found.append(Finding(
                "ci-policy-changed",
                f"{show_path(p)}: changed on this branch ({shas}); not used here: this run "
                f"judged with {source or 'no policy'} (the merge-base's) — the branch's version "
                "takes effect only once a human merges it",
                f"a human reviews the policy change on its own ({see}); an agent commit may "
                "not change it: revert it (git revert COMMIT)",
                severity=ERROR if agent else WARNING, path=p, commit=cs[-1].oid,
                policy=source,
            ))
        else:
            found.append(Finding(
                "ci-hook-config-changed",
                f"{show_path(p)}: hook configuration changed on this branch ({shas}): it decides "
                "which checks run on every later commit",
                f"a human reviews it ({see}); if an agent changed it, revert it "
                "(git revert COMMIT)",
                severity=ERROR if agent else WARNING, path=p, commit=cs[-1].oid,
                policy=source,
            ))
    return found


def _refs_at(ctx: Context, oids: set[str]) -> dict[str, list[str]]:
    """oid -> short branch names (local and remote-tracking) pointing at it: one git call."""
    data = git.out("for-each-ref", "--format=%(objectname)%00%(refname)%00",
                   "refs/heads", "refs/remotes", cwd=ctx.repo.toplevel)
    fields = [f.lstrip(b"\n") for f in git.zsplit(data)]
    out: dict[str, list[str]] = {}
    for i in range(0, len(fields) - 1, 2):
        oid, ref = fields[i].decode(), git.decode_path(fields[i + 1])
        if oid not in oids:
            continue
        if ref.startswith("refs/heads/"):
            name: Optional[str] = ref[len("refs/heads/"):]
        else:
            rest = ref[len("refs/remotes/"):]
            name = rest.split("/", 1)[1] if "/" in rest else None
        if name and name != "HEAD":
            out.setdefault(oid, []).append(name)
    return out


def _brought_in(by_oid: dict[str, Commit], merge: Commit) -> list[Commit]:
    """Commits of the range reachable from the merge's other parents but not its first."""
    def reach(starts: Sequence[str]) -> set[str]:
        seen: set[str] = set()
        stack = [s for s in starts if s in by_oid]
        while stack:
            o = stack.pop()
            if o in seen:
                continue
            seen.add(o)
            stack += [p for p in by_oid[o].parents if p in by_oid]
        return seen

    other = reach(merge.parents[1:]) - reach(merge.parents[:1])
    return [by_oid[o] for o in other]


def merges(ctx: Context, commits: Sequence[Commit]) -> list[Finding]:
    pol = ctx.policy
    ms = [c for c in commits if c.is_merge]
    if pol is None or not ms:
        return []
    refs = _refs_at(ctx, {p for m in ms for p in m.parents[1:]})
    by_oid = {c.oid: c for c in commits}
    found: list[Finding] = []
    for m in ms:
        names = [n for p in m.parents[1:] for n in refs.get(p, [])]
        hit = _MERGE_MSG.match(m.subject)
        if hit:
            names.append(next(g for g in hit.groups() if g))
        tasks = {}
        for n in names:
            t = pol.task_for_branch(n)
            if t is not None and (ctx.task is None or t.name != ctx.task.name):
                tasks[n] = t
        if not tasks:
            continue
        n, t = next(iter(tasks.items()))
        count = len(_brought_in(by_oid, m))
        found.append(Finding(
            "ci-merge-agent-branch",
            f"merge brings in `{n}`, the branch of task `{t.name}` ({count} commit(s)): another "
            "agent's work, unreviewed, inside this branch",
            f"merge each agent branch into {pol.base} on its own after review; undo this one: "
            f"git revert -m 1 {m.oid[:12]}",
            commit=m.oid, policy=pol.source,
        ))
    return found


def check_range(ctx: Context, commits: Sequence[Commit]) -> list[Finding]:
    return protected(ctx, commits) + config_changed(ctx, commits) + merges(ctx, commits)


def check_commits(ctx: Context, commits: list[Commit]) -> list[Finding]:
    """The checks-module interface (checks.run_commits), should it ever be registered."""
    return check_range(ctx, commits)
