"""Sessions: one task in one worktree, from start to finish; worktrees made for them."""
