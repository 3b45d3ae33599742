"""The ref journal: one JSON line per ref update made from an agent session (and per refusal,
rollback and lost commit), in the common git dir so every worktree appends to the same file.

``<common>/guardrails/journal.jsonl``, rotated to ``journal.1.jsonl`` when it passes
``GUARDRAILS_JOURNAL_MAX`` bytes (default 1 MiB). Appends are one ``write`` under an flock on the
journal file, so lines from parallel worktrees never interleave and rotation happens once.
"""
from __future__ import annotations

import fcntl
import json
import os
import shlex
import time
from collections.abc import Iterable, Iterator
from typing import Any

from guardrails import git
from guardrails.findings import Finding

DIRNAME = "guardrails"
NAME = "journal.jsonl"
ROTATED = "journal.1.jsonl"
DEFAULT_MAX = 1 << 20


def path(common_dir: str) -> str:
    return os.path.join(common_dir, DIRNAME, NAME)


def _max_size() -> int:
    try:
        return max(4096, int(os.environ.get("GUARDRAILS_JOURNAL_MAX", DEFAULT_MAX)))
    except ValueError:
        return DEFAULT_MAX


def append(common_dir: str, entries: Iterable[dict[str, Any]]) -> None:
    lines = b"".join(
        json.dumps({"time": round(time.time(), 3), **e}, sort_keys=True).encode() + b"\n"
        for e in entries)
    if not lines:
        return
    p = path(common_dir)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    fd = os.open(p, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_size + len(lines) > _max_size():
                # still the file at `p`? (another process may have rotated it while we waited)
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(p))
                except FileNotFoundError:
                    same = False
                if same:
                    os.replace(p, os.path.join(os.path.dirname(p), ROTATED))
                os.close(fd)
                fd = os.open(p, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
                fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                lines = b"\n" + lines  # a torn line from a crashed writer: start afresh
            os.write(fd, lines)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read(common_dir: str) -> Iterator[dict[str, Any]]:
    """Every entry, oldest first (the rotated file, then the current one)."""
    base = os.path.join(common_dir, DIRNAME)
    for name in (ROTATED, NAME):
        try:
            with open(os.path.join(base, name), "rb") as f:
                for raw in f:
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        continue  # a torn line after a crash: skip it
                    if isinstance(entry, dict):
                        yield entry
        except FileNotFoundError:
            continue


def rollbacks(repo: git.Repo) -> list[dict[str, Any]]:
    """Journaled rollbacks whose lost commit is still not on its branch: each entry has
    ``ref``, ``lost`` (the commit the branch lost), ``worktree`` and ``restore`` (the command that
    puts the lost commits back)."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for e in read(repo.common_dir):
        if e.get("kind") != "rollback" or not e.get("lost") or not e.get("ref"):
            continue
        key = (str(e["ref"]), str(e["lost"]))
        if key in seen:
            continue
        seen.add(key)
        if not git.is_ancestor(repo, str(e["lost"]), str(e["ref"])):
            out.append(e)
    return out


def live_rollbacks(repo: git.Repo) -> list[dict[str, Any]]:
    """Session branches that, right now, no longer contain the last value the
    reference-transaction hook saw them take (``<git-dir>/guardrails/tip``): moved back without
    a ref update, not yet noticed by a commit. Same shape as ``rollbacks``."""
    from guardrails.sessions import session

    out: list[dict[str, Any]] = []
    for gd, sess in session.all_sessions(repo):
        if sess is None or not sess.branch:
            continue
        tip_path = os.path.join(gd, DIRNAME, "tip")
        try:
            with open(tip_path) as f:
                parts = f.read(512).split()
            if os.stat(tip_path).st_mtime < sess.started:
                continue
        except OSError:
            continue
        ref = f"refs/heads/{sess.branch}"
        if len(parts) != 2 or parts[1] != ref:
            continue
        last = parts[0]
        proc = git.run("rev-parse", "-q", "--verify", ref, cwd=repo.toplevel, ok=(0, 1, 128))
        now = proc.stdout.decode().strip()
        if now == last:
            continue
        if now and git.is_ancestor(repo, last, now):
            continue
        top = sess.worktree if getattr(sess, "worktree", None) else gd
        out.append({"time": time.time(), "kind": "rollback", "ref": ref, "lost": last,
                    "old": last, "new": now, "worktree": top,
                    "restore": f"git -C {shlex.quote(str(top))} merge --no-edit {last[:12]}"})
    return out


def rollback_findings(repo: git.Repo) -> list[Finding]:
    """Journaled rollbacks not yet repaired, and session branches rolled back right now."""
    journaled = rollbacks(repo)  # one `merge-base --is-ancestor` per entry: read once
    seen = {(str(e["ref"]), str(e["lost"])) for e in journaled}
    live = [e for e in live_rollbacks(repo) if (e["ref"], e["lost"]) not in seen]
    return [Finding(
        "refstore-rollback",
        f"{e['ref']} was rolled back: commit {str(e['lost'])[:12]} (reported as made) is no "
        f"longer on it (noticed {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(e['time']))}"
        f" in {e.get('worktree', '?')})",
        str(e.get("restore", f"git cherry-pick {e['lost']}")),
        commit=str(e["lost"]),
    ) for e in [*journaled, *live]]
