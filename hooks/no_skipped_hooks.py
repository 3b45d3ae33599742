"""no-skipped-hooks: in an agent commit, SKIP/PREK_SKIP naming a guardrails hook, added lines
that turn hooks or approvals off, and missing hook types fail; a pass is recorded for
require-checks.

What runs, its output formats and whether it may fail git: ``guardrails.hookrun.HOOKS``."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    from guardrails import hookrun

    return hookrun.main("no-skipped-hooks", argv)


if __name__ == "__main__":
    raise SystemExit(main())
