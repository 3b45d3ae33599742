"""verify-commit (post-commit): the commit just made is on its branch and every object it
introduced exists. Never fails the commit (git ignores post-commit's exit status); says loudly
what was lost and how to recover it, and journals it."""
from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    from guardrails.errors import handle
    from guardrails.hookrun import output_format

    output_format(argv, "verify-commit")  # file names are ignored; --help and typos answered

    def run() -> int:
        from guardrails import git, report
        from guardrails.refstore import guard as refstore

        found = refstore.verify_commit(git.hook_repo())
        if not found:
            return 0
        report.write(report.render(found, "text", {}), sys.stderr)
        # git ignores post-commit's status; non-zero makes pre-commit and prek show the output
        return 1

    # a post-commit hook must never look like a failed commit: problems are warnings, exit 0
    return handle("verify-commit", run, never_fail="could not verify the commit")


if __name__ == "__main__":
    raise SystemExit(main())
