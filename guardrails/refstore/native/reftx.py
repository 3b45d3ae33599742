"""The ``reference-transaction`` hook, run by the shim only while some session is active.

``prepared`` (the refs are locked; a non-zero exit aborts the whole transaction): an agent
session may move its own branch, its own HEAD and per-worktree refs; it may not move a protected
branch, another session's branch, a branch checked out in another worktree, or another
worktree's HEAD. A session commit (``git commit --no-verify`` or ``commit-tree`` + ``update-ref``)
whose tree the pre-commit stage never checked is refused too, when the skipped-hooks check keeps
its record (``<git-dir>/guardrails/checked.json``: key ``git`` = "<pid>:<start>" of the git
command whose pre-commit stage ran, written and compared by ``attestation.git_process``).

``committed``: every update made from a session, and every update of a session's branch, is
appended to the journal. A session branch that moved to a commit not descending from the last
value the journal saw — without the session asking for it — is journaled as a rollback and
printed loudly with the command that restores the lost commits.

Ref updates by maintenance (pack-refs, gc, repack, reflog expire) only re-store refs; they are
recognised by the command running the hook and left alone.
"""
from __future__ import annotations

import os
import shlex
import sys
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from guardrails.findings import Finding

# commands whose ref transactions only re-store refs (pack-refs packs and prunes each ref)
MAINTENANCE = {"pack-refs", "gc", "maintenance", "repack"}
# git commands a session uses to rewrite its own branch on purpose
REWRITES = {"rebase", "reset", "am", "cherry-pick", "revert", "pull", "merge", "stash",
            "update-ref", "branch", "switch", "checkout", "filter-branch", "replace"}
PER_WORKTREE_PREFIXES = ("refs/worktree/", "refs/bisect/", "refs/rewritten/")
CHECKED = "checked.json"
TIP = "tip"  # "<oid> <ref>\n": the last value this hook saw the session branch take
# "<commit> [<tree>] <time>\n" per session commit whose pre-commit checks ran (appended by this
# hook and by the shim's fast path); bounded: trimmed to the newest KEEP_CHECKED past 2x that.
CHECKED_COMMITS = "checked-commits"
KEEP_CHECKED = 256
# past this size the shim leaves its append to Python (add_checked), which trims the record to
# KEEP_CHECKED lines; written into the shim by `git guardrails install` (native.render)
CHECKED_MAX_BYTES = 30000


class Update:
    __slots__ = ("new", "old", "ref")

    def __init__(self, old: str, new: str, ref: str) -> None:
        self.old, self.new, self.ref = old, new, ref

    @staticmethod
    def zero(oid: str) -> bool:
        from guardrails import git

        return git.is_null(oid)


def parse(data: bytes) -> list[Update]:
    out: list[Update] = []
    for line in data.decode(errors="surrogateescape").splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3:
            out.append(Update(*parts))
    return out


def subcommand(argv: Sequence[str]) -> str:
    """``commit`` for ``git -C x -c k=v commit -q``; ``receive-pack`` for git-receive-pack."""
    from guardrails.git import command_args

    args = command_args(argv)
    return args[0] if args else ""


def resolve_git_dir() -> str:
    env = os.environ.get("GIT_DIR")
    if env:
        return os.path.abspath(env)
    from guardrails import git

    return os.path.abspath(git.out("rev-parse", "--absolute-git-dir").decode().strip())


def common_of(git_dir: str) -> str:
    try:
        with open(os.path.join(git_dir, "commondir")) as f:
            rel = f.read().strip()
        return os.path.normpath(os.path.join(git_dir, rel))
    except FileNotFoundError:
        return git_dir


def _read_json(path: str) -> Optional[dict[str, Any]]:
    """A JSON object record read through guardrails.state (bounded size and depth, strict
    UTF-8); None when there is none or it is not one."""
    from guardrails import state

    try:
        raw = state.read_bytes(path)
        data = state.loads(raw) if raw is not None else None
    except (state.StateError, state.Invalid, OSError):
        return None
    return data if isinstance(data, dict) else None


INVALID = "\0reftable"  # head_branch: HEAD is the reftable backend's placeholder


def head_branch(git_dir: str) -> Optional[str]:
    """The branch a worktree has checked out, from its HEAD file; INVALID in a reftable
    repository, whose HEAD file only says ``ref: refs/heads/.invalid`` (the real HEAD is in the
    reftable stack: ask git, see Hook.heads)."""
    try:
        with open(os.path.join(git_dir, "HEAD"), "rb") as f:
            head = f.read(4096).strip()
    except OSError:
        return None
    if head == b"ref: refs/heads/.invalid":
        return INVALID
    if head.startswith(b"ref: refs/heads/"):
        return os.fsdecode(head[len(b"ref: refs/heads/"):])
    return None


def _commit_header(common: str, oid: str) -> Optional[bytes]:
    """The header of a commit object (tree and parent lines): read from the loose object (no
    git process), else with cat-file (packed). None when the object is not there."""
    p = os.path.join(common, "objects", oid[:2], oid[2:])
    data: Optional[bytes] = None
    try:
        with open(p, "rb") as f:
            raw = zlib.decompress(f.read())
        data = raw[raw.index(b"\0") + 1:]
    except (OSError, zlib.error, ValueError):
        from guardrails import git

        proc = git.run("cat-file", "commit", oid, ok=(0, 128))
        data = proc.stdout if proc.returncode == 0 else None
    if not data or not data.startswith(b"tree "):
        return None
    end = data.find(b"\n\n")
    return data if end < 0 else data[:end]


def commit_tree(common: str, oid: str) -> Optional[str]:
    """The tree of a commit (None when the object is not there)."""
    head = _commit_header(common, oid)
    return head[5:head.index(b"\n")].decode() if head else None


def descends(repo: Any, old: str, new: str) -> bool:
    """Whether ``new`` contains ``old`` (a fast-forward). A commit on top of ``old`` is told
    from its parent line without a git process; anything else asks merge-base."""
    if old == new:
        return True
    head = _commit_header(repo.common_dir, new)
    if head and f"\nparent {old}".encode() in head:
        return True
    from guardrails import git

    return git.is_ancestor(repo, old, new)


def read_checked(git_dir: str, since: float) -> list[tuple[str, Optional[str]]]:
    """(commit, tree or None) of this worktree's checked session commits made after ``since``.
    Read through guardrails.state (bounded, never a directory); a line that is not
    ``<commit> [<tree>] <time>`` with object ids and a finite time is skipped."""
    import math

    from guardrails import state

    out: list[tuple[str, Optional[str]]] = []
    try:
        raw = state.read_bytes(os.path.join(git_dir, "guardrails", CHECKED_COMMITS))
    except (state.StateError, OSError):
        return out
    for line in (raw or b"").decode("ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) not in (2, 3) or not all(state.is_oid(p) for p in parts[:-1]):
            continue
        try:
            when = float(parts[-1])
        except ValueError:
            continue
        if math.isfinite(when) and when >= since:
            out.append((parts[0], parts[1] if len(parts) == 3 else None))
    return out


def _journal(common: str, entries: list[dict[str, Any]]) -> None:
    """journal.append; a full disk (or a journal it cannot write) is said, with its fix, and
    changes no verdict: a refused update stays refused."""
    from guardrails.refstore import journal

    try:
        journal.append(common, entries)
    except OSError as e:
        from guardrails.errors import environment_error

        err = environment_error(e)
        sys.stderr.write(f"git-guardrails: reference-transaction: warning: the journal was not "
                         f"written: {err if err is not None else e}\n")


def add_checked(git_dir: str, commit: str, tree: Optional[str]) -> None:
    """Remember a session commit whose pre-commit checks ran (bounded: the last KEEP_CHECKED
    lines are kept), rewritten atomically through guardrails.state."""
    import time

    from guardrails import state

    p = os.path.join(git_dir, "guardrails", CHECKED_COMMITS)
    line = f"{commit} {tree} {int(time.time())}\n" if tree else f"{commit} {int(time.time())}\n"
    try:
        old = state.read_bytes(p) or b""
    except state.StateError:
        old = b""  # not a record (a directory): state.remove below replaces it
        state.remove(p)
    lines = old.splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    lines.append(line.encode())
    state.write_bytes(p, b"".join(lines[-KEEP_CHECKED:]), durable=False)


def skip_env(env: Any) -> Optional[str]:
    """``SKIP``/``PREK_SKIP`` naming a guardrails hook, or ``PRE_COMMIT_ALLOW_NO_CONFIG``, in
    the environment of the git command (the runners then skip the checks), as ``VAR=value``."""
    from guardrails.skipped.attestation import HOOK_IDS, skipped_ids

    for var, ids in skipped_ids(env).items():
        if set(ids) & set(HOOK_IDS):
            return f"{var}={env[var]}"
    value = env.get("PRE_COMMIT_ALLOW_NO_CONFIG", "")
    return f"PRE_COMMIT_ALLOW_NO_CONFIG={value}" if value else None


def _in_progress(git_dir: str) -> bool:
    return any(os.path.exists(os.path.join(git_dir, d)) for d in
               ("rebase-merge", "rebase-apply", "sequencer", "MERGE_HEAD", "CHERRY_PICK_HEAD",
                "REVERT_HEAD"))


class Hook:
    def __init__(self, state: str, updates: list[Update]) -> None:
        from guardrails import git
        from guardrails.sessions import session

        self.state = state
        self.updates = updates
        self.git_dir = resolve_git_dir()
        self.common = common_of(self.git_dir)
        self.argv = _parent_argv()
        self.cmd = subcommand(self.argv)
        fmt = "sha256" if any(len(u.new) == 64 for u in updates) else "sha1"
        self.repo = git.Repo(toplevel=os.getcwd(), git_dir=self.git_dir,
                             common_dir=self.common, object_format=fmt, branch=None)
        self.own_broken = False
        try:
            self.own = session.load(self.git_dir)
        except Exception:
            self.own, self.own_broken = None, True
        self.sessions = {gd: s for gd, s in session.all_sessions(self.repo)}
        from guardrails.refstore import locks as gitlocks

        self.roots = gitlocks.worktree_roots(self.common)

    def where(self, git_dir: str) -> str:
        return self.roots.get(git_dir, git_dir)

    def worktree_id(self, git_dir: str) -> str:
        return "main" if git_dir == self.common else os.path.basename(git_dir)

    def owner_of(self, branch: str) -> Optional[tuple[str, str]]:
        """(git dir, description) of another session or worktree that has ``branch``."""
        for gd, s in self.sessions.items():
            if gd == self.git_dir:
                continue
            if s is not None and s.branch == branch:
                return gd, f"the branch of another session (task {s.task or 'ad hoc'}, " \
                           f"worktree {self.where(gd)})"
        from guardrails import git

        heads: Optional[dict[str, str]] = None
        for gd in git.worktree_git_dirs(self.repo):
            if gd == self.git_dir:
                continue
            name = head_branch(gd)
            if name == INVALID:
                heads = self.heads() if heads is None else heads
                name = heads.get(gd)
            if name == branch:
                return gd, f"checked out in another worktree ({self.where(gd)})"
        return None

    def heads(self) -> dict[str, str]:
        """git dir -> checked-out branch of every worktree, from one ``git worktree list``
        (for reftable, where HEAD files are placeholders)."""
        from guardrails.git import worktrees

        by_top = {os.path.normpath(top): gd for gd, top in self.roots.items()}
        out: dict[str, str] = {}
        for wt in worktrees.parse_porcelain(worktrees.list_porcelain(self.repo)):
            gd = by_top.get(os.path.normpath(wt.get("worktree", "")))
            if gd and wt.get("branch", "").startswith("refs/heads/"):
                out[gd] = wt["branch"][len("refs/heads/"):]
        return out

    # --- prepared ----------------------------------------------------------------------------

    def refusals(self) -> list[tuple[Update, str, Finding]]:
        """(update, why, its finding) for each update this session may not make."""
        from guardrails.findings import Finding

        s = self.own
        may = (f"; this session (task {s.task or 'ad hoc'}) may move only its own branch "
               f"{s.branch}, its own HEAD and refs/worktree/*") if s else ""
        out: list[tuple[Update, str, Finding]] = []
        policy: Any = False  # loaded once, when a branch no one owns is moved
        for u in self.updates:
            if u.old == u.new and not Update.zero(u.new):
                continue
            ref = u.ref
            if ref == "HEAD" or "/" not in ref or ref.startswith(PER_WORKTREE_PREFIXES):
                continue
            name = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
            if name is not None and name == (s.branch if s else None):
                why = self.unchecked(u)
                if why:
                    out.append((u, why, Finding("refstore-ref-unchecked",
                                                f"ref update refused: {ref}: {why}", CHECK_FIX)))
                continue
            why = self.other_worktree(ref) if name is None else None
            owner = self.owner_of(name) if name is not None else None
            if owner is not None:
                why = f"{name} is {owner[1]}"
            if why:
                out.append((u, why, Finding("refstore-ref-foreign",
                                            f"ref update refused: {ref}: {why}{may}", OWN_FIX)))
                continue
            if name is None:
                continue
            if policy is False:
                policy = self._policy()
            if policy is not None and policy.is_protected(name):
                why = f"{name} is protected by the policy ({policy.source})"
                out.append((u, why, Finding("refstore-ref-protected",
                                            f"ref update refused: {ref}: {why}{may}", OWN_FIX)))
        return out

    def other_worktree(self, ref: str) -> Optional[str]:
        """Why a per-worktree ref of another worktree (``worktrees/NAME/…``,
        ``main-worktree/…``) is not this session's to move, or None."""
        own_id = self.worktree_id(self.git_dir)
        if ref.startswith("worktrees/"):
            parts = ref.split("/", 2)
            if len(parts) == 3 and parts[1] != own_id:
                return f"{parts[2]} of another worktree ({parts[1]})"
        elif ref.startswith("main-worktree/") and own_id != "main":
            return f"{ref[len('main-worktree/'):]} of the main worktree"
        return None

    def _policy(self) -> Any:
        from guardrails.scope import policy as policies

        try:
            return policies.load_trusted(self.repo)
        except Exception as e:  # an unreadable policy must not make every ref update fail
            from guardrails.findings import WARNING, Finding

            say([Finding("policy-invalid",
                         f"reference-transaction: cannot read the trusted policy ({e}); "
                         "protected branches are not checked for this ref update",
                         "fix .guardrails.toml on the base branch (git guardrails doctor "
                         "names the line)", severity=WARNING)])
            return None

    def unchecked(self, u: Update) -> Optional[str]:
        """Why a session commit on its own branch was never checked, or None."""
        if Update.zero(u.new) or self.cmd not in ("commit", "update-ref"):
            return None
        if _in_progress(self.git_dir):
            return None
        skipped = skip_env(os.environ)
        if skipped and self.cmd == "commit":
            return (f"commit {u.new[:12]} on your branch was made with {skipped}: the "
                    "pre-commit checks did not run for it")
        record = _read_json(os.path.join(self.git_dir, "guardrails", CHECKED))
        if record is None:
            return self.never_checked(u)
        by_process = record.get("git")
        if not by_process:
            return None  # a record this version cannot read: do not guess
        from guardrails.skipped.attestation import git_process  # the function that wrote the record

        if by_process == git_process():
            return None  # this very git command ran the pre-commit checks
        tree = commit_tree(self.common, u.new)
        if tree is None:
            return None
        if not Update.zero(u.old) and commit_tree(self.common, u.old) == tree:
            return None  # no content change (e.g. a reworded amend)
        s = self.own
        assert s is not None
        if s.baseline and (u.new == s.baseline or commit_tree(self.common, s.baseline) == tree):
            return None  # back to where the session started
        seen = read_checked(self.git_dir, s.started)
        for commit, seen_tree in seen:
            if commit == u.new or (seen_tree or commit_tree(self.common, commit)) == tree:
                return None  # a tree the checks saw earlier in this session
        return (f"commit {u.new[:12]} on your branch has a tree ({tree[:12]}) the pre-commit "
                f"checks never saw in this session (not one of the {len(seen)} checked "
                "commits' trees, nor the baseline's): --no-verify, SKIP, or commit-tree + "
                "update-ref")

    def never_checked(self, u: Update) -> Optional[str]:
        """Why a session commit is refused when no check has recorded anything in this
        worktree yet, or None (no guardrails pre-commit stage in use, no content change)."""
        if not self.checks_expected():
            return None  # the skipped-hooks check is not in use here
        tree = commit_tree(self.common, u.new)
        if tree is None or (not Update.zero(u.old) and commit_tree(self.common, u.old) == tree):
            return None
        return (f"commit {u.new[:12]} on your branch has a tree ({tree[:12]}) the pre-commit "
                "checks never saw: no check has run in this worktree yet (--no-verify, SKIP, "
                "PRE_COMMIT_ALLOW_NO_CONFIG, or commit-tree + update-ref)")

    def checks_expected(self) -> bool:
        """Whether this worktree's commits go through the guardrails pre-commit stage, which
        writes the record of checked trees: a ``pre-commit`` hook is installed and the
        committed (or work-tree) ``.pre-commit-config.yaml`` names a guardrails hook that
        records (``guardrails``, ``no-skipped-hooks``). Moving the config aside in the work
        tree does not change HEAD's."""
        import re

        from guardrails import git

        hooks = git.run("rev-parse", "--path-format=absolute", "--git-path", "hooks",
                        ok=(0, 128)).stdout.decode().strip()
        if not hooks or not os.access(os.path.join(hooks, "pre-commit"), os.X_OK):
            return False
        rx = re.compile(rb"^\s*-?\s*id:\s*['\"]?(guardrails|no-skipped-hooks)['\"]?\s*$",
                        re.MULTILINE)
        proc = git.run("cat-file", "blob", "HEAD:.pre-commit-config.yaml", ok=(0, 128))
        if proc.returncode == 0 and rx.search(proc.stdout):
            return True
        try:
            with open(os.path.join(os.getcwd(), ".pre-commit-config.yaml"), "rb") as f:
                return rx.search(f.read()) is not None
        except OSError:
            return False

    def prepared(self) -> int:
        from guardrails.findings import Finding

        if self.own is None and not self.own_broken:
            return 0
        if self.own_broken:
            bad = [u for u in self.updates if u.ref.startswith("refs/heads/")
                   and u.old != u.new]
            if bad:
                say([Finding("refstore-session-unreadable",
                             f"ref update refused ({', '.join(u.ref for u in bad)}): this "
                             "worktree's session record cannot be read, so what it may move "
                             "is unknown", "git guardrails finish --force   # a human, at a "
                             "terminal; then git guardrails start")])
                return 1
            return 0
        refused = self.refusals()
        if not refused:
            return 0

        s = self.own
        assert s is not None
        say([f for _u, _why, f in refused], {"task": s.task or "ad hoc"})
        _journal(self.common, [self.entry(u, "refused", note=why, rule=f.rule)
                               for u, why, f in refused])
        return 1  # refused, journaled or not

    # --- committed ---------------------------------------------------------------------------

    def entry(self, u: Update, kind: str, **extra: Any) -> dict[str, Any]:
        return {"kind": kind, "worktree": self.where(self.git_dir),
                "task": self.own.task if self.own else None, "ref": u.ref, "old": u.old,
                "new": u.new, "cmd": self.cmd, **extra}

    def requested(self) -> bool:
        return bool(os.environ.get("GIT_REFLOG_ACTION")) or _in_progress(self.git_dir) or (
            self.cmd in REWRITES) or (self.cmd == "commit" and "--amend" in self.argv)

    def checked_here(self) -> bool:
        """Whether the pre-commit checks ran in the git command running this transaction."""
        record = _read_json(os.path.join(self.git_dir, "guardrails", CHECKED))
        if record is None or not record.get("git"):
            return False
        from guardrails.skipped.attestation import git_process

        return bool(record["git"] == git_process())

    def moved_back(self, u: Update, owner: str, owner_session: Any) -> Optional[dict[str, Any]]:
        """A ref update that takes a session's branch to a commit that does not contain its
        previous value (or deletes it): a rewrite when the session asked for it, else a
        rollback by whoever ran it (a human in the main checkout, another worktree)."""
        if Update.zero(u.old) or (not Update.zero(u.new) and descends(self.repo, u.old, u.new)):
            return None
        top = self.where(owner)
        if owner == self.git_dir and self.requested():
            what = "deleted" if Update.zero(u.new) else f"rewritten to {u.new[:12]}"
            return self.entry(u, "rewrite", note=f"{u.ref} {what} by the session's own "
                                                  f"`git {self.cmd or '?'}`; was {u.old[:12]}")
        from guardrails.refstore.journal import restore_command

        restore = restore_command(u.ref, u.old, u.new, top)
        by = self.where(self.git_dir)
        task = owner_session.task if owner_session is not None else None
        return {**self.entry(u, "rollback", lost=u.old, restore=restore, by=by,
                             note=f"{u.ref} (session {task or 'ad hoc'} in {top}) moved from "
                                  f"{u.old[:12]} to "
                                  f"{'nothing' if Update.zero(u.new) else u.new[:12]}, which "
                                  f"does not contain it, by `git {self.cmd or '?'}` in {by}"),
                "task": task, "worktree": top}

    def committed(self) -> int:
        branch_owner = {s.branch: gd for gd, s in self.sessions.items()
                        if s is not None and s.branch}
        entries: list[dict[str, Any]] = []
        loud: list[Any] = []
        for u in self.updates:
            if u.old == u.new:
                continue
            name = u.ref[len("refs/heads/"):] if u.ref.startswith("refs/heads/") else None
            owner = branch_owner.get(name) if name else None
            if self.own is None and owner is None:
                continue
            if self.own is not None and u.ref == "HEAD":
                continue  # the reflog-only HEAD half of a branch update
            if owner is None:
                entries.append(self.entry(u, "update"))
            else:
                self.committed_branch(u, owner, entries, loud)
        if entries:
            _journal(self.common, entries)
        if loud:
            say(loud)
        return 0

    def committed_branch(self, u: Update, owner: str, entries: list[dict[str, Any]],
                         loud: list[Any]) -> None:
        """Journal an update of a session's branch (``owner``: that session's git dir), and
        say loudly when it rolled the branch back."""
        from guardrails import git
        from guardrails.findings import WARNING, Finding
        from guardrails.refstore import journal

        owner_session = self.sessions.get(owner)
        tip_path = os.path.join(owner, "guardrails", TIP)
        last, tip_time = journal.read_tip(tip_path, u.ref)
        if owner_session is not None and tip_time < owner_session.started:
            last = None  # recorded before this session began
        if Update.zero(u.old) and last and last != u.new:
            # `git update-ref REF NEW` without an old value: git (2.39) reports the old
            # value as zero; the branch was at the last value this hook saw it take
            u = Update(last, u.new, u.ref)
        entries.append(self.entry(u, "update"))
        moved = self.moved_back(u, owner, owner_session)
        if moved is not None:
            entries.append(moved)
            if moved["kind"] == "rollback":
                loud.append(Finding(
                    "refstore-rollback",
                    f"{moved['note']}. Commits lost from the branch: "
                    f"{u.new[:12] if not Update.zero(u.new) else ''}..{u.old[:12]}",
                    str(moved["restore"]), severity=WARNING))
        if Update.zero(u.new):
            return
        if owner == self.git_dir and self.cmd == "commit" and self.checked_here():
            add_checked(self.git_dir, u.new, commit_tree(self.common, u.new))
        if (last and last != u.new and not Update.zero(u.old) and u.old != last
                and not (owner == self.git_dir and self.requested())
                and not git.is_ancestor(self.repo, last, u.new)):
            top = self.where(owner)
            # the index still holds the lost commits' content, so the next commit usually
            # re-adds it; a merge puts the lost history back whether or not it did
            restore = f"git -C {shlex.quote(top)} merge --no-edit {last[:12]}"
            entries.append(self.entry(u, "rollback", lost=last, restore=restore,
                                      note=f"{u.ref} was at {last[:12]} and went back to "
                                           f"{u.old[:12]} without a ref update"))
            loud.append(Finding(
                "refstore-rollback",
                f"{u.ref} was rolled back: it was at {last[:12]}, then at {u.old[:12]} with "
                f"no ref update in between (a concurrent pack-refs/gc). Commits lost from the "
                f"branch: {u.old[:12]}..{last[:12]}", restore, severity=WARNING))
        journal.write_tip(tip_path, u.new, u.ref)


# the fixes of the refusals of the prepared state
OWN_FIX = ("commit on your own branch; a human moves other branches (outside any session), or "
           "merges your branch after review")
CHECK_FIX = ("commit without --no-verify / SKIP so the checks run (git commit), or run "
             "`git guardrails check` first")


def say(found: list[Any], meta: Optional[dict[str, Any]] = None) -> None:
    """Findings on stderr, rendered like every other refusal (guardrails.report)."""
    from guardrails import report

    report.write(report.text(found, meta or {}, color=report.color_for(sys.stderr)),
                 sys.stderr)




def _parent_argv() -> tuple[str, ...]:
    from guardrails.refstore import locks as gitlocks

    return gitlocks.parent_argv()


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    state = args[0] if args else ""
    data = sys.stdin.buffer.read()
    if state not in ("prepared", "committed"):
        return 0
    updates = parse(data)
    if not updates:
        return 0
    if subcommand(_parent_argv()) in MAINTENANCE:
        return 0
    from guardrails.errors import handle

    # never break git because of our own bug: a problem is a warning, the update goes on
    # unchecked; the refusals of the prepared state are exit 1
    return handle("reference-transaction", lambda: _run(state, updates),
                  never_fail=f"ref update not checked ({state})")


def _run(state: str, updates: list[Update]) -> int:
    hook = Hook(state, updates)
    return hook.prepared() if state == "prepared" else hook.committed()

if __name__ == "__main__":
    raise SystemExit(main())
