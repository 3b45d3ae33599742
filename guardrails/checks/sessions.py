"""doctor: the trusted policy parses; what interrupted commands and broken state files left
behind (guardrails.sessions.health)."""
from __future__ import annotations

from guardrails import git
from guardrails.errors import GuardrailsError
from guardrails.findings import Finding


def diagnose(repo: git.Repo) -> list[Finding]:
    from guardrails.scope import policy
    from guardrails.sessions import health

    found: list[Finding] = []
    try:
        policy.load_trusted(repo)
    except policy.PolicyError as e:  # its message names the file, the line (and column)
        found.append(Finding("policy-invalid", f"the trusted policy cannot be used: {e.message}",
                             e.fix, path=policy.FILENAME))
    except GuardrailsError as e:  # a configured base that is no branch, or does not exist
        found.append(Finding("policy-invalid", e.message, e.fix))
    return found + health.findings(repo)
