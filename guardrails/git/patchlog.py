"""The patch log of a range: one ``git log -p`` streamed into one ``git patch-id --stable``.

What the range checks need of the commits' diffs is read from this one stream: the patch ids
the attestation check compares with the trailers, the added lines the bypass check scans, the
per-file line counts a max-lines budget needs. :class:`PatchLog` holds them for one range; its
owner (the range's ``Context``, see guardrails.context) asks it and joins its thread.

The log's options are fixed (:data:`CONFIG`, :data:`LOG_ARGS`) so that user configuration
(``diff.noprefix``, ``diff.context``, ``diff.renames``, ``merge.conflictStyle`` …) cannot make the
local id and CI's id differ. ``-U0``: context lines are left out, so a rebase that applies
cleanly keeps the id even when neighbouring lines moved; a conflict resolution or any edit of
the commit's own lines changes it. Merges: ``--remerge-diff``, the merge's own changes only.
``--text --no-ext-diff --no-textconv``: every file is diffed as text whatever .gitattributes
(``-diff``, ``binary``, a ``diff=`` driver's textconv, command or ``binary``), ``diff.external``
or ``core.bigFileThreshold`` say, so attributes present at commit time and absent in CI (or the
other way round) cannot change the id; ``--diff-algorithm`` given explicitly overrides a diff
driver's ``algorithm``. A file that is binary by content (a NUL byte) is hashed as text too.

This module knows git and nothing else: a scanner of added lines (the bypass check's) is
handed in by the caller.
"""
from __future__ import annotations

import re

from guardrails import git

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Sequence
    from types import TracebackType
    from typing import Optional

    # (a piece of the stream made of whole commits, whether the stream is big) -> the offsets
    # of the added lines worth parsing (bypass.hit_lines)
    Scanner = Callable[[bytes, bool], list[int]]
    Lines = dict[str, dict[str, tuple[Optional[int], Optional[int]]]]

TRAILER = "Guardrails-Checked"
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
# After each ``commit <oid>`` line, the commit's Guardrails-Checked trailers as git reads them
# (``Guardrails-Checked: <id>``; an empty line when there is none): which commits the range's
# log feeds to git patch-id (:class:`PatchLog`). git patch-id skips every line before a
# commit's first ``diff`` (and no such line starts with a hex digit), so the ids are the same.
LOG_ARGS = (f"--format=commit %H%n%(trailers:key={TRAILER},unfold)", "--remerge-diff",
            "--root", *DIFF_ARGS, "--no-notes")
COMMIT_HEADER = re.compile(rb"^commit ([0-9a-f]{40}|[0-9a-f]{64})$", re.MULTILINE)
# Above this many bytes of a stream the scanner is told it is big (bypass: where google-re2's
# one DFA pass beats a ``find`` per literal, import included).
BIG = 1 << 18


def empty_id(repo: git.Repo) -> str:
    """The id of an empty change (an empty commit, a merge that needed no resolution)."""
    return "0" * (64 if repo.object_format == "sha256" else 40)


def commit_heads(data: bytes) -> list[tuple[int, int, str]]:
    """(start, end, commit id) of every ``commit <oid>`` line of the log, as COMMIT_HEADER
    finds them but with ``bytes.find``: a multi-line regex over a long range's patch (80 MB
    for 10,000 commits) takes a third of a second. Only headers start with ``commit `` there
    (diff lines start with ``+``, ``-``, `` ``, ``@``, ``\\`` or a header word; binary patch
    lines with a length letter and no space; trailer lines with their key)."""
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
    """commit id -> its diff text (after its ``commit`` line), from the log's output."""
    out: dict[str, bytes] = {}
    heads = commit_heads(data)
    for i, (_, top, oid) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else len(data)
        out[oid] = data[top:end]
    return out


def hit_patches(data: bytes, scan: Scanner, big: bool = False,
                heads: Optional[list[tuple[int, int, str]]] = None) -> dict[str, bytes]:
    """commit id -> its diff, for the commits of ``data`` (whole commits of the log) with an
    added line ``scan`` reports (``heads``: commit_heads(data), when known)."""
    hits = scan(data, big)
    if not hits:
        return {}
    import bisect

    heads = commit_heads(data) if heads is None else heads
    starts = [h[0] for h in heads]
    out: dict[str, bytes] = {}
    for k in sorted({bisect.bisect_right(starts, off) - 1 for off in hits}):
        if k >= 0:
            end = heads[k + 1][0] if k + 1 < len(heads) else len(data)
            out[heads[k][2]] = data[heads[k][1]:end]
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


def _file_lines(data: bytes, eol: int, stop: int, nul: bool) -> Optional[tuple[Optional[int],
                                                                                Optional[int]]]:
    """(added, removed) of one file's section (its header line ends at ``eol``); (None,
    None): binary; None: a mode-only change, whose patch does not show whether it is binary.
    ``nul``: whether the commit's text has a NUL byte at all (else none is looked for)."""
    find = data.find
    hunk = find(b"\n@@ ", eol, stop)
    if hunk != -1 and nul and find(b"\0", hunk, stop) != -1:
        return None, None  # binary content diffed as text (--text): not lines
    if hunk != -1:
        return _hunk_lines(data, hunk, stop)
    if find(b"\nGIT binary patch\n", eol, stop) != -1 or \
            find(b"\nBinary files ", eol, stop) != -1:
        return None, None
    if find(b"\nindex ", eol, stop) != -1:
        return 0, 0  # an empty file added or deleted
    return None


def _commit_lines(data: bytes, top: int, end: int) -> dict[str, tuple[Optional[int],
                                                                      Optional[int]]]:
    files: dict[str, tuple[Optional[int], Optional[int]]] = {}
    unknown: list[str] = []
    find = data.find
    nul = find(b"\0", top, end) != -1  # one pass over the commit, not one per file
    i = find(_DIFF_GIT, top - 1, end)
    while i != -1:
        eol = find(b"\n", i + 12, end)
        if eol == -1:
            eol = end
        nxt = find(_DIFF_GIT, eol, end)
        stop = end if nxt == -1 else nxt
        path = git.decode_path(_header_path(data[i + 12:eol]))
        got = _file_lines(data, eol, stop, nul)
        if got is None:
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
    return files


def patch_lines(data: bytes, heads: Optional[list[tuple[int, int, str]]] = None) -> Lines:
    """commit id -> path -> (added, removed) lines, from the log's output: what ``--numstat``
    says of that commit's files without rename detection (None, None: binary). A mode-only
    change of a file is left out: its patch does not show whether it is binary."""
    out: Lines = {}
    heads = commit_heads(data) if heads is None else heads
    for k, (_, top, oid) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(data)
        out[oid] = _commit_lines(data, top, end)
    return out


def read(toplevel: str, oids: Sequence[str]) -> tuple[bytes, bytes]:
    """(``git log -p`` of exactly ``oids``, ``git patch-id --stable`` of all of it)."""
    if not oids:
        return b"", b""
    return git.tee([*CONFIG, "log", "--no-walk=unsorted", "--stdin", *LOG_ARGS],
                   ["patch-id", "--stable"], cwd=toplevel,
                   input="".join(o + "\n" for o in oids).encode())


def _parse_ids(out: bytes) -> dict[str, str]:
    ids: dict[str, str] = {}
    for line in out.splitlines():
        pid, _, oid = line.decode().partition(" ")
        ids[oid] = pid
    return ids


def patch_ids(repo: git.Repo, oids: Sequence[str]) -> dict[str, str]:
    """commit id -> patch id for every commit in ``oids`` (two git processes in all: one
    ``git log`` streamed into one ``git patch-id --stable``). A commit whose diff is empty gets
    :func:`empty_id`."""
    ids = dict.fromkeys(oids, empty_id(repo))
    ids.update((o, p) for o, p in _parse_ids(read(repo.toplevel, oids)[1]).items() if o in ids)
    return ids


_MARK = ("\n" + TRAILER.lower()).encode()


class PatchLog:
    """The patch log of one range, started in a thread by :meth:`start` so that it runs while
    the caller reads the same range's ``git log --raw`` (review.gather), or read at once by
    :meth:`read`. Every accessor joins the thread first (results are only ever read after
    it ended); so does ``with``, and :meth:`close`, which its owner calls when done.

    The patch itself is not kept by :meth:`start` (80 MB for 10,000 commits): each commit's
    text is handled as soon as it is complete — ``scan`` (the bypass check's literal scan),
    and with ``lines`` each file's added and removed lines (:func:`patch_lines`, for a
    max-lines budget) — and only the commits with a hit are kept, for the bypass check to
    parse. Memory grows with the largest commit, not with the range. Only the commits whose
    trailer git sees are fed to ``git patch-id`` (the others have no id to compare with); a
    commit asked for that was not fed, or not in the log, is read again on demand."""

    def __init__(self, repo: git.Repo, scan: Optional[Scanner] = None, lines: bool = False,
                 keep: bool = False) -> None:
        self.repo = repo
        self.scan = scan
        self.hit: dict[str, bytes] = {}  # commit id -> its diff, for commits with a hit
        self.lines: Optional[Lines] = {} if lines else None
        self.kept: Optional[list[bytes]] = [] if keep else None  # the whole log (read())
        self.seen: set[str] = set()  # the commits of the log
        self.fed: set[str] = set()  # the commits fed to git patch-id
        self.ids: dict[str, str] = {}
        self.everything = keep  # feed every commit to patch-id, not only marked ones
        self.error: Optional[BaseException] = None
        self.thread: Optional[threading.Thread] = None  # while one runs
        self._parts: list[bytes] = []  # the output not handled yet (its last commit unfinished)
        self._tail = b""  # the last 7 bytes read: a header's "\n" may end the previous chunk
        self._bytes = 0  # bytes handled so far
        self._ready: Optional[threading.Event] = None  # set once scan and lines are known

    @classmethod
    def start(cls, repo: git.Repo, revs: Sequence[str], scan: Optional[Scanner] = None,
              lines: bool = False, ready: bool = True) -> PatchLog:
        """``git log -p --reverse REVS`` in a thread (see the class). ``ready=False``: git
        starts now, before the caller knows what to ask of the log (the policy is still to
        be read); the commits are handled once :meth:`configure` says how (until then git
        writes ahead into the pipe)."""
        import threading

        log = cls(repo, scan, lines)
        log._ready = threading.Event()
        if ready:
            log._ready.set()
        args = [*CONFIG, "log", "--reverse", *LOG_ARGS, *revs, "--"]
        # git starts here, not in the thread: a thread waits for the GIL while its starter
        # works (ci imports its checks meanwhile), and git would start that much later; its
        # 1 MiB pipe holds the log of a short range whole until the thread reads it
        git.prefetch(*args, cwd=repo.toplevel, widen=True)
        # not a daemon: a daemon thread still scanning when the interpreter exits is stopped
        # inside re2, which aborts the process (SIGABRT, "terminate called without an active
        # exception"); the owner joins it (close), and the interpreter would too
        thread = threading.Thread(target=log._run, args=(args, None), daemon=False)
        log.thread = thread
        try:
            thread.start()
        except BaseException:
            git.discard(*args, cwd=repo.toplevel)
            raise
        return log

    def configure(self, scan: Optional[Scanner], lines: bool) -> None:
        """What to do with the commits of a log started with ``ready=False`` (once)."""
        assert self._ready is not None and not self._ready.is_set()
        self.scan = scan
        self.lines = {} if lines else None
        self._ready.set()  # (the thread reads the two only after this)

    @classmethod
    def read(cls, repo: git.Repo, oids: Sequence[str], scan: Optional[Scanner] = None,
             lines: bool = False) -> PatchLog:
        """The log of exactly ``oids``, read now and kept whole, every commit's id computed."""
        log = cls(repo, scan, lines, keep=True)
        if oids:
            log._run([*CONFIG, "log", "--no-walk=unsorted", "--stdin", *LOG_ARGS],
                     "".join(o + "\n" for o in oids).encode())
        log.join()
        return log

    def _run(self, args: list[str], input: Optional[bytes]) -> None:
        try:
            _, out = git.tee(args, ["patch-id", "--stable"], cwd=self.repo.toplevel,
                             input=input, relay=self._feed)
            self.ids = _parse_ids(out)
        except BaseException as e:  # re-raised in the owner's thread by join()
            self.error = e

    def _feed(self, chunk: bytes) -> bytes:
        """Handle every commit completed by ``chunk`` (b"": the end of the log); return what
        of it goes to git patch-id. Keeps the rest of the last, unfinished commit."""
        if self._ready is not None and not self._ready.is_set():
            self._ready.wait()
        last = not chunk
        probe = self._tail + chunk
        cut = probe.rfind(b"\ncommit ")
        self._tail = probe[-7:]
        if not last and cut == -1:
            self._parts.append(chunk)
            return b""
        buf = b"".join([*self._parts, chunk])
        # where the last commit's header starts in buf (its "\n" may end the previous part)
        split = len(buf) if last else len(buf) - len(probe) + cut + 1
        self._parts = [buf[split:]] if split < len(buf) else []
        return self._done(buf[:split]) if split > 0 else b""

    def _done(self, block: bytes) -> bytes:
        """Whole commits of the log: what the checks need of them; what patch-id gets."""
        self._bytes += len(block)
        if self.kept is not None:
            self.kept.append(block)
        heads = commit_heads(block)
        if self.scan is not None:
            self.hit.update(hit_patches(block, self.scan, self._bytes > BIG, heads))
        if self.lines is not None:
            self.lines.update(patch_lines(block, heads))
        self.seen.update(h[2] for h in heads)
        if self.everything:
            self.fed.update(h[2] for h in heads)
            return block
        feed: list[bytes] = []
        for k, (start, top, oid) in enumerate(heads):
            # the line after the header: this commit's trailers, as git reads them
            if block[top:top + len(_MARK)].lower() == _MARK:
                end = heads[k + 1][0] if k + 1 < len(heads) else len(block)
                feed.append(block[start:end])
                self.fed.add(oid)
        return b"".join(feed)

    # --- the owner's side ---------------------------------------------------------------

    def join(self) -> None:
        """Wait for the log (re-raising its error here)."""
        assert self._ready is None or self._ready.is_set(), "configure() it first"
        thread = self.thread
        if thread is not None:
            thread.join()
            self.thread = None
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        """Wait for the thread, whatever it met (the owner is done with the range): a log
        never configured is read to its end and dropped."""
        if self._ready is not None:
            self._ready.set()
        thread = self.thread
        if thread is not None:
            thread.join()
            self.thread = None

    def __enter__(self) -> PatchLog:
        return self

    def __exit__(self, kind: Optional[type[BaseException]], value: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    def _covers(self, oids: Sequence[str]) -> bool:
        self.join()
        return self.seen.issuperset(oids)

    def patches(self, oids: Sequence[str]) -> bytes:
        """The log of exactly these commits: the kept one, else read again."""
        self.join()
        if self.kept is not None and self._covers(oids):
            data = b"".join(self.kept)
            if len(oids) == len(self.seen):
                return data
            split = split_patches(data)
            return b"".join(b"commit " + o.encode() + split[o] for o in oids if o in split)
        return read(self.repo.toplevel, oids)[0]

    def patch_ids(self, oids: Sequence[str]) -> dict[str, str]:
        """commit id -> patch id (:func:`empty_id` for an empty diff) for every commit in
        ``oids``; those not fed to patch-id on the way are read now."""
        self.join()
        missing = [o for o in oids if o not in self.fed]
        if missing:
            self.ids.update(patch_ids(self.repo, missing))
            self.fed.update(missing)
        empty = empty_id(self.repo)
        return {o: self.ids.get(o, empty) for o in oids}

    def hit_patches(self, oids: Sequence[str], scan: Scanner) -> dict[str, bytes]:
        """commit id -> its diff, for the commits of ``oids`` with an added line ``scan``
        reports: scanned on the way when the log was started with that scanner."""
        if self.scan is scan and self._covers(oids):
            return {o: self.hit[o] for o in oids if o in self.hit}
        data = self.patches(oids)
        return hit_patches(data, scan, big=len(data) > BIG)

    def line_counts(self, oids: Sequence[str]) -> Lines:
        """:func:`patch_lines` of these commits, counted on the way when asked for."""
        if self.lines is not None and self._covers(oids):
            return {o: self.lines[o] for o in oids if o in self.lines}
        return patch_lines(self.patches(oids))
