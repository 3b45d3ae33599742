"""git-guardrails check [--staged | --range A..B [--branch NAME]] [--format …]

``--range`` judges the commits the way ``git-guardrails ci`` does (guardrails.review.judge:
one path for both): the policy committed where the range's head left the base branch, the task
of the head's branch, the per-commit and the branch-level checks. What it cannot judge (a head
whose branch it cannot tell, so no task) it says, with the count of commits left unchecked.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

import click

from guardrails import checks, context, report
from guardrails.findings import exit_code

if TYPE_CHECKING:
    from guardrails import git


@click.command("check")
@click.option("--staged", "mode", flag_value="staged", default=True,
              help="Check the index: what the next commit would contain (default).")
@click.option("--range", "rng", metavar="A..B",
              help="Check each commit of a range as `ci` does: A..B (what B adds that A does "
                   "not have), A...B (what B adds since its merge-base with A), or one commit.")
@click.option("--branch", metavar="NAME",
              help="With --range: the branch the commits are on, which picks the task "
                   "(default: B's branch, or HEAD's when B is HEAD).")
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text")
def command(mode: str, rng: Optional[str], branch: Optional[str], fmt: str) -> int:
    """Run every check now, on the index or on each commit of a range."""
    if rng is not None:
        return check_range(rng, branch, fmt)
    if branch is not None:
        raise click.UsageError("--branch goes with --range: git-guardrails check --range "
                               "main..HEAD --branch NAME")
    ctx = context.build()
    if ctx.agent is None and ctx.task is not None:
        ctx.agent = "task branch"  # asked for explicitly: check as the task's agent would be
    found = checks.run(ctx, checks.PRE_COMMIT)
    meta = {"policy": ctx.scope_source or None, "task": ctx.task.name if ctx.task else None}
    report.write(report.render(found, fmt, meta))
    return exit_code(found)


def check_range(spec: str, branch: Optional[str], fmt: str) -> int:
    from guardrails import git, progress
    from guardrails.review import judge as rv
    from guardrails.scope import policy as policies

    repo = git.discover()
    _check_spec(repo, spec)
    show = None
    if progress.wanted(fmt):
        show = progress.Progress("git-guardrails check")
    try:
        verdict = rv.judge(rv.gather_spec(repo, spec, policies.local_base(repo), branch,
                                          progress=show),
                           name_it=f"git-guardrails check --range {_quote(spec)} --branch "
                                   "BRANCH", progress=show)
    finally:
        if show is not None:
            show.done()
    meta = {**rv.meta(verdict), "range": spec}
    report.write(report.render(verdict.findings, fmt, meta, commits=rv.commit_rows(verdict)),
                 sys.stdout)
    return exit_code(verdict.findings)


def _check_spec(repo: git.Repo, rng: str) -> None:
    """``A..B``, ``A...B`` or one revision whose every end names a commit (resolved with
    ``--end-of-options``: nothing of it is an option); exit 2 naming the end that does not,
    instead of git's usage text, and for an empty range, which would check nothing."""
    from guardrails import git
    from guardrails.errors import GuardrailsError
    from guardrails.findings import printable, shell_path

    example = "git guardrails check --range main..HEAD"
    sep = "..." if "..." in rng else ".." if ".." in rng else ""
    ends = rng.split(sep, 1) if sep else [rng]
    # as git reads them: an empty end of A.. or ..B is HEAD; blanks, "..", or spaces name nothing
    if not rng.strip() or all(not e for e in ends) or any(e != e.strip() for e in ends) or \
            any(not e.strip() and e for e in ends):
        raise GuardrailsError(f"--range {printable(rng)!r} names no commits: give A..B (or one "
                              "revision)", example)
    for end in ends:
        if end and git.rev_parse(repo, end) is None:
            raise GuardrailsError(
                f"--range {printable(rng)!r}: `{printable(end)}` is not a commit here",
                f"{example}   (check it with: git rev-parse --verify --end-of-options "
                f"{shell_path(end + '^{commit}')})")


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)
