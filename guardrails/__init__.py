"""git-guardrails: keep coding agents honest in parallel git worktrees."""
