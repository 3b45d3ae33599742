""".guardrails.toml: load it from a trusted ref, validate it, pick the task that applies.

Trust: the policy comes from the base branch (locally ``refs/heads/<base>``, in CI the merge-base),
never from the agent's work tree or branch, so an agent cannot widen its own scope. Every loaded
policy carries its provenance (``main@1a2b3c4``) for the verdicts that use it.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import re
import sys

from guardrails import git
from guardrails.errors import GuardrailsError
from guardrails.records import Frozen

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

FILENAME = ".guardrails.toml"
DEFAULT_BASES = ("main", "master")
ENFORCE = ("agents", "always")

GUARDRAILS_KEYS = ("base", "protected", "locked", "enforce")
TASK_KEYS = ("branch", "allow", "max-files", "max-lines")


class Task(Frozen):
    __slots__ = ("name", "branches", "allow", "max_files", "max_lines")  # noqa: RUF023
    name: str
    branches: tuple[str, ...]
    allow: tuple[str, ...]
    max_files: Optional[int]
    max_lines: Optional[int]

    def __init__(self, name: str, branches: tuple[str, ...], allow: tuple[str, ...],
                 max_files: Optional[int] = None, max_lines: Optional[int] = None) -> None:
        super().__init__(name, branches, allow, max_files, max_lines)

    def covers(self, branch: str) -> bool:
        return any(branch_match(branch, g) for g in self.branches)


class Policy(Frozen):
    __slots__ = ("source", "base", "protected", "locked", "enforce", "tasks", "raw")  # noqa: RUF023
    source: str  # provenance: "main@1a2b3c4", "HEAD~3@…", or a file path for a work-tree copy
    base: str
    protected: tuple[str, ...]
    locked: tuple[str, ...]
    enforce: str
    tasks: dict[str, Task]
    raw: bytes

    def __init__(self, source: str, base: str = "main", protected: tuple[str, ...] = (),
                 locked: tuple[str, ...] = (), enforce: str = "agents",
                 tasks: Optional[dict[str, Task]] = None, raw: bytes = b"") -> None:
        super().__init__(source, base, protected, locked, enforce,
                         {} if tasks is None else tasks, raw)

    __hash__ = None  # type: ignore[assignment]  # unhashable, as the dataclass was (a dict)

    def task_for_branch(self, branch: Optional[str]) -> Optional[Task]:
        if branch is None:
            return None
        for task in self.tasks.values():
            if task.covers(branch):
                return task
        return None

    def is_protected(self, branch: str) -> bool:
        return any(branch_match(branch, g) for g in self.protected)


def branch_match(branch: str, glob: str) -> bool:
    """Branch globs are fnmatch globs on the full short name; ``*`` also matches ``/``."""
    return fnmatch.fnmatchcase(branch, glob)


# --- validation -------------------------------------------------------------------------------

class PolicyError(GuardrailsError):
    pass


def _line_of(text: str, key: str, table: Optional[str] = None) -> Optional[int]:
    """Best-effort line number of ``key`` (or of a ``[table]`` header) in the TOML text."""
    start = 0
    lines = text.splitlines()
    if table is not None:
        hdr = re.compile(r"^\s*\[\s*" + re.escape(table).replace(r"\.", r'\s*\.\s*"?') + r'"?\s*\]')
        for n, line in enumerate(lines):
            if hdr.match(line):
                start = n
                break
    pat = re.compile(r"^\s*\"?" + re.escape(key) + r"\"?\s*=")
    for n in range(start, len(lines)):
        if pat.match(lines[n]):
            return n + 1
    # a table, not a key: `[guardrail]` or `[tasks.a]`
    full = f"{table}.{key}" if table else key
    hdr = re.compile(r"^\s*\[\s*" + re.escape(full).replace(r"\.", r'"?\s*\.\s*"?')
                     + r'"?\s*[\].]')
    for n, line in enumerate(lines):
        if hdr.match(line.replace('"', "")) or hdr.match(line):
            return n + 1
    return None


def _where(path: str, text: str, key: str, table: Optional[str]) -> str:
    line = _line_of(text, key, table)
    full = f"{table}.{key}" if table else key
    return f"{path}:{line}: {full}" if line else f"{path}: {full}"


def _check_keys(path: str, text: str, table: str, data: dict[str, Any],
                known: Sequence[str]) -> None:
    for key in data:
        if key not in known:
            import difflib

            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(known)}"
            raise PolicyError(
                f"{_where(path, text, key, table)}: unknown key `{key}`",
                f"edit {path}: {hint}",
            )


def _str_list(path: str, text: str, table: Optional[str], key: str, value: Any,
              allow_str: bool = False) -> tuple[str, ...]:
    if allow_str and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        kind = "a string or a list of strings" if allow_str else "a list of strings"
        raise PolicyError(
            f"{_where(path, text, key, table)}: must be {kind}, got {type(value).__name__}",
            f'edit {path}: for example {key} = ["src/**"]',
        )
    return tuple(value)


def _patterns(path: str, text: str, table: Optional[str], key: str,
              value: Any) -> tuple[str, ...]:
    from guardrails.scope.patterns import PatternError, validate

    pats = _str_list(path, text, table, key, value)
    try:
        validate(pats)
    except PatternError as e:
        raise PolicyError(
            f"{_where(path, text, key, table)}: bad pattern {e.pattern!r}: {e.reason}",
            f"edit {path}: patterns use .gitignore syntax, e.g. \"src/**\" or \"!src/vendored/**\"",
        ) from None
    return pats


def _positive_int(path: str, text: str, table: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PolicyError(
            f"{_where(path, text, key, table)}: must be a whole number of at least 1, "
            f"got {value!r}",
            f"edit {path}: for example {key} = 40",
        )
    return value


def parse(raw: bytes, source: str, path: str = FILENAME) -> Policy:
    """Parse and validate policy text. Raises PolicyError (exit 2) naming file, key and line."""
    if sys.version_info >= (3, 11):  # imported here: ~10 ms (with typing) a human never pays
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    text = raw.decode("utf-8", errors="replace")
    where = f"{path} ({source})" if source != path else path
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{where}: not valid TOML: {e}", f"fix the syntax in {path}") from None
    _check_keys(where, text, "", data, ("guardrails", "tasks"))
    g = data.get("guardrails", {})
    tasks_data = data.get("tasks", {})
    for name, value in (("guardrails", g), ("tasks", tasks_data)):
        if not isinstance(value, dict):
            raise PolicyError(f"{where}: `{name}` must be a table",
                              f"edit {path}: write it as [{name}]")
    _check_keys(where, text, "guardrails", g, GUARDRAILS_KEYS)
    base = g.get("base", "main")
    if not isinstance(base, str) or not base:
        raise PolicyError(f"{_where(where, text, 'base', 'guardrails')}: must be a branch name",
                          f'edit {path}: base = "main"')
    enforce = g.get("enforce", "agents")
    if enforce not in ENFORCE:
        raise PolicyError(
            f"{_where(where, text, 'enforce', 'guardrails')}: must be \"agents\" or \"always\", "
            f"got {enforce!r}",
            f'edit {path}: enforce = "agents"',
        )
    protected = _str_list(where, text, "guardrails", "protected", g.get("protected", []))
    locked = _patterns(where, text, "guardrails", "locked", g.get("locked", []))
    tasks: dict[str, Task] = {}
    for name, t in tasks_data.items():
        table = f"tasks.{name}"
        if not isinstance(t, dict):
            raise PolicyError(f"{where}: `{table}` must be a table",
                              f"edit {path}: write it as [{table}]")
        _check_keys(where, text, table, t, TASK_KEYS)
        for required in ("branch", "allow"):
            if required not in t:
                raise PolicyError(f"{where}: [{table}] has no `{required}`",
                                  f"edit {path}: add {required} = … to [{table}]")
        branches = _str_list(where, text, table, "branch", t["branch"], allow_str=True)
        if not branches or not all(branches):
            raise PolicyError(f"{_where(where, text, 'branch', table)}: must name a branch glob",
                              f'edit {path}: branch = "agent/{name}"')
        allow = _patterns(where, text, table, "allow", t["allow"])
        if not allow:
            raise PolicyError(
                f"{_where(where, text, 'allow', table)}: is empty, so the task may change nothing",
                f'edit {path}: list what it may change, e.g. allow = ["src/{name}/**"]',
            )
        mf = t.get("max-files")
        ml = t.get("max-lines")
        tasks[name] = Task(
            name=name, branches=branches, allow=allow,
            max_files=None if mf is None else _positive_int(where, text, table, "max-files", mf),
            max_lines=None if ml is None else _positive_int(where, text, table, "max-lines", ml),
        )
    _check_overlaps(where, text, list(tasks.values()))
    return Policy(source=source, base=base, protected=protected, locked=locked,
                  enforce=enforce, tasks=tasks, raw=raw)


def _check_overlaps(where: str, text: str, tasks: list[Task]) -> None:
    for i, a in enumerate(tasks):
        for b in tasks[i + 1:]:
            for ga in a.branches:
                for gb in b.branches:
                    if globs_overlap(ga, gb):
                        raise PolicyError(
                            f"{_where(where, text, 'branch', 'tasks.' + b.name)}: branch glob "
                            f"{gb!r} of task `{b.name}` overlaps {ga!r} of task `{a.name}`: "
                            "a branch must belong to one task",
                            f"edit {where.split(' ')[0]}: make the globs disjoint, "
                            f'e.g. "agent/{a.name}/*" and "agent/{b.name}/*"',
                        )


# --- glob intersection: is there a branch name both globs match? ------------------------------

_ALPHABET = [chr(c) for c in range(32, 127)] + ["\u00e9", "\u4e2d"]


def _tokens(glob: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        if c == "[":
            j = i + 1
            if j < len(glob) and glob[j] in "!^":
                j += 1
            if j < len(glob) and glob[j] == "]":
                j += 1
            end = glob.find("]", j)
            if end != -1:
                out.append(glob[i:end + 1])
                i = end + 1
                continue
        if c == "*":
            if not out or out[-1] != "*":
                out.append("*")
        else:
            out.append(c)
        i += 1
    return out


@functools.cache
def _one_char(token: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(token))


def _chars_meet(a: str, b: str) -> bool:
    if len(a) == 1 and a != "?" and len(b) == 1 and b != "?":
        return a == b
    alphabet = _ALPHABET + [t for t in (a, b) if len(t) == 1]
    ra, rb = _one_char(a), _one_char(b)
    return any(ra.match(c) and rb.match(c) for c in alphabet)


def globs_overlap(a: str, b: str) -> bool:
    """True when some string matches both fnmatch globs (exact for ASCII names)."""
    ta, tb = _tokens(a), _tokens(b)

    @functools.cache
    def meet(i: int, j: int) -> bool:
        if i == len(ta) and j == len(tb):
            return True
        if i < len(ta) and ta[i] == "*":
            if meet(i + 1, j) or (j < len(tb) and meet(i, j + 1)):
                return True
            return False
        if j < len(tb) and tb[j] == "*":
            return meet(i, j + 1) or (i < len(ta) and meet(i + 1, j))
        if i == len(ta) or j == len(tb):
            return False
        return _chars_meet(ta[i], tb[j]) and meet(i + 1, j + 1)

    return meet(0, 0)


# --- loading ------------------------------------------------------------------------------------

def load_at(repo: git.Repo, rev: str, label: Optional[str] = None) -> Optional[Policy]:
    """The policy committed at ``rev`` (None when ``rev`` has no policy file)."""
    commit, blob = git.cat_file(repo, [f"{rev}^{{commit}}", f"{rev}^{{commit}}:{FILENAME}"])
    if commit is None:
        raise GuardrailsError(f"cannot read the policy: `{rev}` is not a commit here",
                              f"git fetch origin {rev}")
    if blob is None or blob.type != "blob":
        return None
    return parse(blob.data, f"{label or rev}@{commit.oid[:7]}")


def trusted_base(repo: git.Repo, config: Optional[dict[str, str]] = None) -> Optional[str]:
    """The local base branch to read the policy from: $GUARDRAILS_BASE, else
    `git config guardrails.base`, else main or master (whichever exists). ``config``: values
    already read with git.config() in the top level (saves a git process)."""
    env = os.environ.get("GUARDRAILS_BASE")
    if env:
        return env
    if config is None:
        config = git.config(repo.toplevel, r"^guardrails\.base$")
    return config.get("guardrails.base", "").strip() or None


def local_base(repo: git.Repo) -> Optional[str]:
    """The local base branch by name, before any policy is read: the configured one, else the
    first of main/master that exists; None when there is none."""
    configured = trusted_base(repo)
    if configured:
        return configured
    for b in DEFAULT_BASES:
        if git.rev_parse(repo, f"refs/heads/{b}") is not None:
            return b
    return None


def load_trusted(repo: git.Repo, config: Optional[dict[str, str]] = None) -> Optional[Policy]:
    """The policy from the local base branch, or None when no base branch has one.

    Reads ``refs/heads/<base>`` only (never the work tree or the current branch). If the policy
    found names another ``base``, that branch's policy is read instead.
    """
    configured = trusted_base(repo, config)
    candidates = (configured,) if configured else DEFAULT_BASES
    specs = []
    for b in candidates:
        specs += [f"refs/heads/{b}", f"refs/heads/{b}:{FILENAME}"]
    objs = git.cat_file(repo, specs)
    for n, b in enumerate(candidates):
        commit, blob = objs[2 * n], objs[2 * n + 1]
        if commit is None:
            continue
        if blob is None or blob.type != "blob":
            return None
        pol = parse(blob.data, f"{b}@{commit.oid[:7]}")
        own = pol.task_for_branch(b) if configured else None
        if own is not None:
            # a task's branch is written by its agent: it cannot be where trust comes from
            origin = "$GUARDRAILS_BASE" if os.environ.get("GUARDRAILS_BASE") else \
                "guardrails.base"
            raise GuardrailsError(
                f"the base branch `{b}` (from {origin}) is the branch of task `{own.name}`, "
                "so its policy cannot be trusted",
                "git config --unset guardrails.base   # or unset GUARDRAILS_BASE; the base is "
                "where agent branches merge back, e.g. main",
            )
        if pol.base != b and not configured:
            other = load_at(repo, f"refs/heads/{pol.base}", pol.base)
            return other
        return pol
    return None


def same_text(worktree: bytes, committed: bytes) -> bool:
    """Whether a work-tree copy holds the committed text: byte for byte, or with the CRLF
    line endings git's checkout writes under core.autocrlf / eol=crlf."""
    return worktree == committed or (b"\r\n" in worktree and
                                     worktree.replace(b"\r\n", b"\n") == committed)


def enforces_always(repo: git.Repo, config: Optional[dict[str, str]] = None) -> bool:
    """Whether the trusted policy says ``enforce = "always"``: all that a human outside any
    session needs to know. The policy text is parsed only when it could say so: TOML cannot
    spell "always" without the word itself or an escape (``\\u0061``), nor move the policy to
    another base without a ``base`` line other than ``base = "<this branch>"``."""
    configured = trusted_base(repo, config)
    candidates = (configured,) if configured else DEFAULT_BASES
    specs = []
    for b in candidates:
        specs += [f"refs/heads/{b}", f"refs/heads/{b}:{FILENAME}"]
    objs = git.cat_file(repo, specs)
    for n, b in enumerate(candidates):
        commit, blob = objs[2 * n], objs[2 * n + 1]
        if commit is None:
            continue
        if blob is None or blob.type != "blob":
            return False
        raw = blob.data
        same_base = re.compile(rb"(?m)^[ \t]*base[ \t]*=[ \t]*[\"']" + re.escape(b.encode())
                               + rb"[\"'][ \t]*(#.*)?\r?$")
        if b"always" not in raw and b"\\" not in raw and (
                b"base" not in raw or (raw.count(b"base") == 1 and same_base.search(raw))):
            return False
        break
    pol = load_trusted(repo, config)
    return pol is not None and pol.enforce == "always"


def worktree_copy(repo: git.Repo) -> Optional[bytes]:
    try:
        with open(os.path.join(repo.toplevel, FILENAME), "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
