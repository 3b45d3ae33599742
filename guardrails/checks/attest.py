"""Attestation: every agent commit carries ``Guardrails-Checked: <patch-id>`` of its own change.

- ``prepare_commit_msg(...)``: the ``require-checks`` hook (prepare-commit-msg, which git runs
  even under ``--no-verify``). Refuses an agent commit whose tree the pre-commit stage of this
  very ``git commit`` did not check; otherwise appends the trailer.
- ``check_commits(ctx, commits)``: CI verification over a range, with a constant number of git
  processes (one ``git log -p`` piped into one ``git patch-id --stable``).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Optional

from guardrails import attestation, git
from guardrails.changes import Commit
from guardrails.context import Context
from guardrails.findings import Finding

# git commands that replay existing commits (they never run pre-commit)
REPLAYS = ("rebase", "cherry-pick", "revert", "pull", "am")
MISSING = "hooks were skipped (core.hooksPath override, plumbing, or a tool that disables hooks)"


def check(ctx: Context) -> list[Finding]:
    """Nothing to check in the index: the attestation is added by require-checks."""
    return []


def _who(c: Commit) -> Optional[str]:
    from guardrails import agents
    from guardrails.checks.bypass import _commit_agent

    return _commit_agent(c) or agents.from_env()


def check_commits(ctx: Context, commits: list[Commit]) -> list[Finding]:
    """Every agent commit (and every commit that carries the trailer) must carry the id of
    its own change."""
    from guardrails.checks.bypass import is_agent_commit

    todo = [c for c in commits
            if is_agent_commit(ctx, c) or attestation.trailer_values(c.message)]
    if not todo:
        return []
    ids = attestation.patch_ids(ctx.repo, [c.oid for c in commits])
    policy = ctx.scope_source or None
    found: list[Finding] = []
    for c in todo:
        values = attestation.trailer_values(c.message)
        actual = ids.get(c.oid, attestation.empty_id(ctx.repo))
        who = _who(c)
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
        elif actual not in values:
            found.append(Finding(
                "attest-mismatch",
                f"\"{subject}\"{by} changed after it was checked: "
                f"{attestation.TRAILER}: {values[-1][:12]}…, its change is {actual[:12]}… "
                "(amended, edited or conflict-resolved without the hooks)",
                f"check it again: git rebase -x 'git commit --amend --no-edit' {c.oid[:12]}^",
                commit=c.oid, policy=policy,
            ))
    return found


# --- require-checks (prepare-commit-msg) ------------------------------------------------------

def _agent(repo: git.Repo) -> Optional[str]:
    from guardrails import agents, session

    if session.current(repo) is not None:
        return "session"
    agent = agents.from_env()
    if agent is not None:
        return agent
    from guardrails import policy

    pol = policy.load_trusted(repo)
    return "enforce = \"always\"" if pol is not None and pol.enforce == "always" else None


def _parents(repo: git.Repo, source: str, amend: bool) -> tuple[list[str], bool]:
    """(parents of the commit being made, whether it is a merge)."""
    proc = git.run("rev-list", "--parents", "-1", "HEAD", "--", cwd=repo.toplevel, ok=(0, 128))
    line = proc.stdout.decode().split() if proc.returncode == 0 else []
    head, head_parents = (line[0], line[1:]) if line else (None, [])
    if amend and head is not None:
        return head_parents, len(head_parents) > 1
    parents = [head] if head else []
    if source == "merge":
        try:
            with open(repo.git_path("MERGE_HEAD")) as f:
                parents += f.read().split()
        except FileNotFoundError:
            pass
    return parents, len(parents) > 1


def _refusal(why: list[str], agent: str) -> str:
    lines = [
        "require-checks: this agent commit was not checked by the pre-commit stage, so it is "
        f"refused (agent: {agent}):",
        *(f"  - {w}" for w in why),
        "`--no-verify` (or -n), SKIP= and disabled hooks are not allowed in agent sessions: "
        "hooks are the floor agent commits must clear.",
        "  fix: commit again without --no-verify and without SKIP/PREK_SKIP, and fix what the "
        "hooks report; the guardrails (or no-skipped-hooks) hook must be in "
        ".pre-commit-config.yaml and installed: pre-commit install -t pre-commit -t "
        "prepare-commit-msg",
    ]
    return "\n".join(lines) + "\n"


def prepare_commit_msg(msgfile: str, source: str = "", obj: str = "",
                       env: Optional[Mapping[str, str]] = None) -> int:
    env = os.environ if env is None else env
    argvs = attestation.git_argvs()
    subs = [attestation.subcommand(a) for a in argvs]
    # the git process that runs this hook replays commits (rebase, cherry-pick …; or is the
    # `git commit` that `git rebase --continue` starts): pre-commit never runs for those; the
    # original message, trailer included, is kept
    replay = any(s in REPLAYS for s in subs) or (
        not subs and env.get("GIT_REFLOG_ACTION", "").split(" ")[0] in REPLAYS)
    repo = git.discover()
    agent = _agent(repo)
    if agent is None:
        return 0
    from guardrails.checks.bypass import skip_findings

    msgfile = os.path.abspath(msgfile)  # prek passes it relative to cwd in linked worktrees
    tree = attestation.write_tree(repo)
    rec = attestation.load_record(repo)
    me = attestation.git_process()
    checked = rec is not None and rec.get("tree") == tree and rec.get("git") == me
    skips = [f.message for f in skip_findings(env) if f.severity == "error"]
    amend = attestation.is_amend(argvs[0]) if argvs else (source == "commit" and obj == "HEAD")
    parents, merge = _parents(repo, source, amend)
    if not checked or skips:
        if replay:
            return 0  # a rebase/cherry-pick replay keeps the original message and trailer
        pid = attestation.pending_id(repo, tree, parents) if merge and not skips else None
        if pid is not None and pid == attestation.empty_id(repo):
            attestation.add_trailer(repo, msgfile, pid)  # a merge with no changes of its own
            return 0
        why = list(skips)
        if rec is None:
            why.append("the pre-commit stage did not run: git commit --no-verify/-n, SKIP, "
                       "or no guardrails pre-commit hook in .pre-commit-config.yaml")
        elif rec.get("git") != me:
            why.append("the pre-commit stage did not run for this commit (its last check was "
                       "for an earlier git command): git commit --no-verify/-n or SKIP")
        elif rec.get("tree") != tree:
            why.append("the pre-commit stage checked a different tree than the one being "
                       "committed (the index changed after the check)")
        sys.stderr.write(_refusal(why, agent))
        return 1
    attestation.add_trailer(repo, msgfile, attestation.pending_id(repo, tree, parents))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the require-checks hook: ``MSGFILE [SOURCE [OBJECT]]`` (git's own
    arguments) or ``MSGFILE`` with PRE_COMMIT_COMMIT_MSG_SOURCE/_OBJECT_NAME (both runners)."""
    from guardrails.errors import GuardrailsError

    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.stderr.write("require-checks: error: no commit message file given\n"
                         "  fix: configure it for the prepare-commit-msg stage "
                         "(stages: [prepare-commit-msg]) and install that hook type: "
                         "pre-commit install -t prepare-commit-msg\n")
        return 2
    source = os.environ.get("PRE_COMMIT_COMMIT_MSG_SOURCE") or (args[1] if len(args) > 1 else "")
    obj = os.environ.get("PRE_COMMIT_COMMIT_OBJECT_NAME") or (args[2] if len(args) > 2 else "")
    try:
        return prepare_commit_msg(args[0], source, obj)
    except GuardrailsError as e:
        sys.stderr.write(f"require-checks: error: {e}\n")
        return 2
