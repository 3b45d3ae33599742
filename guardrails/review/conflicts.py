"""Conflict forecast: which branches will conflict when they merge, before anyone merges.

For every branch (the active sessions' branches, or those named) a real three-way merge of the
branch into the base's current tip, and of every pair of branches, with
``git merge-tree --write-tree --name-only -z`` (git >= 2.38): merge-ort does the whole merge in
memory and writes only the result's objects, never a ref, the index or a work tree. Each merge
is one git process; they run side by side, as many at a time as there are CPUs.

What ``merge-tree -z`` prints (Documentation/git-merge-tree.txt, git 2.38 and later)::

    <tree oid> NUL                              always
    <path> NUL ...                              conflicted file info (--name-only: one per path)
    NUL                                         the messages section begins
    <n> NUL <path 1> NUL ... <path n> NUL <type> NUL <message> NUL   per message, repeated

Exit 0: clean; 1: conflicts. A merge can conflict with no file listed (some directory-rename
conflicts), so the exit code decides, the file list and the messages say where and why. The
``<type>`` is a stable string (``CONFLICT (contents)``, ``CONFLICT (modify/delete)``,
``Auto-merging`` …); the message's own ``CONFLICT (…)`` words are finer (``content`` or
``add/add`` for the one ``contents`` type) and are read under ``LC_ALL=C``. git 2.39 also
exits 1, with nothing on stdout, when an argument is not a commit: output that does not parse
is an error, never a conflict.

Merges run in the common git dir, outside any work tree, so every worktree gets the same
answer for the same pair of commits: only ``$GIT_DIR/info/attributes`` applies, not a work
tree's ``.gitattributes`` (a ``merge=union`` file there may be forecast as conflicting).
Results are cached by the pair of commits in ``<common dir>/guardrails/conflicts-cache.json``:
raw merge-tree output, parsed again on every read, so a damaged or forged entry is recomputed.

Names never reach git's command line: they are resolved in one ``git cat-file --batch`` (on
stdin) and merge-tree is given object ids after ``--end-of-options``.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shlex
from collections.abc import Iterable, Sequence
from typing import Any, Optional

from guardrails import git
from guardrails.errors import GuardrailsError
from guardrails.findings import WARNING, Finding, printable, shell_path, show_path
from guardrails.records import Frozen, Record

MIN_GIT = "2.38"
CACHE = "conflicts-cache.json"
CACHE_VERSION = 1
CACHE_MAX_ENTRIES = 4096
CACHE_MAX_BYTES = 16 << 20
# what merge-tree's messages call a conflict kind, as this forecast names it
KIND_NAMES = {"contents": "content", "distinct modes": "mode"}
_OID = re.compile(r"\A(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")
_CONFLICT = re.compile(r"\ACONFLICT ?\(([^)]*)\)")


class Tip(Frozen):
    """A branch (or commit) taking part in the forecast."""

    __slots__ = ("label", "oid", "tree", "worktree")
    label: str  # as shown: the branch name, or what the user typed
    oid: Optional[str]  # None: an unborn branch (a session that has no commit yet)
    tree: Optional[str]
    worktree: Optional[str]  # the session's worktree, for the commands in hints

    def __init__(self, label: str, oid: Optional[str], tree: Optional[str] = None,
                 worktree: Optional[str] = None) -> None:
        super().__init__(label, oid, tree, worktree)

    @property
    def arg(self) -> str:
        """The name for a command a user pastes: the label, or the commit id when the label
        could be read as an option."""
        return self.oid if self.label.startswith("-") and self.oid else self.label


class Conflict(Frozen):
    """One conflict message of merge-tree: its kind, the paths it names, git's words."""

    __slots__ = ("kind", "type", "paths", "message")  # noqa: RUF023 (field order)
    kind: str  # content, add/add, modify/delete, rename/delete, rename/rename, mode, …
    type: str  # merge-tree's stable <conflict-type>, e.g. "CONFLICT (contents)"
    paths: tuple[str, ...]
    message: str

    def __init__(self, kind: str, type: str, paths: tuple[str, ...], message: str) -> None:
        super().__init__(kind, type, paths, message)


class Outcome(Frozen):
    """What one ``git merge-tree`` of two commits said."""

    __slots__ = ("code", "tree", "paths", "conflicts")  # noqa: RUF023 (field order)
    code: int  # 0 clean, 1 conflicts, 128 unrelated histories
    tree: Optional[str]
    paths: tuple[str, ...]  # the conflicted file info
    conflicts: tuple[Conflict, ...]

    def __init__(self, code: int, tree: Optional[str], paths: tuple[str, ...],
                 conflicts: tuple[Conflict, ...]) -> None:
        super().__init__(code, tree, paths, conflicts)


UNRELATED = Outcome(128, None, (), (Conflict("unrelated histories", "", (),
                                             "refusing to merge unrelated histories"),))


def parse(out: bytes, code: int) -> Outcome:
    """Read ``git merge-tree --write-tree --name-only -z`` output; ValueError when it is not
    that (an error git reported with exit 1, a damaged cache entry)."""
    if code == 128:
        if out:
            raise ValueError("output with exit 128")
        return UNRELATED
    if code not in (0, 1):
        raise ValueError(f"exit code {code}")
    fields = out.split(b"\0")
    if len(fields) < 2 or fields[-1] != b"":
        raise ValueError("not NUL-terminated")
    fields.pop()
    tree = fields[0].decode("ascii", "replace")
    if not _OID.match(tree):
        raise ValueError("no tree id")
    if code == 0:
        if len(fields) != 1:
            raise ValueError("a clean merge with more output than its tree")
        return Outcome(0, tree, (), ())
    i, paths = 1, []
    while i < len(fields) and fields[i] != b"":
        paths.append(git.decode_path(fields[i]))
        i += 1
    conflicts: list[Conflict] = []
    i += 1  # the empty field that begins the messages
    while i < len(fields):
        if not fields[i].isdigit():
            raise ValueError(f"a message without its path count at field {i}")
        n = int(fields[i])
        if i + n + 2 >= len(fields):
            raise ValueError("a message cut short")
        names = tuple(git.decode_path(p) for p in fields[i + 1:i + 1 + n])
        kind_of = fields[i + 1 + n].decode("utf-8", "surrogateescape")
        message = fields[i + 2 + n].decode("utf-8", "surrogateescape").rstrip("\n")
        i += n + 3
        if kind_of.startswith("CONFLICT"):
            conflicts.append(Conflict(_kind(kind_of, message), kind_of, names, message))
    return Outcome(1, tree, tuple(paths), tuple(conflicts))


def _kind(kind_of: str, message: str) -> str:
    """The message's own ``CONFLICT (add/add)`` words when it has them, else the type's."""
    m = _CONFLICT.match(message) or _CONFLICT.match(kind_of)
    word = m.group(1).strip() if m else kind_of
    return KIND_NAMES.get(word, word)


def kinds_by_path(outcome: Outcome) -> dict[str, list[str]]:
    """Each conflicted path with the kinds of conflict that name it (a path can have several);
    a merge that conflicts with no file listed keeps its messages' paths, or ``""``."""
    out: dict[str, list[str]] = {p: [] for p in outcome.paths}
    for c in outcome.conflicts:
        named = [p for p in c.paths if p in out] or ([] if out else list(c.paths[:1]) or [""])
        for p in named:
            kinds = out.setdefault(p, [])
            if c.kind not in kinds:
                kinds.append(c.kind)
    if not out and outcome.code == 1:
        out[""] = []  # exit 1 decides, even with no file and no message to say where
    for kinds in out.values():
        if not kinds:
            kinds.append("conflict")
    return out


# --- running merge-tree -------------------------------------------------------------------------

def merge_tree_args(ours: str, theirs: str) -> tuple[str, ...]:
    return ("merge-tree", "--write-tree", "--name-only", "-z", "--end-of-options", ours, theirs)


# merge-tree runs in the common dir: no work tree, nothing of the caller's worktree (a hook's
# GIT_DIR / GIT_INDEX_FILE) and git's messages in English, which the kinds are read from
ENV = {**git.OTHER_WORKTREE, "LC_ALL": "C"}


def _merge_tree(repo: git.Repo, ours: str, theirs: str) -> tuple[int, bytes]:
    proc = git.run(*merge_tree_args(ours, theirs), cwd=repo.common_dir, ok=(0, 1, 128, 129),
                   env=ENV)
    code = proc.returncode
    if code == 129 or (code == 128 and b"unrelated histories" not in proc.stderr):
        err = proc.stderr.decode(errors="replace").strip()
        if code == 129 or "write-tree" in err:
            raise GuardrailsError(
                f"git merge-tree cannot forecast merges here ({err}): it needs git >= {MIN_GIT}",
                "install a newer git (https://git-scm.com/downloads), then run it again")
        raise git.GitError(merge_tree_args(ours, theirs), code, proc.stderr)
    if code == 128:
        return 128, b""
    try:
        parse(proc.stdout, code)
    except ValueError as e:
        raise git.GitError(merge_tree_args(ours, theirs), code,
                           proc.stderr or f"unexpected output: {e}".encode()) from None
    return code, proc.stdout


def workers() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def merge_many(repo: git.Repo, pairs: Iterable[tuple[str, str]],
               cache: Optional[Cache] = None) -> dict[tuple[str, str], Outcome]:
    """The outcome of merging each (ours, theirs) pair of commit ids: from the cache, else
    one ``git merge-tree`` each, ``workers()`` at a time."""
    todo: list[tuple[str, str]] = []
    done: dict[tuple[str, str], Outcome] = {}
    for pair in dict.fromkeys(pairs):
        hit = cache.get(pair) if cache is not None else None
        if hit is not None:
            done[pair] = hit
        elif pair[0] == pair[1]:
            done[pair] = Outcome(0, None, (), ())  # the same commit: nothing to merge
        else:
            todo.append(pair)
    if not todo:
        return done
    n = min(workers(), len(todo))
    if n == 1:
        raw = [_merge_tree(repo, *p) for p in todo]
    else:
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
            raw = list(pool.map(lambda p: _merge_tree(repo, *p), todo))
    for pair, (code, out) in zip(todo, raw):
        done[pair] = parse(out, code)
        if cache is not None:
            cache.put(pair, code, out)
    return done


# --- the cache: untrusted input, validated entry by entry ---------------------------------------

class Cache:
    """Raw merge-tree outputs by (ours, theirs) commit ids, in the common git dir."""

    def __init__(self, repo: git.Repo) -> None:
        self.path = repo.common_path("guardrails", CACHE)
        self.entries: dict[str, list[Any]] = {}
        self.used: set[str] = set()
        self.new = False
        self.rejected = 0  # entries dropped on read (damaged, forged, from another version)
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                raw = f.read(CACHE_MAX_BYTES + 1)
        except OSError:
            return
        try:
            if len(raw) > CACHE_MAX_BYTES:
                raise ValueError("too large")
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or \
                    not isinstance(data.get("entries"), dict):
                raise ValueError("not a cache of this version")
        except ValueError:
            self.rejected += 1
            return
        for key, value in data["entries"].items():
            if isinstance(key, str) and self._valid(key, value):
                self.entries[key] = value
            else:
                self.rejected += 1

    @staticmethod
    def _valid(key: str, value: Any) -> bool:
        ours, _, theirs = key.partition(" ")
        if not (_OID.match(ours) and _OID.match(theirs) and len(ours) == len(theirs)):
            return False
        return isinstance(value, list) and len(value) == 2 and type(value[0]) is int and \
            isinstance(value[1], str)

    def get(self, pair: tuple[str, str]) -> Optional[Outcome]:
        key = f"{pair[0]} {pair[1]}"
        value = self.entries.get(key)
        if value is None:
            return None
        try:
            outcome = parse(base64.b64decode(value[1], validate=True), value[0])
        except (ValueError, binascii.Error):
            del self.entries[key]
            self.rejected += 1
            return None
        self.used.add(key)
        return outcome

    def put(self, pair: tuple[str, str], code: int, out: bytes) -> None:
        key = f"{pair[0]} {pair[1]}"
        self.entries[key] = [code, base64.b64encode(out).decode("ascii")]
        self.used.add(key)
        self.new = True

    def save(self) -> None:
        """Write it back when it learnt something: this run's entries last (kept longest),
        at most CACHE_MAX_ENTRIES. Best effort: a forecast never fails for its cache."""
        if not self.new:
            return
        keep = [k for k in self.entries if k not in self.used] + \
            [k for k in self.entries if k in self.used]
        keep = keep[-CACHE_MAX_ENTRIES:]
        doc = {"version": CACHE_VERSION, "entries": {k: self.entries[k] for k in keep}}
        directory = os.path.dirname(self.path)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(directory, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "w") as f:
                json.dump(doc, f, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self.new = False


# --- the forecast -------------------------------------------------------------------------------

MERGEABLE = "mergeable"
CONFLICT = "conflict"
NOTHING = "nothing to merge"
UNBORN = "no commits yet"
UNRELATED_HISTORIES = "unrelated histories"


class Merge(Record):
    """One forecast merge: ``theirs`` merged into ``ours`` (the base, or another branch)."""

    __slots__ = ("ours", "theirs", "status", "outcome")  # noqa: RUF023 (field order)
    ours: Tip
    theirs: Tip
    status: str  # mergeable | conflict | nothing to merge | no commits yet | unrelated histories
    outcome: Optional[Outcome]

    def __init__(self, ours: Tip, theirs: Tip, status: str,
                 outcome: Optional[Outcome] = None) -> None:
        self.ours = ours
        self.theirs = theirs
        self.status = status
        self.outcome = outcome

    def relabel(self, s: str) -> str:
        """``s`` with the commit ids merge-tree was given replaced by their names, as a merge
        of the branches by name would say it (``deleted in agent/a``, ``file~agent/a``)."""
        for t in (self.ours, self.theirs):
            if t.oid and t.oid in s:
                s = s.replace(t.oid, t.label)
        return s

    def relabel_path(self, path: str) -> str:
        """A path as the merge of the names would write it: merge-tree keeps both sides of a
        file/directory or type conflict as ``PATH~SIDE``; any other path stays byte for byte."""
        for t in (self.ours, self.theirs):
            if t.oid and path.endswith("~" + t.oid):
                return path[:-len(t.oid)] + t.label
        return path

    @property
    def paths(self) -> dict[str, list[str]]:
        """Each conflicting path (as the merge of the names would call it) with its kinds."""
        if self.status != CONFLICT or self.outcome is None:
            return {}
        return {self.relabel_path(p): k for p, k in kinds_by_path(self.outcome).items()}

    def to_json(self) -> dict[str, Any]:
        o = self.outcome
        return {
            "ours": self.ours.label, "theirs": self.theirs.label,
            "ours_oid": self.ours.oid, "theirs_oid": self.theirs.oid,
            "status": self.status, "tree": o.tree if o else None,
            "conflicts": [{"path": p, "kinds": k} for p, k in self.paths.items()],
            "messages": [{"kind": c.kind, "type": c.type,
                          "paths": [self.relabel_path(p) for p in c.paths],
                          "message": self.relabel(c.message)} for c in (o.conflicts if o else ())
                         ] if self.status == CONFLICT else [],
        }


class Rebase(Frozen):
    """A branch left out of the merge order, and what has to happen before it can merge."""

    __slots__ = ("branch", "onto", "after", "base_conflict", "conflicts_with")  # noqa: RUF023
    branch: str
    onto: str  # the base
    after: Optional[str]  # the merged branch it must follow (its last conflicting one)
    base_conflict: bool  # it conflicts with the base as it is now
    conflicts_with: tuple[str, ...]  # the merged branches it conflicts with, in merge order

    def __init__(self, branch: str, onto: str, after: Optional[str], base_conflict: bool,
                 conflicts_with: tuple[str, ...]) -> None:
        super().__init__(branch, onto, after, base_conflict, conflicts_with)

    def advice(self) -> str:
        if self.after is not None:
            why = f"it conflicts with {', '.join(self.conflicts_with)}"
            if self.base_conflict:
                why += f" and with {self.onto}"
            return f"rebase onto {self.onto} once {self.after} has merged ({why})"
        return f"rebase onto {self.onto} now (it conflicts with {self.onto})"


class Forecast(Record):
    __slots__ = ("base", "branches", "against_base", "between", "order", "rebase")  # noqa: RUF023
    base: Tip
    branches: list[Tip]
    against_base: list[Merge]  # per branch, in the branches' order
    between: list[Merge]  # per pair of branches that have something to merge
    order: list[str]  # greedy: the branches that merge one after another without conflict
    rebase: list[Rebase]  # the others

    def __init__(self, base: Tip, branches: list[Tip], against_base: list[Merge],
                 between: list[Merge]) -> None:
        self.base = base
        self.branches = branches
        self.against_base = against_base
        self.between = between
        self.order, self.rebase = merge_order(base, against_base, between)

    @property
    def conflicts(self) -> list[Merge]:
        return [m for m in (*self.against_base, *self.between) if m.status == CONFLICT]

    def to_json(self) -> dict[str, Any]:
        return {
            "base": {"label": self.base.label, "oid": self.base.oid},
            "branches": [{"label": t.label, "oid": t.oid, "worktree": t.worktree}
                         for t in self.branches],
            "against_base": [m.to_json() for m in self.against_base],
            "between": [m.to_json() for m in self.between],
            "order": self.order,
            "order_method": "greedy",
            "rebase": [{"branch": r.branch, "onto": r.onto, "after": r.after,
                        "base_conflict": r.base_conflict,
                        "conflicts_with": list(r.conflicts_with), "advice": r.advice()}
                       for r in self.rebase],
        }


def forecast(repo: git.Repo, base: Tip, branches: Sequence[Tip],
             cache: Optional[Cache] = None, focus: Optional[str] = None) -> Forecast:
    """Every branch merged into the base, then every pair of the branches that have something
    to merge (a branch that adds nothing to the base cannot conflict with anything there);
    with ``focus``, only the pairs that include that branch."""
    if base.oid is None:
        raise GuardrailsError(f"the base `{base.label}` has no commits",
                              "commit on the base first, or pass --base REF")
    branches = [t for t in branches if t.label != base.label]
    firsts = merge_many(repo, [(base.oid, t.oid) for t in branches if t.oid is not None], cache)
    against: list[Merge] = []
    live: list[Tip] = []
    for t in branches:
        if t.oid is None:
            against.append(Merge(base, t, UNBORN))
            continue
        o = firsts[(base.oid, t.oid)]
        if o.code == 128:
            against.append(Merge(base, t, UNRELATED_HISTORIES, o))
            continue
        if o.code == 0 and (t.oid == base.oid or o.tree == base.tree):
            against.append(Merge(base, t, NOTHING, o))
            continue
        against.append(Merge(base, t, MERGEABLE if o.code == 0 else CONFLICT, o))
        live.append(t)
    pairs = [(a, b) for i, a in enumerate(live) for b in live[i + 1:]
             if focus is None or focus in (a.label, b.label)]
    seconds = merge_many(repo, [(a.oid or "", b.oid or "") for a, b in pairs], cache)
    between = []
    for a, b in pairs:
        o = seconds[(a.oid or "", b.oid or "")]
        between.append(Merge(a, b, MERGEABLE if o.code == 0 else CONFLICT, o))
    if cache is not None:
        cache.save()
    return Forecast(base, list(branches), against, between)


def merge_order(base: Tip, against: Sequence[Merge],
                between: Sequence[Merge]) -> tuple[list[str], list[Rebase]]:
    """Greedy, on the pairwise forecasts: of the branches that merge cleanly into the base,
    take the one that conflicts with the fewest of those still left (then the fewest paths,
    then the given order), set aside the ones it conflicts with, repeat. The rest must rebase
    onto the base: at once when they conflict with it, else once the last branch of the
    order they conflict with has merged. Merges of three or more branches are not forecast."""
    clash: dict[str, dict[str, int]] = {}
    for m in between:
        if m.status == CONFLICT:
            n = max(1, len(m.paths))
            clash.setdefault(m.ours.label, {})[m.theirs.label] = n
            clash.setdefault(m.theirs.label, {})[m.ours.label] = n
    clean = [m.theirs.label for m in against if m.status == MERGEABLE]
    rank = {label: i for i, label in enumerate(m.theirs.label for m in against)}
    left = set(clean)
    order: list[str] = []
    def cost(label: str, left: set[str]) -> tuple[int, int, int]:
        near = {k: v for k, v in clash.get(label, {}).items() if k in left}
        return len(near), sum(near.values()), rank[label]

    while left:
        pick = min(left, key=lambda label: cost(label, left))
        order.append(pick)
        left.discard(pick)
        left -= set(clash.get(pick, {}))
    position = {label: i for i, label in enumerate(order)}
    rebase = []
    for m in against:
        label = m.theirs.label
        if label in position or m.status not in (MERGEABLE, CONFLICT, UNRELATED_HISTORIES):
            continue
        before = tuple(sorted((k for k in clash.get(label, {}) if k in position),
                              key=position.__getitem__))
        rebase.append(Rebase(label, base.label, before[-1] if before else None,
                             m.status != MERGEABLE, before))
    return order, rebase


# --- which branches ------------------------------------------------------------------------------

def resolve(repo: git.Repo, names: Sequence[str], what: str = "branch") -> list[Tip]:
    """Commits (and their trees) of the names given, in one ``git cat-file --batch`` that reads
    them on stdin: a name is never an argument, so one that looks like an option stays a name.
    Exit 2 for a name that is not a commit."""
    for name in names:
        if not name or "\n" in name or "\0" in name:
            raise GuardrailsError(f"{what} {show_path(name)} is not a valid name",
                                  "git branch --list   # the branches there are")
    objs = git.cat_file(repo, [f"{n}^{{commit}}" for n in names]) if names else []
    tips = []
    for name, obj in zip(names, objs):
        if obj is None or obj.type != "commit":
            raise GuardrailsError(
                f"{what} `{show_path(name)}` is not a branch or commit in this repository",
                "git branch --list   # the branches there are; a name that begins with a "
                "dash goes after --: git guardrails conflicts -- NAME")
        tips.append(Tip(name, obj.oid, _tree_of(obj.data)))
    return tips


def _tree_of(commit: bytes) -> Optional[str]:
    head = commit.split(b"\n", 1)[0]
    return head[5:].decode("ascii") if head.startswith(b"tree ") else None


def session_tips(repo: git.Repo) -> tuple[list[Tip], list[str]]:
    """The branch of every active session (one ``cat-file --batch`` for them all), and notes
    on the sessions left out (a record that cannot be read, a detached session)."""
    from guardrails.git import worktrees
    from guardrails.sessions import session

    notes: list[str] = []
    wanted: list[tuple[str, Optional[str]]] = []
    for git_dir, sess in session.all_sessions(repo):
        where = worktrees.owner_of(repo, git_dir)
        if sess is None:
            notes.append(f"{where}: its session record cannot be read (left out)")
        elif not sess.branch:
            notes.append(f"{where}: its session has no branch (left out)")
        elif "\n" in sess.branch or "\0" in sess.branch:  # one name per line on cat-file's stdin
            notes.append(f"{where}: its session's branch is not a valid name (left out)")
        elif all(b != sess.branch for b, _ in wanted):
            wanted.append((sess.branch, sess.worktree or where))
    objs = git.cat_file(repo, [f"refs/heads/{b}^{{commit}}" for b, _ in wanted]) if wanted else []
    tips = [Tip(b, obj.oid if obj else None, _tree_of(obj.data) if obj else None, wt)
            for (b, wt), obj in zip(wanted, objs)]
    return tips, notes


# --- findings -------------------------------------------------------------------------------------

def _q(tip: Tip) -> str:
    return shlex.quote(tip.arg)


def _where(path: str) -> str:
    return show_path(path) if path else "(no single file)"


def base_findings(m: Merge, severity: str = WARNING,
                  changes: Optional[dict[str, list[tuple[str, str]]]] = None) -> list[Finding]:
    """A branch against the base: one finding per conflicting path (``changes``: the base's
    commits that touched each path since the branch started, named in the message)."""
    t, b = m.theirs, m.ours
    where = f"git -C {shell_path(t.worktree)} " if t.worktree else "git "
    if m.status == UNRELATED_HISTORIES:
        return [Finding(
            "conflict-with-base",
            f"{t.label} shares no history with {b.label}: it cannot merge there",
            f"replay its commits onto {b.label}: {where}rebase --onto {_q(b)} --root"
            + ("" if t.worktree else f" {_q(t)}"), severity=severity)]
    if m.status != CONFLICT:
        return []
    rebase = f"{where}rebase {_q(b)}" if t.worktree else f"git rebase {_q(b)} {_q(t)}"
    out = []
    for path, kinds in m.paths.items():
        by = (changes or {}).get(path)
        what = (f"{b.label} changed it in " + ", ".join(
            f"{oid[:12]} ({printable(subject)})" for oid, subject in by[:3])
            + (f" and {len(by) - 3} more" if len(by) > 3 else "")) if by else \
            f"{b.label} changed it too since {t.label} started"
        out.append(Finding(
            "conflict-with-base",
            f"{t.label} conflicts with {b.label} in {_where(path)} ({', '.join(kinds)}): {what}",
            f"rebase it onto {b.label} and resolve the conflict now: {rebase}; see it: "
            f"git merge-tree --write-tree {_q(b)} {_q(t)}",
            severity=severity, path=path or None))
    return out


def pair_findings(m: Merge, base: str, first: Optional[str] = None,
                  severity: str = WARNING) -> list[Finding]:
    """Two branches against each other: one finding per conflicting path. ``first``: the one
    the merge order takes first (default: ``m.ours``)."""
    if m.status == UNRELATED_HISTORIES:
        return [Finding("conflict-between-sessions",
                        f"{m.ours.label} and {m.theirs.label} share no history",
                        f"see: git log --oneline {_q(m.ours)} {_q(m.theirs)}",
                        severity=severity)]
    if m.status != CONFLICT:
        return []
    a, b = m.ours, m.theirs
    one, two = (b, a) if first == b.label else (a, b)
    rebase = f"git -C {shell_path(two.worktree)} rebase {shlex.quote(base)}" if two.worktree \
        else f"git rebase {shlex.quote(base)} {_q(two)}"
    return [Finding(
        "conflict-between-sessions",
        f"{a.label} and {b.label} conflict in {_where(path)} ({', '.join(kinds)})",
        f"merge {one.label} first, then rebase {two.label} onto {base} and resolve it there: "
        f"{rebase}; see it: git merge-tree --write-tree {_q(a)} {_q(b)}",
        severity=severity, path=path or None) for path, kinds in m.paths.items()]


def findings(fc: Forecast, severity: str = WARNING) -> list[Finding]:
    """Every conflict of the forecast, base merges first, then pairs, in order."""
    out = [f for m in fc.against_base for f in base_findings(m, severity)]
    for m in fc.between:
        first = m.theirs.label if m.theirs.label in fc.order else m.ours.label
        out += pair_findings(m, fc.base.label, first, severity)
    return out


def base_changes(repo: git.Repo, m: Merge) -> dict[str, list[tuple[str, str]]]:
    """The base's commits since the branch started that touched each conflicting path (one
    ``git log`` for them all; paths literal, never pathspec magic)."""
    paths = [p for p in m.paths if p]
    if not paths or m.ours.oid is None or m.theirs.oid is None:
        return {}
    data = git.run("--literal-pathspecs", "log", "-z", "--name-only", "--no-renames",
                   "--format=%x01%H %s", "--end-of-options", m.ours.oid, f"^{m.theirs.oid}",
                   "--", *paths, cwd=repo.toplevel).stdout
    wanted = set(paths)
    out: dict[str, list[tuple[str, str]]] = {}
    commit: Optional[tuple[str, str]] = None
    for field in data.split(b"\0"):
        field = field.lstrip(b"\n")
        if field.startswith(b"\x01"):
            oid, _, subject = field[1:].decode("utf-8", "surrogateescape").partition(" ")
            commit = (oid, subject)
            field = b""
        if field and commit is not None:
            path = git.decode_path(field)
            if path in wanted:
                out.setdefault(path, []).append(commit)
    return out


# --- what other commands ask -----------------------------------------------------------------

def default_base(repo: git.Repo) -> str:
    """The trusted policy's base branch, else the configured or usual one (main, master)."""
    from guardrails.scope import policy as policies

    try:
        pol = policies.load_trusted(repo)
    except GuardrailsError:
        pol = None
    base = pol.base if pol is not None else policies.local_base(repo)
    if base is None:
        raise GuardrailsError("no base branch: neither main nor master exists here",
                              "git guardrails conflicts --base BRANCH")
    return base


def status_counts(repo: git.Repo, base: str,
                  branches: Sequence[tuple[str, Optional[str]]]) -> dict[str, dict[str, Any]]:
    """For ``git guardrails status``: per (branch, tip) given, how many paths conflict with
    the base and with each other branch given. Cached by the pair of tips."""
    tips = [Tip(b, oid) for b, oid in branches]
    fc = forecast(repo, resolve(repo, [base], "base")[0], tips, Cache(repo))
    out: dict[str, dict[str, Any]] = {
        m.theirs.label: {"base": len(m.paths) if m.status == CONFLICT else
                         (1 if m.status == UNRELATED_HISTORIES else 0), "branches": {}}
        for m in fc.against_base}
    for m in fc.between:
        if m.status == CONFLICT:
            out[m.ours.label]["branches"][m.theirs.label] = len(m.paths)
            out[m.theirs.label]["branches"][m.ours.label] = len(m.paths)
    return out


def count_label(counts: Optional[dict[str, Any]]) -> str:
    """status's CONFLICTS cell: ``0``, ``base``, ``2`` (branches), ``base+2``; ``-``: none
    forecast (no session)."""
    if counts is None:
        return "-"
    n = len(counts.get("branches") or {})
    if counts.get("base"):
        return f"base+{n}" if n else "base"
    return str(n)


def review_findings(repo: git.Repo, base: str, head: Tip,
                    severity: str = WARNING) -> tuple[list[Finding], dict[str, Any]]:
    """For ``git guardrails review BRANCH``: the branch against the base (naming the base's
    commits it conflicts with) and against every other active session branch."""
    others, notes = session_tips(repo)
    own = next((t for t in others if t.label == head.label), None)
    if own is not None and head.worktree is None:
        head = Tip(head.label, head.oid, head.tree, own.worktree)
    others = [t for t in others if t.label != head.label and t.oid != head.oid]
    fc = forecast(repo, resolve(repo, [base], "base")[0], [head, *others], Cache(repo),
                  focus=head.label)
    found: list[Finding] = []
    mine = fc.against_base[0]
    if mine.theirs.label == head.label:
        found += base_findings(mine, severity, base_changes(repo, mine))
    for m in fc.between:
        found += pair_findings(m, fc.base.label, m.theirs.label if m.theirs.label in fc.order
                               else m.ours.label, severity)
    return found, {"against_base": mine.to_json(), "between": [m.to_json() for m in fc.between],
                   "notes": notes}


def against(repo: git.Repo, head: Tip, refs: Sequence[str], base: Optional[Tip] = None,
            severity: str = WARNING) -> list[Finding]:
    """For ``git guardrails ci --against REF…``: the head merged with each ref (the other open
    pull requests' heads); a ref at the base's tip is reported as the base."""
    tips = resolve(repo, refs, "--against ref")
    assert head.oid is not None
    outs = merge_many(repo, [(t.oid or "", head.oid) for t in tips], Cache(repo))
    found: list[Finding] = []
    for t in tips:
        o = outs[(t.oid or "", head.oid)]
        status = UNRELATED_HISTORIES if o.code == 128 else CONFLICT if o.code else MERGEABLE
        m = Merge(t, head, status, o)
        if base is not None and t.oid == base.oid:
            found += base_findings(m, severity)
        else:
            found += pair_findings(m, base.label if base else t.label, t.label, severity)
    return found


# --- text and markdown --------------------------------------------------------------------------

def _status(m: Merge) -> str:
    if m.status != CONFLICT:
        return m.status.upper() if m.status == UNRELATED_HISTORIES else m.status
    return "CONFLICT  " + "; ".join(
        f"{_where(p)} ({', '.join(k)})"
        for p, k in m.paths.items())


def render_text(fc: Forecast, notes: Sequence[str] = ()) -> str:
    base = fc.base
    lines = [f"conflict forecast: {len(fc.branches)} branch(es) against {base.label} "
             f"({(base.oid or '')[:12]}); {len(fc.against_base)} merge(s) into {base.label}, "
             f"{len(fc.between)} between branches (git merge-tree)", ""]
    if fc.against_base:
        lines.append(f"into {base.label}:")
        w = max(len(m.theirs.label) for m in fc.against_base)
        lines += [f"  {m.theirs.label:<{w}}  {_status(m)}" for m in fc.against_base]
        lines.append("")
    if fc.between:
        lines.append("between branches:")
        names = [f"{m.ours.label} + {m.theirs.label}" for m in fc.between]
        w = max(len(n) for n in names)
        lines += [f"  {n:<{w}}  {_status(m)}" for n, m in zip(names, fc.between)]
        lines.append("")
    if fc.order or fc.rebase:
        lines.append("suggested merge order (greedy, from the pairwise forecasts above; merges "
                     "of three or more branches at once are not checked):")
        lines += [f"  {i}. {label}" for i, label in enumerate(fc.order, 1)]
        if not fc.order:
            lines.append(f"  (no branch merges into {base.label} without a conflict)")
        for r in fc.rebase:
            lines.append(f"  then {r.branch}: {r.advice()}")
        lines.append("")
    lines += [f"note: {n}" for n in notes]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_markdown(fc: Forecast, notes: Sequence[str] = ()) -> str:
    from guardrails.report import md_cell, md_code

    base = fc.base
    out = [f"### Conflict forecast against {md_code(base.label)} "
           f"({md_code((base.oid or '')[:12])})", "",
           "| merge | status | conflicting paths |", "|---|---|---|"]
    for m in (*fc.against_base, *fc.between):
        into = base.label if m in fc.against_base else m.ours.label
        paths = "<br>".join(f"{md_code(_where(p))} "
                            f"({md_cell(', '.join(k))})" for p, k in m.paths.items())
        icon = "❌" if m.status == CONFLICT else "✅" if m.status == MERGEABLE else "·"
        out.append(f"| {md_code(m.theirs.label)} into {md_code(into)} | {icon} {m.status} | "
                   f"{paths.replace('|', chr(92) + '|')} |")
    out += ["", "**Suggested merge order** (greedy, from the pairwise forecasts):", ""]
    out += [f"{i}. {md_code(label)}" for i, label in enumerate(fc.order, 1)]
    out += [f"- {md_code(r.branch)}: {md_cell(r.advice())}" for r in fc.rebase]
    out += [f"> note: {md_cell(n)}" for n in notes]
    return "\n".join(out) + "\n"
