"""ref-store-guard: before an agent commit, wait out git operations holding shared ref locks
(bounded), refuse over stale locks (naming the command that clears them) and over a running gc,
and refuse a commit whose staged objects a concurrent prune removed.

What runs, its output formats and whether it may fail git: ``guardrails.hookrun.HOOKS``."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    from guardrails import hookrun

    return hookrun.main("ref-store-guard", argv)


if __name__ == "__main__":
    raise SystemExit(main())
