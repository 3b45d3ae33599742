"""Context: what every check needs, gathered once (repository, trusted policy, session, task).

Data flows one way: git -> changes -> policy/session -> checks -> findings -> report.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Optional

from guardrails import agents, changes, git, session
from guardrails import policy as policies
from guardrails.findings import WARNING, Finding
from guardrails.policy import Policy, Task

# every config key a pre-commit run reads, in one `git config` (policy base, hooks directory)
CONFIG = r"^(guardrails\.base|core\.hookspath)$"


@dataclass
class Context:
    repo: git.Repo
    policy: Optional[Policy]
    session: Optional[session.Session]
    task: Optional[Task]
    scope_source: str  # provenance of the scope: "main@1a2b3c4" or "session (ad hoc)"
    agent: Optional[str]  # why this is an agent commit ("claude-code", "session", …) or None
    branch: Optional[str]
    notes: list[Finding] = field(default_factory=list)  # findings from building the context
    # CONFIG's values, read once in the top level for the checks that need them (None: not read)
    config: Optional[dict[str, str]] = None

    @property
    def enforced(self) -> bool:
        """Checks apply: an agent commit, or a policy with enforce = "always"."""
        return self.agent is not None or (
            self.policy is not None and self.policy.enforce == "always"
        )

    @functools.cached_property
    def staged(self) -> list[changes.Change]:
        return changes.staged(self.repo)


def build(repo: Optional[git.Repo] = None, branch: Optional[str] = None) -> Context:
    repo = repo or git.discover()
    config = git.config(repo.toplevel, CONFIG)
    pol = policies.load_trusted(repo, config)
    sess = session.current(repo)
    branch = branch if branch is not None else repo.branch
    notes: list[Finding] = []

    wt = policies.worktree_copy(repo)
    if wt is not None and (pol is None or wt != pol.raw):
        trusted = pol.source if pol else "no trusted policy on the base branch"
        notes.append(Finding(
            "policy-worktree-differs",
            f"the work tree's {policies.FILENAME} differs from the trusted policy ({trusted}); "
            "it is not used",
            f"to change the policy, commit it on the base branch; to see the difference: "
            f"git diff {pol.source.split('@')[0] if pol else 'main'} -- {policies.FILENAME}",
            severity=WARNING, path=policies.FILENAME,
            policy=pol.source if pol else None,
        ))

    task: Optional[Task] = None
    source = pol.source if pol else ""
    if sess is not None and sess.allow and not sess.task:
        task = Task("ad hoc", (sess.branch or "",), tuple(sess.allow))
        source = "session (ad hoc)"
    elif pol is not None:
        task = pol.tasks.get(sess.task) if sess is not None and sess.task else \
            pol.task_for_branch(branch)

    agent: Optional[str] = "session" if sess is not None else agents.from_env()
    return Context(repo=repo, policy=pol, session=sess, task=task, scope_source=source,
                   agent=agent, branch=branch, notes=notes, config=config)


def for_range(repo: git.Repo, pol: Optional[Policy], branch: Optional[str]) -> Context:
    """CI and review: the policy read from the merge-base, the task from the head branch.

    No session and no environment markers: in CI a commit is an agent commit because a task
    covers its branch or because its own metadata marks an agent (contract "agent commit").
    """
    task = pol.task_for_branch(branch) if pol is not None else None
    return Context(repo=repo, policy=pol, session=None, task=task,
                   scope_source=pol.source if pol else "", agent=None, branch=branch)
