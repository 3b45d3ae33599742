"""Which process, or which commit, is a coding agent's: one table of markers.

Environment markers are set by the agent in the shells it runs (so in git and in our hooks);
commit markers (trailers, author and committer identities) are what CI can see afterwards.
To add an agent, add a row; docs/agents.md lists them.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import NamedTuple, Optional


class EnvMarker(NamedTuple):
    var: str
    agent: str


class CommitMarker(NamedTuple):
    pattern: str  # a regex searched in "Name <email>" of author, committer and co-author trailers
    agent: str


ENV_MARKERS: tuple[EnvMarker, ...] = (
    EnvMarker("CLAUDECODE", "claude-code"),
    EnvMarker("CLAUDE_CODE_CHILD_SESSION", "claude-code"),
    EnvMarker("CODEX_THREAD_ID", "codex"),
    EnvMarker("CODEX_SANDBOX", "codex"),
    EnvMarker("GEMINI_CLI", "gemini-cli"),
    EnvMarker("CURSOR_AGENT", "cursor"),
    EnvMarker("OPENCODE", "opencode"),
    EnvMarker("AI_AGENT", "agent"),
    EnvMarker("AGENT", "agent"),
)

COMMIT_MARKERS: tuple[CommitMarker, ...] = (
    CommitMarker(r"\(aider\) <", "aider"),
    CommitMarker(r"<aider@aider\.chat>|<noreply@aider\.chat>", "aider"),
    CommitMarker(r"<noreply@anthropic\.com>", "claude-code"),
    CommitMarker(r"<cursoragent@cursor\.com>|^cursor\[bot\] <", "cursor"),
    CommitMarker(r"<amp@ampcode\.com>", "amp"),
    CommitMarker(r"<noreply@opencode\.ai>", "opencode"),
    CommitMarker(r"^copilot-swe-agent\[bot\] <", "copilot"),
    CommitMarker(r"^devin-ai-integration\[bot\] <", "devin"),
    CommitMarker(r"^cline\[bot\] <", "cline"),
    CommitMarker(r"<crystal@stravu\.com>", "crystal"),
)

_TRAILER = re.compile(r"^co-authored-by:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def from_env(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The agent whose marker is in the environment (``AGENT=amp`` names itself), or None."""
    env = os.environ if env is None else env
    for m in ENV_MARKERS:
        value = env.get(m.var, "")
        if value and value not in ("0", "false"):
            if m.var in ("AGENT", "AI_AGENT") and value not in ("1", "true"):
                return value.split("_", 1)[0]
            return m.agent
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        if env.get(var, "").endswith("(aider)"):
            return "aider"
    return None


def from_commit(author: str, committer: str, message: str) -> Optional[str]:
    """The agent a commit's metadata names: ``author``/``committer`` are "Name <email>"."""
    idents = [author, committer, *(m.strip() for m in _TRAILER.findall(message))]
    for marker in COMMIT_MARKERS:
        rx = re.compile(marker.pattern, re.IGNORECASE)
        if any(rx.search(i) for i in idents):
            return marker.agent
    return None
