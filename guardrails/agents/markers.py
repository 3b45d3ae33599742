"""Which process, or which commit, is a coding agent's: one table of markers.

Environment markers are set by the agent in the shells it runs (so in git and in our hooks);
commit markers (trailers, author and committer identities) are what CI can see afterwards.
To add an agent, add a row; docs/agents.md lists them.
"""
from __future__ import annotations

import os

from guardrails.records import Frozen

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    import re
    from collections.abc import Mapping
    from typing import Optional


class EnvMarker(Frozen):
    __slots__ = ("var", "agent", "value")  # noqa: RUF023
    var: str
    agent: str
    value: str  # "": any value but empty/0/false/no counts; else only this value

    def __init__(self, var: str, agent: str, value: str = "") -> None:
        super().__init__(var, agent, value)


class CommitMarker(Frozen):
    __slots__ = ("pattern", "agent")  # noqa: RUF023
    pattern: str  # a regex searched in "Name <email>" of author, committer and co-author trailers
    agent: str

    def __init__(self, pattern: str, agent: str) -> None:
        super().__init__(pattern, agent)


class MessageMarker(Frozen):
    __slots__ = ("pattern", "agent")  # noqa: RUF023
    pattern: str  # a regex searched (multi-line) in the commit message
    agent: str

    def __init__(self, pattern: str, agent: str) -> None:
        super().__init__(pattern, agent)


ATTESTED = "guardrails-attested"  # the agent name of a commit marked only by its trailer

ENV_MARKERS: tuple[EnvMarker, ...] = (
    EnvMarker("CLAUDECODE", "claude-code"),
    EnvMarker("CLAUDE_CODE_CHILD_SESSION", "claude-code"),
    EnvMarker("CODEX_THREAD_ID", "codex"),
    EnvMarker("CODEX_SANDBOX", "codex"),
    EnvMarker("GEMINI_CLI", "gemini-cli"),
    EnvMarker("CURSOR_AGENT", "cursor"),
    EnvMarker("CODEX_CI", "codex"),
    EnvMarker("COPILOT_CLI", "copilot"),
    EnvMarker("COPILOT_AGENT", "copilot"),
    EnvMarker("CLINE_ACTIVE", "cline"),
    EnvMarker("CURSOR_EXTENSION_HOST_ROLE", "cursor", "agent-exec"),
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
    CommitMarker(r"^google-labs-jules\[bot\] <", "jules"),
    CommitMarker(r"<crystal@stravu\.com>", "crystal"),
)

MESSAGE_MARKERS: tuple[MessageMarker, ...] = (
    MessageMarker(r"^Claude-Session:", "claude-code"),
    MessageMarker(r"Generated with \[Claude Code\]", "claude-code"),
    MessageMarker(r"^Amp-Thread-ID:", "amp"),
    MessageMarker(r"^Agent-Logs-Url: https://github\.com/", "copilot"),
    MessageMarker(r"\Aaider: ", "aider"),
    # require-checks adds this trailer to agent commits only (docs/skipped-hooks.md): whoever
    # made the commit, CI judges it as an agent's, so an agent cannot pass as a human by
    # committing through the hooks on a branch no task covers
    MessageMarker(r"^Guardrails-Checked:[ \t]*\S+[ \t]*$", ATTESTED),
)

# Names given in the environment by ``AGENT``/``AI_AGENT`` that mean "some agent" rather than
# naming one.
_GENERIC = ("1", "true", "yes")
# Vendor prefixes of ``AI_AGENT`` values such as ``github_copilot_vscode_agent``: the agent is
# the part after the vendor.
_VENDORS = ("github", "google", "openai", "anthropic", "microsoft", "amazon", "aws")
# What agents call themselves there, as the tables name them.
_ALIASES = {"claude": "claude-code", "claudecode": "claude-code", "gemini": "gemini-cli",
            "codex-cli": "codex", "cursor-agent": "cursor", "cursor-cli": "cursor",
            "github-copilot": "copilot", "copilot-cli": "copilot"}


def agent_name(value: str) -> str:
    """The agent an ``AGENT``/``AI_AGENT`` value names: ``claude-code_2-1-263_agent`` →
    ``claude-code``, ``<name>@<version>`` → ``<name>``, ``github_copilot_vscode_agent`` →
    ``copilot``; ``1``/``true`` → ``agent``."""
    v = value.strip().lower()
    if v in _GENERIC:
        return "agent"
    v = v.split("@", 1)[0].strip()
    parts = [p for p in v.replace(" ", "_").split("_") if p]
    import re  # here: a hook that only reads the environment compiles nothing

    while parts and (parts[-1] in ("agent", "cli") or re.fullmatch(r"v?[0-9][0-9.-]*",
                                                                    parts[-1])):
        parts.pop()
    if len(parts) > 1 and parts[0] in _VENDORS:
        parts = parts[1:]
    name = parts[0] if parts else "agent"
    return _ALIASES.get(name, name)

_TRAILER = r"^co-authored-by:\s*(.+)$"  # compiled on first use (hooks rarely need it)

_COMPILED: list[tuple[tuple[tuple[re.Pattern[str], str], ...], ...]] = []


def _compiled() -> tuple[tuple[tuple[re.Pattern[str], str], ...], ...]:
    """The marker tables compiled once, on first use (from_commit runs for every commit of a
    range, several times; hooks that never call it do not pay for the compiling)."""
    if not _COMPILED:
        import re

        _COMPILED.append((
            tuple((re.compile(m.pattern, re.IGNORECASE), m.agent) for m in COMMIT_MARKERS),
            tuple((re.compile(m.pattern, re.MULTILINE), m.agent) for m in MESSAGE_MARKERS),
        ))
    return _COMPILED[0]


def env_marker(env: Optional[Mapping[str, str]] = None) -> Optional[tuple[str, str]]:
    """(``VAR=value``, agent) for the first agent marker in the environment, or None.

    A marker counts when set to anything but empty, ``0`` or ``false``. ``AGENT``/``AI_AGENT``
    name the agent themselves (``AGENT=amp``, ``AI_AGENT=claude-code_2-1-263_agent``).
    Aider sets no variable of its own, but names its commits "<name> (aider)" through
    ``GIT_AUTHOR_NAME``/``GIT_COMMITTER_NAME``, which reach the hooks.
    """
    env = os.environ if env is None else env
    for m in ENV_MARKERS:
        value = env.get(m.var, "")
        if m.value and value.strip() != m.value:
            continue
        if value and value.lower() not in ("0", "false", "no"):
            agent = m.agent
            if m.var in ("AGENT", "AI_AGENT"):
                agent = agent_name(value)
            return f"{m.var}={value}", agent
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        value = env.get(var, "")
        if value.rstrip().endswith("(aider)"):
            return f"{var}={value}", "aider"
    return None


def from_env(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The agent whose marker is in the environment (``AGENT=amp`` names itself), or None."""
    found = env_marker(env)
    return found[1] if found else None


def from_commit(author: str, committer: str, message: str) -> Optional[str]:
    """The agent a commit's metadata names: ``author``/``committer`` are "Name <email>"."""
    import re

    trailers = re.findall(_TRAILER, message, re.IGNORECASE | re.MULTILINE)
    idents = [author, committer, *(m.strip() for m in trailers)]
    commit_rx, message_rx = _compiled()
    for rx, agent in commit_rx:
        if any(rx.search(i) for i in idents):
            return agent
    for mrx, agent in message_rx:
        if mrx.search(message):
            return agent
    return None


def known_agents() -> list[str]:
    """Every agent name the tables know, for docs and messages."""
    names = {m.agent for m in ENV_MARKERS} | {m.agent for m in COMMIT_MARKERS} | {
        m.agent for m in MESSAGE_MARKERS}
    return sorted(names - {"agent"})
