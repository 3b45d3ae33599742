"""Session records: one per worktree, in its private git dir, never in the work tree.

``<git-dir>/guardrails/session.json`` (``git rev-parse --git-path guardrails/session.json``),
written atomically (temp file + rename) so every other worktree can read it at any time.
``<git-dir>/guardrails/last-finding.json`` keeps the most recent finding a hook reported there
(for ``git guardrails status``). Starting and ending sessions: guardrails.sessions.lifecycle.
"""
from __future__ import annotations

import json
import os
import time

from guardrails import git
from guardrails.errors import GuardrailsError

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

    from guardrails.findings import Finding

VERSION = 1
DIRNAME = "guardrails"
FILENAME = "session.json"
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


def _validate(s: Session) -> None:
    def opt_str(name: str) -> None:
        v = getattr(s, name)
        if v is not None and not isinstance(v, str):
            raise ValueError(f"`{name}` must be a string, got {type(v).__name__}")

    for name in ("branch", "baseline", "task", "agent", "base", "worktree", "stash"):
        opt_str(name)
    if isinstance(s.started, bool) or not isinstance(s.started, (int, float)):
        raise ValueError("`started` must be a number")
    if not isinstance(s.allow, list) or not all(isinstance(a, str) for a in s.allow):
        raise ValueError("`allow` must be a list of strings")
    if not isinstance(s.dirty, dict) or not all(
            isinstance(v, (str, type(None))) for v in s.dirty.values()):
        raise ValueError("`dirty` must map paths to blob ids")
    if not isinstance(s.clean, bool) or not isinstance(s.allow_dirty, bool):
        raise ValueError("`clean` and `allow_dirty` must be true or false")


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
        sess = Session(**data)
        _validate(sess)
        return sess
    except (ValueError, TypeError) as e:
        raise GuardrailsError(
            f"the session record {p} cannot be read: {e}",
            "git guardrails finish --force   # ends the broken session; then start a new one",
        ) from None


def _mkstemp(directory: str) -> tuple[int, str]:
    """``tempfile.mkstemp(prefix=".tmp.", dir=directory)`` without importing tempfile, which
    pulls in shutil, random and hashlib (~5 ms of every commit-time hook that writes a record):
    a new file, mode 0600, created exclusively."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for n in range(10000):
        tmp = os.path.join(directory, f".tmp.{os.getpid()}.{time.time_ns():x}.{n}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no temporary file name available in {directory}")


def _write_json(p: str, data: Any) -> None:
    os.makedirs(os.path.dirname(p), exist_ok=True)
    fd, tmp = _mkstemp(os.path.dirname(p))
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        os.unlink(tmp)
        raise


def save(git_dir: str, session: Session) -> str:
    """Write atomically; returns the record's path."""
    p = path(git_dir)
    _write_json(p, session.to_dict())
    return p


def remove(git_dir: str) -> bool:
    """Delete the session record; False when there was none."""
    try:
        os.unlink(path(git_dir))
    except FileNotFoundError:
        return False
    return True


def is_active(git_dir: str) -> bool:
    """A record exists (readable or not): one stat, no parsing."""
    return os.path.exists(path(git_dir))


def note_findings(git_dir: str, findings: Sequence[Finding]) -> None:
    """Remember the most severe of the latest findings of a hook run in this worktree
    (best effort: a hook never fails because this cannot be written)."""
    if not findings:
        return
    worst = next((f for f in findings if f.severity == "error"), findings[0])
    try:
        _write_json(os.path.join(git_dir, DIRNAME, LAST_FINDING),
                    {"time": time.time(), "count": len(findings), **worst.to_dict()})
    except OSError:
        pass


def last_finding(git_dir: str) -> Optional[dict[str, Any]]:
    try:
        with open(os.path.join(git_dir, DIRNAME, LAST_FINDING), "rb") as f:
            data: Any = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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
