"""Session records: one per worktree, in its private git dir, never in the work tree.

``<git-dir>/guardrails/session.json`` (``git rev-parse --git-path guardrails/session.json``),
written atomically (temp file + rename) so every other worktree can read it at any time.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from guardrails import git
from guardrails.errors import GuardrailsError

VERSION = 1
DIRNAME = "guardrails"
FILENAME = "session.json"


@dataclass
class Session:
    branch: Optional[str]
    baseline: Optional[str]  # the commit the session started from (None on an unborn branch)
    started: float  # unix time
    task: Optional[str] = None  # a task of the trusted policy …
    allow: list[str] = field(default_factory=list)  # … or ad-hoc allow patterns
    clean: bool = True  # whether `git status` was clean at start
    allow_dirty: bool = False
    dirty: dict[str, Optional[str]] = field(default_factory=dict)  # path -> blob id at start
    agent: Optional[str] = None
    version: int = VERSION

    @property
    def scope_label(self) -> str:
        return f"task `{self.task}`" if self.task else "session (ad hoc)"


def path(git_dir: str) -> str:
    return os.path.join(git_dir, DIRNAME, FILENAME)


def load(git_dir: str) -> Optional[Session]:
    """The session of the worktree whose private git dir is ``git_dir``, or None."""
    p = path(git_dir)
    try:
        with open(p, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    try:
        data: Any = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("version") != VERSION:
            raise ValueError(
                f"version {data.get('version')!r}, this git-guardrails reads {VERSION}")
        return Session(**data)
    except (ValueError, TypeError) as e:
        raise GuardrailsError(
            f"the session record {p} cannot be read: {e}",
            "git guardrails finish --force   # ends the broken session; then start a new one",
        ) from None


def save(git_dir: str, session: Session) -> str:
    """Write atomically; returns the record's path."""
    import tempfile

    p = path(git_dir)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".session.", dir=os.path.dirname(p))
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(asdict(session), f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        os.unlink(tmp)
        raise
    return p


def current(repo: git.Repo) -> Optional[Session]:
    return load(repo.git_dir)


def all_sessions(repo: git.Repo) -> list[tuple[str, Optional[Session]]]:
    """(git dir, session) for every worktree that has a session record; the session is None
    when the record cannot be read (a broken record still counts as a session)."""
    found: list[tuple[str, Optional[Session]]] = []
    for d in git.worktree_git_dirs(repo):
        if not os.path.exists(path(d)):
            continue
        try:
            found.append((d, load(d)))
        except GuardrailsError:
            found.append((d, None))
    return found
