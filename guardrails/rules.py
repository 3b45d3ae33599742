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
    Rule("policy-invalid", "error",
         "The trusted .guardrails.toml does not parse (a warning for a human's commit), or a "
         "commit on the base branch stages one that does not."),
    Rule("policy-worktree-differs", "warning",
         "The work tree's .guardrails.toml differs from the trusted one; it is not used."),
    Rule("policy-slashless-pattern", "warning",
         "An allow pattern without a slash matches at any depth (config.json allows "
         "src/deep/config.json)."),
    Rule("policy-pattern-matches-nothing", "warning",
         "An allow or budget-exclude pattern matches no file on the base branch."),
    Rule("policy-tasks-overlap", "warning",
         "Two tasks' allow patterns both match files on the base branch."),
    # --- scope (foundation) ---
    Rule("scope-outside-allow", "error",
         "A changed path (either side of a rename) is outside the task's allow patterns."),
    Rule("scope-locked", "error",
         "A changed path matches the policy's locked patterns."),
    Rule("budget-max-files", "error", "A commit changes more files than the task's max-files."),
    Rule("budget-max-lines", "error",
         "A commit adds and removes more lines than the task's max-lines."),
    Rule("budget-branch-max-files", "error",
         "The branch (CI: merge-base..head; locally: the session and the index) changes more "
         "files than the task's branch-max-files."),
    Rule("budget-branch-max-lines", "error",
         "The branch (CI: merge-base..head; locally: the session and the index) adds and "
         "removes more lines than the task's branch-max-lines."),
    # --- sessions and baseline ---
    Rule("baseline-no-session", "error",
         "An agent process commits in a worktree without a session."),
    Rule("baseline-dirty-start", "error",
         "The session started on a dirty work tree without --allow-dirty."),
    Rule("baseline-protected-branch", "error",
         "An agent commit on a protected branch or on the base branch."),
    Rule("baseline-wrong-branch", "error",
         "A commit on another branch than the session's."),
    Rule("baseline-detached-head", "error",
         "A commit on a detached HEAD (not a rebase of the session's branch) in a session."),
    Rule("baseline-diverged", "error",
         "HEAD no longer descends from the session's baseline commit."),
    Rule("baseline-dirty-path", "error",
         "A staged path was dirty before the session started (--allow-dirty)."),
    Rule("session-unreadable", "warning",
         "A worktree's session record is corrupt or from another version (status)."),
    Rule("session-adhoc-on-task-branch", "warning",
         "A session record's ad-hoc scope on a branch a task covers: ignored, the task's "
         "scope applies."),
    Rule("state-invalid", "warning",
         "A state file guardrails keeps cannot be used (status, doctor); it names its repair."),
    Rule("session-half-made", "warning",
         "A start, finish or worktree add was interrupted and left state behind (status)."),
    Rule("session-orphan-stash", "warning",
         "A stash guardrails made that no session names: changes not yet taken back (status)."),
    Rule("session-runner-patch", "warning",
         "pre-commit's or prek's patch of set-aside changes was never put back (status)."),
    Rule("status-overlap", "warning",
         "Two active sessions have changed the same paths (status)."),
    Rule("status-stray-changes", "warning",
         "A worktree without a session became dirty while sessions are active (status)."),
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
    Rule("bypass-git-alias", "error",
         "A git alias in the configuration or the environment runs git with hooks skipped "
         "(alias.ci = commit --no-verify)."),
    Rule("bypass-agent-config", "error",
         "Agent settings turn hooks or approvals off (Aider, Claude Code, Codex, Gemini CLI)."),
    Rule("agent-skips-hooks", "error",
         "An agent's shell command would skip git hooks (--no-verify, core.hooksPath, SKIP=, "
         "HUSKY=0 …), however it is wrapped (agent-hook)."),
    Rule("agent-disables-guard", "error",
         "An agent's shell command would switch the guard off: delete or chmod installed hooks, "
         "write core.hooksPath or git's own files, uninstall the hooks, or end its session and "
         "start a wider one (agent-hook)."),
    Rule("agent-unresolved-command", "error",
         "An agent's git commit/push (or shell code) whose options cannot be read before it "
         "runs: a variable, command substitution or eval that may hold --no-verify (agent-hook)."),
    Rule("attest-unchecked", "error",
         "require-checks: an agent commit whose change the pre-commit stage of this very git "
         "commit did not check (--no-verify, no guardrails hook, the index changed after the "
         "check) is refused."),
    Rule("attest-missing", "error",
         "An agent commit has no Guardrails-Checked trailer: its hooks were skipped."),
    Rule("session-unchecked-commit", "error",
         "doctor: a session's commit has no valid Guardrails-Checked trailer: no pre-commit "
         "check saw its tree."),
    Rule("attest-mismatch", "error",
         "An agent commit's Guardrails-Checked id is not its own change's patch id: it changed "
         "after it was checked."),
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
         "A commit (just made, or on a session branch) refers to objects that do not exist."),
    Rule("refstore-commit-lost", "error",
         "A commit reported as made is not on its branch, or a session branch is gone."),
    Rule("refstore-rollback", "error",
         "A session branch moved to a commit that does not contain its previous value."),
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
    Rule("refstore-native-hooks", "error",
         "Sessions are active but the native reference-transaction hooks are not installed, "
         "or an installed shim cannot start Python or import guardrails (a warning there)."),
    Rule("refstore-ref-foreign", "error",
         "reference-transaction: a session's ref update moves another session's branch, a "
         "branch checked out in another worktree, or another worktree's HEAD (refused)."),
    Rule("refstore-ref-protected", "error",
         "reference-transaction: a session's ref update moves a branch the policy protects "
         "(refused)."),
    Rule("refstore-ref-unchecked", "error",
         "reference-transaction: a session commit lands on its branch with a tree the "
         "pre-commit checks never saw (--no-verify, SKIP, commit-tree + update-ref; refused)."),
    Rule("refstore-session-unreadable", "error",
         "reference-transaction: this worktree's session record cannot be read, so its branch "
         "updates are refused."),
    Rule("refstore-auto-gc-deferred", "error",
         "pre-auto-gc: git's automatic gc is deferred while agent sessions are active."),
    Rule("refstore-gc-sessions-active", "error",
         "git guardrails gc without --wait while agent sessions are active (refused)."),
    # --- installation (doctor) ---
    Rule("doctor-version-mismatch", "warning",
         "The git-guardrails command and a hook environment pre-commit or prek built for "
         "this repository are different versions (or commits)."),
    # --- agent pre-tool hooks (agent-hook, install-agent, doctor) ---
    Rule("agent-hook-error", "error",
         "The agent hook could not judge a tool call (bad input, no git, no cwd, an inherited "
         "GIT_DIR, a crash), so it blocked it."),
    Rule("agent-config-protected", "error",
         "An agent edit or shell write to agent or hook configuration (.claude/settings*.json, "
         ".codex/, .gemini/settings.json, .cursor/hooks.json, .github/hooks/ …)."),
    Rule("agent-edit-git-dir", "error",
         "An agent edit or shell write inside a git directory (hooks, config, session record)."),
    Rule("agent-edit-other-worktree", "error",
         "An agent in a session writes outside its worktree (the main checkout, another "
         "worktree), or into another session's worktree."),
    Rule("agent-edit-out-of-scope", "error",
         "An agent edit of a path outside the session task's allow patterns."),
    Rule("agent-edit-locked", "error", "An agent edit of a path the policy locks."),
    Rule("agent-commit-checks", "error",
         "A commit an agent is about to make fails the pre-commit checks (agents under which "
         "git hooks never run: Gemini CLI)."),
    Rule("agent-hook-missing", "warning",
         "An agent configured in the repository does not run git-guardrails agent-hook."),
    Rule("agent-hook-unresolved", "error",
         "The agent's hook command does not resolve to an executable: the agent runs no guard."),
    Rule("agent-hook-dropped", "error",
         "An agent setting silently drops the hook (allowManagedHooksOnly, "
         "hooksConfig.enabled=false, an untrusted Codex hook, disableAllHooks …)."),
    # --- ci and review ---
    Rule("ci-protected-branch", "error",
         "An agent commit on a protected branch (CI: the head branch matches `protected`)."),
    Rule("ci-policy-changed", "error",
         "The branch changes .guardrails.toml; CI judged it with the merge-base's policy "
         "(a warning when no agent commit changed it)."),
    Rule("ci-hook-config-changed", "error",
         "The branch changes hook configuration (.pre-commit-config.yaml, .husky/, agent "
         "settings); a warning when no agent commit changed it."),
    Rule("ci-merge-agent-branch", "error",
         "A merge commit brings another task's agent branch into this one."),
    Rule("ci-unsigned-commit", "error",
         "human-commits = \"signed\": a commit on a branch no task covers whose signature "
         "does not verify against the base's allowed signers (so it is judged an agent's)."),
    Rule("ci-unknown-branch", "warning",
         "The branch of the range's head cannot be told, so no task applies; only commits "
         "whose metadata marks an agent are checked (ci exits 2 instead unless every commit "
         "names its agent)."),
    # --- conflict forecast (conflicts, status, review, ci --against) ---
    Rule("conflict-with-base", "warning",
         "A branch would conflict with the base's current tip, or shares no history with it "
         "(an error with --strict)."),
    Rule("conflict-between-sessions", "warning",
         "Two branches (active sessions, or ci --against refs) would conflict with each other "
         "when both merge (an error with --strict)."),
)
