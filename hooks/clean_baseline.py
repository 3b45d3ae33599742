"""clean-baseline: an agent commit comes from a session that started clean, on its own
unprotected branch, on top of its baseline, and commits nothing that was dirty before it.

What runs, its output formats and whether it may fail git: ``guardrails.hookrun.HOOKS``."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    from guardrails import hookrun

    return hookrun.main("clean-baseline", argv)


if __name__ == "__main__":
    raise SystemExit(main())
