"""The only place that starts git.

Reads run with ``GIT_OPTIONAL_LOCKS=0`` so guardrails never takes a lock it does not need
(``git status`` otherwise refreshes the index under ``index.lock``). Porcelain ``git diff`` of the
work tree ignores that variable (git 2.39 to 2.55: ``refresh_index_quietly()`` takes
``index.lock`` whenever it meets stat-dirty files), so read the work tree with ``diff-files`` /
``diff-index`` / ``status``; ``git diff --cached`` and diffs between commits never refresh.
Writes pass longer ref-lock timeouts and retry git's transient lock failures with bounded backoff.
Git's own environment (``GIT_DIR``, ``GIT_INDEX_FILE`` …) is kept: inside a hook it says what is
being committed.
"""
from __future__ import annotations

import os
import time

from guardrails.errors import GuardrailsError
from guardrails.records import Frozen

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Optional

# Lock timeouts (ms) for commands that write refs: git's defaults are 100 and 1000.
WRITE_CONFIG = (
    "-c", "core.filesRefLockTimeout=2000",
    "-c", "core.packedRefsTimeout=2000",
    "-c", "reftable.lockTimeout=2000",
)
TRANSIENT = (
    b".lock': File exists",
    b"cannot lock ref",
    b"could not lock config file",
    b"unable to create temporary file",
)
EMPTY_TREE = {
    "sha1": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "sha256": "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}



def is_null(oid: str) -> bool:
    """A null object id (any length; or none at all): the side of a ref update where the ref
    does not exist (created, deleted)."""
    return not oid or (not oid.startswith("ref:") and set(oid) == {"0"})

class GitError(GuardrailsError):
    def __init__(self, args: Sequence[str], returncode: int, stderr: bytes, fix: str = "") -> None:
        err = stderr.decode(errors="replace").strip()
        super().__init__(f"`git {' '.join(args)}` failed (exit {returncode}): {err}", fix)
        self.returncode = returncode
        self.stderr = stderr


# Variables that tie git to one worktree: dropped (env=OTHER_WORKTREE) when running git in
# another worktree than the caller's, e.g. from a hook or with GIT_DIR set by the caller.
OTHER_WORKTREE: Mapping[str, Optional[str]] = {
    "GIT_DIR": None, "GIT_WORK_TREE": None, "GIT_INDEX_FILE": None, "GIT_PREFIX": None,
    "GIT_COMMON_DIR": None,
}


def _env(write: bool, extra: Optional[Mapping[str, Optional[str]]] = None) -> dict[str, str]:
    env = dict(os.environ)
    if not write:
        env["GIT_OPTIONAL_LOCKS"] = "0"
    env.setdefault("LC_ALL", "C")
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class Completed(Frozen):
    """A finished git process: what ``subprocess.CompletedProcess`` holds."""

    __slots__ = ("args", "returncode", "stdout", "stderr")  # noqa: RUF023 (field order)
    args: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes

    def __init__(self, args: list[str], returncode: int, stdout: bytes, stderr: bytes) -> None:
        super().__init__(args, returncode, stdout, stderr)


def _pipe() -> tuple[int, int]:
    """A pipe (close-on-exec) whose ends are not fds 0-2, which the child's are dup2'd onto:
    they are when one of our own standard streams is closed."""
    r, w = os.pipe()
    if min(r, w) < 3:
        import fcntl

        high = (fcntl.fcntl(r, fcntl.F_DUPFD_CLOEXEC, 3), fcntl.fcntl(w, fcntl.F_DUPFD_CLOEXEC, 3))
        os.close(r)
        os.close(w)
        r, w = high
    return r, w


class Running:
    """A git process started by :func:`start`; :meth:`wait` collects it.

    Started with ``os.posix_spawnp`` and read with ``select.poll`` rather than through
    ``subprocess``: importing subprocess (with locale, selectors, threading and signal) costs
    ~3.5 ms of every hook process, more than most git calls a hook makes. Its stdin is the
    caller's unless ``input`` is given; stdout and stderr are captured.
    """

    def __init__(self, cmd: list[str], cwd: Optional[str], env: dict[str, str],
                 input: Optional[bytes]) -> None:
        # signal's C core: the same numbers without building signal's enums (~0.4 ms)
        import _signal  # type: ignore[import-not-found,unused-ignore]

        if cwd is not None:  # posix_spawn has no chdir (before Python 3.13): git -C does it
            cmd = [cmd[0], "-C", cwd, *cmd[1:]]
        self.cmd = cmd
        self.input = input
        self.in_w: Optional[int] = None
        actions: list[tuple[int, int, int]] = []
        child: list[int] = []
        if input is not None:
            in_r, self.in_w = _pipe()
            child.append(in_r)
            actions.append((os.POSIX_SPAWN_DUP2, in_r, 0))
        self.out_r, out_w = _pipe()
        self.err_r, err_w = _pipe()
        child += (out_w, err_w)
        actions += [(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
        try:
            # Python ignores SIGPIPE and SIGXFSZ; git must not inherit that (subprocess's
            # restore_signals does the same)
            self.pid = os.posix_spawnp(cmd[0], cmd, env, file_actions=actions,
                                       setsigdef=(_signal.SIGPIPE, _signal.SIGXFSZ))
        except FileNotFoundError:
            self._close(self.in_w, self.out_r, self.err_r)
            raise GuardrailsError(
                "git is not installed or not on PATH", "install git (apt-get install git)",
            ) from None
        except BaseException:
            self._close(self.in_w, self.out_r, self.err_r)
            raise
        finally:
            self._close(*child)

    @staticmethod
    def _close(*fds: Optional[int]) -> None:
        for fd in fds:
            if fd is not None:
                os.close(fd)

    def wait(self, on_out: Optional[Callable[[bytes], None]] = None) -> Completed:
        """The completed process; ``on_out``: stdout is handed to it piece by piece as it
        arrives and not kept (``stdout`` is then b"")."""
        out: list[bytes] = [] if on_out is None else _Sink(on_out)
        err: list[bytes] = []
        feeds = {self.in_w: self.input or b""} if self.in_w is not None else {}
        self.in_w = None
        try:
            _pump(feeds, {self.out_r: out, self.err_r: err})
        finally:
            _, status = os.waitpid(self.pid, 0)
        return Completed(self.cmd, os.waitstatus_to_exitcode(status), b"".join(out),
                         b"".join(err))


class _Pump:
    """One ``poll`` loop over child processes' pipes (see :func:`_pump`)."""

    def __init__(self, feeds: dict[int, bytes], sinks: dict[int, list[bytes]],
                 relay: Optional[tuple[int, int]],
                 on_chunk: Optional[Callable[[bytes], None]],
                 pick: Optional[Callable[[bytes], bytes]] = None) -> None:
        import select

        self.poll = select.POLLOUT
        self.pollin = select.POLLIN
        self.poller = select.poll()
        for fd in sinks:
            self.poller.register(fd, select.POLLIN)
        self.sinks = sinks
        # what is still to be written, per pipe (views: a partial write does not copy the rest)
        self.todo: dict[int, list[memoryview]] = {fd: [memoryview(data)]
                                                  for fd, data in feeds.items()}
        self.src, self.dst = relay if relay is not None else (-1, -1)
        if relay is not None:
            self.todo[self.dst] = []
        self.polled: set[int] = set()  # the pipes polled for POLLOUT
        self.coalesce = relay is not None and _widen(self.src)
        if relay is not None:
            _widen(self.dst)
        self.on_chunk = on_chunk
        self.pick = pick  # what of each source chunk is relayed (b"": the end)
        self.paused = False  # the source is not polled while the destination lags behind

    def _queued(self) -> int:
        return sum(len(v) for v in self.todo.get(self.dst, ()))

    def flush(self, fd: int) -> None:
        """Write what ``fd`` takes now; close it once all is written (the relay's destination:
        and its source has ended)."""
        queue = self.todo[fd]
        try:
            while queue:
                n = os.write(fd, queue[0])
                if n < len(queue[0]):
                    queue[0] = queue[0][n:]
                    break
                queue.pop(0)
        except BlockingIOError:
            pass
        except BrokenPipeError:  # it stopped reading: its stderr and exit code say why
            queue.clear()
        if self.paused and fd == self.dst and self._queued() < RELAY_QUEUE:
            self.poller.register(self.src, self.pollin)
            self.paused = False
        if queue:
            if fd not in self.polled:
                self.poller.register(fd, self.poll)
                self.polled.add(fd)
            return
        if fd in self.polled:
            self.poller.unregister(fd)
            self.polled.discard(fd)
        if fd != self.dst or self.src not in self.sinks:
            os.close(fd)
            del self.todo[fd]

    def read(self, fd: int) -> None:
        """Take what ``fd`` has (relaying the source's chunks); at its end, close it."""
        chunk = os.read(fd, 1 << 20 if fd == self.src else 1 << 18)
        if chunk:
            self.sinks[fd].append(chunk)
            if fd == self.src:
                out = chunk if self.pick is None else self.pick(chunk)
                if out:
                    self.todo[self.dst].append(memoryview(out))
                self.flush(self.dst)
                if self.dst in self.todo and self._queued() >= RELAY_QUEUE:
                    # the destination reads slower than the source writes (git patch-id
                    # behind git diff): wait for it rather than hold the stream
                    self.poller.unregister(fd)
                    self.paused = True
                if self.on_chunk is not None:
                    self.on_chunk(chunk)
                if self.coalesce and len(chunk) < COALESCE:
                    time.sleep(0.001)  # let git fill the pipe: fewer wake-ups
            return
        self.poller.unregister(fd)
        os.close(fd)
        del self.sinks[fd]
        if fd == self.src and self.dst in self.todo:
            rest = self.pick(b"") if self.pick is not None else b""
            if rest:
                self.todo[self.dst].append(memoryview(rest))
            self.flush(self.dst)  # closes it once the rest is written

    def run(self) -> None:
        try:
            for fd in list(self.todo):
                os.set_blocking(fd, False)
                if fd != self.dst:
                    self.flush(fd)
            while self.sinks or self.todo:
                for fd, _event in self.poller.poll():
                    if fd in self.todo:
                        self.flush(fd)
                    elif fd in self.sinks:
                        self.read(fd)
        finally:
            for fd in (*self.todo, *self.sinks):
                os.close(fd)


def _pump(feeds: dict[int, bytes], sinks: dict[int, list[bytes]],
          relay: Optional[tuple[int, int]] = None,
          on_chunk: Optional[Callable[[bytes], None]] = None,
          pick: Optional[Callable[[bytes], bytes]] = None) -> None:
    """The one ``poll`` loop over child processes' pipes: write each ``feeds`` pipe its bytes,
    then close it; read each ``sinks`` pipe to its end into its list; close every fd given.
    ``relay`` (source, destination): what the source sink yields is also written to the
    destination pipe, which is closed once the source has ended, and shown to ``on_chunk``;
    with ``pick``, only what ``pick`` returns for each piece (and for b"" at the end)."""
    _Pump(feeds, sinks, relay, on_chunk, pick).run()


def start(*args: str, cwd: Optional[str] = None, input: Optional[bytes] = None,
          env: Optional[Mapping[str, Optional[str]]] = None) -> Running:
    """Start read-only ``git *args`` and return at once, so that git runs while the caller
    goes on; ``.wait()`` gives the completed process (no retries, no exit-code check)."""
    return Running(["git", *args], cwd, _env(False, env), input)


# read-only commands started ahead by prefetch(), by (args, cwd, input): run() collects them
_PREFETCHED: dict[tuple[tuple[str, ...], Optional[str], Optional[bytes]], Running] = {}


def prefetch(*args: str, cwd: Optional[str] = None, input: Optional[bytes] = None,
             widen: bool = False) -> None:
    """Start read-only ``git *args`` now (fed ``input``); the :func:`run` (or :func:`out`) of
    exactly these arguments and input later collects it instead of starting git then. A hook
    knows which git commands its checks will run: started early, they run beside its Python
    work. ``widen``: a 1 MiB stdout pipe, so that git writes that much ahead of a reader busy
    with other work (ci imports its checks while its range's logs run)."""
    key = (args, cwd, input)
    if key not in _PREFETCHED:
        proc = _PREFETCHED[key] = start(*args, cwd=cwd, input=input)
        if widen:
            _widen(proc.out_r)
        if proc.in_w is not None and len(input or b"") <= PIPE_BUF:
            # git reads it now rather than when collected (an empty pipe takes it whole)
            try:
                os.write(proc.in_w, input or b"")
            except BrokenPipeError:  # git already gone: its stderr and exit code say why
                pass
            os.close(proc.in_w)
            proc.in_w = None


PIPE_BUF = 4096  # POSIX: a write this small into an empty pipe is never short


def discard(*args: str, cwd: Optional[str] = None, input: Optional[bytes] = None) -> None:
    """Collect and drop a :func:`prefetch` of these arguments that nothing will run (its
    caller gave up): no process is left behind, and no later run gets its stale output."""
    proc = _PREFETCHED.pop((args, cwd, input), None)
    if proc is not None:
        proc.wait()


def run(
    *args: str,
    cwd: Optional[str] = None,
    input: Optional[bytes] = None,
    write: bool = False,
    ok: Sequence[int] = (0,),
    retries: int = 6,
    env: Optional[Mapping[str, Optional[str]]] = None,
) -> Completed:
    """Run ``git *args``; return the completed process, raise GitError on an unexpected code.

    ``write=True`` adds lock timeouts and retries transient lock failures with backoff.
    ``env`` sets (or, with None, removes) environment variables for this call.
    """
    cmd = ["git", *(WRITE_CONFIG if write else ()), *args]
    attempt = 0
    ahead = _PREFETCHED.pop((args, cwd, input), None) if _PREFETCHED and not (
        write or env) else None
    while True:
        if ahead is not None:
            proc, ahead = ahead.wait(), None
        else:
            proc = Running(cmd, cwd, _env(write, env), input).wait()
        if proc.returncode in ok:
            return proc
        if write and attempt < retries and any(t in proc.stderr for t in TRANSIENT):
            time.sleep(min(0.05 * 2**attempt, 1.0))
            attempt += 1
            continue
        raise GitError(args, proc.returncode, proc.stderr)


def is_ancestor(repo: Repo, a: str, b: str) -> bool:
    """Whether commit ``a`` is ``b`` or an ancestor of it; False when either is missing or not
    a commit. The one place that asks (``--end-of-options``: ids may come from state files)."""
    return run("merge-base", "--is-ancestor", "--end-of-options", a, b, cwd=repo.toplevel,
               ok=(0, 1, 128)).returncode == 0


def out(*args: str, cwd: Optional[str] = None, input: Optional[bytes] = None) -> bytes:
    """stdout of a read-only git command."""
    return run(*args, cwd=cwd, input=input).stdout


class _Dropped(list):  # type: ignore[type-arg]
    """A sink that keeps nothing (tee's ``keep_first=False``)."""

    def append(self, _chunk: object) -> None:
        pass


class _Sink(list):  # type: ignore[type-arg]
    """A sink that hands each piece to a function and keeps nothing."""

    def __init__(self, fn: Callable[[bytes], None]) -> None:
        super().__init__()
        self.fn = fn

    def append(self, chunk: bytes) -> None:
        self.fn(chunk)


def stream(*args: str, cwd: Optional[str] = None,
           on_chunk: Callable[[bytes], None]) -> None:
    """Read-only ``git *args`` whose stdout is handed to ``on_chunk`` as it arrives, never held
    whole (a staged 150 MB file); a :func:`prefetch` of the same arguments is collected."""
    ahead = _PREFETCHED.pop((args, cwd, None), None)
    proc = (ahead or start(*args, cwd=cwd)).wait(on_chunk)
    if proc.returncode != 0:
        raise GitError(args, proc.returncode, proc.stderr)


def tee(first: Sequence[str], second: Sequence[str], cwd: Optional[str] = None,
        input: Optional[bytes] = None,
        on_chunk: Optional[Callable[[bytes], None]] = None,
        keep_first: bool = True,
        relay: Optional[Callable[[bytes], bytes]] = None) -> tuple[bytes, bytes]:
    """stdout of read-only ``git *first`` (fed ``input``), which is also streamed into
    ``git *second`` while it is produced; returns both outputs. Two processes running side by
    side (``git log -p`` into ``git patch-id``) instead of one after the other. ``on_chunk``
    sees each piece of the first output as it arrives (after the second process got it);
    ``keep_first=False``: the first output is not kept (b"" returned for it), so memory does
    not grow with it when ``on_chunk`` reads what it needs on the way. ``relay``: the second
    process gets only what it returns for each piece of the first output (and for b"" once at
    its end) instead of all of it; the first output is then not kept.

    One ``poll`` loop over both processes' pipes (:func:`_pump`; no subprocess, no threads):
    the first output is handed to the second process as soon as it is read."""
    env = _env(False)
    # a prefetch of the first command (read-only, no input) is collected
    ahead = _PREFETCHED.pop((tuple(first), cwd, None), None) if input is None else None
    p1 = ahead or Running(["git", *first], cwd, env, input or b"")
    try:
        p2 = Running(["git", *second], cwd, env, b"")
    except BaseException:
        p1.wait()
        raise
    assert p2.in_w is not None
    feeds = {p1.in_w: input or b""} if p1.in_w is not None else {}
    out1: list[bytes] = [] if keep_first and relay is None else _Dropped()
    out2: list[bytes] = []
    err1: list[bytes] = []
    err2: list[bytes] = []
    sinks = {p1.out_r: out1, p1.err_r: err1, p2.out_r: out2, p2.err_r: err2}
    pipe = (p1.out_r, p2.in_w)
    p1.in_w = p2.in_w = None
    try:
        _pump(feeds, sinks, pipe, on_chunk, relay)
    finally:
        _, status1 = os.waitpid(p1.pid, 0)
        _, status2 = os.waitpid(p2.pid, 0)
    if os.waitstatus_to_exitcode(status1) != 0:
        raise GitError(first, os.waitstatus_to_exitcode(status1), b"".join(err1))
    if os.waitstatus_to_exitcode(status2) != 0:
        raise GitError(second, os.waitstatus_to_exitcode(status2), b"".join(err2))
    return b"".join(out1), b"".join(out2)


# At most this much of the relayed output waits for the second process (tee): memory stays
# bounded however fast the first one writes.
RELAY_QUEUE = 1 << 22
# A read of the first output shorter than this means tee keeps up with git, which writes a few
# KiB at a time: waking for each piece cost ~25 ms of CPU per 1,000 commits of ``git log -p``.
# With a 1 MiB pipe, tee waits 1 ms after such a read while git goes on writing into it.
COALESCE = 1 << 16


def _widen(fd: int) -> bool:
    """A 1 MiB pipe buffer where Linux allows it (F_SETPIPE_SZ), so a fast writer is not
    stopped every 64 KiB while the reader works on the last chunk; whether it was set."""
    try:
        import fcntl

        setsize = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux, Python >= 3.10
        if setsize is None:
            return False
        fcntl.fcntl(fd, setsize, 1 << 20)
    except (OSError, ImportError):
        return False
    return True


# git's global options that take the next word as their value (`git -C dir -c k=v commit`)
GLOBAL_OPTS_WITH_VALUE = ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                          "--super-prefix", "--config-env", "--list-cmds", "--attr-source")


def command_args(argv: Sequence[str]) -> list[str]:
    """The subcommand and its arguments of a git command line: ``git -C x -c k=v commit -q``
    -> ``["commit", "-q"]``; ``git-receive-pack .`` -> ``["receive-pack", "."]``."""
    if not argv:
        return []
    prog = os.path.basename(argv[0])
    if prog.startswith("git-"):
        return [prog[4:], *argv[1:]]
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in GLOBAL_OPTS_WITH_VALUE:
            i += 2
        elif a.startswith("-"):
            i += 1
        else:
            return list(argv[i:])
    return []


def zsplit(data: bytes) -> list[bytes]:
    """Split NUL-terminated git output (``-z``) into its fields."""
    parts = data.split(b"\0")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def config_args(pattern: str, local: bool = False) -> tuple[str, ...]:
    """The git arguments :func:`config` runs for ``pattern`` (to :func:`prefetch` them)."""
    return ("config", *(("--local",) if local else ()), "-z", "--get-regexp", pattern)


def config(cwd: Optional[str], pattern: str, local: bool = False) -> dict[str, str]:
    """The last value of every config key matching the regex ``pattern`` (git matches it
    against lower-case names; the keys returned are lower-case), in one
    ``git config --get-regexp`` — the same values ``git config --get KEY`` gives one by one.
    ``local``: the repository's own config file only (``--local``)."""
    proc = run(*config_args(pattern, local), cwd=cwd, ok=(0, 1))
    values: dict[str, str] = {}
    for item in zsplit(proc.stdout):
        key, _, value = item.decode(errors="surrogateescape").partition("\n")
        values[key.lower()] = value
    return values


# C escapes git writes in quoted names besides \ooo octal and \" \\ (which stand for themselves)
_C_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12,
              ord("r"): 13}


def unquote(name: bytes) -> bytes:
    """A name as git C-quotes it where ``-z`` is not available (diff headers, ``core.quotePath``:
    ``"caf\303\251.sh"``), unquoted; a name not in double quotes is returned as it is."""
    if len(name) < 2 or name[:1] != b'"' or name[-1:] != b'"':
        return name
    out = bytearray()
    body, i = name[1:-1], 0
    while i < len(body):
        c = body[i]
        if c == 92 and i + 1 < len(body):  # a backslash
            digits = body[i + 1:i + 4]
            if len(digits) == 3 and all(48 <= d <= 55 for d in digits):
                out.append(int(digits, 8) & 0xFF)
                i += 4
                continue
            out.append(_C_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def decode_path(raw: bytes) -> str:
    """A path from git as str; undecodable bytes survive as surrogates (os.fsdecode)."""
    return os.fsdecode(raw)


class Repo(Frozen):
    """Where things are: the worktree top level, its private git dir and the shared common dir."""

    __slots__ = ("toplevel", "git_dir", "common_dir", "object_format", "branch")  # noqa: RUF023
    toplevel: str
    git_dir: str
    common_dir: str
    object_format: str
    branch: Optional[str]  # short branch name; None on a detached HEAD

    def __init__(self, toplevel: str, git_dir: str, common_dir: str, object_format: str,
                 branch: Optional[str]) -> None:
        super().__init__(toplevel, git_dir, common_dir, object_format, branch)

    @property
    def is_linked_worktree(self) -> bool:
        return os.path.normcase(self.git_dir) != os.path.normcase(self.common_dir)

    @property
    def empty_tree(self) -> str:
        return EMPTY_TREE[self.object_format]

    def git_path(self, *parts: str) -> str:
        """Like ``git rev-parse --git-path`` for our own per-worktree files (not shared ones)."""
        return os.path.join(self.git_dir, *parts)

    def common_path(self, *parts: str) -> str:
        return os.path.join(self.common_dir, *parts)


def discover(cwd: Optional[str] = None, bare_ok: bool = False) -> Repo:
    """Find the repository and worktree around ``cwd`` (two git calls). ``bare_ok``: a bare
    repository is fine too (``ci`` and ``review`` only read commits): its ``toplevel`` is then
    the git dir, where git commands run."""
    proc = run(
        "rev-parse", "--path-format=absolute", "--is-bare-repository", "--git-dir",
        "--git-common-dir", "--show-object-format", "--show-toplevel",
        cwd=cwd, ok=(0, 128),
    )
    lines = proc.stdout.decode(errors="surrogateescape").splitlines()
    if proc.returncode != 0 and not lines:
        raise GuardrailsError(
            f"not inside a git repository: {proc.stderr.decode(errors='replace').strip()}",
            "cd into the repository's worktree, or create one with `git init`",
        )
    if lines[0] == "true" and bare_ok and len(lines) >= 4:
        git_dir, common_dir, object_format = lines[1:4]
        ref = _head_ref(git_dir)
        if ref is None:
            ref = run("symbolic-ref", "-q", "HEAD", cwd=cwd, ok=(0, 1)).stdout.strip()
        branch = os.fsdecode(ref[len(b"refs/heads/"):]) if ref.startswith(b"refs/heads/") \
            else None
        return Repo(toplevel=git_dir, git_dir=git_dir, common_dir=common_dir,
                    object_format=object_format, branch=branch)
    if lines[0] != "true" and len(lines) < 5:
        raise GuardrailsError(
            f"not inside a work tree ({os.getcwd() if cwd is None else cwd} is inside the git "
            "directory)",
            "cd to the worktree's top level (the directory that contains .git)",
        )
    if lines[0] == "true":
        raise GuardrailsError(
            "this is a bare repository: guardrails checks the changes of a worktree",
            "run it inside a worktree: `git worktree add ../task-wt -b agent/task` "
            "then `cd ../task-wt`",
        )
    _bare, git_dir, common_dir, object_format, toplevel = lines[:5]
    ref = _head_ref(git_dir)
    if ref is None:
        ref = run("symbolic-ref", "-q", "HEAD", cwd=cwd, ok=(0, 1)).stdout.strip()
    branch = os.fsdecode(ref[len(b"refs/heads/"):]) if ref.startswith(b"refs/heads/") else None
    return Repo(
        toplevel=toplevel, git_dir=git_dir, common_dir=common_dir,
        object_format=object_format, branch=branch,
    )


def _moves_the_worktree(cfg: bytes) -> bool:
    """Whether a (lower-cased) config file may set ``core.worktree`` or turn on
    ``extensions.worktreeConfig``: a key named ``worktree`` or ``worktreeconfig`` anywhere.
    (``[maintenance "worktree-prune"]`` and ``gc.worktreePruneExpire`` are neither.)"""
    if b"worktree" not in cfg:
        return False
    for line in cfg.splitlines():
        key = line.split(b"=", 1)[0].strip() if b"=" in line else line.strip()
        if key in (b"worktree", b"worktreeconfig"):
            return True
    return False


def hook_repo() -> Repo:
    """:func:`discover` for a hook that git started, without starting git.

    Git runs hooks at the top level of the worktree and, in a linked worktree, exports
    ``GIT_DIR``; the main worktree has its ``.git`` directory there. Anything unusual makes it
    ask git instead (``discover()``): ``GIT_WORK_TREE``/``GIT_COMMON_DIR``, a ``GIT_DIR``
    other than the worktree's, a cwd that is not a worktree's top level, ``core.worktree``
    or worktree config, another object format, or a HEAD the file does not say (reftable).
    """
    env = os.environ
    if env.get("GIT_WORK_TREE") or env.get("GIT_COMMON_DIR"):
        return discover()
    top = os.getcwd()
    dotgit = os.path.join(top, ".git")
    if os.path.isdir(dotgit):
        git_dir = dotgit
    else:
        try:
            with open(dotgit, "rb") as f:
                pointer = f.read(4096)
        except OSError:
            return discover()
        if not pointer.startswith(b"gitdir: ") or pointer.count(b"\n") > 1:
            return discover()
        git_dir = os.path.normpath(os.path.join(top, os.fsdecode(pointer[8:].strip())))
    given = env.get("GIT_DIR")
    if given and os.path.normpath(os.path.join(top, given)) != git_dir:
        return discover()
    try:
        with open(os.path.join(git_dir, "commondir"), "rb") as f:
            common = os.path.normpath(os.path.join(git_dir, os.fsdecode(f.read().strip())))
    except FileNotFoundError:
        common = git_dir
    except OSError:
        return discover()
    try:
        with open(os.path.join(common, "config"), "rb") as f:
            cfg = f.read(1 << 20).lower()
    except OSError:
        return discover()
    if _moves_the_worktree(cfg) or b"objectformat" in cfg:
        return discover()
    ref = _head_ref(git_dir)
    if ref is None and _reftable_only(cfg):
        # reftable (git >= 2.45): the HEAD file is a placeholder and HEAD lives in the stack;
        # everything else was read from disk, so one git process says what HEAD is
        proc = run("symbolic-ref", "-q", "HEAD", ok=(0, 1, 128))
        if proc.returncode == 128:
            return discover()
        ref = proc.stdout.strip()
    if ref is None or (b"refstorage" in cfg and not _reftable_only(cfg)):
        return discover()
    branch = os.fsdecode(ref[len(b"refs/heads/"):]) if ref.startswith(b"refs/heads/") else None
    return Repo(toplevel=top, git_dir=git_dir, common_dir=common, object_format="sha1",
                branch=branch)


def _config_values(cfg: bytes, key: bytes) -> list[bytes]:
    """Values of every ``key = value`` line of a (lower-cased) config file, whatever section
    (``key`` alone: a boolean true). Cheap and rough; only for deciding to ask git instead."""
    out: list[bytes] = []
    for line in cfg.splitlines():
        name, eq, value = line.strip().partition(b"=")
        if name.strip() == key:
            out.append(value.strip() if eq else b"true")
    return out


def _reftable_only(cfg: bytes) -> bool:
    """Whether a (lower-cased) repository config's refs are reftable (one refStorage line)."""
    return _config_values(cfg, b"refstorage") == [b"reftable"]


def _head_ref(git_dir: str) -> Optional[bytes]:
    """What HEAD points at, read from ``<git-dir>/HEAD`` without starting git: the ref for a
    symbolic HEAD, b"" for a detached one; None when the file does not say (the reftable
    backend's placeholder ``refs/heads/.invalid``, or anything unexpected): ask git then."""
    try:
        with open(os.path.join(git_dir, "HEAD"), "rb") as f:
            data = f.read(4096).strip()
    except OSError:
        return None
    if data.startswith(b"ref: refs/heads/") and not data.endswith(b"/.invalid") and \
            b"\n" not in data:
        return data[len(b"ref: "):]
    if len(data) in (40, 64) and all(c in b"0123456789abcdef" for c in data):
        return b""
    return None


def worktree_git_dirs(repo: Repo) -> list[str]:
    """The private git dir of every worktree: the common dir (main worktree) and
    ``<common>/worktrees/*`` (linked ones), read from disk without starting git."""
    dirs = [repo.common_dir]
    base = os.path.join(repo.common_dir, "worktrees")
    try:
        names = sorted(os.listdir(base))
    except FileNotFoundError:
        names = []
    dirs += [os.path.join(base, n) for n in names if os.path.isdir(os.path.join(base, n))]
    return dirs


def rev_parse(repo: Repo, rev: str) -> Optional[str]:
    """The object id ``rev`` names, or None when it does not resolve."""
    proc = run("rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}",
               cwd=repo.toplevel, ok=(0, 1, 128))
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().strip() or None


class Object(Frozen):
    __slots__ = ("oid", "type", "data")  # noqa: RUF023 (field order)
    oid: str
    type: str
    data: bytes

    def __init__(self, oid: str, type: str, data: bytes) -> None:
        super().__init__(oid, type, data)


def batch_input(specs: Sequence[str]) -> bytes:
    """What :func:`cat_file` feeds ``git cat-file --batch`` for ``specs`` (for a prefetch)."""
    return b"".join(os.fsencode(s) + b"\n" for s in specs)


def cat_file(repo: Repo, specs: Sequence[str]) -> list[Optional[Object]]:
    """Objects named by ``specs`` (``rev``, ``rev:path``) in one ``git cat-file --batch`` call
    (a :func:`prefetch` of it, ``input=batch_input(specs)``, is collected); None for a name
    that does not resolve."""
    if not specs:
        return []
    data = run("cat-file", "--batch", cwd=repo.toplevel, input=batch_input(specs)).stdout
    result: list[Optional[Object]] = []
    pos = 0
    for _ in specs:
        nl = data.index(b"\n", pos)
        header = data[pos:nl].split(b" ")
        pos = nl + 1
        if len(header) == 3 and header[2].isdigit():
            size = int(header[2])
            result.append(Object(header[0].decode(), header[1].decode(), data[pos:pos + size]))
            pos += size + 1
        else:  # "<spec> missing" or "<spec> ambiguous"
            result.append(None)
    return result
