"""The change model: every path a change touches, from the index, one commit, or a range.

Each source is one git call whose ``--raw --numstat -z`` output is parsed once: statuses
(added, modified, deleted, renamed and copied with both paths, type change), modes (so mode-only,
symlink and submodule changes are visible) and added/removed line counts for budgets.
"""
from __future__ import annotations

from guardrails import git
from guardrails.records import Record

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Optional

    from guardrails.git.patchlog import PatchLog

GITLINK = "160000"
SYMLINK = "120000"
NULL_MODE = "000000"
DIFF_OPTS = ("--raw", "--numstat", "-z", "-M", "-C", "--no-abbrev", "--no-ext-diff",
             "--no-textconv", "--ignore-submodules=none")
# without --numstat, which costs two thirds of a long range's `git log --raw` (a content diff of
# every file); see count_lines
RAW_OPTS = tuple(o for o in DIFF_OPTS if o != "--numstat")


class Change(Record):
    __slots__ = ("status", "path", "old_path", "old_mode", "new_mode", "old_oid",  # noqa: RUF023
                 "new_oid", "added", "removed")
    status: str  # A M D R C T (git's letters; U for unmerged)
    path: str  # the new path (for D: the deleted path)
    old_path: Optional[str]  # the source of a rename or copy
    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str
    added: Optional[int]  # None for binary files
    removed: Optional[int]

    def __init__(self, status: str, path: str, old_path: Optional[str], old_mode: str,
                 new_mode: str, old_oid: str, new_oid: str, added: Optional[int] = None,
                 removed: Optional[int] = None) -> None:
        self.status = status
        self.path = path
        self.old_path = old_path
        self.old_mode = old_mode
        self.new_mode = new_mode
        self.old_oid = old_oid
        self.new_oid = new_oid
        self.added = added
        self.removed = removed

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this change modifies: both sides of a rename, only the new side of a copy
        (a copy leaves its source untouched)."""
        if self.status == "R" and self.old_path is not None:
            return (self.old_path, self.path)
        return (self.path,)

    @property
    def kind(self) -> str:
        """What changed, for messages: submodule, symlink, mode, type or file."""
        if GITLINK in (self.old_mode, self.new_mode):
            return "submodule"
        if SYMLINK in (self.old_mode, self.new_mode):
            return "symlink"
        if self.status == "T":
            return "type"
        if self.status == "M" and self.old_oid == self.new_oid and self.old_mode != self.new_mode:
            return "mode"
        return "file"

    @property
    def lines(self) -> int:
        return (self.added or 0) + (self.removed or 0)

    def describe(self) -> str:
        names = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied",
                 "T": "type changed", "U": "unmerged"}
        what = names.get(self.status, self.status)
        if self.kind in ("submodule", "symlink"):
            what = f"{self.kind} {what}"
        elif self.kind == "mode":
            what = f"mode {self.old_mode} -> {self.new_mode}"
        if self.old_path is not None:
            from guardrails.findings import show_path

            return f"{what} from {show_path(self.old_path)}"
        return what


class Commit(Record):
    __slots__ = ("oid", "parents", "author_name", "author_email", "committer_name",  # noqa: RUF023
                 "committer_email", "message", "changes", "counted")
    oid: str
    parents: list[str]
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    message: str
    changes: list[Change]
    counted: bool  # whether the changes carry their line counts (else: count_lines)

    def __init__(self, oid: str, parents: list[str], author_name: str, author_email: str,
                 committer_name: str, committer_email: str, message: str,
                 changes: Optional[list[Change]] = None, counted: bool = True) -> None:
        self.oid = oid
        self.parents = parents
        self.author_name = author_name
        self.author_email = author_email
        self.committer_name = committer_name
        self.committer_email = committer_email
        self.message = message
        self.changes = [] if changes is None else changes
        self.counted = counted

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


def _fields(data: bytes) -> list[str]:
    """git's ``-z`` output as str fields, decoded in one go: paths as :func:`git.decode_path`
    decodes them, commit headers as UTF-8 with surrogate escapes."""
    if _WHOLE:
        text = data.decode("utf-8", "surrogateescape")
        parts = text.split("\0")
        if parts and parts[-1] == "":
            parts.pop()
        return parts
    return [t.decode("utf-8", "surrogateescape") if t.lstrip(b"\n").startswith(b"\x01")
            else git.decode_path(t) for t in git.zsplit(data)]


def _whole() -> bool:
    import sys

    # UTF-8 decoding is per byte sequence, so one decode of the whole output equals a decode of
    # each field; another file-system encoding decodes field by field
    return sys.getfilesystemencoding() == "utf-8" and \
        sys.getfilesystemencodeerrors() == "surrogateescape"


_WHOLE = _whole()


def _parse_diff(tokens: list[str], start: int) -> tuple[list[Change], int]:
    """Parse raw and numstat records from ``tokens[start:]`` until a commit header."""
    changes: list[Change] = []
    by_path: dict[str, Change] = {}
    i = start
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok[:1] == "\n":
            tok = tok.lstrip("\n")
        first = tok[:1]
        if first == "\x01":
            break
        if first == ":":
            old_mode, new_mode, old_oid, new_oid, status = tok[1:].split(" ")
            letter = status[0]
            if letter == "R" or letter == "C":
                old, new = tokens[i + 1], tokens[i + 2]
                i += 3
            else:
                old, new = None, tokens[i + 1]
                i += 2
            ch = Change(letter, new, old, old_mode, new_mode, old_oid, new_oid)
            changes.append(ch)
            if new not in by_path:
                by_path[new] = ch
            continue
        if not tok:  # an empty commit's separator
            i += 1
            continue
        # numstat: "added\tremoved\tpath" or "added\tremoved\t" followed by old and new paths
        added_s, removed_s, path = tok.split("\t", 2)
        if path:
            i += 1
        else:
            path = tokens[i + 2]
            i += 3
        ch_or_none = by_path.get(path)
        if ch_or_none is not None:
            ch_or_none.added = None if added_s == "-" else int(added_s)
            ch_or_none.removed = None if removed_s == "-" else int(removed_s)
    return changes, i


STAGED = ("diff", "--cached", *DIFF_OPTS)


def staged(repo: git.Repo, against: Optional[str] = None) -> list[Change]:
    """What the next commit would change: the index against HEAD (or the empty tree); with
    ``against``, the index against that commit (a session's baseline, for its budgets)."""
    data = git.out(*STAGED, *((against, "--") if against else ()), cwd=repo.toplevel)
    return _parse_diff(_fields(data), 0)[0]


def count_text(repo: git.Repo, chs: Sequence[Change], old: Optional[str] = None,
               new: Optional[str] = None) -> None:
    """Line counts for the changes ``--numstat`` called binary because .gitattributes says so
    (``-diff``, ``binary``, a ``diff`` driver with ``binary``): ``--numstat`` ignores ``--text``,
    so a one-off ``git diff -p --text`` of those paths (``old`` against ``new``, or the index
    against ``old`` when ``new`` is None: HEAD when ``old`` is None too) counts them, streamed
    (:class:`_Counts`: a 150 MB file is never held). Content git itself takes for binary (a
    NUL byte) stays uncounted; for the index (``new`` None), such a file (no ``diff``
    attribute: ``git check-attr`` tells) is not diffed at all. No git runs when none needs
    it."""
    todo = [ch for ch in chs if ch.added is None and ch.kind == "file"]
    if not todo:
        return
    from guardrails.git import patchlog

    revs = [r for r in (old, new) if r is not None]
    paths = sorted({p for ch in todo for p in ch.paths})
    if new is None:  # the index: what its attributes do not make binary is binary by content
        paths = _attribute_binary(repo, paths)
    if not paths:
        return
    counts = _Counts()
    git.stream(*patchlog.CONFIG, "diff", *(["--cached"] if new is None else []),
               *patchlog.DIFF_ARGS, *revs, "--", *(f":(literal){p}" for p in paths),
               cwd=repo.toplevel, on_chunk=counts.feed)
    got_all = counts.finish()
    for ch in todo:
        got = [got_all.get(p) for p in ch.paths]
        if all(g is not None and g[0] is not None and g[1] is not None for g in got):
            ch.added = sum(g[0] for g in got if g is not None and g[0] is not None)
            ch.removed = sum(g[1] for g in got if g is not None and g[1] is not None)


def _attribute_binary(repo: git.Repo, paths: Sequence[str]) -> list[str]:
    """Of staged ``paths`` (binary to ``--numstat``), those whose ``diff`` attribute makes them
    so (unset, or a driver; as git diff reads attributes: the work tree's, then the index's):
    the rest are binary by content."""
    proc = git.run("check-attr", "-z", "diff", "--", *paths, cwd=repo.toplevel, ok=(0, 128))
    if proc.returncode != 0:
        return list(paths)  # count them all rather than none
    fields = git.zsplit(proc.stdout)
    return [git.decode_path(fields[k]) for k in range(0, len(fields) - 2, 3)
            if fields[k + 2] not in (b"set", b"unspecified")]


class _Counts:
    """path -> (added, removed) of a ``-U0`` patch stream, read piece by piece from its
    ``diff --git`` and ``@@`` headers (what attestation.patch_lines reads from a whole patch);
    (None, None) for a file whose hunks hold a NUL byte (binary content diffed as text)."""

    def __init__(self) -> None:
        self.out: dict[str, tuple[Optional[int], Optional[int]]] = {}
        self._carry = b""
        self._path: Optional[str] = None
        self._hunk = False

    def feed(self, chunk: bytes) -> None:
        data = self._carry + chunk
        cut = data.rfind(b"\n") + 1
        self._carry = data[cut:]
        if len(self._carry) > 1 << 20:  # a long content line: only a NUL matters in it
            self._nul(self._carry)
            self._carry = b""
        self._block(data[:cut])

    def finish(self) -> dict[str, tuple[Optional[int], Optional[int]]]:
        if self._carry:
            self._block(self._carry + b"\n")
        return self.out

    def _nul(self, data: bytes) -> None:
        if self._hunk and self._path is not None and b"\0" in data:
            self.out[self._path] = (None, None)

    def _block(self, data: bytes) -> None:
        from guardrails.git.patchlog import _header_path

        pos, n = 0, len(data)
        while pos < n:
            if not self._hunk or data.startswith((b"@@ ", b"diff --git "), pos):
                eol = data.find(b"\n", pos) + 1 or n
                line = data[pos:eol - 1]
                if line.startswith(b"diff --git "):
                    self._path = git.decode_path(_header_path(line[11:]))
                    self._hunk = False
                    prev = self.out.get(self._path)
                    self.out[self._path] = (0, 0) if prev is None else prev
                elif line.startswith(b"@@ ") and self._path is not None:
                    self._hunk = True
                    self._add(line)
                pos = eol
                continue
            stop = min(_find(data, b"\n@@ ", pos), _find(data, b"\ndiff --git ", pos)) + 1
            stop = min(stop, n)
            if data.find(b"\0", pos, stop) != -1:
                self._nul(b"\0")
            pos = stop

    def _add(self, line: bytes) -> None:
        assert self._path is not None
        added, removed = self.out.get(self._path, (0, 0))
        if added is None or removed is None:
            return
        old, _, new = line[3:].partition(b" @@")[0].partition(b" ")
        self.out[self._path] = (added + int(new.partition(b",")[2] or b"1"),
                                removed + int(old.partition(b",")[2] or b"1"))


def _find(data: bytes, needle: bytes, pos: int) -> int:
    i = data.find(needle, pos)
    return len(data) if i == -1 else i


def between(repo: git.Repo, old: str, new: str) -> list[Change]:
    """Changes from tree-ish ``old`` to ``new``."""
    data = git.out("diff-tree", "-r", *DIFF_OPTS, old, new, "--", cwd=repo.toplevel)
    return _parse_diff(_fields(data), 0)[0]


_FORMAT = "%x01%H%x02%P%x02%an%x02%ae%x02%cn%x02%ce%x02%B"


def commits(repo: git.Repo, revs: Sequence[str], numstat: bool = True) -> list[Commit]:
    """Every commit ``git log revs`` lists, oldest first, with its changes: one git call.

    Merge commits carry no changes here (their parents' commits are listed on their own).
    ``numstat=False``: without line counts (``counted`` False; :func:`count_lines` adds them
    when a budget needs them), which saves git a content diff of every file.
    """
    data = git.out(*log_args(revs, numstat), cwd=repo.toplevel)
    return _parse_log(_fields(data), numstat)


def log_args(revs: Sequence[str], numstat: bool = True) -> tuple[str, ...]:
    """The git arguments of :func:`commits` (for git.prefetch)."""
    # --root: a root commit's files are changes too, whatever log.showRoot says;
    # --no-show-signature: log.showSignature would mix gpg output into the records.
    return ("log", "--reverse", "--root", "--no-show-signature", f"--format={_FORMAT}",
            *(DIFF_OPTS if numstat else RAW_OPTS), *revs, "--")


def _parse_log(tokens: list[str], counted: bool = True) -> list[Commit]:
    out: list[Commit] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i].lstrip("\n")
        if not tok.startswith("\x01"):
            i += 1
            continue
        oid, parents, an, ae, cn, ce, message = tok[1:].split("\x02", 6)
        changes, i = _parse_diff(tokens, i + 1)
        out.append(Commit(oid, parents.split(), an, ae, cn, ce, message, changes, counted))
    return out


def count_lines(repo: git.Repo, commits: Sequence[Commit],
                patches: Callable[[Sequence[str]], PatchLog]) -> None:
    """Add the line counts to the changes of the commits read without them.

    The counts come from the range's patch log, ``patches(oids)`` (Context.patches; asked
    only when some commit needs counts), which the attestation and bypass checks read anyway
    and for which git diffed every file already: the ``+`` and ``-`` lines of each file's
    diff are what ``--numstat`` counts. What that patch cannot tell (a rename or copy with
    edits: the patch has no renames; a mode-only change: binary or not) is read for those
    commits alone, with one ``git diff-tree --stdin --numstat``."""
    if all(c.counted for c in commits):
        return
    oids = [c.oid for c in commits]
    counts = patches(oids).line_counts(oids)
    again: list[Commit] = []
    for c in commits:
        if c.counted:
            continue
        files = counts.get(c.oid, {})
        for ch in c.changes:
            got = files.get(ch.path)
            if got is None:
                break
            if ch.status == "R" or ch.status == "C":
                if ch.old_oid != ch.new_oid:
                    break
                # the same blob under a new name: no line changed, unless it is binary
                got = got if got[0] is None else (0, 0)
            ch.added, ch.removed = got
        else:
            c.counted = True
            continue
        again.append(c)
    if again:
        data = git.out("diff-tree", "--stdin", "--root", "-r", "--no-show-signature",
                       f"--format={_FORMAT}", *DIFF_OPTS, cwd=repo.toplevel,
                       input="".join(c.oid + "\n" for c in again).encode())
        fresh = {c.oid: c.changes for c in _parse_log(_fields(data))}
        for c in again:
            c.changes[:] = fresh.get(c.oid, c.changes)
            c.counted = True


_AGENTS: dict[tuple[str, ...], Optional[str]] = {}


def agent_of(c: Commit) -> Optional[str]:
    """The agent the commit's metadata names (agents.from_commit), worked out once per commit:
    every range check and report row asks."""
    key = (c.oid, c.author_name, c.author_email, c.committer_name, c.committer_email, c.message)
    try:
        return _AGENTS[key]
    except KeyError:
        pass
    from guardrails.agents import markers as agents

    found = _AGENTS[key] = agents.from_commit(f"{c.author_name} <{c.author_email}>",
                                              f"{c.committer_name} <{c.committer_email}>",
                                              c.message)
    return found


def commit_range(repo: git.Repo, spec: str) -> list[Commit]:
    """Commits of ``A..B`` (or ``A...B``, or one rev meaning its own commit)."""
    if ".." not in spec:
        return commits(repo, ["-1", spec])
    return commits(repo, [spec])
