"""Session records: one per worktree, in its private git dir, never in the work tree.

``<git-dir>/guardrails/session.json`` (``git rev-parse --git-path guardrails/session.json``),
written atomically by guardrails.state (temp file, fsync, rename), which validates every
field on read, so every other worktree can read it at any time.
``<git-dir>/guardrails/last-finding.json`` keeps the most recent finding a hook reported there
(for ``git guardrails status``). Starting and ending sessions: guardrails.sessions.lifecycle.
"""
from __future__ import annotations

import os
import time

from guardrails import git, state
from guardrails.errors import GuardrailsError
from guardrails.sessions.where import DIRNAME as DIRNAME
from guardrails.sessions.where import FILENAME as FILENAME
from guardrails.sessions.where import is_active as is_active
from guardrails.sessions.where import path as path

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

    from guardrails.findings import Finding

VERSION = 1
LAST_FINDING = "last-finding.json"


class Session:
    """A worktree's session record (plain class, not a dataclass: require-checks loads it and
    importing dataclasses costs ~6 ms of every commit; eq/repr/to_dict as a dataclass has)."""

    FIELDS = ("branch", "baseline", "started", "task", "allow", "clean", "allow_dirty", "dirty",
              "agent", "base", "worktree", "stash", "origin", "version")

    def __init__(
        self,
        branch: Optional[str],
        baseline: Optional[str],  # the commit the session started from (None: unborn branch)
        started: float,  # unix time
        task: Optional[str] = None,  # a task of the trusted policy …
        allow: Optional[list[str]] = None,  # … or ad-hoc allow patterns
        clean: bool = True,  # whether `git status` was clean at start
        allow_dirty: bool = False,
        dirty: Optional[dict[str, Optional[str]]] = None,  # path -> blob id at start
        agent: Optional[str] = None,
        base: Optional[str] = None,  # the branch the work merges back into (ahead/behind, review)
        worktree: Optional[str] = None,  # the worktree's top level when the session started
        stash: Optional[str] = None,  # `start --stash`: the stash commit of earlier changes
        origin: str = "start",  # who recorded it: "start", "worktree add" or "post-checkout"
        version: int = VERSION,
    ) -> None:
        self.branch = branch
        self.baseline = baseline
        self.started = started
        self.task = task
        self.allow: list[str] = [] if allow is None else allow
        self.clean = clean
        self.allow_dirty = allow_dirty
        self.dirty: dict[str, Optional[str]] = {} if dirty is None else dirty
        self.agent = agent
        self.base = base
        self.worktree = worktree
        self.stash = stash
        self.origin = origin
        self.version = version

    def to_dict(self) -> dict[str, Any]:
        """What dataclasses.asdict gave: every field, lists and dicts copied."""
        return {k: (v.copy() if isinstance(v, (list, dict)) else v)
                for k, v in ((k, getattr(self, k)) for k in self.FIELDS)}

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def __repr__(self) -> str:
        return "Session(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.FIELDS) + ")"

    @property
    def scope_label(self) -> str:
        return f"task `{self.task}`" if self.task else "session (ad hoc)"


def _dirty_key(v: Any) -> str:
    return state.rel_path(v)


# every field checked on read (and on write): ids are object ids, names are ref names, the
# paths and patterns carry no control characters, the numbers are finite
SCHEMA = state.Schema("session", VERSION, {
    "branch": (state.optional(state.branch), None),
    "baseline": (state.optional(state.oid), None),
    "started": (state.number(0, 1e11), state.REQUIRED),
    "task": (state.optional(state.text(200)), None),
    "allow": (state.list_of(state.text(4096)), list),
    "clean": (state.boolean, True),
    "allow_dirty": (state.boolean, False),
    "dirty": (state.map_of(_dirty_key, state.optional(state.oid)), dict),
    "agent": (state.optional(state.text(200)), None),
    "base": (state.optional(state.revision), None),
    "worktree": (state.optional(state.path_text), None),
    "stash": (state.optional(state.oid), None),
    "origin": (state.one_of("start", "worktree add", "post-checkout"), "start"),
})
FIX = "git guardrails finish --force   # ends the broken session; then start a new one"


def fix_for(git_dir: str, worktree: Optional[str] = None) -> str:
    """The command that ends a broken session of the worktree whose git dir is ``git_dir``."""
    if worktree is None:
        return FIX
    from guardrails.findings import shell_path

    return f"git -C {shell_path(worktree)} guardrails finish --force"


def load(git_dir: str) -> Optional[Session]:
    """The session of the worktree whose private git dir is ``git_dir``, or None.
    StateError (exit 2, naming ``finish --force``) when the record cannot be used."""
    data = state.read(path(git_dir), SCHEMA, fix=FIX)
    if data is None:
        return None
    return Session(**data)


def save(git_dir: str, session: Session) -> str:
    """Write atomically; returns the record's path."""
    return state.write(path(git_dir), session.to_dict(), SCHEMA)


def remove(git_dir: str) -> bool:
    """Delete the session record (or what stands in its place); False when there was none."""
    return state.remove(path(git_dir))


LAST = state.Schema("last finding", 1, {
    "time": (state.number(0, 1e11), state.REQUIRED),
    "count": (state.integer(1, 1 << 31), 1),
    "rule": (state.text(100), state.REQUIRED),
    "message": (state.text(2000), ""),
    "hint": (state.text(2000), ""),
    "severity": (state.one_of("error", "warning"), "error"),
    "path": (state.optional(state.text(4096)), None),
    "commit": (state.optional(state.oid), None),
    "line": (state.optional(state.integer(0, 1 << 31)), None),
    "policy": (state.optional(state.text(200)), None),
})


def note_findings(git_dir: str, findings: Sequence[Finding]) -> None:
    """Remember the most severe of the latest findings of a hook run in this worktree
    (best effort: a hook never fails because this cannot be written)."""
    if not findings:
        return
    worst = next((f for f in findings if f.severity == "error"), findings[0])
    from guardrails.findings import printable

    rec = worst.to_dict()
    for key, limit in (("rule", 100), ("message", 2000), ("hint", 2000), ("path", 4096),
                       ("policy", 200)):
        if isinstance(rec.get(key), str):
            rec[key] = printable(rec[key])[:limit]
    rec.update(time=time.time(), count=len(findings))
    if rec.get("commit") is not None and not state.is_oid(rec["commit"]):
        rec["commit"] = None
    try:
        state.write(os.path.join(git_dir, DIRNAME, LAST_FINDING), rec, LAST, durable=False)
    except (OSError, ValueError):
        pass


def last_finding(git_dir: str) -> Optional[dict[str, Any]]:
    """The last finding recorded here; None when there is none. StateError when the record
    cannot be used (its fix: remove it)."""
    return state.read(os.path.join(git_dir, DIRNAME, LAST_FINDING), LAST)


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
