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
    Rule("bypass-skip-env", "error",
         "SKIP or PREK_SKIP names a guardrails hook in an agent commit (other hooks: warning)."),
    Rule("bypass-added-line", "error",
         "An added line turns hooks or approvals off (--no-verify, core.hooksPath, SKIP=, "
         "HUSKY=0, bypass/yolo modes, Aider's git-commit-verify: false); warning in docs."),
    Rule("bypass-hook-missing", "error",
         "A hook type the guardrails need is not installed for the worktree (post-checkout: "
         "warning)."),
    Rule("bypass-hookspath", "error",
         "core.hooksPath resolves to a directory that does not exist in the worktree (warning "
         "when it points elsewhere)."),
    Rule("bypass-env-hookspath", "error",
         "GIT_CONFIG_COUNT/KEY/VALUE or GIT_CONFIG_PARAMETERS override core.hooksPath."),
    Rule("bypass-agent-config", "error",
         "Agent settings turn hooks or approvals off (Aider, Claude Code, Codex, Gemini CLI)."),
    Rule("attest-missing", "error",
         "An agent commit has no Guardrails-Checked trailer: its hooks were skipped."),
    Rule("attest-mismatch", "error",
         "An agent commit's Guardrails-Checked id is not its own change's patch id: it changed "
         "after it was checked."),
    # --- ref store ---
    # --- ci and review ---
)
