"""git-guardrails start [--task NAME | --allow PATTERN…] [--allow-dirty | --stash] [--agent NAME]"""
from __future__ import annotations

from typing import Optional

import click

from guardrails import git, report
from guardrails.sessions import lifecycle


@click.command("start")
@click.option("--task", metavar="NAME", help="A task of the trusted policy (default: the task "
              "whose branch glob covers the current branch).")
@click.option("--allow", "allow", metavar="PATTERN", multiple=True,
              help="An ad-hoc session allowed to change these paths (.gitignore syntax); "
                   "repeat it, or list more patterns after it.")
@click.option("--allow-dirty", is_flag=True,
              help="Start on a dirty tree: record the dirty files, which can then never be "
                   "committed in this session.")
@click.option("--stash", is_flag=True,
              help="Stash every change (untracked files too) under a message naming the task.")
@click.option("--agent", metavar="NAME", help="Who works in this session (recorded).")
@click.argument("patterns", nargs=-1, metavar="[PATTERN]...")
def command(task: Optional[str], allow: tuple[str, ...], allow_dirty: bool, stash: bool,
            agent: Optional[str], patterns: tuple[str, ...]) -> int:
    """Begin a session in this worktree: refuse a dirty tree, a protected branch and a branch
    another worktree's session owns; record the baseline."""
    if patterns and not allow:
        raise click.UsageError("extra arguments: patterns follow --allow (start --allow 'a/**' "
                               "'b/**')")
    if allow_dirty and stash:
        raise click.UsageError("give either --allow-dirty or --stash, not both")
    mode = "allow-dirty" if allow_dirty else "stash" if stash else None
    repo = git.discover()
    _sess, lines = lifecycle.start(repo, task=task, allow=[*allow, *patterns], mode=mode,
                                   agent=agent)
    report.write("\n".join(lines) + "\n")
    return 0
