"""git-guardrails agent-hook AGENT: an agent's pre-tool hook (the payload on stdin, the answer
in that agent's protocol). AGENT is one of claude, codex, gemini, cursor, copilot, windsurf,
cline; the decision core and one adapter per protocol are in guardrails/agents/.

It runs on every shell and edit call of the agent, so the usual command line
(``agent-hook AGENT``) is read by :func:`fast` without importing click; ``--help`` and
anything else goes to the click command. Wiring: ``git guardrails install-agent AGENT``.
"""
from __future__ import annotations

import sys

from guardrails.agents.hook import AGENTS

TYPE_CHECKING = False  # typing is not imported at run time; mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional


def run(agent: str) -> int:
    from guardrails.agents import hook

    return hook.main(agent, sys.stdin.buffer.read())


def fast(args: Sequence[str]) -> Optional[int]:
    """``agent-hook AGENT`` exactly; None for anything else (click reads and reports it)."""
    if len(args) == 1 and args[0] in AGENTS:
        return run(args[0])
    return None


def _click_command() -> Any:
    import click

    @click.command("agent-hook")
    @click.argument("agent", type=click.Choice(AGENTS))
    def command(agent: str) -> int:
        """An agent's pre-tool hook: reads the tool call on stdin, answers in that agent's
        protocol (docs/agents.md). Install it with `git guardrails install-agent AGENT`."""
        return run(agent)

    return command


def __getattr__(name: str) -> Any:
    if name == "command":
        return _click_command()
    raise AttributeError(name)
