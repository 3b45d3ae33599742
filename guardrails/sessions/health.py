"""What an interruption or a broken file left behind, for ``status`` and ``doctor``.

- ``state-invalid``: a state file guardrails keeps that cannot be used (guardrails.state says
  why) with the command that repairs it;
- ``session-unreadable``: a session record that cannot be read (fix: ``finish --force`` there,
  or ``git worktree prune`` when the worktree itself is gone);
- ``session-half-made``: automatic gc left suspended with no session active (a ``start`` or
  ``finish`` killed half-way), a ``worktree add`` that was interrupted (its branch or worktree
  left without a session);
- ``session-orphan-stash``: a stash guardrails made that no session names: changes stashed by a
  ``start --stash`` or ``worktree remove --stash`` that nobody has taken back yet;
- ``session-runner-patch``: a patch file pre-commit or prek wrote to set unstaged changes aside
  during a commit, newer than a session's start, that still applies to the session's worktree
  (the runner was killed before it put the changes back), with the ``git apply`` that does.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from guardrails import git, state
from guardrails.findings import WARNING, Finding, printable, shell_path
from guardrails.git import worktrees
from guardrails.refstore import journal, locks, maintenance
from guardrails.sessions import session
from guardrails.sessions import stash as stashes

PENDING_DIR = "pending"


# --- the files ---------------------------------------------------------------------------------

def state_files(repo: git.Repo, listed: Optional[list[worktrees.Worktree]] = None
                ) -> list[Finding]:
    """Every state file of every worktree that cannot be used, each with its repair."""
    found: list[Finding] = []
    if listed is None:
        listed = worktrees.list_worktrees(repo)
    wts = {os.path.realpath(w.git_dir): w for w in listed if w.git_dir is not None}
    for gd in git.worktree_git_dirs(repo):
        wt = wts.get(os.path.realpath(gd))
        top = wt.path if wt is not None else None
        gone = wt is None or wt.prunable is not None or not os.path.isdir(wt.path)
        try:
            session.load(gd)
        except state.StateError as e:
            fix = ("git worktree prune   # the worktree is gone; this drops its entry"
                   if gone or top is None else session.fix_for(gd, top))
            found.append(Finding("session-unreadable", f"{printable(top or gd)}: {e.message}",
                                 fix, severity=WARNING, path=e.path))
        try:
            session.last_finding(gd)
        except state.StateError as e:
            found.append(e.finding(WARNING))
        for name, reader in (("checked.json", _any_json), ("tip", _tip)):
            try:
                reader(os.path.join(gd, session.DIRNAME, name))
            except state.StateError as e:
                found.append(e.finding(WARNING))
    try:
        maintenance.recorded(repo)
    except state.StateError as e:
        found.append(e.finding())
    for name in (journal.NAME, journal.ROTATED):
        try:
            for _ in state.read_lines(os.path.join(repo.common_dir, journal.DIRNAME, name),
                                      journal.ENTRY):
                pass
        except state.StateError as e:
            found.append(e.finding())
    lock = state.lock_path(repo.common_dir)
    if os.path.isdir(lock) and not os.path.islink(lock):
        found.append(state.StateError(lock, "a directory stands where the lock file belongs")
                     .finding())
    return found


def _any_json(path: str) -> None:
    raw = state.read_bytes(path)
    if raw is None:
        return
    try:
        data = state.loads(raw)
    except state.Invalid as e:
        raise state.StateError(path, f"not a valid record: {e}") from None
    if not isinstance(data, dict):
        raise state.StateError(path, "not a valid record: not a JSON object")


def _tip(path: str) -> None:
    raw = state.read_bytes(path, 1024)
    if raw is None:
        return
    parts = raw.decode("ascii", errors="replace").split()
    if len(parts) != 2 or not state.is_oid(parts[0]) or not state.ref_ok(parts[1]):
        raise state.StateError(path, "not a valid tip record (`<object id> <ref>`)")


# --- interrupted commands ----------------------------------------------------------------------

def pending_path(repo: git.Repo, branch: str) -> str:
    import hashlib

    key = hashlib.sha1(branch.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return repo.common_path(session.DIRNAME, PENDING_DIR, f"worktree-add-{key}.json")


PENDING = state.Schema("pending worktree add", 1, {
    "branch": (state.branch, state.REQUIRED),
    "path": (state.path_text, state.REQUIRED),
    "created_branch": (state.boolean, False),
    "pid": (state.integer(1, 1 << 31), state.REQUIRED),
    "time": (state.number(0, 1e11), state.REQUIRED),
})


def half_made(repo: git.Repo, active: bool,
              listed: Optional[list[worktrees.Worktree]] = None) -> list[Finding]:
    found: list[Finding] = []
    if not active and os.path.lexists(repo.common_path(session.DIRNAME, maintenance.STATE)):
        found.append(Finding(
            "session-half-made",
            "automatic gc and maintenance are suspended but no session is active (a start or "
            "finish was interrupted)",
            "git guardrails finish --force   # puts gc.auto and maintenance.auto back",
            severity=WARNING))
    notes, broken = _pending(repo)
    found += broken
    if not notes:
        return found
    from guardrails.git import aheadbehind

    if listed is None:
        listed = worktrees.list_worktrees(repo)
    branches = aheadbehind.resolve(repo, [f"refs/heads/{rec['branch']}" for _p, rec in notes])
    for p, rec in notes:
        wt = _find(listed, rec["path"])
        has_session = wt is not None and wt.git_dir is not None and \
            session.is_active(wt.git_dir)
        branch_there = branches.get(f"refs/heads/{rec['branch']}") is not None
        found.append(_half_made(p, rec, wt, has_session, branch_there))
    return found


def _pending(repo: git.Repo) -> tuple[list[tuple[str, dict[str, Any]]], list[Finding]]:
    """The notes of ``worktree add`` runs whose process is gone, and the notes that cannot
    be read."""
    base = repo.common_path(session.DIRNAME, PENDING_DIR)
    try:
        names = sorted(os.listdir(base))
    except OSError:
        names = []
    notes: list[tuple[str, dict[str, Any]]] = []
    broken: list[Finding] = []
    for name in names:
        p = os.path.join(base, name)
        try:
            rec = state.read(p, PENDING)
        except state.StateError as e:
            broken.append(e.finding(WARNING))
            continue
        if rec is not None and not locks.pid_alive(rec["pid"]):
            notes.append((p, rec))
    return notes, broken


def _find(listed: list[worktrees.Worktree], path: str) -> Optional[worktrees.Worktree]:
    """worktrees.find over a list already made."""
    want = os.path.realpath(path)
    for wt in listed:
        if os.path.realpath(wt.path) == want or os.path.normpath(wt.path) == os.path.normpath(
                os.path.abspath(path)):
            return wt
    return None


def _half_made(p: str, rec: dict[str, Any], wt: Optional[worktrees.Worktree],
               has_session: bool, branch_there: bool) -> Finding:
    where, br = shell_path(rec["path"]), shell_path(rec["branch"])
    if has_session or (wt is None and not (branch_there and rec["created_branch"])):
        fix = f"rm -f -- {shell_path(p)}   # nothing is left half-made"
        what = "an interrupted `worktree add` left only its note"
    elif wt is not None:
        fix = (f"git -C {where} guardrails start && rm -f -- {shell_path(p)}   (or undo "
               f"it: git guardrails worktree remove --force {where})")
        what = f"the worktree {printable(rec['path'])} was created without its session"
    else:
        fix = (f"git branch -D {br} && rm -f -- {shell_path(p)}   # it has no commits of "
               "its own (or resume: git guardrails worktree add "
               f"{where} {br})")
        what = f"the branch `{printable(rec['branch'])}` was created without its worktree"
    return Finding("session-half-made", f"interrupted `git guardrails worktree add "
                   f"{printable(rec['path'])} {printable(rec['branch'])}`: {what}",
                   fix, severity=WARNING)


def orphan_stashes(repo: git.Repo, named: set[str]) -> list[Finding]:
    out = []
    for ref, oid, msg in stashes.ours(repo.toplevel):
        if oid in named:
            continue
        out.append(Finding(
            "session-orphan-stash",
            f"{ref} ({oid[:12]}) \"{printable(msg)}\" holds changes guardrails set aside; no "
            "session names it",
            f"git stash apply {oid}   # then drop it: git stash drop {ref}",
            severity=WARNING, commit=oid))
    return out


# --- runner patch files --------------------------------------------------------------------------

def patch_dirs() -> list[str]:
    """Where pre-commit (``patch<time>-<pid>`` in its home) and prek (``patches/<ms>-<pid>.patch``
    in its store) keep the unstaged changes they set aside during a commit."""
    home = os.path.expanduser("~")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    pre_commit = os.environ.get("PRE_COMMIT_HOME") or os.path.join(cache, "pre-commit")
    prek = os.environ.get("PREK_HOME") or os.path.join(cache, "prek")
    return [pre_commit, os.path.join(prek, "patches")]


def runner_patches(rows: list[tuple[str, float]]) -> list[Finding]:
    """``rows``: (worktree top level, session start) of each active session."""
    if not rows:
        return []
    since = min(t for _p, t in rows)
    found: list[Finding] = []
    for d in patch_dirs():
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for ent in entries:
            if not (ent.name.startswith("patch") or ent.name.endswith(".patch")):
                continue
            try:
                st = ent.stat(follow_symlinks=False)
            except OSError:
                continue
            if not ent.is_file(follow_symlinks=False) or st.st_mtime < since or \
                    st.st_size == 0 or st.st_size > (64 << 20):
                continue
            top = _applies(ent.path, [p for p, t in rows if t <= st.st_mtime])
            if top is None:
                continue
            found.append(Finding(
                "session-runner-patch",
                f"{printable(ent.path)}: unstaged changes a git hook runner set aside during a "
                f"commit in {printable(top)} were not put back (the commit was interrupted)",
                f"git -C {shell_path(top)} apply --3way {shell_path(ent.path)}",
                severity=WARNING, path=ent.path))
    return found


def _applies(patch: str, tops: list[str]) -> Optional[str]:
    for top in tops:
        proc = git.run("apply", "--check", "--end-of-options", patch, cwd=top, ok=(0, 1, 128),
                       env=git.OTHER_WORKTREE)
        if proc.returncode == 0:
            return top
    return None


def findings(repo: git.Repo, listed: Optional[list[worktrees.Worktree]] = None
             ) -> list[Finding]:
    """Everything above, for ``status`` and ``doctor`` (``listed``: the worktrees, when the
    caller has listed them already)."""
    if listed is None:
        listed = worktrees.list_worktrees(repo)
    sessions = session.all_sessions(repo)
    live = [s for _gd, s in sessions if s is not None]
    found = state_files(repo, listed)
    found += half_made(repo, active=bool(sessions), listed=listed)
    found += orphan_stashes(repo, {s.stash for s in live if s.stash})
    found += runner_patches([(s.worktree, s.started) for s in live if s.worktree])
    return found
