"""The ``git-guardrails`` command (so also ``git guardrails …``).

Subcommands live one per module in guardrails/commands/ and are imported only when invoked.
Those in FAST read a plain command line themselves (``fast(args)``, None when it is not one)
and click is not imported at all: its import is ~25 ms, a tenth of ``ci`` over 1,000 commits.
"""
from __future__ import annotations

import importlib
import os
import sys

from guardrails.errors import GuardrailsError

TYPE_CHECKING = False  # typing is not imported at run time; mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import IO, Any, Optional

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


class _Pacified:
    """A standard stream whose flush ignores a closed pipe (click's _PacifyFlushWrapper), so a
    reader that went away does not cost a second EPIPE at exit."""

    def __init__(self, wrapped: IO[str]) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as e:
            import errno

            if e.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.wrapped, attr)


def _fast(args: list[str]) -> Optional[int]:
    """A FAST command's ``fast(args)``, with what click's ``main(standalone_mode=False)`` does
    around a command (Ctrl-C, a closed stdout); None: leave the command line to click."""
    mod = importlib.import_module(f"guardrails.commands.{COMMANDS[args[0]]}")
    try:
        rv: Optional[int] = mod.fast(args[1:])
    except (EOFError, KeyboardInterrupt):
        from guardrails import report

        report.echo_err("")
        report.echo_err("Aborted!")
        return 1
    except OSError as e:
        import errno

        if e.errno != errno.EPIPE:
            raise
        sys.stdout = _Pacified(sys.stdout)
        sys.stderr = _Pacified(sys.stderr)
        sys.exit(1)
    return rv


def _click(argv: Optional[Sequence[str]]) -> int:
    import click

    try:
        ret: Any = _group().main(args=list(argv) if argv is not None else None,
                                 prog_name="git-guardrails", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        return 1
    except click.ClickException as e:
        e.show()
        return 2
    return ret if isinstance(ret, int) else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        if args and args[0] in FAST and COMPLETE_VAR not in os.environ:
            rv = _fast(args)
            if rv is not None:
                return rv
        return _click(argv)
    except GuardrailsError as e:
        from guardrails import report

        report.echo_err(f"git-guardrails: error: {e}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
