"""Where a worktree's session record lives, and whether there is one: what a hook asks
before it imports anything else (guardrails.sessions.session brings guardrails.state, json
and re)."""
from __future__ import annotations

import os

DIRNAME = "guardrails"
FILENAME = "session.json"


def path(git_dir: str) -> str:
    return os.path.join(git_dir, DIRNAME, FILENAME)


def is_active(git_dir: str) -> bool:
    """A record exists (readable or not): one stat, no parsing."""
    return os.path.lexists(path(git_dir))
