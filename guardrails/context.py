"""Context: what every check needs, gathered once (repository, trusted policy, session, task).

Data flows one way: git -> changes -> policy/session -> checks -> findings -> report.
"""
from __future__ import annotations

from guardrails import git
from guardrails.scope import changes

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Optional

    from guardrails.findings import Finding
    from guardrails.git.patchlog import PatchLog
    from guardrails.scope.policy import Policy, Task
    from guardrails.sessions import session

# every config key a pre-commit run reads, in one `git config` (policy base, hooks directory)
CONFIG = r"^(guardrails\.base|core\.hookspath)$"


class Context:
    """What the checks share (a plain class: dataclasses cost every hook start-up)."""

    def __init__(self, repo: git.Repo, policy: Optional[Policy],
                 session: Optional[session.Session], task: Optional[Task],
                 scope_source: str, agent: Optional[str], branch: Optional[str],
                 notes: Optional[list[Finding]] = None,
                 config: Optional[dict[str, str]] = None) -> None:
        self.repo = repo
        self.policy = policy
        self.session = session
        self.task = task
        self.scope_source = scope_source  # "main@1a2b3c4", "session (ad hoc)": the scope's source
        self.agent = agent  # why this is an agent commit ("claude-code", "session", …) or None
        self.branch = branch
        self.notes: list[Finding] = [] if notes is None else notes  # from building the context
        # CONFIG's values, read once in the top level for the checks that need them (None: not read)
        self.config = config
        self._staged: Optional[list[changes.Change]] = None
        # CI with human-commits = "signed": the commits whose signature verified against the
        # merge-base's allowed signers (None: every commit without an agent mark is a human's)
        self.signed_humans: Optional[frozenset[str]] = None
        # a range's patch log (guardrails.git.patchlog): started by review.gather beside the
        # range's raw log, else read on first use (:meth:`patches`); :meth:`close` joins it
        self.log: Optional[PatchLog] = None

    @property
    def enforced(self) -> bool:
        """Checks apply: an agent commit, or a policy with enforce = "always"."""
        return self.agent is not None or (
            self.policy is not None and self.policy.enforce == "always"
        )

    def is_agent_commit(self, c: changes.Commit) -> bool:
        """The contract's "agent commit" for a commit of a range: made in a session or an
        agent's process (locally), a task covers the branch, the commit's own metadata marks
        an agent (a ``Guardrails-Checked`` trailer included), or — with human-commits =
        "signed" — its signature does not verify. ``enforce = "always"`` makes checks apply to
        human commits too; it never makes them agent commits."""
        return self.agent is not None or self.task is not None or \
            changes.agent_of(c) is not None or self.unsigned(c)

    def unsigned(self, c: changes.Commit) -> bool:
        """human-commits = "signed" and ``c``'s signature did not verify."""
        return self.signed_humans is not None and c.oid not in self.signed_humans

    def patches(self, oids: Sequence[str]) -> PatchLog:
        """The patch log of the range's commits ``oids``: the one started for the range, else
        one read now for exactly these commits (kept whole: a pre-push range is short)."""
        if self.log is None:
            from guardrails.git.patchlog import PatchLog

            self.log = PatchLog.read(self.repo, oids, lines=True)
        return self.log

    def close(self) -> None:
        """Wait for the range's patch log, if one runs (whoever built the context is done)."""
        if self.log is not None:
            self.log.close()

    @property
    def staged(self) -> list[changes.Change]:
        """The index's changes against HEAD, read once."""
        if self._staged is None:
            self._staged = changes.staged(self.repo)
        return self._staged


def prefetch(repo: git.Repo) -> None:
    """Start :func:`build`'s ``git config`` ahead (see git.prefetch): a hook calls it before
    importing the policy code (tomllib), so git runs meanwhile."""
    git.prefetch(*git.config_args(CONFIG), cwd=repo.toplevel)


def build(repo: Optional[git.Repo] = None, branch: Optional[str] = None) -> Context:
    from guardrails.agents import markers as agents
    from guardrails.findings import WARNING, Finding
    from guardrails.scope import policy as policies
    from guardrails.scope.policy import Task

    repo = repo or git.discover()
    config = git.config(repo.toplevel, CONFIG)
    from guardrails.sessions import session  # (ci's contexts have none: ~1.5 ms with state)

    sess = session.current(repo)
    branch = branch if branch is not None else repo.branch
    notes: list[Finding] = []
    try:
        pol = policies.load_trusted(repo, config)
        broken: Optional[Finding] = None
    except policies.PolicyError as e:
        # a broken policy never locks a human out: outside a session and without an agent
        # marker it is a warning (agents and sessions still stop: exit 2)
        if sess is not None or agents.from_env() is not None:
            raise
        pol = None
        broken = Finding("policy-invalid", f"the trusted policy cannot be used: {e.message}",
                         e.fix, severity=WARNING, path=policies.FILENAME)
    staged, repairs = policies.staged_policy_findings(repo, branch, pol, config)
    notes += staged
    if broken is not None and not repairs:
        notes.append(broken)

    wt = policies.worktree_copy(repo)
    if wt is not None and (pol is None or not policies.same_text(wt, pol.raw)):
        notes += _worktree_policy(repo, pol, wt, branch)

    task: Optional[Task] = None
    source = pol.source if pol else ""
    covering = pol.task_for_branch(sess.branch or branch) if pol is not None and \
        sess is not None and sess.allow and not sess.task and (sess.branch or branch) else None
    if covering is not None:
        from guardrails.findings import WARNING, Finding

        # an ad-hoc scope never widens a task: `start --allow` refuses a task's branch, so a
        # record saying so was written by hand; the trusted task decides
        task = covering
        notes.append(Finding(
            "session-adhoc-on-task-branch",
            f"this session's ad-hoc scope ({', '.join(sess.allow) if sess else ''}) is ignored: "
            f"task `{covering.name}` of the trusted policy covers branch "
            f"`{sess.branch if sess else branch}`, and its allow patterns apply",
            "git guardrails finish && git guardrails start --task " + covering.name,
            severity=WARNING, policy=pol.source if pol else None))
    elif sess is not None and sess.allow and not sess.task:
        task = Task("ad hoc", (sess.branch or "",), tuple(sess.allow))
        source = "session (ad hoc)"
    elif pol is not None:
        task = pol.tasks.get(sess.task) if sess is not None and sess.task else \
            pol.task_for_branch(branch)

    if pol is not None and task is not None and task.name in pol.tasks:
        notes += policies.lint_static(pol, [task])  # the task in use: its patterns' warnings
    agent: Optional[str] = "session" if sess is not None else agents.from_env()
    return Context(repo=repo, policy=pol, session=sess, task=task, scope_source=source,
                   agent=agent, branch=branch, notes=notes, config=config)


def _worktree_policy(repo: git.Repo, pol: Optional[Policy], wt: bytes,
                     branch: Optional[str]) -> list[Finding]:
    """policy-worktree-differs, unless the work tree is on the base branch the policy is read
    from with its copy staged: that is the policy being committed there (its first commit
    too), which is how a policy changes."""
    from guardrails.findings import WARNING, Finding
    from guardrails.scope import policy as policies

    base = pol.source.rsplit("@", 1)[0] if pol else policies.local_base(repo)
    on_base = branch is not None and branch == base
    if on_base:
        (staged,) = git.cat_file(repo, [f":{policies.FILENAME}"])
        if staged is not None and policies.same_text(wt, staged.data):
            return []
        return [Finding(
            "policy-worktree-differs",
            f"the work tree's {policies.FILENAME} is not committed on `{base}`: the checks use "
            f"{pol.source if pol else 'no policy'} until it is",
            f"git add {policies.FILENAME} && git commit   # to see the change: "
            f"git diff HEAD -- {policies.FILENAME}",
            severity=WARNING, path=policies.FILENAME, policy=pol.source if pol else None)]
    trusted = pol.source if pol else "no trusted policy on the base branch"
    return [Finding(
        "policy-worktree-differs",
        f"the work tree's {policies.FILENAME} differs from the trusted policy ({trusted}); "
        "it is not used",
        f"to change the policy, commit it on the base branch; to see the difference: "
        f"git diff {base or 'main'} -- {policies.FILENAME}",
        severity=WARNING, path=policies.FILENAME, policy=pol.source if pol else None)]


def for_range(repo: git.Repo, pol: Optional[Policy], branch: Optional[str],
              log: Optional[PatchLog] = None) -> Context:
    """CI and review: the policy read from the merge-base, the task from the head branch;
    ``log``: the range's patch log, started ahead (review.gather), which the context now owns.

    No session and no environment markers: in CI a commit is an agent commit because a task
    covers its branch or because its own metadata marks an agent (contract "agent commit").
    """
    task = pol.task_for_branch(branch) if pol is not None else None
    ctx = Context(repo=repo, policy=pol, session=None, task=task,
                  scope_source=pol.source if pol else "", agent=None, branch=branch)
    ctx.log = log
    return ctx
