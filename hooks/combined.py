"""guardrails: every pre-commit-stage check in one process (the fast path)."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    from guardrails.checks import PRE_COMMIT
    from guardrails.hookrun import run_hook

    return run_hook(PRE_COMMIT, argv, prog="guardrails")


if __name__ == "__main__":
    raise SystemExit(main())
