"""Attestation: every agent commit carries ``Guardrails-Checked: <patch-id>`` of its own change.

``check_commits(ctx, commits)``: CI verification over a range, with a constant number of git
processes (one ``git log -p`` piped into one ``git patch-id --stable``). The trailer is added
by the ``require-checks`` hook (guardrails/skipped/require.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from guardrails import git
from guardrails.findings import Finding, shell_path
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
    from guardrails.scope.changes import agent_of

    todo = []
    for c in commits:
        values = attestation.trailer_values(c.message)
        if values or (ctx.is_agent_commit(c) and not (
                # unsigned on a branch no task covers: ci-unsigned-commit says it, with the fix
                ctx.task is None and ctx.agent is None and agent_of(c) is None)):
            todo.append((c, values))
    if not todo:
        return []
    # ids only for the commits with a trailer to compare (the others are attest-missing)
    marked = [c.oid for c, values in todo if values]
    ids = ctx.patches([c.oid for c in commits]).patch_ids(marked) if marked else {}
    policy = ctx.scope_source or None
    from guardrails.agents import markers as agents

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


def diagnose(repo: git.Repo) -> list[Finding]:
    """doctor: every commit of every active session (its baseline to its branch) carries the
    trailer of its own change, so no pre-commit check was skipped for it. Per session: one
    ``git log`` and one ``git log -p | git patch-id``; a session whose commits cannot be read
    is left to the ref-store check."""
    from guardrails.errors import GuardrailsError
    from guardrails.git import patchlog
    from guardrails.scope import changes
    from guardrails.sessions import session

    todo: list[tuple[str, Commit]] = []
    ids: dict[str, str] = {}
    for gd, sess in session.all_sessions(repo):
        if sess is None or not sess.baseline or not sess.branch:
            continue
        where = _root(repo, gd)
        proc = git.run("rev-parse", "--verify", "-q", f"refs/heads/{sess.branch}",
                       cwd=repo.toplevel, ok=(0, 1))
        if proc.returncode != 0:
            continue
        try:
            mine = [c for c in changes.commits(
                repo, [f"{sess.baseline}..{proc.stdout.decode().strip()}"], numstat=False)
                if not c.is_merge]
            ids.update(patchlog.patch_ids(repo, [c.oid for c in mine]) if mine else {})
        except GuardrailsError:
            continue  # objects missing (a prune): the ref-store check reports that branch
        todo += [(where, c) for c in mine]
    found: list[Finding] = []
    for where, c in todo:
        values = attestation.trailer_values(c.message)
        if values and ids.get(c.oid) in values:
            continue
        why = "has no Guardrails-Checked trailer" if not values else \
            "carries a Guardrails-Checked id that is not its own change's"
        found.append(Finding(
            "session-unchecked-commit",
            f"\"{c.subject[:60]}\" in the session of {where} {why}: no pre-commit check saw "
            "its tree (--no-verify, SKIP, disabled hooks, plumbing, or edited afterwards); CI "
            "will fail it",
            f"git -C {shell_path(where)} rebase -x 'git commit --amend --no-edit' "
            f"{c.oid[:12]}^   (hooks installed: git guardrails install, pre-commit install)",
            commit=c.oid))
    return found


def _root(repo: git.Repo, git_dir: str) -> str:
    from guardrails.git import worktrees

    return worktrees.owner_of(repo, git_dir)
