"""Agent hooks for ``doctor``: each agent configured in the repository runs
``git-guardrails agent-hook``, its command resolves, and no setting drops it
(guardrails/agents/doctor.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guardrails import git
    from guardrails.findings import Finding


def diagnose(repo: git.Repo) -> list[Finding]:
    from guardrails.agents import doctor

    return doctor.diagnose(repo)
