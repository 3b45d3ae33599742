"""The ``git-guardrails`` command (so also ``git guardrails …``).

Subcommands live one per module in guardrails/commands/ and are imported only when invoked.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any, Optional

import click

from guardrails.errors import GuardrailsError

# name -> module in guardrails.commands exposing a click command called `command`
COMMANDS = {
    "check": "check",
    "finish": "finish",
    "start": "start",
    "status": "status",
    "worktree": "worktree",
    "ci": "ci",
    "review": "review",
    "gc": "gc",
    "install": "install",
    "uninstall": "uninstall",
    "doctor": "doctor",
    "agent-hook": "agent_hook",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        mod = COMMANDS.get(cmd_name)
        if mod is None:
            return None
        cmd: click.Command = importlib.import_module(f"guardrails.commands.{mod}").command
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="git-guardrails")
def cli() -> None:
    """Guardrails for coding agents committing in parallel git worktrees."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        rv: Any = cli.main(args=list(argv) if argv is not None else None,
                           prog_name="git-guardrails", standalone_mode=False)
    except GuardrailsError as e:
        click.echo(f"git-guardrails: error: {e}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        return 1
    except click.ClickException as e:
        e.show()
        return 2
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
