"""What every pre-commit hook entry point does: build the context, run its checks over the
index (or, with PRE_COMMIT_FROM_REF/TO_REF, over each commit of the range), print, exit."""
from __future__ import annotations

import os
import sys

from guardrails.errors import GuardrailsError

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

    from guardrails import git


def range_from_env() -> Optional[str]:
    """The commit range of a pre-push or manual run, or None for a pre-commit run."""
    frm, to = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if frm and to:
        return f"{frm}..{to}"
    if to or os.environ.get("PRE_COMMIT_REMOTE_NAME"):
        # a push whose history contains a root commit: everything not yet on a remote
        return f"{to or 'HEAD'} --not --remotes"
    return None


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


def _human_outside_session(repo: git.Repo) -> bool:
    """No session here, no agent marker, and a policy that does not say enforce = "always":
    a human's commit, which the pre-commit checks leave alone (the contract's agent commit)."""
    from guardrails.agents import markers as agents
    from guardrails.scope import policy
    from guardrails.sessions import session

    return (session.current(repo) is None and agents.from_env() is None
            and not policy.enforces_always(repo))


def run_hook(names: Sequence[str], argv: Optional[Sequence[str]] = None,
             prog: str = "guardrails") -> int:
    fmt = output_format(argv, prog)
    try:
        from guardrails import checks, context, git

        repo = git.hook_repo()
        rng = range_from_env()
        if rng is None and _human_outside_session(repo):
            # nothing applies: no git process beyond the policy's, no policy parse
            if fmt != "text":
                from guardrails import report

                report.write(report.render([], fmt, {"policy": None, "task": None}),
                             sys.stdout)
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

            found = checks.run_commits(ctx, names, changes.commits(ctx.repo, rng.split()))
        if found:
            from guardrails.sessions.session import note_findings

            note_findings(ctx.repo.git_dir, found)  # for `git guardrails status`
        meta = {"policy": ctx.scope_source or None,
                "task": ctx.task.name if ctx.task else None}
        report.write(report.render(found, fmt, meta), sys.stdout)
        from guardrails.findings import exit_code

        return exit_code(found)
    except GuardrailsError as e:
        sys.stderr.write(f"{prog}: error: {e}\n")
        return 2
