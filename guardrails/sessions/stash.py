"""Stashing a work tree's changes so that the caller knows which stash it made.

``git stash push`` then ``refs/stash`` records whichever stash is on top after the push: the
stash stack is shared by every worktree, so under a race it is another worktree's. Here the
stash commit is built first (``git stash create`` for the index and tracked files, a commit of
the untracked files as its third parent, as ``git stash push --include-untracked`` makes it),
stored under its own message with ``git stash store``, and only then is the work tree cleaned:
killed at any step, the changes are in the work tree, in the stash, or in both.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Optional

from guardrails import git
from guardrails.errors import GuardrailsError

Env = Optional[Mapping[str, Optional[str]]]
PREFIX = "guardrails: "  # every stash guardrails makes has a message starting so


def _oid(proc: git.Completed) -> str:
    return proc.stdout.decode().strip()


def stash(toplevel: str, message: str, untracked: Sequence[str], env: Env = None) -> str:
    """Stash every change of the work tree at ``toplevel`` (the index, tracked files and the
    ``untracked`` files) under ``message``; returns the stash commit."""
    def run(*args: str, extra: Env = None, input: Optional[bytes] = None,
            write: bool = False) -> git.Completed:
        return git.run(*args, cwd=toplevel, env={**(env or {}), **(extra or {})}, input=input,
                       write=write)

    head = git.run("rev-parse", "-q", "--verify", "HEAD^{commit}", cwd=toplevel, env=env,
                   ok=(0, 1, 128))
    if head.returncode != 0:
        raise GuardrailsError("there is no commit yet to stash changes on",
                              "commit something first (git commit), then start again")
    w = _oid(run("stash", "create", message))
    if not w:  # nothing tracked changed: a stash whose index and work tree are HEAD's
        tree = _oid(run("rev-parse", "HEAD^{tree}"))
        index = _oid(run("commit-tree", "-p", "HEAD", "-m", "index", "--end-of-options", tree))
        w = _oid(run("commit-tree", "-p", "HEAD", "-p", index, "-m", message,
                     "--end-of-options", tree))
    if untracked:
        with tempfile.TemporaryDirectory(prefix="guardrails-stash-") as tmp:
            idx = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            run("read-tree", "--empty", extra=idx)
            run("update-index", "--add", "-z", "--stdin", extra=idx,
                input=b"".join(os.fsencode(p) + b"\0" for p in untracked))
            utree = _oid(run("write-tree", extra=idx))
        u = _oid(run("commit-tree", "-m", f"untracked files: {message}", "--end-of-options",
                     utree))
        parents = run("rev-parse", f"{w}^1", f"{w}^2").stdout.decode().split()
        w = _oid(run("commit-tree", "-p", parents[0], "-p", parents[1], "-p", u, "-m", message,
                     "--end-of-options", f"{w}^{{tree}}"))
    run("stash", "store", "-q", "-m", message, w, write=True)
    # the changes are safe in the stash: now clean the work tree (as `git stash push -u` does)
    run("reset", "--hard", "-q", write=True)
    for p in untracked:
        full = os.path.join(toplevel, p)
        try:
            os.unlink(full)
        except FileNotFoundError:
            continue
        except IsADirectoryError:  # a nested repository listed as untracked: keep it
            continue
        parent = os.path.dirname(full)
        while parent != toplevel and parent.startswith(toplevel):
            try:
                os.rmdir(parent)
            except OSError:
                break
            parent = os.path.dirname(parent)
    return w


def ours(toplevel: str) -> list[tuple[str, str, str]]:
    """(stash@{n}, commit, message) of every stash guardrails made, newest first."""
    proc = git.run("stash", "list", "-z", "--format=%gd%x1f%H%x1f%gs", cwd=toplevel,
                   ok=(0, 1, 128))
    out = []
    for item in git.zsplit(proc.stdout):
        parts = item.decode(errors="replace").split("\x1f")
        if len(parts) == 3 and parts[2].startswith(PREFIX):
            out.append((parts[0], parts[1], parts[2]))
    return out
