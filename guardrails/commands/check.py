"""git-guardrails check [--staged | --range A..B] [--format text|json]"""
from __future__ import annotations

from typing import Optional

import click

from guardrails import checks, context, report
from guardrails.findings import exit_code
from guardrails.scope import changes


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
    if rng:
        found = checks.run_commits(ctx, checks.RANGE, changes.commit_range(ctx.repo, rng))
    else:
        found = checks.run(ctx, checks.PRE_COMMIT)
    meta = {"policy": ctx.scope_source or None, "task": ctx.task.name if ctx.task else None}
    report.write(report.render(found, fmt, meta))
    return exit_code(found)
