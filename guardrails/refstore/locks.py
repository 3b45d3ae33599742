"""Git's lock files in a repository with several worktrees: find them, tell a live one from a
stale one, and say who holds it.

No git process is started here: the lock inventory is a handful of fixed names plus a walk of
``refs/`` with ``os.scandir`` (cheap even with thousands of refs), and holders are found in
``/proc``. Git records who holds a lock only for ``gc.pid`` ("<pid> <host>") and, with
``core.lockfilePid=true`` (git >= 2.54), in a ``<name>~pid.lock`` companion ("pid <n>"). For every
other lock a holder is *possible* while another git process runs in this repository; a lock that
no live git process can hold and that is older than a threshold is stale.
"""
from __future__ import annotations

import os
import time

from guardrails.records import Frozen, Record

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Optional

# Shared lock files, relative to the common dir: (relative path, kind).
COMMON_LOCKS: tuple[tuple[str, str], ...] = (
    ("packed-refs.lock", "packed-refs"),
    ("config.lock", "config"),
    ("shallow.lock", "shallow"),
    ("gc.pid.lock", "gc"),
    ("objects/maintenance.lock", "maintenance"),
    ("objects/info/commit-graph.lock", "commit-graph"),
    ("objects/info/commit-graphs/commit-graph-chain.lock", "commit-graph"),
    ("objects/pack/multi-pack-index.lock", "midx"),
    ("objects/pack/multi-pack-index.d/multi-pack-index-chain.lock", "midx"),
    ("objects/info/alternates.lock", "alternates"),
)
# Per-worktree lock files, relative to a worktree's private git dir (for the main worktree that
# is the common dir itself).
WORKTREE_LOCKS: tuple[tuple[str, str], ...] = (
    ("index.lock", "index"),
    ("HEAD.lock", "HEAD"),
    ("config.worktree.lock", "config"),
)
# The reftable backend (git >= 2.45): one stack per ref store, `reftable/` in the common dir
# (shared refs) and in each linked worktree's git dir (its HEAD and per-worktree refs). Writers
# lock `tables.list.lock`; compaction (every writer's auto-compaction, pack-refs, gc) also locks
# each table it merges, `<table>.ref.lock`. Every `*.lock` there is a reftable lock.
REFTABLE_DIR = "reftable"
PER_WORKTREE_REF_DIRS = ("refs/worktree", "refs/bisect", "refs/rewritten")
GC_PID_STALE = 12 * 3600.0  # git itself ignores a gc.pid older than 12 hours
DEFAULT_STALE_AFTER = 60.0


class Proc(Frozen):
    __slots__ = ("pid", "argv", "cwd", "git_dir")  # noqa: RUF023
    pid: int
    argv: tuple[str, ...]
    cwd: str
    git_dir: Optional[str]  # absolute $GIT_DIR of the process, when set

    def __init__(self, pid: int, argv: tuple[str, ...], cwd: str,
                 git_dir: Optional[str]) -> None:
        super().__init__(pid, argv, cwd, git_dir)

    @property
    def label(self) -> str:
        from guardrails.git import command_args

        cmd = " ".join(("git", *command_args(self.argv))) if self.argv else "?"
        if len(cmd) > 100:
            cmd = cmd[:97] + "..."
        return f"pid {self.pid} ({cmd})"


class Lock(Frozen):
    __slots__ = ("path", "rel", "kind", "worktree", "age", "pid", "host")  # noqa: RUF023
    path: str  # absolute
    rel: str  # relative to the common dir, for messages
    kind: str  # packed-refs, ref, index, HEAD, config, gc, commit-graph, midx, reftable, …
    worktree: Optional[str]  # the private git dir of the worktree it belongs to; None if shared
    age: float  # seconds since it was created (mtime)
    pid: Optional[int]  # the holder git recorded, if any
    host: Optional[str]

    def __init__(self, path: str, rel: str, kind: str, worktree: Optional[str], age: float,
                 pid: Optional[int] = None, host: Optional[str] = None) -> None:
        super().__init__(path, rel, kind, worktree, age, pid, host)


class Verdict(Record):
    __slots__ = ("lock", "state", "holders")  # noqa: RUF023
    lock: Lock
    state: str  # "live" (a holder is running), "young" (no holder seen yet), "stale"
    holders: list[Proc]

    def __init__(self, lock: Lock, state: str, holders: Optional[list[Proc]] = None) -> None:
        self.lock = lock
        self.state = state
        self.holders = [] if holders is None else holders

    def holder_text(self) -> str:
        if self.lock.pid is not None:
            host = f" on {self.lock.host}" if self.lock.host else ""
            for p in self.holders:
                if p.pid == self.lock.pid:
                    return p.label
            return f"pid {self.lock.pid}{host}"
        if self.holders:
            return "possibly " + ", ".join(p.label for p in self.holders[:3])
        if self.state == "young":
            return "no git process seen (it counts as stale once older than the threshold)"
        return "no running git process"


# --- inventory ---------------------------------------------------------------------------------

def _lock(path: str, rel: str, kind: str, worktree: Optional[str], now: float) -> Optional[Lock]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    pid: Optional[int] = None
    if path.endswith(".lock"):
        pid = _pid_file(path[:-len(".lock")] + "~pid.lock")
    return Lock(path, rel, kind, worktree, max(0.0, now - st.st_mtime), pid)


def _pid_file(path: str) -> Optional[int]:
    """The pid in a ``<name>~pid.lock`` companion (git >= 2.54 with core.lockfilePid)."""
    try:
        with open(path, "rb") as f:
            data = f.read(64).split()
    except OSError:
        return None
    if len(data) >= 2 and data[0] == b"pid" and data[1].isdigit():
        return int(data[1])
    return None


def _walk_refs(root: str, skip: Sequence[str] = ()) -> Iterable[str]:
    """Every ``*.lock`` under ``root`` (a refs/ tree), with os.scandir."""
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            it = os.scandir(d)
        except OSError:
            continue
        with it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    if e.path not in skip:
                        stack.append(e.path)
                elif e.name.endswith(".lock") and not e.name.endswith("~pid.lock"):
                    yield e.path


def gc_pid(common_dir: str, now: Optional[float] = None) -> Optional[Lock]:
    """``gc.pid`` while a ``git gc`` runs (git removes it when gc exits)."""
    now = time.time() if now is None else now
    path = os.path.join(common_dir, "gc.pid")
    try:
        st = os.stat(path)
        with open(path, "rb") as f:
            parts = f.read(512).split()
    except OSError:
        return None
    pid = int(parts[0]) if parts and parts[0].isdigit() else None
    host = parts[1].decode(errors="replace") if len(parts) > 1 else None
    return Lock(path, "gc.pid", "gc", None, max(0.0, now - st.st_mtime), pid, host)


def _reftable_locks(common_dir: str, git_dir: str, worktree: Optional[str],
                    now: float) -> list[Lock]:
    """``*.lock`` in a reftable stack's directory (none, and one failed scandir, for files)."""
    d = os.path.join(git_dir, REFTABLE_DIR)
    try:
        names = [e.name for e in os.scandir(d)
                 if e.name.endswith(".lock") and not e.name.endswith("~pid.lock")]
    except OSError:
        return []
    out: list[Lock] = []
    for name in sorted(names):
        p = os.path.join(d, name)
        lk = _lock(p, os.path.relpath(p, common_dir), "reftable", worktree, now)
        if lk:
            out.append(lk)
    return out


def scan(common_dir: str, git_dirs: Sequence[str]) -> list[Lock]:
    """Lock files of the common dir and of the worktrees whose private git dirs are given."""
    now = time.time()
    found: list[Lock] = []
    for rel, kind in COMMON_LOCKS:
        lk = _lock(os.path.join(common_dir, rel), rel, kind, None, now)
        if lk:
            found.append(lk)
    skip = [os.path.join(common_dir, d) for d in PER_WORKTREE_REF_DIRS]
    for p in _walk_refs(os.path.join(common_dir, "refs"), skip):
        lk = _lock(p, os.path.relpath(p, common_dir), "ref", None, now)
        if lk:
            found.append(lk)
    gp = gc_pid(common_dir, now)
    if gp:
        found.append(gp)
    found += _reftable_locks(common_dir, common_dir, None, now)
    for gd in git_dirs:
        if gd != common_dir:
            found += _reftable_locks(common_dir, gd, gd, now)
        for rel, kind in WORKTREE_LOCKS:
            p = os.path.join(gd, rel)
            lk = _lock(p, os.path.relpath(p, common_dir), kind, gd, now)
            if lk:
                found.append(lk)
        for sub in PER_WORKTREE_REF_DIRS:
            for p in _walk_refs(os.path.join(gd, sub)):
                lk = _lock(p, os.path.relpath(p, common_dir), "ref", gd, now)
                if lk:
                    found.append(lk)
    return found


# --- processes ---------------------------------------------------------------------------------

def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: str, limit: int = 65536) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return b""


def ancestors(pid: Optional[int] = None) -> set[int]:
    """This process and its ancestors (a hook runs inside the git command that called it)."""
    out: set[int] = set()
    pid = os.getpid() if pid is None else pid
    while pid > 1 and pid not in out:
        out.add(pid)
        pid = _ppid(pid)
    return out


def _argv(pid: int) -> tuple[str, ...]:
    raw = _read(f"/proc/{pid}/cmdline", 8192)
    return tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)


def _ppid(pid: int) -> int:
    stat = _read(f"/proc/{pid}/stat", 4096)
    try:
        return int(stat.rsplit(b")", 1)[1].split()[1])
    except (IndexError, ValueError):
        return 0


def parent_argv() -> tuple[str, ...]:
    """The command line of the git command running this hook: the nearest ancestor that is
    git (a hook shim's shell may sit in between). Empty when there is none (or no /proc)."""
    pid = os.getppid()
    for _ in range(6):
        if pid <= 1:
            break
        argv = _argv(pid)
        prog = os.path.basename(argv[0]) if argv else ""
        if prog == "git" or (prog.startswith("git-") and not prog.startswith("git-guardrails")):
            return argv
        pid = _ppid(pid)
    return ()


def git_processes(exclude: Optional[set[int]] = None) -> list[Proc]:
    """Running git processes (Linux /proc; empty elsewhere), without ``exclude``."""
    exclude = exclude or set()
    procs: list[Proc] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return procs
    for name in names:
        if not name.isdigit() or int(name) in exclude:
            continue
        base = f"/proc/{name}"
        raw = _read(f"{base}/cmdline", 4096)
        if not raw:
            continue
        argv = tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)
        prog = os.path.basename(argv[0]) if argv else ""
        if not (prog == "git" or prog.startswith("git-")) or prog.startswith("git-guardrails"):
            continue
        try:
            cwd = os.readlink(f"{base}/cwd")
        except OSError:
            cwd = ""
        git_dir = None
        for var in _read(f"{base}/environ", 1 << 20).split(b"\0"):
            if var.startswith(b"GIT_DIR="):
                git_dir = os.path.normpath(os.path.join(cwd, var[8:].decode(errors="replace")))
                break
        procs.append(Proc(int(name), argv, cwd, git_dir))
    return procs


def worktree_roots(common_dir: str) -> dict[str, str]:
    """private git dir -> work tree top level, for every worktree, read from disk."""
    roots: dict[str, str] = {}
    if os.path.basename(common_dir.rstrip(os.sep)) == ".git":
        roots[common_dir] = os.path.dirname(common_dir.rstrip(os.sep))
    base = os.path.join(common_dir, "worktrees")
    try:
        names = os.listdir(base)
    except OSError:
        names = []
    for n in names:
        gd = os.path.join(base, n)
        raw = _read(os.path.join(gd, "gitdir"), 4096).strip()
        if raw:
            roots[gd] = os.path.dirname(os.fsdecode(raw))
    return roots


def _under(path: str, root: str) -> bool:
    return bool(path) and (path == root or path.startswith(root.rstrip(os.sep) + os.sep))


def process_worktree(p: Proc, common_dir: str, roots: dict[str, str]) -> Optional[str]:
    """The private git dir of the worktree a git process works in; the common dir when it works
    on the repository but no particular worktree; None when it is not in this repository."""
    # `git -C DIR …` changes directory before doing anything, so cwd is where it works
    if p.git_dir:
        for gd in roots:
            if os.path.normpath(p.git_dir) == os.path.normpath(gd):
                return gd
        if _under(p.git_dir, common_dir):
            return common_dir
    best: Optional[str] = None
    best_len = -1
    for gd, top in roots.items():
        for root in (top, gd):
            if _under(p.cwd, root) and len(root) > best_len:
                best, best_len = gd, len(root)
    if best is None and _under(p.cwd, common_dir):
        return common_dir
    return best


# --- verdicts ----------------------------------------------------------------------------------

def judge(locks: Sequence[Lock], common_dir: str, procs: Sequence[Proc],
          stale_after: float = DEFAULT_STALE_AFTER) -> list[Verdict]:
    """Classify each lock: live (someone who may hold it runs), young or stale."""
    import socket

    roots = worktree_roots(common_dir)
    where = {p.pid: process_worktree(p, common_dir, roots) for p in procs}
    here = [p for p in procs if where[p.pid] is not None]
    host = socket.gethostname()
    verdicts: list[Verdict] = []
    for lk in locks:
        if lk.pid is not None:
            if lk.kind == "gc" and lk.host and lk.host != host:
                state = "live" if lk.age < GC_PID_STALE else "stale"
                verdicts.append(Verdict(lk, state))
                continue
            alive = pid_alive(lk.pid)
            if lk.kind == "gc" and lk.age >= GC_PID_STALE:
                alive = False
            holders = [p for p in here if p.pid == lk.pid]
            verdicts.append(Verdict(lk, "live" if alive else "stale", holders))
            continue
        if lk.worktree is None:
            cands = here
        else:
            cands = [p for p in here if where[p.pid] == lk.worktree]
        if cands:
            verdicts.append(Verdict(lk, "live", list(cands)))
        elif lk.age >= stale_after:
            verdicts.append(Verdict(lk, "stale"))
        else:
            verdicts.append(Verdict(lk, "young"))
    return verdicts


def remove_command(lk: Lock) -> str:
    """The exact command that clears a stale lock (it only removes that one file)."""
    import shlex

    return f"rm -f -- {shlex.quote(lk.path)}"


def describe_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
