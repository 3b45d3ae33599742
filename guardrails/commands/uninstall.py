"""git-guardrails uninstall: remove the native hooks and restore what was there before."""
from __future__ import annotations

import click

from guardrails import git
from guardrails.refstore import native


@click.command("uninstall")
def command() -> int:
    """Remove the native hooks `install` wrote and put back the hooks they chained."""
    repo = git.discover()
    for line in native.uninstall(repo):
        click.echo(line)
    return 0
