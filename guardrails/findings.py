"""Finding: the one result type every check returns and every report renders."""
from __future__ import annotations

from guardrails.records import Frozen

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from typing import Optional

ERROR = "error"
WARNING = "warning"


class Finding(Frozen):
    __slots__ = ("rule", "message", "hint", "severity", "path", "commit", "line", "policy")  # noqa: RUF023
    rule: str  # a stable id from guardrails.rules (documented in docs/rules.md)
    message: str  # one line: what is wrong
    hint: str  # the fix, ideally the exact command
    severity: str  # "error" fails the hook/command; "warning" is printed only
    path: Optional[str]
    commit: Optional[str]
    line: Optional[int]
    policy: Optional[str]  # where the verdict's policy came from, e.g. main@1a2b3c4

    def __init__(self, rule: str, message: str, hint: str = "", severity: str = ERROR,
                 path: Optional[str] = None, commit: Optional[str] = None,
                 line: Optional[int] = None, policy: Optional[str] = None) -> None:
        super().__init__(rule, message, hint, severity, path, commit, line, policy)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def exit_code(findings: list[Finding]) -> int:
    """The contract's exit code: 1 when any finding is an error, else 0."""
    return 1 if has_errors(findings) else 0


def _needs_quoting(path: str) -> bool:
    if path.isprintable():  # the common case, at C speed: no Cc (controls) nor Cs (surrogates)
        return False
    return any(c < " " or c == "\x7f" or "\udc80" <= c <= "\udcff" for c in path)


def _escape(path: str, quote: Optional[str]) -> str:
    out = []
    for c in path:
        if "\udc80" <= c <= "\udcff":
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c < " " or c == "\x7f":
            out.append(f"\\x{ord(c):02x}")
        elif quote is not None and c in ("\\", quote):
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def printable(s: str) -> str:
    """One line whatever a message holds: control characters as ``\\n``, ``\\t`` or
    ``\\xNN``, bytes that are not UTF-8 (surrogate escapes) as ``\\xNN``."""
    return s if s.isprintable() else _escape(s, None)


def show_path(path: str) -> str:
    """A path for a message: as is, or C-quoted like git does when it has control characters
    or bytes that are not UTF-8 (``"odd\\nname"``, ``"caf\\xe9"``)."""
    return f'"{_escape(path, chr(34))}"' if _needs_quoting(path) else path


def is_utf8(path: str) -> bool:
    """Whether the name's bytes were UTF-8 (no surrogate escapes of undecodable bytes)."""
    return path.isprintable() or not any("\udc80" <= c <= "\udcff" for c in path)


def git_quoted(path: str) -> str:
    """The name as git C-quotes it (``core.quotePath=false``): in double quotes, undecodable
    bytes and control characters as octal ``\\ooo`` (``\\t``, ``\\n`` …), ``"`` and ``\\``
    escaped; a name with neither is returned as it is. ``git.unquote`` reverses it."""
    if not _needs_quoting(path) and '"' not in path[:1]:
        return path
    named = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v",
             "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
    out = []
    for c in path:
        if "\udc80" <= c <= "\udcff":
            out.append(f"\\{ord(c) - 0xDC00:03o}")
        elif c in named:
            out.append(named[c])
        elif c < " " or c == "\x7f":
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def shell_path(path: str) -> str:
    """A path for a command the user can paste into bash: shlex-quoted, or ANSI-C quoted
    (``$'odd\\nname'``) when it has control characters or non-UTF-8 bytes."""
    import shlex

    if _needs_quoting(path):
        return f"$'{_escape(path, chr(39))}'"
    return shlex.quote(path)
