"""Worktrees that agents make themselves get sessions.

- Claude Code ``--worktree``: ``.claude/worktrees/<name>`` on branch ``worktree-<name>``; with
  our ``WorktreeCreate`` hook we create it (Claude Code then uses the path we print).
- Gemini CLI ``--worktree``: ``.gemini/worktrees/<name>`` on ``worktree-<name>``, created with
  git hooks off, so ``record-baseline`` never runs: the session is recorded on ``SessionStart``
  or on the first tool call there.
- Windsurf: ``~/.windsurf/worktrees/<repo>/<name>``; ``post_setup_worktree`` records it.

A session is recorded only when a task of the trusted policy covers the branch (the recipe:
``branch = "worktree-*"`` in a task, docs/agents.md); otherwise nothing is recorded and a note
says how to get one.
"""
from __future__ import annotations

import os
import re

from guardrails.agents import paths as P

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    pass

AGENT_DIRS = (f"{os.sep}.claude{os.sep}worktrees{os.sep}", f"{os.sep}.gemini{os.sep}worktrees"
              f"{os.sep}", f"{os.sep}.windsurf{os.sep}worktrees{os.sep}")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


def agent_made(top: str) -> bool:
    return any(d in top + os.sep for d in AGENT_DIRS)


def ensure_session(where: str, force: bool = False) -> str:
    """Record the session of the agent-made worktree around ``where`` if it has none and a
    task covers its branch; returns a note for stderr ("" when nothing is to be said)."""
    if not os.path.isdir(where):
        return ""
    tree = P.tree_of(os.path.realpath(where))
    if tree is None or tree.top == tree.main_top or not (force or agent_made(tree.top)):
        return ""
    from guardrails.sessions import session as sessions

    if sessions.is_active(tree.git_dir):
        return ""
    from guardrails import git
    from guardrails.scope import policy as policies
    from guardrails.sessions import lifecycle

    repo = git.discover(tree.top)
    pol = policies.load_trusted(repo)
    task = pol.task_for_branch(repo.branch) if pol is not None else None
    if task is None:
        return (f"git-guardrails: no task covers branch `{repo.branch}` of the agent's worktree "
                f"{tree.top}, so it has no session; add a task with "
                "branch = \"worktree-*\" to .guardrails.toml on the base branch\n")
    # "post-checkout": the record schema's name for a session recorded as its worktree appeared
    _s, lines = lifecycle.start(repo, task=task.name, origin="post-checkout",
                                refuse_dirty=False)
    return "git-guardrails: " + "\n".join(lines) + "\n"


def create(cwd: str, name: str, agent_dir: str) -> tuple[str, str]:
    """Create ``<main checkout>/<agent_dir>/worktrees/<name>`` on ``worktree-<name>`` from the
    base branch, with its session when a task covers it: (path, note)."""
    from guardrails import git
    from guardrails.errors import GuardrailsError
    from guardrails.scope import policy as policies
    from guardrails.sessions import lifecycle

    if not re.match(_NAME, name) or ".." in name:
        raise GuardrailsError(f"worktree name {name!r} is not a plain name",
                              "use letters, digits, '.', '_' and '-' only")
    repo = git.discover(cwd)
    main = os.path.dirname(repo.common_dir.rstrip(os.sep))
    path = os.path.join(main, agent_dir, "worktrees", name)
    branch = f"worktree-{name}"
    pol = policies.load_trusted(repo)
    base = lifecycle.default_base(repo, pol)
    task = pol.task_for_branch(branch) if pol is not None else None
    if task is not None:
        _s, lines = lifecycle.worktree_add(repo, path, branch, task=task.name, base=base)
        return path, "git-guardrails: " + "\n".join(lines) + "\n"
    git.run("worktree", "add", "-q", "-b", branch, "--end-of-options", path, base,
            cwd=repo.toplevel, write=True)
    return path, (f"git-guardrails: no task covers branch `{branch}`: the worktree has no "
                  "session; add a task with branch = \"worktree-*\" to .guardrails.toml\n")
