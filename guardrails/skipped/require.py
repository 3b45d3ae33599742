"""The ``require-checks`` hook (prepare-commit-msg, which git runs even under ``--no-verify``).

Refuses an agent commit whose tree the pre-commit stage of this very ``git commit`` did not
check; otherwise appends ``Guardrails-Checked: <patch-id>``. Kept out of ``guardrails.checks``
so the hook imports no policy, pattern or context code unless it needs them (start-up time).
"""
from __future__ import annotations

import os
import sys

from guardrails import git
from guardrails.skipped import attestation

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Optional

ALWAYS = 'enforce = "always"'  # the "agent" of a human's commit that the policy checks too
# git commands that replay existing commits (they never run pre-commit)
REPLAYS = ("rebase", "cherry-pick", "revert", "pull", "am")


def _agent(repo: git.Repo) -> Optional[str]:
    from guardrails.agents import markers as agents
    from guardrails.sessions import session

    if session.current(repo) is not None:
        return "session"
    agent = agents.from_env()
    if agent is not None:
        return agent
    from guardrails.scope import policy

    try:
        always = policy.enforces_always(repo)
    except policy.PolicyError:
        return None  # a human's commit never fails over a broken policy (pre-commit warns)
    return "enforce = \"always\"" if always else None


def _attests(repo: git.Repo, agent: str) -> bool:
    """Whether the commit gets the trailer: agent commits only (CI takes the trailer for an
    agent's mark). A human's commit under enforce = "always" is checked but not marked,
    unless a task covers its branch (CI judges every commit there as an agent's)."""
    if agent != ALWAYS:
        return True
    from guardrails.scope import policy

    pol = policy.load_trusted(repo)
    return pol is not None and pol.task_for_branch(repo.branch) is not None


def _head(repo: git.Repo) -> tuple[Optional[str], list[str]]:
    """HEAD and HEAD's parents in one ``git rev-parse`` (an unborn HEAD: None, [])."""
    proc = git.run("rev-parse", "HEAD", "HEAD^@", cwd=repo.toplevel, ok=(0, 128))
    lines = proc.stdout.decode().split()
    if proc.returncode != 0 or not lines:
        return None, []
    return lines[0], lines[1:]


def _parents(repo: git.Repo, source: str, amend: bool) -> tuple[list[str], bool]:
    """(parents of the commit being made, whether it is a merge); ``[]``, False for a plain
    commit, which needs neither (so no git runs for it)."""
    merge_heads: list[str] = []
    if source == "merge":
        try:
            with open(repo.git_path("MERGE_HEAD")) as f:
                merge_heads = f.read().split()
        except FileNotFoundError:
            pass
    if not amend and not merge_heads:
        return [], False
    head, head_parents = _head(repo)
    if amend and head is not None:
        return head_parents, len(head_parents) > 1
    parents = ([head] if head else []) + merge_heads
    return parents, len(parents) > 1


def _skips(env: Mapping[str, str]) -> list[str]:
    """SKIP/PREK_SKIP naming a guardrails hook (without importing the bypass check)."""
    from guardrails.skipped.attestation import HOOK_IDS, skipped_ids

    out = []
    for var, names in skipped_ids(env).items():
        ours = sorted(set(names) & set(HOOK_IDS))
        if ours:
            out.append(f"{var}={env[var]} skips guardrails hook(s) {', '.join(ours)}")
    return out


def _refusal(why: list[str], agent: str) -> str:
    what = "commit (the policy says enforce = \"always\")" if agent == ALWAYS else \
        f"agent commit (agent: {agent})"
    lines = [
        f"require-checks: this {what} was not checked by the pre-commit stage, so it is "
        "refused:",
        *(f"  - {w}" for w in why),
        "`--no-verify` (or -n), SKIP= and disabled hooks are not allowed here: hooks are the "
        "floor these commits must clear.",
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
    if any(s in REPLAYS for s in subs) or (
            not subs and env.get("GIT_REFLOG_ACTION", "").split(" ")[0] in REPLAYS):
        return 0  # a rebase/cherry-pick replay keeps the original message and trailer
    repo = git.hook_repo()
    agent = _agent(repo)
    if agent is None:
        return 0
    msgfile = os.path.abspath(msgfile)  # prek passes it relative to cwd in linked worktrees
    # the index's fingerprint (no blob read); the patch id is the one the pre-commit stage
    # computed for this very index, so a 150 MB file is diffed once per commit, not twice
    digest = attestation.staged_fingerprint(repo)
    rec = attestation.load_record(repo)
    me = attestation.git_process()
    checked = rec is not None and rec.get("diff") == digest and rec.get("git") == me
    skips = _skips(env)
    amend = attestation.is_amend(argvs[0]) if argvs else (source == "commit" and obj == "HEAD")
    parents, merge = _parents(repo, source, amend)
    if not checked or skips:
        pid = attestation.merge_id(repo, parents) if merge and not skips else None
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
        else:
            why.append("the pre-commit stage checked a different change than the one being "
                       "committed (the index changed after the check)")
        sys.stderr.write(_refusal(why, agent))
        return 1
    if not _attests(repo, agent):
        return 0
    if merge:
        pid = attestation.merge_id(repo, parents)
    elif amend:
        pid = attestation.staged_ids(repo, parents[0] if parents else repo.empty_tree)[1]
    else:
        pid = attestation.recorded_patch_id(rec) or attestation.staged_patch_id(repo)
    attestation.add_trailer(repo, msgfile, pid)
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
    except OSError as e:  # the message file
        sys.stderr.write(f"require-checks: error: cannot read or write the commit message "
                         f"file: {e}\n  fix: run it as git's prepare-commit-msg hook "
                         "(stages: [prepare-commit-msg]), which passes that file\n")
        return 2
