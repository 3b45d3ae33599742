"""check-scope: every changed path inside the task's allow patterns, none locked, budgets
held (pre-commit: the index; pre-push/manual: each commit of FROM_REF..TO_REF)."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    from guardrails.hookrun import run_hook

    return run_hook(("scope",), argv, prog="check-scope")


if __name__ == "__main__":
    raise SystemExit(main())
