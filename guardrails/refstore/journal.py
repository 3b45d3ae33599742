"""The ref journal: one JSON line per ref update made from an agent session (and per refusal,
rollback and lost commit), in the common git dir so every worktree appends to the same file.

``<common>/guardrails/journal.jsonl``, rotated to ``journal.1.jsonl`` when it passes
``GUARDRAILS_JOURNAL_MAX`` bytes (default 1 MiB). Appends are one ``write`` under an flock on the
journal file, so lines from parallel worktrees never interleave and rotation happens once.

This module is the one definition of that format. The reference-transaction shim's fast path
(``native/shim.sh``) appends ``update`` entries without starting Python: ``git guardrails
install`` renders :func:`shell_constants` into it, it takes the same flock on the journal file,
and it hands a journal due for rotation (or a size it cannot read as this module does) to
:func:`append`, which rotates it under that lock.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from typing import Any, Optional

from guardrails import git, state
from guardrails.findings import Finding, shell_path

DIRNAME = "guardrails"
NAME = "journal.jsonl"
ROTATED = "journal.1.jsonl"
DEFAULT_MAX = 1 << 20
MIN_MAX = 4096
MAX_ENV = "GUARDRAILS_JOURNAL_MAX"


def path(common_dir: str) -> str:
    return os.path.join(common_dir, DIRNAME, NAME)


def _max_size() -> int:
    try:
        return max(MIN_MAX, int(os.environ.get(MAX_ENV, DEFAULT_MAX)))
    except ValueError:
        return DEFAULT_MAX


# An ``update`` entry as the shim writes it: each value a shell expansion of the shim's own
# variables ($task is already JSON, null or "name"; $now is seconds), in the order and
# spacing of ``json.dumps(sort_keys=True)``, which state.append_line writes.
SHELL_ENTRY = {"kind": "update", "cmd": "$sub", "old": "$o", "new": "$n", "ref": "$r",
               "task": "$task", "time": "$now", "worktree": "$PWD"}
SHELL_RAW = ("task", "time")  # written as they are, not as JSON strings


def shell_line() -> str:
    """One journal line (without its newline) as the shim writes it, for a double-quoted
    shell word: the JSON of :data:`SHELL_ENTRY` with ``"`` escaped for the shell."""
    import json

    text = json.dumps({k: f"@{k}@" if k in SHELL_RAW else v for k, v in SHELL_ENTRY.items()},
                      sort_keys=True, allow_nan=False)
    for k in SHELL_RAW:
        text = text.replace(f'"@{k}@"', str(SHELL_ENTRY[k]))
    assert "\\" not in text and "`" not in text, text  # nothing the shell would read twice
    return text.replace('"', '\\"')


def shell_constants() -> dict[str, str]:
    """What ``git guardrails install`` writes into the shim: ``@KEY@`` -> value."""
    import hashlib

    out = {"@JOURNAL@": f"{DIRNAME}/{NAME}", "@JOURNAL_MAX@": str(DEFAULT_MAX),
           "@JOURNAL_MIN@": str(MIN_MAX), "@JOURNAL_MAX_ENV@": MAX_ENV,
           "@JOURNAL_LINE@": shell_line()}
    # names this definition in the installed shim: doctor finds a shim written from another
    digest = hashlib.sha256(repr(sorted(out.items())).encode()).hexdigest()[:16]
    return {**out, "@JOURNAL_ID@": digest}


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
        if not git.is_ancestor(repo, str(e["lost"]), str(e["ref"])):
            out.append(e)
    return out


def live_rollbacks(repo: git.Repo) -> list[dict[str, Any]]:
    """Session branches that, right now, no longer contain the last value the
    reference-transaction hook saw them take (``<git-dir>/guardrails/tip``): moved back without
    a ref update, not yet noticed by a commit. Same shape as ``rollbacks``."""
    from guardrails.refstore import locks
    from guardrails.sessions import session

    out: list[dict[str, Any]] = []
    roots = locks.worktree_roots(repo.common_dir)
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
        if now and git.is_ancestor(repo, last, now):
            continue
        top = sess.worktree or roots.get(gd, gd)
        restore = restore_command(ref, last, "0" * len(last), top) if not now else \
            f"git -C {shell_path(str(top))} merge --no-edit {last[:12]}"
        out.append({"time": time.time(), "kind": "rollback", "ref": ref, "lost": last,
                    "old": last, "new": now, "worktree": top, "restore": restore})
    return out


def restore_command(ref: str, lost: str, now: str, top: str) -> str:
    """The command that puts ``lost`` back on ``ref``, which is at ``now`` (zero: deleted).
    Checked by git: it refuses when the branch has moved on since (then merge ``lost``)."""
    if git.is_null(now):
        return f"git update-ref {ref} {lost} {'0' * len(lost)}"
    return f"git -C {shell_path(top)} update-ref {ref} {lost} {now}"


def _restore_hint(repo: git.Repo, e: dict[str, Any]) -> str:
    """The exact command for a journaled rollback, as things are now. A ref update that moved
    the branch off ``lost`` (``by`` is set) is undone by the checked ``update-ref`` back while
    the branch is still where it left it; otherwise (it moved on since, or a pack-refs race
    whose next commit is not built on ``lost``) a merge of ``lost`` in the session's worktree."""
    ref, lost = str(e["ref"]), str(e["lost"])
    top = str(e.get("worktree") or repo.toplevel)
    merge = ""  # rebuilt below from the validated fields, never the entry's stored text
    if e.get("by"):
        zero = "0" * len(lost)
        now = git.run("rev-parse", "-q", "--verify", "--end-of-options", ref,
                      cwd=repo.toplevel, ok=(0, 1, 128)).stdout.decode().strip() or zero
        new = str(e.get("new") or "")
        if new and (now == new or (git.is_null(new) and now == zero)):
            return restore_command(ref, lost, now, top)
    return merge or f"git -C {shell_path(top)} merge --no-edit {lost[:12]}"


def _missing(repo: git.Repo, oids: list[str]) -> set[str]:
    """Which of ``oids`` are not in the object store (one ``cat-file --batch-check``)."""
    wanted = sorted({o for o in oids if o and not set(o) <= {"0"}})
    if not wanted:
        return set()
    out = git.run("cat-file", "--batch-check=%(objectname) %(objecttype)", cwd=repo.toplevel,
                  input="".join(o + "\n" for o in wanted).encode(),
                  ok=(0, 128)).stdout.decode(errors="replace")
    return {ln.split()[0] for ln in out.splitlines() if ln.endswith(" missing")}


def damaged_branches(repo: git.Repo) -> list[Finding]:
    """Session branches a prune damaged: the tip (or a commit, tree or blob between the
    baseline and the tip) is missing, or a commit the journal saw land on the branch in this
    session is gone from the object store and from the branch. Asked of git after any prune
    (``doctor``): one ``rev-list --missing=print`` per session and one ``cat-file`` in all."""
    from guardrails.sessions import session

    found: list[Finding] = []
    journaled: dict[str, list[tuple[str, float]]] = {}
    sessions = [(gd, s) for gd, s in session.all_sessions(repo) if s is not None and s.branch]
    if not sessions:
        return found
    refs = {f"refs/heads/{s.branch}": s for _gd, s in sessions}
    superseded: set[str] = set()  # rewritten on purpose, or already reported as rolled back
    for e in read(repo.common_dir):
        ref, new = e.get("ref"), e.get("new")
        if e.get("kind") in ("rewrite", "rollback") and isinstance(e.get("old"), str):
            superseded.add(str(e["old"]))
            superseded.add(str(e.get("lost") or ""))
        if e.get("kind") == "update" and ref in refs and isinstance(new, str) and \
                not set(new) <= {"0"} and float(e.get("time") or 0) >= refs[ref].started - 1:
            journaled.setdefault(str(ref), []).append((new, float(e.get("time") or 0)))
    for ref, items in journaled.items():
        journaled[ref] = [(o, t) for o, t in items if o not in superseded]
    missing_objects = _missing(repo, [oid for items in journaled.values() for oid, _ in items])
    from guardrails.refstore import locks

    roots = locks.worktree_roots(repo.common_dir)
    for gd, s in sessions:
        ref = f"refs/heads/{s.branch}"
        top = s.worktree or roots.get(gd, gd)
        tip = git.run("rev-parse", "-q", "--verify", "--end-of-options", ref,
                      cwd=repo.toplevel, ok=(0, 1, 128)).stdout.decode().strip()
        if not tip:
            last = [o for o, _ in journaled.get(ref, []) if o not in missing_objects]
            found.append(Finding(
                "refstore-commit-lost",
                f"{s.branch}: the branch of session {s.task or 'ad hoc'} ({top}) is gone"
                + (f"; its last journaled commit is {last[-1][:12]}" if last else ""),
                f"git update-ref {ref} {last[-1]}" if last else
                f"git -C {shell_path(top)} log -g -n 5 HEAD   # find its last commit; then: "
                f"git update-ref {ref} COMMIT", commit=last[-1] if last else None, path=top))
            continue
        args = ["rev-list", "--objects", "--missing=print", "--end-of-options", tip]
        if s.baseline:
            args.append(f"^{s.baseline}")
        proc = git.run(*args, cwd=repo.toplevel, ok=(0, 128))
        gone = [ln[1:].split(" ", 1)[0] for ln in
                proc.stdout.decode(errors="replace").splitlines() if ln.startswith("?")]
        if proc.returncode != 0 or gone:
            what = (f"{len(gone)} object(s) of its commits are missing "
                    f"({', '.join(g[:12] for g in gone[:5])})" if gone else
                    f"its tip {tip[:12]} cannot be read (the commit or its history is missing)")
            found.append(Finding(
                "refstore-commit-broken",
                f"{s.branch} (session {s.task or 'ad hoc'}, {top}): {what}; a prune removed "
                "them", f"git -C {shell_path(top)} fsck --connectivity-only   # then re-add "
                "the files from the work tree: git add --renormalize -- PATHS && git commit",
                commit=tip, path=top))
        for oid, when in journaled.get(ref, []):
            if oid in missing_objects:
                found.append(Finding(
                    "refstore-commit-lost",
                    f"{s.branch} (session {s.task or 'ad hoc'}, {top}): commit {oid[:12]}, "
                    f"made at {time.strftime('%H:%M:%S', time.localtime(when))}, is gone from "
                    "the object store (pruned) and from the branch",
                    f"its content may still be in {top}: git -C {shell_path(top)} status; "
                    "commit it again", commit=oid, path=top))
    return found


def rollback_findings(repo: git.Repo) -> list[Finding]:
    """Journaled rollbacks not yet repaired, and session branches rolled back right now."""
    journaled = rollbacks(repo)  # one `merge-base --is-ancestor` per entry: read once
    seen = {(str(e["ref"]), str(e["lost"])) for e in journaled}
    live = [e for e in live_rollbacks(repo) if (e["ref"], e["lost"]) not in seen]
    gone = _missing(repo, [str(e["lost"]) for e in [*journaled, *live]])
    pruned = [Finding(
        "refstore-rollback",
        f"{str(e['ref'])[len('refs/heads/'):]} was rolled back and its lost commit "
        f"{str(e['lost'])[:12]} was then pruned from the object store (a gc --prune beside "
        f"the session); session worktree {e.get('worktree', '?')}",
        f"git -C {shell_path(str(e.get('worktree') or repo.toplevel))} status   # the lost "
        "commit's changes are usually still staged there: commit them again",
        commit=str(e["lost"])) for e in [*journaled, *live] if str(e["lost"]) in gone]
    journaled = [e for e in journaled if str(e["lost"]) not in gone]
    live = [e for e in live if str(e["lost"]) not in gone]
    return pruned + [Finding(
        "refstore-rollback",
        f"{str(e['ref'])[len('refs/heads/'):]} was rolled back: commit {str(e['lost'])[:12]} "
        f"is no longer on {e['ref']} (it went from {str(e['lost'])[:12]} to "
        f"{str(e.get('new') or '?')[:12] or 'nothing'}"
        f"{' by `git ' + str(e.get('cmd')) + '` in ' + str(e['by']) if e.get('by') else ''}; "
        f"noticed {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(e['time']))}, session "
        f"worktree {e.get('worktree', '?')})",
        _restore_hint(repo, e) if e in journaled else str(e["restore"]),
        commit=str(e["lost"]),
    ) for e in [*journaled, *live]]
