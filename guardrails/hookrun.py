"""What every pre-commit hook entry point does: build the context, run its checks over the
index (or, with PRE_COMMIT_FROM_REF/TO_REF, over each commit of the range), print, exit."""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

    from guardrails import git
    from guardrails.context import Context


def range_from_env() -> Optional[str]:
    """The commit range of a pre-push or manual run as the runner gave it (for messages), or
    None for a pre-commit run."""
    frm, to = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if frm and to:
        return f"{frm}..{to}"
    if to or os.environ.get("PRE_COMMIT_REMOTE_NAME"):
        # a push whose history contains a root commit: everything not yet on a remote
        return f"{to or 'HEAD'} --not --remotes"
    return None


def push_range(ctx: Context, revs: list[str]) -> list[str]:
    """A pre-push run judges what ``ci`` will judge: ``merge-base(base, TO)..TO``, the agent
    work the branch adds, never the base branch's own (human) history, even on the first push
    to an empty remote (where the runner's range is everything not on a remote). The base is
    the trusted policy's (else the session's, else main/master); without a merge-base the
    runner's range stands. A manual run (``--from-ref``/``--to-ref``) keeps its range."""
    if not os.environ.get("PRE_COMMIT_REMOTE_NAME"):
        return revs
    from guardrails import git
    from guardrails.scope import policy as policies

    to = revs[0].split("..", 1)[1] if ".." in revs[0] else revs[0]  # a resolved commit id
    base = ctx.policy.base if ctx.policy is not None else \
        (ctx.session.base if ctx.session is not None and ctx.session.base else
         policies.local_base(ctx.repo))
    if not base:
        return revs
    proc = git.run("merge-base", "--end-of-options", f"refs/heads/{base}", to,
                   cwd=ctx.repo.toplevel, ok=(0, 1, 128))
    mb = proc.stdout.decode().strip()
    if proc.returncode != 0 or not mb:
        return revs
    return [f"{mb}..{to}"]


def range_revs(toplevel: str) -> Optional[list[str]]:
    """The ``git log`` arguments of :func:`range_from_env`'s range, each end resolved to a commit
    id first (one ``git rev-parse --end-of-options``): a value of PRE_COMMIT_FROM_REF/TO_REF
    is one revision, never split into words nor read as an option. Exit 2 when one does not
    name a commit."""
    frm, to = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if not (frm and to) and not (to or os.environ.get("PRE_COMMIT_REMOTE_NAME")):
        return None
    names = [("PRE_COMMIT_FROM_REF", frm), ("PRE_COMMIT_TO_REF", to)] if frm and to else \
        [("PRE_COMMIT_TO_REF", to or "HEAD")]
    from guardrails import git
    from guardrails.errors import GuardrailsError
    from guardrails.findings import printable

    oids: list[str] = []
    for var, value in names:
        assert value is not None
        proc = git.run("rev-parse", "-q", "--verify", "--end-of-options", f"{value}^{{commit}}",
                       cwd=toplevel, ok=(0, 1, 128))
        oid = proc.stdout.decode(errors="replace").strip()
        if proc.returncode != 0 or not oid:
            raise GuardrailsError(
                f"{var}={printable(value)!r} does not name a commit here",
                "give one revision each: pre-commit run --hook-stage manual --from-ref REV "
                "--to-ref REV (or prek run --from-ref REV --to-ref REV); "
                "check it with: git rev-parse --verify --end-of-options 'REV^{commit}'")
        oids.append(oid)
    return [f"{oids[0]}..{oids[1]}"] if len(oids) == 2 else [oids[0], "--not", "--remotes"]


def output_format(argv: Optional[Sequence[str]], prog: str) -> str:
    """The --format option. A hook's usual command line (nothing, or file names the runner
    passes) is read without argparse, which costs ~3 ms to import and set up; anything that
    looks like an option goes through argparse (same result, same errors and --help)."""
    args = sys.argv[1:] if argv is None else argv
    if not any(a.startswith("-") for a in args):
        return "text"  # positional file names only: argparse would ignore them too
    import argparse

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("filenames", nargs="*", help="ignored: the hook computes the change set")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    fmt: str = parser.parse_args(argv).format
    return fmt


def _stages_policy(repo: git.Repo) -> bool:
    """Whether the index changes .guardrails.toml (one ``git diff-index``; commits on the base
    branch only)."""
    from guardrails import git
    from guardrails.scope import policy

    proc = git.run("diff-index", "--cached", "--quiet", "HEAD", "--", policy.FILENAME,
                   cwd=repo.toplevel, ok=(0, 1, 128))
    return proc.returncode != 0


def _human_outside_session(repo: git.Repo) -> bool:
    """No session here, no agent marker, and a policy that does not say enforce = "always":
    a human's commit, which the pre-commit checks leave alone (the contract's agent commit)."""
    from guardrails.agents import markers as agents
    from guardrails.scope import policy
    from guardrails.sessions import session

    if session.current(repo) is not None or agents.from_env() is not None:
        return False
    if repo.branch in policy.DEFAULT_BASES and _stages_policy(repo):
        return False  # a commit on the base that changes the policy: judged by the new file
    try:
        return not policy.enforces_always(repo, valid=True)
    except policy.PolicyError:
        return False  # the full path turns a broken policy into a warning for a human


def run_hook(names: Sequence[str], argv: Optional[Sequence[str]] = None,
             prog: str = "guardrails") -> int:
    fmt = output_format(argv, prog)
    from guardrails.errors import handle

    return handle(prog, lambda: _run(names, fmt))


def _run(names: Sequence[str], fmt: str) -> int:
    from guardrails import checks, context, git

    repo = git.hook_repo()
    rng = range_revs(repo.toplevel)
    if rng is None and _human_outside_session(repo):
        # nothing applies: no git process beyond the policy's, no policy parse
        if fmt != "text":
            from guardrails import report

            report.write(report.render([], fmt, {"policy": None, "task": None}), sys.stdout)
        return 0
    if rng is None:  # git reads the index and config while the policy code is imported
        context.prefetch(repo)
        checks.prefetch(repo, names)
    from guardrails import report

    ctx = context.build(repo)
    if rng is None:
        found = checks.run(ctx, names)
    else:
        from guardrails.scope import changes

        rng = push_range(ctx, rng)
        found = checks.run_commits(ctx, names, changes.commits(ctx.repo, rng))
    if found:
        from guardrails.sessions.session import note_findings

        note_findings(ctx.repo.git_dir, found)  # for `git guardrails status`
    meta = {"policy": ctx.scope_source or None,
            "task": ctx.task.name if ctx.task else None}
    report.write(report.render(found, fmt, meta), sys.stdout)
    from guardrails.findings import exit_code

    return exit_code(found)
