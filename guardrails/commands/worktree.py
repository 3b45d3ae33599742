"""git-guardrails worktree add PATH BRANCH [--task NAME | --allow …] [--base REF] /
worktree remove PATH [--force] [--discard-changes | --stash]"""
from __future__ import annotations

from typing import Optional

import click

from guardrails import git, report
from guardrails.sessions import lifecycle


@click.group("worktree")
def command() -> None:
    """Create a worktree with a session in it, or remove one."""


@command.command("add")
@click.argument("path", type=click.Path())
@click.argument("branch")
@click.argument("patterns", nargs=-1, metavar="[PATTERN]...")
@click.option("--task", metavar="NAME", help="A task of the trusted policy (default: the task "
              "whose branch glob covers BRANCH).")
@click.option("--allow", "allow", metavar="PATTERN", multiple=True,
              help="An ad-hoc session allowed to change these paths.")
@click.option("--base", metavar="REF", help="Where a new branch starts (default: the policy's "
              "base).")
@click.option("--agent", metavar="NAME", help="Who works in this session (recorded).")
def add(path: str, branch: str, patterns: tuple[str, ...], task: Optional[str],
        allow: tuple[str, ...], base: Optional[str], agent: Optional[str]) -> int:
    """`git worktree add PATH BRANCH` (a new branch from the base) and `start` in it."""
    if patterns and not allow:
        raise click.UsageError("extra arguments: patterns follow --allow")
    repo = git.discover()
    _sess, lines = lifecycle.worktree_add(repo, path, branch, task=task,
                                          allow=[*allow, *patterns], base=base, agent=agent)
    report.write(f"created worktree {path} on `{branch}`\n" + "\n".join(lines) + "\n")
    return 0


@command.command("remove")
@click.argument("path", type=click.Path())
@click.option("--force", is_flag=True,
              help="Remove it even with an active session or commits not merged into the base "
                   "(the branch is kept). Local changes still refuse: see the next two.")
@click.option("--discard-changes", is_flag=True,
              help="Delete the worktree's uncommitted and untracked files with it.")
@click.option("--stash", "stash_changes", is_flag=True,
              help="Keep the worktree's uncommitted and untracked files in a stash it names.")
def remove(path: str, force: bool, discard_changes: bool, stash_changes: bool) -> int:
    """`git worktree remove PATH`, refusing an active session or commits not merged into the
    base unless --force, and local changes (listed) unless --stash or --discard-changes."""
    repo = git.discover()
    report.write("\n".join(lifecycle.worktree_remove(
        repo, path, force=force, discard_changes=discard_changes,
        stash_changes=stash_changes)) + "\n")
    return 0
