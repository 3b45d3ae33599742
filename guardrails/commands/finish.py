"""git-guardrails finish [--force]"""
from __future__ import annotations

import click

from guardrails import git, lifecycle, report


@click.command("finish")
@click.option("--force", is_flag=True,
              help="End the session even when its record cannot be read.")
def command(force: bool) -> int:
    """End this worktree's session and print a short review (commits and diffstat since the
    base)."""
    repo = git.discover()
    report.write("\n".join(lifecycle.finish(repo, force=force)) + "\n")
    return 0
