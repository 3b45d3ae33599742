"""git-guardrails help [COMMAND...]: the manual page, as ``git help`` opens git's.

``git guardrails --help`` never reaches this command: git turns it into ``git help
guardrails``, i.e. ``man git-guardrails``, which finds the page installed with the package
when man's search path covers it (guardrails/manpage.py, FILES). This command opens the page
of this environment by its file (``man -l``), so it works whatever MANPATH says, and falls
back to the command's own ``--help`` text where there is no man.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import click

from guardrails.errors import GuardrailsError


@click.command("help")
@click.argument("names", nargs=-1, metavar="[COMMAND]...")
@click.pass_context
def command(ctx: click.Context, names: tuple[str, ...]) -> int:
    """Show the manual page of git-guardrails or of one of its commands."""
    from guardrails import manpage

    root = ctx.find_root().command
    assert isinstance(root, click.Group)
    cmd: click.Command = root
    parent = ctx.find_root()
    for name in names:
        sub = cmd.get_command(parent, name) if isinstance(cmd, click.Group) else None
        if sub is None:
            known = ", ".join(cmd.list_commands(parent)) if isinstance(cmd, click.Group) else ""
            raise GuardrailsError(
                f"no such command: {' '.join(names)}",
                f"git guardrails help COMMAND, with one of: {known}" if known else
                f"git guardrails {' '.join(names[:-1])} --help")
        cmd = sub
        parent = click.Context(sub, info_name=name, parent=parent)
    page = "-".join(("git-guardrails", *names))
    man = shutil.which("man")
    path = manpage.installed(page + ".1")
    if man is not None and (path is not None or _man_finds(man, page)):
        args = [man, "-l", path] if path is not None else [man, page]
        return subprocess.run(args, check=False).returncode
    click.echo(cmd.get_help(parent))
    if man is None:
        click.echo("\n(no man on PATH: this is the --help text of the command)", err=True)
    return 0


def _man_finds(man: str, page: str) -> bool:
    proc = subprocess.run([man, "-w", page], capture_output=True, check=False,
                          env={**os.environ, "MANPAGER": "cat"})
    return proc.returncode == 0
