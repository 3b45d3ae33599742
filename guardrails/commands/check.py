"""git-guardrails check [--staged | --range A..B] [--format text|json]"""
from __future__ import annotations

from typing import Optional

import click

from guardrails import checks, context, git, report
from guardrails.findings import exit_code, shell_path
from guardrails.scope import changes


def _range(repo: git.Repo, rng: str) -> str:
    """``A..B``, ``A...B`` or one revision, each end resolved to a commit id (so nothing of it
    is read as an option or split into words); exit 2 naming the end that does not resolve."""
    from guardrails.errors import GuardrailsError
    from guardrails.findings import printable

    example = "git guardrails check --range main..HEAD"
    sep = "..." if "..." in rng else ".." if ".." in rng else ""
    ends = rng.split(sep, 1) if sep else [rng]
    if not rng.strip() or any(not e.strip() for e in ends):
        raise GuardrailsError(f"--range {printable(rng)!r} names no commits: give A..B (or one "
                              "revision)", example)
    oids = []
    for end in ends:
        oid = git.rev_parse(repo, end)
        if oid is None:
            raise GuardrailsError(
                f"--range {printable(rng)!r}: `{printable(end)}` is not a commit here",
                f"{example}   (check it with: git rev-parse --verify --end-of-options "
                f"{shell_path(end + '^{commit}')})")
        oids.append(oid)
    return sep.join(oids)


@click.command("check")
@click.option("--staged", "mode", flag_value="staged", default=True,
              help="Check the index: what the next commit would contain (default).")
@click.option("--range", "rng", metavar="A..B", help="Check each commit of a range.")
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text")
def command(mode: str, rng: Optional[str], fmt: str) -> int:
    """Run every check now, on the index or on each commit of a range."""
    ctx = context.build()
    if ctx.agent is None and ctx.task is not None:
        ctx.agent = "task branch"  # asked for explicitly: check as the task's agent would be
    if rng is not None:
        spec = _range(ctx.repo, rng)
        found = checks.run_commits(ctx, checks.RANGE, changes.commit_range(ctx.repo, spec))
    else:
        found = checks.run(ctx, checks.PRE_COMMIT)
    meta = {"policy": ctx.scope_source or None, "task": ctx.task.name if ctx.task else None}
    report.write(report.render(found, fmt, meta))
    return exit_code(found)
