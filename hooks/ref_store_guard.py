"""ref-store-guard: before an agent commit, wait out git operations holding shared ref locks
(bounded), refuse over stale locks (naming the command that clears them) and over a running gc,
and refuse a commit whose staged objects a concurrent prune removed."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    from guardrails.errors import handle
    from guardrails.refstore.guard import guard

    return handle("ref-store-guard", lambda: guard(list(argv) if argv is not None else None))


if __name__ == "__main__":
    raise SystemExit(main())
