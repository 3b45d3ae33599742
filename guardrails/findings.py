"""Finding: the one result type every check returns and every report renders."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    rule: str  # a stable id from guardrails.rules (documented in docs/rules.md)
    message: str  # one line: what is wrong
    hint: str = ""  # the fix, ideally the exact command
    severity: str = ERROR  # "error" fails the hook/command; "warning" is printed only
    path: Optional[str] = None
    commit: Optional[str] = None
    line: Optional[int] = None
    policy: Optional[str] = None  # where the verdict's policy came from, e.g. main@1a2b3c4

    def to_dict(self) -> dict[str, Any]:
        # what dataclasses.asdict gives (fields in order), without its deep copy of each value:
        # every field is a str, an int or None (ci's json report renders 10,000s of these)
        return {"rule": self.rule, "message": self.message, "hint": self.hint,
                "severity": self.severity, "path": self.path, "commit": self.commit,
                "line": self.line, "policy": self.policy}


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


def shell_path(path: str) -> str:
    """A path for a command the user can paste into bash: shlex-quoted, or ANSI-C quoted
    (``$'odd\\nname'``) when it has control characters or non-UTF-8 bytes."""
    import shlex

    if _needs_quoting(path):
        return f"$'{_escape(path, chr(39))}'"
    return shlex.quote(path)
