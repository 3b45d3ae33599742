"""Finding: the one result type every check returns and every report renders."""
from __future__ import annotations

from dataclasses import asdict, dataclass
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
        return asdict(self)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def exit_code(findings: list[Finding]) -> int:
    """The contract's exit code: 1 when any finding is an error, else 0."""
    return 1 if has_errors(findings) else 0
