"""The ref journal: one JSON line per ref update made from an agent session (and per refusal,
rollback and lost commit), in the common git dir so every worktree appends to the same file.

``<common>/guardrails/journal.jsonl``, rotated to ``journal.1.jsonl`` when it passes
``GUARDRAILS_JOURNAL_MAX`` bytes (default 1 MiB). Appends are one ``write`` under an flock on the
journal file, so lines from parallel worktrees never interleave and rotation happens once.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from typing import Any, Optional

from guardrails import git, state
from guardrails.findings import Finding, show_path

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


# The entries' content is the ref-store's (what each kind means); how they are read is
# guardrails.state's: every field this module uses is validated, other fields are kept as
# they are and never reach git or a fix command.
ENTRY = state.Schema("journal", 1, {
    "time": (state.number(0, 1e11), 0.0),
    "kind": (state.text(40), ""),
    "ref": (state.optional(state.refname), None),
    "old": (state.optional(state.oid), None),
    "new": (state.optional(state.oid), None),
    "lost": (state.optional(state.oid), None),
    "worktree": (state.optional(state.path_text), None),
}, extra=True, versioned=False)


def _fit(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with each known field that does not validate (a ref git names outside
    refs/, a relative path …) set to None, and text fields made printable: journaling never
    fails a ref update, and never writes what a reader would refuse."""
    from guardrails.findings import printable

    out = dict(entry)
    for key, (check, _default) in ENTRY.fields.items():
        if key not in out:
            continue
        try:
            check(out[key])
        except state.Invalid:
            out[key] = printable(out[key])[:40] if key == "kind" and isinstance(
                out[key], str) else None if key != "time" else 0.0
    for key, value in out.items():
        if key not in ENTRY.fields and isinstance(value, str):
            out[key] = printable(value)[:4096]
    return out


def append(common_dir: str, entries: Iterable[dict[str, Any]]) -> None:
    now = round(time.time(), 3)
    state.append_line(path(common_dir), [_fit({"time": now, **e}) for e in entries], ENTRY,
                      max_size=_max_size(),
                      rotated=os.path.join(common_dir, DIRNAME, ROTATED))


def read(common_dir: str) -> Iterator[dict[str, Any]]:
    """Every valid entry, oldest first (the rotated file, then the current one); torn lines
    after a crash and entries that do not validate are skipped."""
    base = os.path.join(common_dir, DIRNAME)
    for name in (ROTATED, NAME):
        yield from state.read_lines(os.path.join(base, name), ENTRY)


def read_tip(tip_path: str, ref: str) -> tuple[Optional[str], float]:
    """The last value the reference-transaction hook recorded for ``ref`` in a worktree's
    ``tip`` file (``<oid> <ref>``) and when (mtime); (None, 0) when there is none or it is not
    a valid record (it is rewritten at the next ref update)."""
    try:
        raw = state.read_bytes(tip_path, 1024)
        when = os.stat(tip_path).st_mtime if raw is not None else 0.0
    except (state.StateError, OSError):
        return None, 0.0
    parts = (raw or b"").decode("ascii", errors="replace").split()
    if len(parts) == 2 and parts[1] == ref and state.is_oid(parts[0]):
        return parts[0], when
    return None, 0.0


def write_tip(tip_path: str, oid: str, ref: str) -> None:
    state.write_bytes(tip_path, f"{state.oid(oid)} {state.refname(ref)}\n".encode(),
                      durable=False)


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
        proc = git.run("merge-base", "--is-ancestor", str(e["lost"]), str(e["ref"]),
                       cwd=repo.toplevel, ok=(0, 1, 128))
        if proc.returncode != 0:
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
        ref = f"refs/heads/{sess.branch}"
        last, when = read_tip(os.path.join(gd, DIRNAME, "tip"), ref)
        if last is None or when < sess.started:
            continue
        proc = git.run("rev-parse", "-q", "--verify", "--end-of-options", ref,
                       cwd=repo.toplevel, ok=(0, 1, 128))
        now = proc.stdout.decode().strip()
        if now == last:
            continue
        if now and git.run("merge-base", "--is-ancestor", last, now, cwd=repo.toplevel,
                           ok=(0, 1, 128)).returncode == 0:
            continue
        top = sess.worktree if sess.worktree else gd
        out.append({"time": time.time(), "kind": "rollback", "ref": ref, "lost": last,
                    "old": last, "new": now, "worktree": top})
    return out


def restore_command(e: dict[str, Any]) -> str:
    """The command that puts a rolled-back branch's lost commits back, rebuilt from the
    entry's validated fields (never the text a journal line carries)."""
    from guardrails.findings import shell_path

    lost = str(e["lost"])
    if e.get("worktree"):
        return f"git -C {shell_path(str(e['worktree']))} merge --no-edit {lost[:12]}"
    return f"git cherry-pick {lost}"


def rollback_findings(repo: git.Repo) -> list[Finding]:
    """Journaled rollbacks not yet repaired, and session branches rolled back right now."""
    journaled = rollbacks(repo)  # one `merge-base --is-ancestor` per entry: read once
    seen = {(str(e["ref"]), str(e["lost"])) for e in journaled}
    live = [e for e in live_rollbacks(repo) if (e["ref"], e["lost"]) not in seen]
    return [Finding(
        "refstore-rollback",
        f"{e['ref']} was rolled back: commit {str(e['lost'])[:12]} (reported as made) is no "
        f"longer on it (noticed {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(e['time']))}"
        f" in {show_path(str(e.get('worktree') or '?'))})",
        restore_command(e),
        commit=str(e["lost"]),
    ) for e in [*journaled, *live]]
