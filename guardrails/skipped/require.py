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
    from collections.abc import Mapping
    from typing import Optional

    from guardrails.findings import Finding

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


FIX = ("--no-verify (-n), SKIP= and disabled hooks are not allowed here (hooks are the floor "
       "these commits must clear): commit again without them and fix what the hooks report; "
       "the guardrails (or "
       "no-skipped-hooks) hook must be in .pre-commit-config.yaml and installed: "
       "pre-commit install -t pre-commit -t prepare-commit-msg")


def _refusals(env: Mapping[str, str], agent: str, why: str) -> list[Finding]:
    """The refusal of a commit the pre-commit stage did not check: ``why`` it did not
    (attest-unchecked), and each SKIP/PREK_SKIP naming a guardrails hook (bypass-skip-env),
    read without importing the bypass check."""
    from guardrails.skipped.attestation import HOOK_IDS, skipped_ids

    skips = [(var, ours) for var, names in skipped_ids(env).items()
             if (ours := sorted(set(names) & set(HOOK_IDS)))]
    if not skips and not why:
        return []  # the commit path: no findings module, no report
    from guardrails.findings import Finding, printable

    what = "commit (the policy says enforce = \"always\")" if agent == ALWAYS else \
        f"agent commit (agent: {agent})"
    found = [Finding("bypass-skip-env",
                     f"require-checks: this {what} is refused: {var}={printable(env[var])} "
                     f"skips guardrails hook(s) {', '.join(ours)}, so the pre-commit stage "
                     "did not check it",
                     f"unset {var}; {FIX}")
             for var, ours in skips]
    if why:
        found.append(Finding("attest-unchecked",
                             f"require-checks: this {what} was not checked by the "
                             f"pre-commit stage, so it is refused: {why}", FIX))
    return found


def _why_unchecked(rec: Optional[Mapping[str, object]], me: Optional[str]) -> str:
    if rec is None:
        return ("the pre-commit stage did not run: git commit --no-verify/-n, SKIP, or no "
                "guardrails pre-commit hook in .pre-commit-config.yaml")
    if rec.get("git") != me:
        return ("the pre-commit stage did not run for this commit (its last check was for an "
                "earlier git command): git commit --no-verify/-n or SKIP")
    return ("the pre-commit stage checked a different change than the one being committed "
            "(the index changed after the check)")


def prepare_commit_msg(msgfile: str, source: str = "", obj: str = "",
                       env: Optional[Mapping[str, str]] = None, fmt: str = "text") -> int:
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
    refused = _refusals(env, agent, "" if checked else _why_unchecked(rec, me))
    amend = attestation.is_amend(argvs[0]) if argvs else (source == "commit" and obj == "HEAD")
    parents, merge = _parents(repo, source, amend)
    if refused:
        skips = any(f.rule == "bypass-skip-env" for f in refused)
        pid = attestation.merge_id(repo, parents) if merge and not skips else None
        if pid is not None and pid == attestation.empty_id(repo):
            attestation.add_trailer(repo, msgfile, pid)  # a merge with no changes of its own
            return 0
        from guardrails import report

        report.write(report.render(refused, fmt, {}), sys.stderr)
        return 1
    if not _attests(repo, agent):
        return 0
    if merge:
        pid = attestation.merge_id(repo, parents)
    elif amend:
        pid = attestation.staged_patch_id(repo, parents[0] if parents else repo.empty_tree)
    else:
        pid = attestation.recorded_patch_id(rec) or attestation.staged_patch_id(repo)
    attestation.add_trailer(repo, msgfile, pid)
    return 0


def hook(args: list[str], fmt: str = "text") -> int:
    """The require-checks hook (guardrails.hookrun runs it): ``MSGFILE [SOURCE [OBJECT]]``
    (git's own arguments) or ``MSGFILE`` with PRE_COMMIT_COMMIT_MSG_SOURCE/_OBJECT_NAME (both
    runners). Exit 1 with the refusal's findings, 2 without a usable message file."""
    from guardrails.errors import GuardrailsError

    stage = ("configure it for the prepare-commit-msg stage (stages: [prepare-commit-msg]) "
             "and install that hook type: pre-commit install -t prepare-commit-msg")
    if not args:
        raise GuardrailsError("no commit message file given", stage)
    source = os.environ.get("PRE_COMMIT_COMMIT_MSG_SOURCE") or (args[1] if len(args) > 1 else "")
    obj = os.environ.get("PRE_COMMIT_COMMIT_OBJECT_NAME") or (args[2] if len(args) > 2 else "")
    try:
        return prepare_commit_msg(args[0], source, obj, fmt=fmt)
    except OSError as e:  # the message file
        from guardrails.errors import environment_error

        if environment_error(e) is not None:
            raise
        raise GuardrailsError(f"cannot read or write the commit message file: {e}",
                              "run it as git's prepare-commit-msg hook (stages: "
                              "[prepare-commit-msg]), which passes that file") from None
