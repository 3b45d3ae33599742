"""git-guardrails install: the native hooks (reference-transaction, pre-auto-gc)."""
from __future__ import annotations

import click

from guardrails import git
from guardrails.refstore import native


@click.command("install")
def command() -> int:
    """Install the native reference-transaction and pre-auto-gc hooks (chained with existing
    hooks, into core.hooksPath when it is set). Running it again is harmless."""
    repo = git.discover()
    for line in native.install(repo):
        click.echo(line)
    return 0
