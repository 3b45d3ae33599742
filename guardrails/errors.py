"""The one error type for usage, configuration and environment problems (exit 2), and the one
handler every command and hook runs under.

Exit codes (CONTRACT "Findings and exit codes"): 0 no error findings, 1 error findings, 2 usage,
configuration or environment error (:class:`GuardrailsError`, and the OS errors a user can fix:
a full disk, a directory they cannot write), 3 an internal error (one line saying so and asking
for a report; the traceback only with ``--debug`` or ``GUARDRAILS_DEBUG=1``), 130 interrupted.
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Optional

OK = 0
FINDINGS = 1
USAGE = 2
INTERNAL = 3
INTERRUPTED = 130


class GuardrailsError(Exception):
    """Something is wrong before any check could run.

    ``message`` says what failed and why; ``fix`` is the exact command (or edit) that fixes it.
    Hooks and commands print both and exit 2.
    """

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message}\n  fix: {self.fix}"
        return self.message


def debug_enabled(argv: Optional[list[str]] = None) -> bool:
    """``GUARDRAILS_DEBUG=1`` (any value but empty and "0"), or ``--debug`` on the command line."""
    if os.environ.get("GUARDRAILS_DEBUG", "") not in ("", "0"):
        return True
    return "--debug" in (sys.argv[1:] if argv is None else argv)


# errno values that say "the machine, not guardrails": what the user can fix, with how
_ENV_ERRNOS = {
    "ENOSPC": "free space on the file system that holds it (df -h {where})",
    "EDQUOT": "free space within your disk quota (quota -s), then try again",
    "EROFS": "the file system is read-only: remount it read-write, or work in a writable clone",
    "EACCES": "run as the user that owns the repository, or fix the permissions: ls -ld {where}",
    "EPERM": "run as the user that owns the repository, or fix the permissions: ls -ld {where}",
    "EISDIR": "a directory stands where a file belongs: look at it (ls -la {where}) and move "
              "it away",
    "ENOTDIR": "a file stands where a directory belongs: look at it (ls -la {where}) and move "
               "it away",
    "EMFILE": "raise the open-file limit (ulimit -n) and try again",
    "ENFILE": "the system is out of open files: close programs and try again",
    "ENOMEM": "the machine is out of memory: close programs and try again",
    "EIO": "the disk reported an I/O error: check it (dmesg) before going on",
}


def environment_error(e: OSError) -> Optional[GuardrailsError]:
    """The :class:`GuardrailsError` (exit 2) for an OS error the user can fix, else None."""
    import errno as errnos

    name = errnos.errorcode.get(e.errno or 0, "")
    fix = _ENV_ERRNOS.get(name)
    if fix is None:
        return None
    where = e.filename if isinstance(e.filename, str) else None
    from guardrails.findings import printable, shell_path

    shown = printable(where) if where else "a file"
    path_arg = shell_path(os.path.dirname(where) or ".") if where else "."
    if name in ("EISDIR", "ENOTDIR") and where:
        path_arg = shell_path(where)
    return GuardrailsError(f"{e.strerror or name} ({name}): {shown}",
                           fix.format(where=path_arg))


def _say(prog: str, text: str) -> None:
    """One message on stderr, each line with its control characters escaped (messages quote
    names and values from files an agent can write: they must not drive the terminal)."""
    from guardrails.findings import printable

    text = "\n".join(printable(line) for line in text.split("\n"))
    try:
        sys.stderr.write(f"{prog}: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr is gone: the exit code says it all


def internal(prog: str, e: BaseException, argv: Optional[list[str]] = None) -> int:
    """Exit 3 for a bug of ours: one line (and the traceback under --debug)."""
    if debug_enabled(argv):
        import traceback

        try:
            traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
        except (OSError, ValueError):
            pass
    from guardrails.findings import printable

    _say(prog, f"internal error: {type(e).__name__}: {printable(str(e))[:300]}")
    _say(prog, "  this is a bug in git-guardrails: please report it, with the output of the "
               "same command run with GUARDRAILS_DEBUG=1 (or --debug)")
    return INTERNAL


def handle(prog: str, fn: Callable[[], int], argv: Optional[list[str]] = None,
           never_fail: str = "") -> int:
    """Run ``fn`` (a command or a hook) and turn every way it can end into the contract's exit
    code: its own return value; 2 for a GuardrailsError or an OS error the user can fix; 130 on
    Ctrl-C; 3 (never a bare traceback) for anything else. ``never_fail``: for a hook git must not
    see fail (post-checkout, post-commit), what did not happen ("no session recorded"): every
    problem is printed as a warning saying so, and it exits 0 (130 still on Ctrl-C)."""
    warn = f"warning: {never_fail}: " if never_fail else "error: "
    try:
        return fn()
    except GuardrailsError as e:
        _say(prog, warn + str(e))
        return OK if never_fail else USAGE
    except KeyboardInterrupt:
        _say(prog, "interrupted")
        return INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`| head`): nothing more to say, and nowhere to say it
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return OK if never_fail else FINDINGS
    except OSError as e:
        env = environment_error(e)
        if env is not None:
            if debug_enabled(argv):
                import traceback

                traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
            _say(prog, warn + str(env))
            return OK if never_fail else USAGE
        code = internal(prog, e, argv)
        return OK if never_fail else code
    except Exception as e:
        code = internal(prog, e, argv)
        return OK if never_fail else code
