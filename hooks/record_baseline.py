"""record-baseline (post-checkout): when `git worktree add` creates a worktree on a branch a task
of the trusted policy covers, record the session there. Never fails a checkout: always exit 0,
problems are printed as warnings.

A new worktree's checkout is the one whose previous HEAD is the null object id
(PRE_COMMIT_FROM_REF, or git's first argument) with PRE_COMMIT_CHECKOUT_TYPE=1 (a branch
checkout). Every other checkout is left alone.
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional


def _is_new_worktree(argv: Sequence[str]) -> bool:
    frm = os.environ.get("PRE_COMMIT_FROM_REF") or (argv[0] if len(argv) >= 3 else "")
    kind = os.environ.get("PRE_COMMIT_CHECKOUT_TYPE") or (argv[2] if len(argv) >= 3 else "")
    return kind == "1" and bool(frm) and set(frm) == {"0"}


def record(argv: Sequence[str]) -> Optional[str]:
    """Record the session if this checkout created a worktree on a task's branch; returns the
    line to print (None: nothing to say)."""
    if not _is_new_worktree(argv):
        return None
    from guardrails import git
    from guardrails.scope import policy as policies
    from guardrails.sessions import lifecycle, session

    if os.environ.get(lifecycle.PENDING):
        return None  # `git guardrails worktree add` records the session itself
    repo = git.discover()
    if repo.branch is None or session.is_active(repo.git_dir):
        return None
    pol = policies.load_trusted(repo)
    task = pol.task_for_branch(repo.branch) if pol else None
    if task is None:
        return None
    _sess, lines = lifecycle.start(repo, task=task.name, origin="post-checkout",
                                   refuse_dirty=False)
    return "record-baseline: " + "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from guardrails.errors import handle

    def run() -> int:
        line = record(args)
        if line:
            sys.stdout.write(line + "\n")
        return 0

    # never fails a checkout: every problem is a warning (internal errors too), exit 0
    return handle("record-baseline", run, never_fail="no session recorded")


if __name__ == "__main__":
    raise SystemExit(main())
