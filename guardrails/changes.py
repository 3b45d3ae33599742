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
    from collections.abc import Iterator, Sequence
    from typing import Optional

GITLINK = "160000"
SYMLINK = "120000"
NULL_MODE = "000000"
DIFF_OPTS = ("--raw", "--numstat", "-z", "-M", "-C", "--no-abbrev", "--no-ext-diff",
             "--no-textconv", "--ignore-submodules=none")


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
                 "committer_email", "message", "changes")
    oid: str
    parents: list[str]
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    message: str
    changes: list[Change]

    def __init__(self, oid: str, parents: list[str], author_name: str, author_email: str,
                 committer_name: str, committer_email: str, message: str,
                 changes: Optional[list[Change]] = None) -> None:
        self.oid = oid
        self.parents = parents
        self.author_name = author_name
        self.author_email = author_email
        self.committer_name = committer_name
        self.committer_email = committer_email
        self.message = message
        self.changes = [] if changes is None else changes

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


def _parse_diff(tokens: list[bytes], start: int) -> tuple[list[Change], int]:
    """Parse raw and numstat records from ``tokens[start:]`` until a commit header."""
    changes: list[Change] = []
    by_path: dict[str, Change] = {}
    i = start
    n = len(tokens)
    while i < n:
        tok = tokens[i].lstrip(b"\n")
        if tok.startswith(b"\x01"):
            break
        if tok.startswith(b":"):
            old_mode, new_mode, old_oid, new_oid, status = tok[1:].decode().split(" ")
            letter = status[0]
            if letter in "RC":
                old, new = git.decode_path(tokens[i + 1]), git.decode_path(tokens[i + 2])
                i += 3
            else:
                old, new = None, git.decode_path(tokens[i + 1])
                i += 2
            ch = Change(letter, new, old, old_mode, new_mode, old_oid, new_oid)
            changes.append(ch)
            by_path.setdefault(new, ch)
            continue
        if not tok:  # an empty commit's separator
            i += 1
            continue
        # numstat: "added\tremoved\tpath" or "added\tremoved\t" followed by old and new paths
        added_s, removed_s, rest = tok.split(b"\t", 2)
        if rest:
            path = git.decode_path(rest)
            i += 1
        else:
            path = git.decode_path(tokens[i + 2])
            i += 3
        ch_or_none = by_path.get(path)
        if ch_or_none is not None:
            ch_or_none.added = None if added_s == b"-" else int(added_s)
            ch_or_none.removed = None if removed_s == b"-" else int(removed_s)
    return changes, i


STAGED = ("diff", "--cached", *DIFF_OPTS)


def staged(repo: git.Repo) -> list[Change]:
    """What the next commit would change: the index against HEAD (or the empty tree)."""
    data = git.out(*STAGED, cwd=repo.toplevel)
    return _parse_diff(git.zsplit(data), 0)[0]


def between(repo: git.Repo, old: str, new: str) -> list[Change]:
    """Changes from tree-ish ``old`` to ``new``."""
    data = git.out("diff-tree", "-r", *DIFF_OPTS, old, new, "--", cwd=repo.toplevel)
    return _parse_diff(git.zsplit(data), 0)[0]


_FORMAT = "%x01%H%x02%P%x02%an%x02%ae%x02%cn%x02%ce%x02%B"


def commits(repo: git.Repo, revs: Sequence[str]) -> list[Commit]:
    """Every commit ``git log revs`` lists, oldest first, with its changes: one git call.

    Merge commits carry no changes here (their parents' commits are listed on their own).
    """
    # --root: a root commit's files are changes too, whatever log.showRoot says;
    # --no-show-signature: log.showSignature would mix gpg output into the records.
    data = git.out("log", "--reverse", "--root", "--no-show-signature", f"--format={_FORMAT}",
                   *DIFF_OPTS, *revs, "--", cwd=repo.toplevel)
    return list(_parse_log(git.zsplit(data)))


def _parse_log(tokens: list[bytes]) -> Iterator[Commit]:
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip(b"\n")
        if not tok.startswith(b"\x01"):
            i += 1
            continue
        fields = tok[1:].decode(errors="surrogateescape").split("\x02", 6)
        oid, parents, an, ae, cn, ce, message = fields
        changes, i = _parse_diff(tokens, i + 1)
        yield Commit(oid, parents.split(), an, ae, cn, ce, message, changes)


_AGENTS: dict[tuple[str, ...], Optional[str]] = {}


def agent_of(c: Commit) -> Optional[str]:
    """The agent the commit's metadata names (agents.from_commit), worked out once per commit:
    every range check and report row asks."""
    key = (c.oid, c.author_name, c.author_email, c.committer_name, c.committer_email, c.message)
    try:
        return _AGENTS[key]
    except KeyError:
        pass
    from guardrails import agents

    found = _AGENTS[key] = agents.from_commit(f"{c.author_name} <{c.author_email}>",
                                              f"{c.committer_name} <{c.committer_email}>",
                                              c.message)
    return found


def commit_range(repo: git.Repo, spec: str) -> list[Commit]:
    """Commits of ``A..B`` (or ``A...B``, or one rev meaning its own commit)."""
    if ".." not in spec:
        return commits(repo, ["-1", spec])
    return commits(repo, [spec])
