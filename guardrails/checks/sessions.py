"""doctor: what interrupted commands and broken state files left behind (sessions.health)."""
from __future__ import annotations

from guardrails import git
from guardrails.findings import Finding


def diagnose(repo: git.Repo) -> list[Finding]:
    from guardrails.sessions import health

    return health.findings(repo)
