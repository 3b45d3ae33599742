"""The attestation: ``Guardrails-Checked: <patch-id>`` and the record that earns it.

The pre-commit stage (``no-skipped-hooks``, also in the combined ``guardrails`` hook) records
in ``<git-dir>/guardrails/checked.json`` which change it checked (a digest of the staged diff)
and for which ``git`` process (the ``git commit`` that runs the hooks). ``require-checks``
(prepare-commit-msg, which git runs even under ``--no-verify``) compares: same change, same
``git`` process, or the commit is refused.

The id is ``git patch-id --stable`` over the commit's diff against its parent, produced by one
``git log`` command with fixed options (:data:`LOG_ARGS`) so that user configuration
(``diff.noprefix``, ``diff.context``, ``diff.renames``, ``merge.conflictStyle`` …) cannot make the
local id and CI's id differ. ``-U0``: context lines are left out, so a rebase that applies
cleanly keeps the id even when neighbouring lines moved; a conflict resolution or any edit of
the commit's own lines changes it. Merges: ``--remerge-diff``, the merge's own changes only.
``--text --no-ext-diff --no-textconv``: every file is diffed as text whatever .gitattributes
(``-diff``, ``binary``, a ``diff=`` driver's textconv, command or ``binary``), ``diff.external``
or ``core.bigFileThreshold`` say, so attributes present at commit time and absent in CI (or the
other way round) cannot change the id; ``--diff-algorithm`` given explicitly overrides a diff
driver's ``algorithm``. A file that is binary by content (a NUL byte) is hashed as text too.
"""
from __future__ import annotations

import functools
import json
import os
import re
import time

from guardrails import git

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any, Optional

TRAILER = "Guardrails-Checked"
# Every hook id of .pre-commit-hooks.yaml (a test keeps them in step): SKIP naming one fails.
HOOK_IDS = ("clean-baseline", "record-baseline", "check-scope", "no-skipped-hooks",
            "require-checks", "ref-store-guard", "guardrails", "verify-commit")
RECORD = "checked.json"


def skipped_ids(env: Mapping[str, str]) -> dict[str, list[str]]:
    """The one reader of the runners' skip lists: ``SKIP`` / ``PREK_SKIP`` -> the hook ids
    each skips, in order (prek's ``project:id`` selectors reduced to the id)."""
    out: dict[str, list[str]] = {}
    for var in ("SKIP", "PREK_SKIP"):
        names = [n.strip() for n in env.get(var, "").split(",") if n.strip()]
        if names:
            out[var] = [n.rsplit(":", 1)[-1] for n in names]
    return out

# -c options that pin what `git log` prints, whatever the user's or CI's configuration says.
CONFIG = (
    "-c", "core.abbrev=40",  # remerge-diff's conflict labels name the parents by full id
    "-c", "merge.conflictStyle=merge",
    "-c", "merge.renames=true",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "log.showSignature=false",
    "-c", "core.quotePath=true",  # the names in the diff headers patch-id hashes
    "-c", "core.bigFileThreshold=512m",  # git's default: above it a file is diffed as binary
)
DIFF_ARGS = (
    "-p", "-U0", "--inter-hunk-context=0", "--full-index", "--binary", "--text", "--no-renames",
    "--diff-algorithm=myers", "--indent-heuristic", "--no-ext-diff", "--no-textconv",
    "--no-color", "--no-relative", "--ignore-submodules=none", "--submodule=short",
    "--src-prefix=a/", "--dst-prefix=b/",
)
LOG_ARGS = ("--format=commit %H", "--remerge-diff", "--root", *DIFF_ARGS, "--no-notes")

_TRAILER_RX = re.compile(rb"^" + TRAILER.encode() + rb"\s*:\s*(\S+)\s*$",
                         re.IGNORECASE | re.MULTILINE)
_DROP_RX = re.compile(rb"^" + TRAILER.encode() + rb"[ \t]*:[^\n]*\n?",
                      re.IGNORECASE | re.MULTILINE)
COMMIT_HEADER = re.compile(rb"^commit ([0-9a-f]{40}|[0-9a-f]{64})$", re.MULTILINE)


def empty_id(repo: git.Repo) -> str:
    """The id of an empty change (an empty commit, a merge that needed no resolution)."""
    return "0" * (64 if repo.object_format == "sha256" else 40)


# --- patches and patch ids for commits ------------------------------------------------------

class Prefetch:
    """``git log -p --reverse REVS`` into ``git patch-id`` started in the background, so it
    runs while the caller reads the same range's ``git log --raw`` (review.gather). Once the
    caller knows the range's commits (oldest first, as ``git log --reverse REVS`` lists them),
    :meth:`bind` hands the result to :func:`patch_ids`, :func:`hit_patches` and
    :func:`line_counts` for exactly those oids.

    The patch itself is not kept (80 MB for 10,000 commits, held twice at its peak before):
    each commit's text is scanned as soon as it is complete — the bypass check's literal scan,
    and with ``lines`` each file's added and removed lines (:func:`patch_lines`, for a
    max-lines budget) — and only the commits with a literal hit are kept, for the bypass check
    to parse. Memory grows with the largest commit, not with the range."""

    def __init__(self, repo: git.Repo, revs: Sequence[str], lines: bool = False) -> None:
        import threading

        self.toplevel = repo.toplevel
        self.hit: dict[str, bytes] = {}  # commit id -> its diff, for commits with a literal hit
        self._parts: list[bytes] = []  # the output not scanned yet (its last commit unfinished)
        self._tail = b""  # the last 7 bytes read: a header's "\n" may end the previous chunk
        self._seen = 0  # bytes scanned so far
        self.lines: Optional[dict[str, dict[str, tuple[Optional[int], Optional[int]]]]] = \
            {} if lines else None
        self.result: Optional[tuple[bytes, bytes]] = None
        self.error: Optional[BaseException] = None
        # not a daemon: the interpreter joins it before finalizing. A daemon thread still
        # scanning when a run ends without its patches (a range of human commits) is stopped
        # inside re2, which aborts the process (SIGABRT, "terminate called without an active
        # exception") instead of exiting 0
        self.thread = threading.Thread(target=self._run, args=(list(revs),), daemon=False)
        self.thread.start()

    def _run(self, revs: list[str]) -> None:
        try:
            self.result = git.tee([*CONFIG, "log", "--reverse", *LOG_ARGS, *revs, "--"],
                                  ["patch-id", "--stable"], cwd=self.toplevel,
                                  on_chunk=self._scan, keep_first=False)
            self._scan(b"", last=True)
        except BaseException as e:  # re-raised in the caller's thread by get()
            self.error = e

    def _scan(self, chunk: bytes, last: bool = False) -> None:
        """Scan every commit completed by ``chunk`` (done while the caller's thread waits for
        this output, so mostly for free); keep the rest of the last, unfinished one."""
        probe = self._tail + chunk
        cut = probe.rfind(b"\ncommit ")
        self._tail = probe[-7:]
        if not last and cut == -1:
            if chunk:
                self._parts.append(chunk)
            return
        buf = b"".join([*self._parts, chunk])
        # where the last commit's header starts in buf (its "\n" may end the previous part)
        split = len(buf) if last else len(buf) - len(probe) + cut + 1
        self._parts = [buf[split:]] if split < len(buf) else []
        if split > 0:
            self._done(buf[:split])

    def _done(self, block: bytes) -> None:
        """Whole commits of the output: what the bypass and max-lines checks need of them."""
        from guardrails.checks.bypass import RE2_ABOVE, hit_lines

        self._seen += len(block)
        hits = hit_lines(block, big=self._seen > RE2_ABOVE)
        if hits:
            import bisect

            heads = commit_heads(block)
            starts = [h[0] for h in heads]
            for k in sorted({bisect.bisect_right(starts, off) - 1 for off in hits}):
                if k >= 0:
                    end = heads[k + 1][0] if k + 1 < len(heads) else len(block)
                    self.hit[heads[k][2]] = block[heads[k][1]:end]
        if self.lines is not None:
            self.lines.update(patch_lines(block))

    def bind(self, oids: Sequence[str]) -> None:
        _PENDING.clear()  # one range at a time: an unused earlier one is dropped
        _PENDING[(self.toplevel, tuple(oids))] = self

    def get(self) -> tuple[Optional[bytes], bytes]:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return None, self.result[1]


_PENDING: dict[tuple[str, tuple[str, ...]], Prefetch] = {}
_HIT: dict[tuple[str, tuple[str, ...]], dict[str, bytes]] = {}
_LINES: dict[tuple[str, tuple[str, ...]], dict[str, dict[str, tuple[Optional[int],
                                                                  Optional[int]]]]] = {}


def settle() -> None:
    """Wait for every :class:`Prefetch` nobody asked for (a range whose checks never needed
    its patches): its thread runs re2 and git pipes, and an interpreter that exits under it
    aborts ("terminate called without an active exception", exit 134)."""
    for pending in list(_PENDING.values()):
        pending.thread.join()


def hit_patches(repo: git.Repo, oids: Sequence[str]) -> Optional[dict[str, bytes]]:
    """commit id -> its diff (after the ``commit`` header line) for the commits of ``oids``
    whose added lines have a bypass literal (``bypass.hit_lines``), when a :class:`Prefetch`
    scanned them on the way; else None (then read :func:`patches`)."""
    key = (repo.toplevel, tuple(oids))
    _log(*key)
    return _HIT.get(key)


@functools.lru_cache(maxsize=4)
def _log(toplevel: str, oids: tuple[str, ...]) -> tuple[Optional[bytes], bytes]:
    """(``git log -p`` of ``oids``, ``git patch-id --stable`` of it): the two processes run
    side by side, the log streamed into patch-id while it is produced. The log is None when a
    :class:`Prefetch` scanned it instead of keeping it (:func:`patches` reads it again)."""
    if not oids:
        return b"", b""
    pending = _PENDING.pop((toplevel, oids), None)
    if pending is not None:
        result = pending.get()
        _HIT.clear()
        _HIT[(toplevel, oids)] = pending.hit
        _LINES.clear()
        if pending.lines is not None:
            _LINES[(toplevel, oids)] = pending.lines
        return result
    return _read(toplevel, oids)


def _read(toplevel: str, oids: tuple[str, ...]) -> tuple[bytes, bytes]:
    return git.tee([*CONFIG, "log", "--no-walk=unsorted", "--stdin", *LOG_ARGS],
                   ["patch-id", "--stable"], cwd=toplevel,
                   input="".join(o + "\n" for o in oids).encode())


def patches(repo: git.Repo, oids: Sequence[str]) -> bytes:
    """``git log -p`` of exactly these commits (cached for the other checks that read the
    same commits): ``commit <oid>`` headers, then each commit's diff."""
    key = (repo.toplevel, tuple(oids))
    data = _log(*key)[0]
    return data if data is not None else _read(*key)[0]


def commit_heads(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, commit id) of every ``commit <oid>`` line of :func:`patches` output, as
    COMMIT_HEADER finds them but with ``bytes.find``: a multi-line regex over a long range's
    patch (80 MB for 10,000 commits) takes a third of a second. Only headers start with a
    letter there (diff lines start with ``+``, ``-``, `` ``, ``@``, ``\\`` or a header word;
    binary patch lines with a length letter and no space)."""
    find = data.find
    starts = [0] if data.startswith(b"commit ") else []
    i = find(b"\ncommit ")
    while i != -1:
        starts.append(i + 1)
        i = find(b"\ncommit ", i + 8)
    heads: list[tuple[int, int, str]] = []
    for start in starts:
        eol = find(b"\n", start)
        if eol == -1:
            eol = len(data)
        m = COMMIT_HEADER.match(data, start, eol)
        if m is not None:
            heads.append((start, eol, m.group(1).decode()))
    return heads


def split_patches(data: bytes) -> dict[str, bytes]:
    """commit id -> its diff text, from :func:`patches` output."""
    out: dict[str, bytes] = {}
    heads = commit_heads(data)
    for i, (_, top, oid) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else len(data)
        out[oid] = data[top:end]
    return out


_DIFF_GIT = b"\ndiff --git "


def _header_path(header: bytes) -> bytes:
    """The path of a ``diff --git a/P b/P`` line (after ``diff --git ``): without renames both
    names are the same, so each is half of the line, C-quoted alike when git quotes them."""
    return git.unquote(header[:(len(header) - 1) // 2])[2:]  # [2:]: --src-prefix's "a/"


def _hunk_lines(data: bytes, i: int, stop: int) -> tuple[int, int]:
    """(added, removed) lines of one file's hunks, the first at ``data[i:]`` (its newline), up
    to ``stop``, read from the hunk headers: with ``-U0`` a hunk holds exactly the lines its
    ``@@ -a,b +c,d @@`` counts (``,n`` left out: 1), and reading the headers is cheaper than
    counting every ``+``/``-`` line."""
    added = removed = 0
    find = data.find
    while i != -1:
        eol = find(b" @@", i + 4, stop)
        old, _, new = data[i + 4:eol].partition(b" ")
        removed += int(old.partition(b",")[2] or b"1")
        added += int(new.partition(b",")[2] or b"1")
        i = find(b"\n@@ ", eol, stop)
    return added, removed


def patch_lines(data: bytes) -> dict[str, dict[str, tuple[Optional[int], Optional[int]]]]:
    """commit id -> path -> (added, removed) lines, from :func:`patches` output: what
    ``--numstat`` says of that commit's files without rename detection (None, None: binary).
    A mode-only change of a file is left out: its patch does not show whether it is binary."""
    out: dict[str, dict[str, tuple[Optional[int], Optional[int]]]] = {}
    heads = commit_heads(data)
    find = data.find
    for k, (_, top, oid) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(data)
        files: dict[str, tuple[Optional[int], Optional[int]]] = {}
        unknown: list[str] = []
        i = find(_DIFF_GIT, top - 1, end)
        while i != -1:
            eol = find(b"\n", i + 12, end)
            if eol == -1:
                eol = end
            nxt = find(_DIFF_GIT, eol, end)
            stop = end if nxt == -1 else nxt
            path = git.decode_path(_header_path(data[i + 12:eol]))
            hunk = find(b"\n@@ ", eol, stop)
            got: tuple[Optional[int], Optional[int]]
            if hunk != -1 and find(b"\0", hunk, stop) != -1:
                got = (None, None)  # binary content diffed as text (--text): not lines
            elif hunk != -1:
                got = _hunk_lines(data, hunk, stop)
            elif find(b"\nGIT binary patch\n", eol, stop) != -1 or \
                    find(b"\nBinary files ", eol, stop) != -1:
                got = (None, None)
            elif find(b"\nindex ", eol, stop) != -1:
                got = (0, 0)  # an empty file added or deleted
            else:
                unknown.append(path)
                got = (0, 0)
            prev = files.get(path)
            if prev is not None:  # a type change: the old file's deletion, the new one's addition
                a0, r0, a1, r1 = prev[0], prev[1], got[0], got[1]
                got = (None, None) if a0 is None or r0 is None or a1 is None or r1 is None \
                    else (a0 + a1, r0 + r1)
            files[path] = got
            i = nxt
        for path in unknown:
            del files[path]
        out[oid] = files
    return out


def line_counts(repo: git.Repo,
                oids: Sequence[str]) -> dict[str, dict[str, tuple[Optional[int], Optional[int]]]]:
    """:func:`patch_lines` of :func:`patches`, counted while git wrote them when a
    :class:`Prefetch` was asked to."""
    _log(repo.toplevel, tuple(oids))
    counted = _LINES.get((repo.toplevel, tuple(oids)))
    return counted if counted is not None else patch_lines(patches(repo, oids))


def patch_ids(repo: git.Repo, oids: Sequence[str]) -> dict[str, str]:
    """commit id -> patch id for every commit in ``oids`` (two git processes in all: one
    ``git log`` streamed into one ``git patch-id --stable``). A commit whose diff is empty gets
    :func:`empty_id`."""
    ids = dict.fromkeys(oids, empty_id(repo))
    for line in _log(repo.toplevel, tuple(oids))[1].splitlines():
        pid, _, oid = line.decode().partition(" ")
        if oid in ids:
            ids[oid] = pid
    return ids


def trailer_values(message: str) -> list[str]:
    """Every ``Guardrails-Checked`` value in a commit message's trailer block: its last
    paragraph, trailing comment lines ignored (``git commit --no-edit`` after a conflicted
    merge keeps its ``# Conflicts:`` lines)."""
    lines = message.splitlines()
    while lines and (not lines[-1].strip() or lines[-1].startswith("#")):
        lines.pop()
    block: list[str] = []
    for line in reversed(lines):
        if not line.strip():
            break
        block.append(line)
    raw = "\n".join(reversed(block)).encode(errors="surrogateescape")
    return [m.group(1).decode(errors="replace") for m in _TRAILER_RX.finditer(raw)]


# --- what is being committed now ---------------------------------------------------------------

def staged_args(base: Optional[str] = None) -> tuple[str, ...]:
    """The git arguments of :func:`staged_diff` (for git.prefetch)."""
    return (*CONFIG, "diff", "--cached", *DIFF_ARGS, *([base] if base else []))


def staged_diff(repo: git.Repo, base: Optional[str] = None) -> bytes:
    """The index against ``base`` (default HEAD, or the empty tree on an unborn branch) with
    the attestation's diff options: for a plain commit exactly what ``git log -p`` will show
    for it, the text whose patch id the trailer carries."""
    return git.out(*staged_args(base), cwd=repo.toplevel)


def _sha256() -> Any:
    try:  # CPython's built-in SHA-256: the same digest without loading OpenSSL (~2 ms)
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256  # type: ignore[assignment,unused-ignore]
    return sha256()


def fingerprint(data: bytes) -> str:
    """SHA-256 of ``data``, hex."""
    h = _sha256()
    h.update(data)
    return str(h.hexdigest())


# What the record compares (the index against HEAD): every staged path with its modes and
# blob ids, read without any blob content (no numstat, no rename detection), so the digest costs
# the same for a 150 MB file as for a one-line change. Equal raw diffs against the same base
# mean equal patches.
FINGERPRINT_ARGS = ("diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames",
                    "--ignore-submodules=none", "--no-ext-diff", "--no-textconv", "--no-color",
                    "--no-relative")


def fingerprint_args(base: Optional[str] = None) -> tuple[str, ...]:
    """The git arguments of :func:`staged_fingerprint` (for git.prefetch)."""
    return (*CONFIG, *FINGERPRINT_ARGS, *(["--end-of-options", base] if base else []))


def staged_fingerprint(repo: git.Repo, base: Optional[str] = None) -> str:
    """What the record compares: a digest of the staged raw diff (against ``base``, default
    HEAD). ``checked.json`` is agent-writable either way: the digest only tells the
    prepare-commit-msg stage that the index did not change after the pre-commit stage."""
    return fingerprint(git.out(*fingerprint_args(base), cwd=repo.toplevel))


def staged_patch_id(repo: git.Repo, base: Optional[str] = None,
                    on_chunk: Optional[Callable[[bytes], None]] = None) -> str:
    """:func:`patch_id_of` :func:`staged_diff`: the diff streamed into ``git patch-id`` (and
    shown to ``on_chunk`` piece by piece: the pre-commit stage's bypass scan reads the same
    stream), never held whole (a 150 MB file)."""
    _, out = git.tee(list(staged_args(base)), ["patch-id", "--stable"], cwd=repo.toplevel,
                     on_chunk=on_chunk, keep_first=False)
    ids = out.split()
    return ids[0].decode() if ids else empty_id(repo)


def staged_ids(repo: git.Repo, base: Optional[str] = None) -> tuple[str, str]:
    """(:func:`staged_fingerprint`, :func:`staged_patch_id`) against ``base``."""
    return staged_fingerprint(repo, base), staged_patch_id(repo, base)


def recorded_patch_id(rec: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The patch id the pre-commit stage computed for the index it checked (``patch_id`` in
    the record), when it is one. The record is agent-writable: a forged id can only put a
    trailer on the commit that CI, recomputing the id, refuses; it widens nothing."""
    from guardrails import state

    pid = rec.get("patch_id") if rec is not None else None
    return pid if isinstance(pid, str) and state.is_oid(pid) else None


def patch_id_of(repo: git.Repo, diff: bytes) -> str:
    if not diff:
        return empty_id(repo)
    out = git.out("patch-id", "--stable", cwd=repo.toplevel, input=diff).split()
    return out[0].decode() if out else empty_id(repo)


def write_tree(repo: git.Repo) -> str:
    """The tree of the index being committed (``GIT_INDEX_FILE`` is kept)."""
    return git.run("write-tree", cwd=repo.toplevel, write=True).stdout.decode().strip()


def merge_id(repo: git.Repo, parents: Sequence[str]) -> str:
    """The patch id the merge of the index on ``parents`` will have, computed exactly as CI
    computes it: a throw-away commit object (never referenced; gc removes it) through the very
    ``git log --remerge-diff`` and ``git patch-id``."""
    tree = write_tree(repo)
    args = ["commit-tree", tree]
    for p in parents:
        args += ["-p", p]
    tmp = git.run("-c", "user.name=guardrails", "-c", "user.email=guardrails@localhost",
                  *args, "-m", "guardrails: attestation probe", cwd=repo.toplevel,
                  write=True).stdout.decode().strip()
    return patch_ids(repo, [tmp])[tmp]


def add_trailer(repo: git.Repo, msgfile: str, value: str) -> None:
    """``git interpret-trailers --in-place``: after the existing trailers; an earlier
    ``Guardrails-Checked`` (an amend, a squash) is replaced, never duplicated."""
    with open(msgfile, "rb") as f:
        text = orig = f.read()
    # drop every earlier value (a squash can carry several), then add the current one
    text = _DROP_RX.sub(b"", text)
    if text:
        # one final newline: git merge writes its message without one (a trailer would then
        # stick to the subject), and a dropped trailer leaves blank lines behind
        text = text.rstrip(b"\n") + b"\n"
    if text != orig:
        with open(msgfile, "wb") as f:
            f.write(text)
    git.run("interpret-trailers", "--in-place", "--where", "end", "--if-exists", "replace",
            "--trailer", f"{TRAILER}: {value}", msgfile, cwd=repo.toplevel, write=True)


# --- which git process runs the hooks -----------------------------------------------------

def _proc_stat(pid: int) -> Optional[tuple[str, int, str]]:
    """(comm, ppid, start time) of a process from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return None
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    return comm, int(fields[1]), fields[19]


def _ps_table() -> dict[int, tuple[str, int]]:
    import subprocess

    try:
        out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,comm="], capture_output=True,
                             text=True, check=False).stdout
    except OSError:
        return {}
    table: dict[int, tuple[str, int]] = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            table[int(parts[0])] = (os.path.basename(parts[2].strip()), int(parts[1]))
    return table


def _git_ancestor(pid: int, use_proc: bool) -> Optional[tuple[int, str]]:
    if use_proc and os.path.isdir("/proc/self"):
        for _ in range(64):
            st = _proc_stat(pid)
            if st is None:
                return None
            comm, ppid, start = st
            if comm == "git" or comm.startswith("git-"):
                return pid, start
            if ppid <= 1:
                return None
            pid = ppid
        return None
    table = _ps_table()
    for _ in range(64):
        entry = table.get(pid)
        if entry is None:
            return None
        comm, ppid = entry
        if comm == "git" or comm.startswith("git-"):
            return pid, "?"
        if ppid <= 1:
            return None
        pid = ppid
    return None


def git_process(pid: Optional[int] = None, use_proc: bool = True) -> Optional[str]:
    """Identity (``pid:start``) of the nearest ``git`` ancestor: the ``git commit`` (or
    ``git merge``) whose hooks are running. Both stages of one commit see the same one; a
    later ``git commit --no-verify`` is another process. None when there is no git ancestor."""
    found = _git_ancestor(os.getppid() if pid is None else pid, use_proc)
    return f"{found[0]}:{found[1]}" if found else None


def git_argvs(pid: Optional[int] = None, use_proc: bool = True) -> list[list[str]]:
    """Command lines of the nearest ``git`` ancestor and, when that process's parent is git
    itself (``git rebase --continue`` runs ``git commit``), of that parent: nearest first."""
    found = _git_ancestor(os.getppid() if pid is None else pid, use_proc)
    if found is None:
        return []
    argvs = [_argv(found[0], use_proc)]
    parent = _parent_of(found[0], use_proc)
    if parent is not None:
        up = _git_ancestor(parent, use_proc)
        if up is not None and up[0] == parent:
            argvs.append(_argv(parent, use_proc))
    return argvs


def subcommand(argv: Sequence[str]) -> Optional[str]:
    """``commit`` for ``git -C x -c a=b commit -m y``."""
    from guardrails.git import command_args

    args = command_args(argv)
    return args[0] if args else None


def is_amend(argv: Sequence[str]) -> bool:
    """Whether a ``git commit`` command line amends (``--amend`` or an abbreviation)."""
    if subcommand(argv) != "commit":
        return False
    for a in argv[argv.index("commit") + 1:]:
        if a == "--":
            return False
        if len(a) >= 4 and "--amend".startswith(a):
            return True
    return False


def _parent_of(pid: int, use_proc: bool) -> Optional[int]:
    if use_proc and os.path.isdir("/proc/self"):
        st = _proc_stat(pid)
        return st[1] if st else None
    entry = _ps_table().get(pid)
    return entry[1] if entry else None


def _argv(pid: int, use_proc: bool) -> list[str]:
    if use_proc and os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return [os.fsdecode(a) for a in f.read().split(b"\0") if a]
        except OSError:
            return []
    import subprocess

    try:
        return subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True,
                              text=True, check=False).stdout.split()
    except OSError:
        return []


# --- the record of the pre-commit stage ---------------------------------------------------

def record_path(repo: git.Repo) -> str:
    return repo.git_path("guardrails", RECORD)


def record_digest(repo: git.Repo, digest: str, patch_id: Optional[str] = None) -> str:
    """Remember that the pre-commit stage of this git process checked the index whose
    :func:`staged_fingerprint` is ``digest`` (atomically; per worktree), and the patch id of
    its diff against HEAD (require-checks puts it in the trailer of a plain commit rather than
    diffing the index a second time)."""
    from guardrails import state

    data: dict[str, Any] = {"diff": digest, "git": git_process(), "time": time.time()}
    if patch_id is not None:
        data["patch_id"] = patch_id
    # guardrails.state writes it (temp file, rename; a failure leaves the old record and
    # reports the real error, e.g. a git dir the user cannot write)
    return state.write_bytes(record_path(repo), json.dumps(data).encode(), durable=False)


def load_record(repo: git.Repo) -> Optional[dict[str, Any]]:
    """The record, read through guardrails.state (bounded size and depth, strict UTF-8); None
    when there is none or it is not a JSON object (the commit is then treated as unchecked)."""
    from guardrails import state

    try:
        raw = state.read_bytes(record_path(repo))
        data: Any = state.loads(raw) if raw is not None else None
    except (state.StateError, state.Invalid):
        return None
    return data if isinstance(data, dict) else None
