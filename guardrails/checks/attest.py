"""Attestation: every agent commit carries ``Guardrails-Checked: <patch-id>`` of its own change.

``check_commits(ctx, commits)``: CI verification over a range, with a constant number of git
processes (one ``git log -p`` piped into one ``git patch-id --stable``). The trailer is added
by the ``require-checks`` hook (guardrails/skipped/require.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from guardrails.findings import Finding
from guardrails.skipped import attestation

if TYPE_CHECKING:  # the require-checks hook imports neither (start-up time)
    from guardrails.context import Context
    from guardrails.scope.changes import Commit

MISSING = "hooks were skipped (core.hooksPath override, plumbing, or a tool that disables hooks)"


def check(ctx: Context) -> list[Finding]:
    """Nothing to check in the index: the attestation is added by require-checks."""
    return []


def check_commits(ctx: Context, commits: list[Commit]) -> list[Finding]:
    """Every agent commit (and every commit that carries the trailer) must carry the id of
    its own change. The patch ids (the range's ``git log -p`` through ``git patch-id``) are
    waited for only when some commit carries a trailer to compare them with."""
    todo = []
    for c in commits:
        values = attestation.trailer_values(c.message)
        if values or ctx.is_agent_commit(c):
            todo.append((c, values))
    if not todo:
        return []
    ids = attestation.patch_ids(ctx.repo, [c.oid for c in commits]) \
        if any(values for _, values in todo) else {}
    policy = ctx.scope_source or None
    from guardrails.agents import markers as agents
    from guardrails.scope.changes import agent_of

    env_agent = agents.from_env()  # who made a commit that does not say
    found: list[Finding] = []
    for c, values in todo:
        who = agent_of(c) or env_agent
        by = f" (agent: {who})" if who else ""
        subject = c.subject[:60]
        if not values:
            found.append(Finding(
                "attest-missing",
                f"\"{subject}\"{by} has no {attestation.TRAILER} trailer: "
                f"{MISSING}",
                f"run the hooks on it again: git rebase -x 'git commit --amend --no-edit' "
                f"{c.oid[:12]}^   (in the agent's worktree, hooks installed)",
                commit=c.oid, policy=policy,
            ))
            continue
        actual = ids.get(c.oid, attestation.empty_id(ctx.repo))
        if actual not in values:
            found.append(Finding(
                "attest-mismatch",
                f"\"{subject}\"{by} changed after it was checked: "
                f"{attestation.TRAILER}: {values[-1][:12]}…, its change is {actual[:12]}… "
                "(amended, edited or conflict-resolved without the hooks)",
                f"check it again: git rebase -x 'git commit --amend --no-edit' {c.oid[:12]}^",
                commit=c.oid, policy=policy,
            ))
    return found
