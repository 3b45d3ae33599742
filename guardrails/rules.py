"""The rule catalogue: every rule id a finding may carry, with its default severity and the
one-line summary used by docs/rules.md and by SARIF's ``rules`` array.

A test keeps this table and docs/rules.md in step. Add a rule here, then document it there.
"""
from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    id: str
    severity: str
    summary: str


def _table(*rules: Rule) -> dict[str, Rule]:
    return {r.id: r for r in rules}


RULES: dict[str, Rule] = _table(
    # --- policy and task (foundation) ---
    Rule("no-task", "error",
         "An agent commit that no trusted task (or ad-hoc session) covers."),
    Rule("policy-worktree-differs", "warning",
         "The work tree's .guardrails.toml differs from the trusted one; it is not used."),
    # --- scope (foundation) ---
    Rule("scope-outside-allow", "error",
         "A changed path (either side of a rename) is outside the task's allow patterns."),
    Rule("scope-locked", "error",
         "A changed path matches the policy's locked patterns."),
    Rule("budget-max-files", "error", "A commit changes more files than the task's max-files."),
    Rule("budget-max-lines", "error",
         "A commit adds and removes more lines than the task's max-lines."),
    # --- sessions and baseline ---
    # --- skipped hooks and attestation ---
    # --- ref store ---
    Rule("refstore-lock-held", "error",
         "A git process still held a lock this commit needs after the bounded wait."),
    Rule("refstore-stale-lock", "error",
         "A lock file no running git process holds (a killed git left it); blocks git."),
    Rule("refstore-gc-running", "error",
         "git gc or git maintenance was still running after the bounded wait."),
    Rule("refstore-missing-object", "error",
         "Staged content whose object a concurrent prune removed before the commit."),
    Rule("refstore-commit-broken", "error",
         "A commit just made refers to objects that do not exist (post-commit)."),
    Rule("refstore-commit-lost", "error",
         "A commit reported as made is not on its branch (post-commit)."),
    Rule("refstore-rollback", "error",
         "A session branch went back to an older commit without a ref update."),
    Rule("refstore-prune-now", "error",
         "gc.pruneExpire=now: gc deletes objects other worktrees just wrote."),
    Rule("refstore-worktree-prune-now", "warning",
         "gc.worktreePruneExpire=now: gc drops worktrees whose directory is briefly gone."),
    Rule("refstore-auto-maintenance", "error",
         "Sessions are active while gc.auto or maintenance.auto is on."),
    Rule("refstore-worktree-prunable", "warning",
         "A worktree gc would prune (its directory is gone)."),
    Rule("refstore-worktree-locked", "warning",
         "A locked worktree: gc and worktree prune/remove leave it alone."),
    Rule("refstore-shared-branch", "error",
         "One branch checked out in two worktrees."),
    Rule("refstore-native-hooks", "warning",
         "Sessions are active but the native reference-transaction hooks are not installed."),
    # --- ci and review ---
)
