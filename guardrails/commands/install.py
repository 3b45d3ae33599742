"""git-guardrails install: the native hooks (reference-transaction, pre-auto-gc)."""
from __future__ import annotations

import click

from guardrails import git
from guardrails.refstore import native


@click.command("install")
@click.option("--pre-commit", "pre_commit", is_flag=True,
              help="also a native pre-commit hook: ref-store-guard, in shell for the common "
                   "case (for a repository without pre-commit/prek; with a runner, its "
                   "`guardrails` hook id does this)")
def command(pre_commit: bool) -> int:
    """Install the native reference-transaction, pre-auto-gc, post-checkout and post-commit
    hooks (chained with existing hooks, into core.hooksPath when it is set). Running it again
    is harmless."""
    repo = git.discover()
    for line in native.install(repo, pre_commit=pre_commit):
        click.echo(line)
    return 0
