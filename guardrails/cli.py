"""The ``git-guardrails`` command (so also ``git guardrails …``).

Subcommands live one per module in guardrails/commands/ and are imported only when invoked.
Those in FAST read a plain command line themselves (``fast(args)``, None when it is not one)
and click is not imported at all: its import is ~25 ms, a tenth of ``ci`` over 1,000 commits.
"""
from __future__ import annotations

import importlib
import os
import sys

from guardrails.errors import INTERRUPTED, USAGE, handle

TYPE_CHECKING = False  # typing is not imported at run time; mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

    import click

# name -> module in guardrails.commands exposing a click command called `command`
COMMANDS = {
    "check": "check",
    "conflicts": "conflicts",
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
    "install-agent": "install_agent",
    "explain": "explain",
    "help": "help",
}
# commands whose module also has ``fast(args) -> Optional[int]``
FAST = ("ci", "agent-hook")
COMPLETE_VAR = "_GIT_GUARDRAILS_COMPLETE"  # click's shell completion (click path only)


def _group() -> click.Group:
    import click

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

    return cli


def _fast(args: list[str]) -> Optional[int]:
    """A FAST command's ``fast(args)``; None: leave the command line to click. Ctrl-C, a closed
    stdout and errors are :func:`guardrails.errors.handle`'s, as for every command."""
    mod = importlib.import_module(f"guardrails.commands.{COMMANDS[args[0]]}")
    rv: Optional[int] = mod.fast(args[1:])
    return rv


def _click(args: list[str]) -> int:
    import click

    try:
        ret: Any = _group().main(args=args, prog_name="git-guardrails", standalone_mode=False)
    except click.exceptions.Abort:  # click's word for Ctrl-C (and EOF at a prompt)
        sys.stderr.write("git-guardrails: interrupted\n")
        return INTERRUPTED
    except click.ClickException as e:
        e.show()
        return USAGE
    return ret if isinstance(ret, int) else 0


def _debug(args: list[str]) -> list[str]:
    """``--debug`` anywhere before ``--`` turns on tracebacks for internal errors
    (GUARDRAILS_DEBUG=1, which the hooks and git processes this command starts inherit)."""
    if "--debug" not in args:
        return args
    end = args.index("--") if "--" in args else len(args)
    if "--debug" not in args[:end]:
        return args
    os.environ["GUARDRAILS_DEBUG"] = "1"
    return [a for a in args[:end] if a != "--debug"] + args[end:]


def _dispatch(args: list[str]) -> int:
    if args and args[0] in FAST and COMPLETE_VAR not in os.environ:
        rv = _fast(args)
        if rv is not None:
            return rv
    return _click(args)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Every command runs under the one handler: exit 0 / 1 findings / 2 usage, configuration
    or environment / 3 internal error / 130 interrupted."""
    args = _debug(list(argv) if argv is not None else sys.argv[1:])
    return handle("git-guardrails", lambda: _dispatch(args), args)


if __name__ == "__main__":
    sys.exit(main())
