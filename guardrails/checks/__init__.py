"""Checks: one module per concern. Each exposes ``check(ctx) -> list[Finding]`` for the change
being committed (the index) and ``check_commits(ctx, commits) -> list[Finding]`` for a range.

Modules are imported only when run, so a hook pays only for the checks it runs.
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from guardrails import git
    from guardrails.context import Context
    from guardrails.findings import Finding
    from guardrails.scope.changes import Commit

# What the combined `guardrails` hook runs at pre-commit, in this order.
PRE_COMMIT = ("baseline", "scope", "bypass", "refstore")
# What `check --range` and the CI gate run per commit.
RANGE = ("scope", "bypass", "attest")
# What `git-guardrails doctor` runs: modules exposing ``diagnose(repo) -> list[Finding]``.
DOCTOR: tuple[str, ...] = ("bypass", "refstore", "sessions", "attest", "scope", "versions",
                           "agents")


def _module(name: str) -> Any:
    """``guardrails.checks.NAME`` (``__import__``: importlib and the warnings module it
    imports cost each hook ~0.3 ms)."""
    full = f"guardrails.checks.{name}"
    __import__(full)
    return sys.modules[full]


def prefetch(repo: git.Repo, names: Sequence[str]) -> None:
    """Start ahead the git commands these checks will run on the index (modules exposing
    ``prefetch(repo)``), so git works while the context is built (see git.prefetch)."""
    # baseline's reads the session record (json): the others' git runs meanwhile
    for name in sorted(names, key=lambda n: n == "baseline"):
        mod = _module(name)
        if hasattr(mod, "prefetch"):
            mod.prefetch(repo)


def run(ctx: Context, names: Sequence[str]) -> list[Finding]:
    found = list(ctx.notes)
    for name in names:
        mod = _module(name)
        found += mod.check(ctx)
    return found


def run_commits(ctx: Context, names: Sequence[str], commits: list[Commit]) -> list[Finding]:
    found = list(ctx.notes)
    for name in names:
        mod = _module(name)
        found += mod.check_commits(ctx, commits)
    return found
