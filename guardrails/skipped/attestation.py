"""The attestation: ``Guardrails-Checked: <patch-id>`` and the record that earns it.

The pre-commit stage (``no-skipped-hooks``, also in the combined ``guardrails`` hook) records
in ``<git-dir>/guardrails/checked.json`` which change it checked (a digest of the staged diff)
and for which ``git`` process (the ``git commit`` that runs the hooks). ``require-checks``
(prepare-commit-msg, which git runs even under ``--no-verify``) compares: same change, same
``git`` process, or the commit is refused.

The id is ``git patch-id --stable`` over the commit's diff against its parent, with the fixed
options of guardrails.git.patchlog (the range's ``git log -p``), which explains them.
"""
from __future__ import annotations

import json
import os
import re
import time

from guardrails import git
from guardrails.git import patchlog
from guardrails.git.patchlog import CONFIG, DIFF_ARGS
from guardrails.git.patchlog import TRAILER as TRAILER
from guardrails.git.patchlog import empty_id as empty_id

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any, Optional

# Every hook id of .pre-commit-hooks.yaml (a test keeps them in step): SKIP naming one fails.
HOOK_IDS = ("clean-baseline", "record-baseline", "check-scope", "no-skipped-hooks",
            "require-checks", "ref-store-guard", "guardrails", "verify-commit")
RECORD = "checked.json"


def skipped_ids(env: Mapping[str, str]) -> dict[str, list[str]]:
    """The one reader of the runners' skip lists: ``SKIP`` / ``PREK_SKIP`` -> the hook ids
    each skips, in order (prek's ``project:id`` selectors reduced to the id)."""
    out: dict[str, list[str]] = {}
    for var in ("SKIP", "PREK_SKIP"):
        names = [n.strip() for n in env.get(var, "").split(",") if n.strip()]
        if names:
            out[var] = [n.rsplit(":", 1)[-1] for n in names]
    return out


_TRAILER_RX = re.compile(rb"^" + TRAILER.encode() + rb"\s*:\s*(\S+)\s*$",
                         re.IGNORECASE | re.MULTILINE)
_DROP_RX = re.compile(rb"^" + TRAILER.encode() + rb"[ \t]*:[^\n]*\n?",
                      re.IGNORECASE | re.MULTILINE)


def trailer_values(message: str) -> list[str]:
    """Every ``Guardrails-Checked`` value in a commit message's trailer block: its last
    paragraph, trailing comment lines ignored (``git commit --no-edit`` after a conflicted
    merge keeps its ``# Conflicts:`` lines)."""
    if "guardrails-checked" not in message.lower():  # (most commits of a range: no trailer)
        return []
    lines = message.splitlines()
    while lines and (not lines[-1].strip() or lines[-1].startswith("#")):
        lines.pop()
    block: list[str] = []
    for line in reversed(lines):
        if not line.strip():
            break
        block.append(line)
    raw = "\n".join(reversed(block)).encode(errors="surrogateescape")
    return [m.group(1).decode(errors="replace") for m in _TRAILER_RX.finditer(raw)]


# --- what is being committed now ---------------------------------------------------------------

def staged_args(base: Optional[str] = None) -> tuple[str, ...]:
    """The git arguments of :func:`staged_diff` (for git.prefetch)."""
    return (*CONFIG, "diff", "--cached", *DIFF_ARGS, *([base] if base else []))


def staged_diff(repo: git.Repo, base: Optional[str] = None) -> bytes:
    """The index against ``base`` (default HEAD, or the empty tree on an unborn branch) with
    the attestation's diff options: for a plain commit exactly what ``git log -p`` will show
    for it, the text whose patch id the trailer carries."""
    return git.out(*staged_args(base), cwd=repo.toplevel)


def _sha256() -> Any:
    try:  # CPython's built-in SHA-256: the same digest without loading OpenSSL (~2 ms)
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256  # type: ignore[assignment,unused-ignore]
    return sha256()


def fingerprint(data: bytes) -> str:
    """SHA-256 of ``data``, hex."""
    h = _sha256()
    h.update(data)
    return str(h.hexdigest())


# What the record compares (the index against HEAD): every staged path with its modes and
# blob ids, read without any blob content (no numstat, no rename detection), so the digest costs
# the same for a 150 MB file as for a one-line change. Equal raw diffs against the same base
# mean equal patches.
FINGERPRINT_ARGS = ("diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames",
                    "--ignore-submodules=none", "--no-ext-diff", "--no-textconv", "--no-color",
                    "--no-relative")


def fingerprint_args(base: Optional[str] = None) -> tuple[str, ...]:
    """The git arguments of :func:`staged_fingerprint` (for git.prefetch)."""
    return (*CONFIG, *FINGERPRINT_ARGS, *(["--end-of-options", base] if base else []))


def staged_fingerprint(repo: git.Repo, base: Optional[str] = None) -> str:
    """What the record compares: a digest of the staged raw diff (against ``base``, default
    HEAD). ``checked.json`` is agent-writable either way: the digest only tells the
    prepare-commit-msg stage that the index did not change after the pre-commit stage."""
    return fingerprint(git.out(*fingerprint_args(base), cwd=repo.toplevel))


def staged_patch_id(repo: git.Repo, base: Optional[str] = None,
                    on_chunk: Optional[Callable[[bytes], None]] = None) -> str:
    """:func:`patch_id_of` :func:`staged_diff`: the diff streamed into ``git patch-id`` (and
    shown to ``on_chunk`` piece by piece: the pre-commit stage's bypass scan reads the same
    stream), never held whole (a 150 MB file)."""
    _, out = git.tee(list(staged_args(base)), ["patch-id", "--stable"], cwd=repo.toplevel,
                     on_chunk=on_chunk, keep_first=False)
    ids = out.split()
    return ids[0].decode() if ids else empty_id(repo)



def recorded_patch_id(rec: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The patch id the pre-commit stage computed for the index it checked (``patch_id`` in
    the record), when it is one. The record is agent-writable: a forged id can only put a
    trailer on the commit that CI, recomputing the id, refuses; it widens nothing."""
    from guardrails import state

    pid = rec.get("patch_id") if rec is not None else None
    return pid if isinstance(pid, str) and state.is_oid(pid) else None


def patch_id_of(repo: git.Repo, diff: bytes) -> str:
    if not diff:
        return empty_id(repo)
    out = git.out("patch-id", "--stable", cwd=repo.toplevel, input=diff).split()
    return out[0].decode() if out else empty_id(repo)


def write_tree(repo: git.Repo) -> str:
    """The tree of the index being committed (``GIT_INDEX_FILE`` is kept)."""
    return git.run("write-tree", cwd=repo.toplevel, write=True).stdout.decode().strip()


def merge_id(repo: git.Repo, parents: Sequence[str]) -> str:
    """The patch id the merge of the index on ``parents`` will have, computed exactly as CI
    computes it: a throw-away commit object (never referenced; gc removes it) through the very
    ``git log --remerge-diff`` and ``git patch-id``."""
    tree = write_tree(repo)
    args = ["commit-tree", tree]
    for p in parents:
        args += ["-p", p]
    tmp = git.run("-c", "user.name=guardrails", "-c", "user.email=guardrails@localhost",
                  *args, "-m", "guardrails: attestation probe", cwd=repo.toplevel,
                  write=True).stdout.decode().strip()
    return patchlog.patch_ids(repo, [tmp])[tmp]


def add_trailer(repo: git.Repo, msgfile: str, value: str) -> None:
    """``git interpret-trailers --in-place``: after the existing trailers; an earlier
    ``Guardrails-Checked`` (an amend, a squash) is replaced, never duplicated."""
    with open(msgfile, "rb") as f:
        text = orig = f.read()
    # drop every earlier value (a squash can carry several), then add the current one
    text = _DROP_RX.sub(b"", text)
    if text:
        # one final newline: git merge writes its message without one (a trailer would then
        # stick to the subject), and a dropped trailer leaves blank lines behind
        text = text.rstrip(b"\n") + b"\n"
    if text != orig:
        with open(msgfile, "wb") as f:
            f.write(text)
    git.run("interpret-trailers", "--in-place", "--where", "end", "--if-exists", "replace",
            "--trailer", f"{TRAILER}: {value}", msgfile, cwd=repo.toplevel, write=True)


# --- which git process runs the hooks -----------------------------------------------------

def _proc_stat(pid: int) -> Optional[tuple[str, int, str]]:
    """(comm, ppid, start time) of a process from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return None
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    return comm, int(fields[1]), fields[19]


def _ps_table() -> dict[int, tuple[str, int]]:
    import subprocess

    try:
        out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,comm="], capture_output=True,
                             text=True, check=False).stdout
    except OSError:
        return {}
    table: dict[int, tuple[str, int]] = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            table[int(parts[0])] = (os.path.basename(parts[2].strip()), int(parts[1]))
    return table


def _git_ancestor(pid: int, use_proc: bool) -> Optional[tuple[int, str]]:
    if use_proc and os.path.isdir("/proc/self"):
        for _ in range(64):
            st = _proc_stat(pid)
            if st is None:
                return None
            comm, ppid, start = st
            if comm == "git" or comm.startswith("git-"):
                return pid, start
            if ppid <= 1:
                return None
            pid = ppid
        return None
    table = _ps_table()
    for _ in range(64):
        entry = table.get(pid)
        if entry is None:
            return None
        comm, ppid = entry
        if comm == "git" or comm.startswith("git-"):
            return pid, "?"
        if ppid <= 1:
            return None
        pid = ppid
    return None


def git_process(pid: Optional[int] = None, use_proc: bool = True) -> Optional[str]:
    """Identity (``pid:start``) of the nearest ``git`` ancestor: the ``git commit`` (or
    ``git merge``) whose hooks are running. Both stages of one commit see the same one; a
    later ``git commit --no-verify`` is another process. None when there is no git ancestor."""
    found = _git_ancestor(os.getppid() if pid is None else pid, use_proc)
    return f"{found[0]}:{found[1]}" if found else None


def git_argvs(pid: Optional[int] = None, use_proc: bool = True) -> list[list[str]]:
    """Command lines of the nearest ``git`` ancestor and, when that process's parent is git
    itself (``git rebase --continue`` runs ``git commit``), of that parent: nearest first."""
    found = _git_ancestor(os.getppid() if pid is None else pid, use_proc)
    if found is None:
        return []
    argvs = [_argv(found[0], use_proc)]
    parent = _parent_of(found[0], use_proc)
    if parent is not None:
        up = _git_ancestor(parent, use_proc)
        if up is not None and up[0] == parent:
            argvs.append(_argv(parent, use_proc))
    return argvs


def subcommand(argv: Sequence[str]) -> Optional[str]:
    """``commit`` for ``git -C x -c a=b commit -m y``."""
    from guardrails.git import command_args

    args = command_args(argv)
    return args[0] if args else None


def is_amend(argv: Sequence[str]) -> bool:
    """Whether a ``git commit`` command line amends (``--amend`` or an abbreviation)."""
    if subcommand(argv) != "commit":
        return False
    for a in argv[argv.index("commit") + 1:]:
        if a == "--":
            return False
        if len(a) >= 4 and "--amend".startswith(a):
            return True
    return False


def _parent_of(pid: int, use_proc: bool) -> Optional[int]:
    if use_proc and os.path.isdir("/proc/self"):
        st = _proc_stat(pid)
        return st[1] if st else None
    entry = _ps_table().get(pid)
    return entry[1] if entry else None


def _argv(pid: int, use_proc: bool) -> list[str]:
    if use_proc and os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return [os.fsdecode(a) for a in f.read().split(b"\0") if a]
        except OSError:
            return []
    import subprocess

    try:
        return subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True,
                              text=True, check=False).stdout.split()
    except OSError:
        return []


# --- the record of the pre-commit stage ---------------------------------------------------

def record_path(repo: git.Repo) -> str:
    return repo.git_path("guardrails", RECORD)


def record_digest(repo: git.Repo, digest: str, patch_id: Optional[str] = None) -> str:
    """Remember that the pre-commit stage of this git process checked the index whose
    :func:`staged_fingerprint` is ``digest`` (atomically; per worktree), and the patch id of
    its diff against HEAD (require-checks puts it in the trailer of a plain commit rather than
    diffing the index a second time)."""
    from guardrails import state

    data: dict[str, Any] = {"diff": digest, "git": git_process(), "time": time.time()}
    if patch_id is not None:
        data["patch_id"] = patch_id
    # guardrails.state writes it (temp file, rename; a failure leaves the old record and
    # reports the real error, e.g. a git dir the user cannot write)
    return state.write_bytes(record_path(repo), json.dumps(data).encode(), durable=False)


def load_record(repo: git.Repo) -> Optional[dict[str, Any]]:
    """The record, read through guardrails.state (bounded size and depth, strict UTF-8); None
    when there is none or it is not a JSON object (the commit is then treated as unchecked)."""
    from guardrails import state

    try:
        raw = state.read_bytes(record_path(repo))
        data: Any = state.loads(raw) if raw is not None else None
    except (state.StateError, state.Invalid):
        return None
    return data if isinstance(data, dict) else None
