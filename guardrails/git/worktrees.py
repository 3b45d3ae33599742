"""Every worktree of a repository: one ``git worktree list --porcelain -z``, plus file reads to
find each worktree's private git dir (where its session record lives).

Nothing here starts git in another worktree with the caller's ``GIT_DIR``/``GIT_WORK_TREE``/
``GIT_INDEX_FILE``: those name the caller's worktree, so calls aimed at another one drop them
(``git.OTHER_WORKTREE``).
"""
from __future__ import annotations

import os
import time
from typing import Optional

from guardrails import git
from guardrails.records import Record


class Worktree(Record):
    __slots__ = ("path", "head", "branch", "git_dir", "is_main", "bare", "locked",  # noqa: RUF023
                 "prunable")
    path: str
    head: Optional[str]  # None on an unborn branch
    branch: Optional[str]  # short name; None when detached
    git_dir: Optional[str]  # its private git dir; None when it cannot be found (prunable)
    is_main: bool
    bare: bool
    locked: Optional[str]  # the lock reason ("" when locked without one)
    prunable: Optional[str]  # why git would prune it (its directory is gone …)

    def __init__(self, path: str, head: Optional[str], branch: Optional[str],
                 git_dir: Optional[str], is_main: bool, bare: bool = False,
                 locked: Optional[str] = None, prunable: Optional[str] = None) -> None:
        self.path, self.head, self.branch, self.git_dir = path, head, branch, git_dir
        self.is_main, self.bare, self.locked, self.prunable = is_main, bare, locked, prunable


def _admin_dirs(common_dir: str) -> dict[str, str]:
    """realpath of each linked worktree's top level -> its admin dir ``<common>/worktrees/<id>``
    (from the ``gitdir`` file git keeps there)."""
    found: dict[str, str] = {}
    base = os.path.join(common_dir, "worktrees")
    try:
        names = os.listdir(base)
    except (FileNotFoundError, NotADirectoryError):
        return found
    for name in names:
        admin = os.path.join(base, name)
        try:
            with open(os.path.join(admin, "gitdir"), "rb") as f:
                dotgit = os.fsdecode(f.read().strip())
        except OSError:
            continue
        found[os.path.realpath(os.path.dirname(dotgit))] = admin
    return found


def parse_porcelain(data: bytes) -> list[dict[str, str]]:
    """Records of ``git worktree list --porcelain -z``: attribute -> value ("" for flags)."""
    records: list[dict[str, str]] = []
    cur: dict[str, str] = {}
    for field in data.split(b"\0"):
        if not field:
            if cur:
                records.append(cur)
                cur = {}
            continue
        key, _, value = field.partition(b" ")
        cur[key.decode()] = os.fsdecode(value)
    if cur:
        records.append(cur)
    return records


def list_porcelain(repo: git.Repo, attempts: int = 6) -> bytes:
    """git 2.39 fails ``worktree list`` while another process is half-way through
    ``worktree add`` ("failed to read .git/worktrees/<id>/commondir"): retry briefly."""
    for n in range(attempts):
        proc = git.run("worktree", "list", "--porcelain", "-z", cwd=repo.toplevel, ok=(0, 128))
        if proc.returncode == 0:
            return proc.stdout
        if b"/worktrees/" not in proc.stderr or n == attempts - 1:
            raise git.GitError(("worktree", "list", "--porcelain", "-z"), proc.returncode,
                               proc.stderr)
        time.sleep(0.02 * 2 ** n)
    raise AssertionError("unreachable")


def list_worktrees(repo: git.Repo) -> list[Worktree]:
    """Every worktree, the main one first (one git call)."""
    data = list_porcelain(repo)
    admins = _admin_dirs(repo.common_dir)
    result: list[Worktree] = []
    for n, rec in enumerate(parse_porcelain(data)):
        path = rec.get("worktree", "")
        ref = rec.get("branch")
        branch = ref[len("refs/heads/"):] if ref and ref.startswith("refs/heads/") else ref
        head = rec.get("HEAD")
        if head is not None and set(head) == {"0"}:
            head = None
        is_main = n == 0
        git_dir: Optional[str]
        if is_main:
            git_dir = None if "bare" in rec else repo.common_dir
        else:
            git_dir = admins.get(os.path.realpath(path))
            if git_dir is None:  # the directory is gone: match the admin dir by its recorded path
                for top, admin in admins.items():
                    if os.path.normpath(top) == os.path.normpath(path):
                        git_dir = admin
        result.append(Worktree(
            path=path, head=head, branch=branch, git_dir=git_dir, is_main=is_main,
            bare="bare" in rec, locked=rec.get("locked"), prunable=rec.get("prunable"),
        ))
    return result


def find(repo: git.Repo, path: str) -> Optional[Worktree]:
    """The worktree whose top level is ``path`` (compared after resolving symlinks)."""
    want = os.path.realpath(path)
    for wt in list_worktrees(repo):
        if os.path.realpath(wt.path) == want or os.path.normpath(wt.path) == os.path.normpath(
                os.path.abspath(path)):
            return wt
    return None


def owner_of(repo: git.Repo, git_dir: str) -> str:
    """The top level of the worktree whose private git dir is ``git_dir`` (for messages)."""
    if os.path.normcase(git_dir) == os.path.normcase(repo.common_dir):
        return os.path.dirname(repo.common_dir.rstrip(os.sep))
    try:
        with open(os.path.join(git_dir, "gitdir"), "rb") as f:
            return os.path.dirname(os.fsdecode(f.read().strip()))
    except OSError:
        return git_dir


def tops(repo: git.Repo) -> list[str]:
    """Top level of every worktree with a work tree that exists (not bare, not prunable)."""
    return [w.path for w in list_worktrees(repo) if not w.bare and not w.prunable]


def linked_tops(repo: git.Repo) -> list[str]:
    """Top levels of the linked worktrees from ``<common>/worktrees/*/gitdir``: file reads
    only, no git process (for hooks)."""
    found = []
    for d in git.worktree_git_dirs(repo)[1:]:
        try:
            with open(os.path.join(d, "gitdir"), encoding="utf-8",
                      errors="surrogateescape") as f:
                dotgit = f.read().strip()
        except OSError:
            continue
        found.append(os.path.dirname(dotgit))
    return found
