""".guardrails.toml: load it from a trusted ref, validate it, pick the task that applies.

Trust: the policy comes from the base branch (locally ``refs/heads/<base>``, in CI the merge-base),
never from the agent's work tree or branch, so an agent cannot widen its own scope. Every loaded
policy carries its provenance (``main@1a2b3c4``) for the verdicts that use it.
"""
from __future__ import annotations

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

    from guardrails.findings import Finding

FILENAME = ".guardrails.toml"
DEFAULT_BASES = ("main", "master")
ENFORCE = ("agents", "always")
HUMAN_COMMITS = ("any", "signed")

GUARDRAILS_KEYS = ("base", "protected", "locked", "enforce", "human-commits", "allowed-signers",
                   "budget-exclude")
TASK_KEYS = ("branch", "allow", "max-files", "max-lines", "branch-max-files", "branch-max-lines",
             "budget-exclude")


class Task(Frozen):
    __slots__ = ("name", "branches", "allow", "max_files", "max_lines",  # noqa: RUF023
                 "branch_max_files", "branch_max_lines", "budget_exclude")
    name: str
    branches: tuple[str, ...]
    allow: tuple[str, ...]
    max_files: Optional[int]
    max_lines: Optional[int]
    branch_max_files: Optional[int]  # over merge-base..head (CI) or the session (locally)
    branch_max_lines: Optional[int]
    budget_exclude: tuple[str, ...]  # the task's own; Policy.budget_exclude adds the global ones

    def __init__(self, name: str, branches: tuple[str, ...], allow: tuple[str, ...],
                 max_files: Optional[int] = None, max_lines: Optional[int] = None,
                 branch_max_files: Optional[int] = None, branch_max_lines: Optional[int] = None,
                 budget_exclude: tuple[str, ...] = ()) -> None:
        super().__init__(name, branches, allow, max_files, max_lines, branch_max_files,
                         branch_max_lines, budget_exclude)

    def covers(self, branch: str) -> bool:
        return any(branch_match(branch, g) for g in self.branches)

    @property
    def has_budget(self) -> bool:
        return any(v is not None for v in (self.max_files, self.max_lines,
                                           self.branch_max_files, self.branch_max_lines))


class Policy(Frozen):
    __slots__ = ("source", "base", "protected", "locked", "enforce", "tasks", "raw",  # noqa: RUF023
                 "human_commits", "allowed_signers", "budget_exclude")
    source: str  # provenance: "main@1a2b3c4", "HEAD~3@…", or a file path for a work-tree copy
    base: str
    protected: tuple[str, ...]
    locked: tuple[str, ...]
    enforce: str
    tasks: dict[str, Task]
    raw: bytes
    human_commits: str  # "any" | "signed": in CI, a human's commit must verify against …
    allowed_signers: Optional[str]  # … this file (a path on the base branch)
    budget_exclude: tuple[str, ...]  # left out of every task's budgets

    def __init__(self, source: str, base: str = "main", protected: tuple[str, ...] = (),
                 locked: tuple[str, ...] = (), enforce: str = "agents",
                 tasks: Optional[dict[str, Task]] = None, raw: bytes = b"",
                 human_commits: str = "any", allowed_signers: Optional[str] = None,
                 budget_exclude: tuple[str, ...] = ()) -> None:
        super().__init__(source, base, protected, locked, enforce,
                         {} if tasks is None else tasks, raw, human_commits, allowed_signers,
                         budget_exclude)

    def budget_excluded(self, task: Task) -> tuple[str, ...]:
        """Patterns of the paths left out of ``task``'s budgets: the policy's, then the task's."""
        return (*self.budget_exclude, *task.budget_exclude)

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
    """Branch globs are fnmatch globs on the full short name; ``*`` also matches ``/``. A
    glob without ``?`` or ``[`` and at most one ``*``, at its end (``main``, ``agent/*``), is
    matched with str methods: fnmatch compiles a regex per glob."""
    star = glob.find("*")
    if "?" not in glob and "[" not in glob and star in (-1, len(glob) - 1):
        return branch == glob if star < 0 else branch.startswith(glob[:-1])
    import fnmatch

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


def _task(where: str, text: str, path: str, name: str, t: Any) -> Task:
    """One ``[tasks.NAME]`` table, validated."""
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
    budgets = {key: None if t.get(key) is None else
               _positive_int(where, text, table, key, t[key])
               for key in ("max-files", "max-lines", "branch-max-files", "branch-max-lines")}
    return Task(
        name=name, branches=branches, allow=allow,
        max_files=budgets["max-files"], max_lines=budgets["max-lines"],
        branch_max_files=budgets["branch-max-files"],
        branch_max_lines=budgets["branch-max-lines"],
        budget_exclude=_patterns(where, text, table, "budget-exclude",
                                 t.get("budget-exclude", [])),
    )


def parse(raw: bytes, source: str, path: str = FILENAME) -> Policy:
    """Parse and validate policy text. Raises PolicyError (exit 2) naming file, key and line."""
    text = raw.decode("utf-8", errors="replace")
    where = f"{path} ({source})" if source != path else path
    data = _toml(text, where, path)
    _check_keys(where, text, "", data, ("guardrails", "tasks"))
    g = data.get("guardrails", {})
    tasks_data = data.get("tasks", {})
    for name, value in (("guardrails", g), ("tasks", tasks_data)):
        if not isinstance(value, dict):
            raise PolicyError(f"{where}: `{name}` must be a table",
                              f"edit {path}: write it as [{name}]")
    fields = _guardrails_table(where, text, path, g)
    tasks = {name: _task(where, text, path, name, t) for name, t in tasks_data.items()}
    _check_overlaps(where, text, list(tasks.values()))
    return Policy(source=source, tasks=tasks, raw=raw, **fields)


def _toml(text: str, where: str, path: str) -> dict[str, Any]:
    """The document as ``tomllib`` reads it: the usual policy through guardrails.scope.toml_lite
    (no tomllib import), anything else through tomllib itself (and its errors)."""
    from guardrails.scope import toml_lite

    data = toml_lite.loads(text)
    if data is not None:
        return data
    if sys.version_info >= (3, 11):  # imported here: ~5 ms (with typing) most commits never pay
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        parsed: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{where}: not valid TOML: {e}", f"fix the syntax in {path}") from None
    return parsed


def _guardrails_table(where: str, text: str, path: str, g: dict[str, Any]) -> dict[str, Any]:
    """The ``[guardrails]`` table, validated: Policy's keyword arguments but source, tasks and
    raw."""
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
    human, signers = _signing(where, text, path, g)
    excluded = _patterns(where, text, "guardrails", "budget-exclude", g.get("budget-exclude", []))
    return {"base": base, "protected": protected, "locked": locked, "enforce": enforce,
            "human_commits": human,
            "allowed_signers": None if signers is None else signers.lstrip("/"),
            "budget_exclude": excluded}


def _signing(where: str, text: str, path: str, g: dict[str, Any]) -> tuple[str, Optional[str]]:
    """``human-commits`` and ``allowed-signers`` of ``[guardrails]``, validated."""
    human = g.get("human-commits", "any")
    if human not in HUMAN_COMMITS:
        raise PolicyError(
            f"{_where(where, text, 'human-commits', 'guardrails')}: must be \"any\" or "
            f"\"signed\", got {human!r}",
            f'edit {path}: human-commits = "signed" (with allowed-signers = "PATH"), or "any"',
        )
    signers = g.get("allowed-signers")
    if signers is not None and (not isinstance(signers, str) or not signers.strip("/")):
        raise PolicyError(
            f"{_where(where, text, 'allowed-signers', 'guardrails')}: must be a path on the "
            f"base branch, got {signers!r}",
            f'edit {path}: allowed-signers = ".github/allowed_signers"')
    if human == "signed" and signers is None:
        raise PolicyError(
            f"{_where(where, text, 'human-commits', 'guardrails')}: \"signed\" needs "
            "allowed-signers, the file of keys whose signatures make a commit a human's",
            f'edit {path}: add allowed-signers = ".github/allowed_signers" under [guardrails] '
            "(ssh allowed_signers format: docs/ci.md)")
    return str(human), signers


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
    import fnmatch

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

def specs_at(rev: str) -> list[str]:
    """The objects :func:`load_at` reads (git.cat_file), for a caller that starts it ahead."""
    return [f"{rev}^{{commit}}", f"{rev}^{{commit}}:{FILENAME}"]


def load_at(repo: git.Repo, rev: str, label: Optional[str] = None) -> Optional[Policy]:
    """The policy committed at ``rev`` (None when ``rev`` has no policy file)."""
    commit, blob = git.cat_file(repo, specs_at(rev))
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
        return _branch_name(env, "$GUARDRAILS_BASE", "unset GUARDRAILS_BASE")
    if config is None:
        config = git.config(repo.toplevel, r"^guardrails\.base$")
    value = config.get("guardrails.base", "").strip() or None
    if value is not None:
        return _branch_name(value, "guardrails.base",
                            "git config --unset guardrails.base   (or set a branch: "
                            "git config guardrails.base main)")
    return value


def _branch_name(value: str, origin: str, fix: str) -> str:
    """A configured base is a branch name (never an option, a revision expression or odd
    bytes that reach git); exit 2 otherwise."""
    from guardrails import state

    try:
        return state.branch(value)
    except state.Invalid:
        from guardrails.findings import printable

        raise GuardrailsError(f"{origin}={printable(value)!r} is not a branch name", fix) \
            from None


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


def _base_objects(repo: git.Repo, config: Optional[dict[str, str]]
                  ) -> tuple[Optional[str], tuple[str, ...], list[Optional[git.Object]]]:
    """The configured base (or None), the base branches to try, and for each its commit and
    policy blob (one ``git cat-file --batch``)."""
    configured = trusted_base(repo, config)
    candidates = (configured,) if configured else DEFAULT_BASES
    return configured, candidates, git.cat_file(repo, _base_specs(candidates))


def _base_specs(candidates: Sequence[str]) -> list[str]:
    specs = []
    for b in candidates:
        specs += [f"refs/heads/{b}", f"refs/heads/{b}:{FILENAME}"]
    return specs


def prefetch(repo: git.Repo) -> None:
    """Start :func:`load_trusted`'s ``git cat-file`` ahead for the default bases (see
    git.prefetch) unless $GUARDRAILS_BASE names one; a ``guardrails.base`` in the config,
    known only once ``git config`` answered, leaves it uncollected."""
    if not os.environ.get("GUARDRAILS_BASE"):
        git.prefetch("cat-file", "--batch", cwd=repo.toplevel,
                     input=git.batch_input(_base_specs(DEFAULT_BASES)))


def load_trusted(repo: git.Repo, config: Optional[dict[str, str]] = None) -> Optional[Policy]:
    """The policy from the local base branch, or None when no base branch has one.

    Reads ``refs/heads/<base>`` only (never the work tree or the current branch). If the policy
    found names another ``base``, that branch's policy is read instead.
    """
    configured, candidates, objs = _base_objects(repo, config)
    for n, b in enumerate(candidates):
        commit, blob = objs[2 * n], objs[2 * n + 1]
        if commit is None and configured:
            origin = "$GUARDRAILS_BASE" if os.environ.get("GUARDRAILS_BASE") else \
                "guardrails.base"
            raise GuardrailsError(
                f"the base branch `{b}` (from {origin}) does not exist here, so there is no "
                "trusted policy to read",
                ("unset GUARDRAILS_BASE" if origin.startswith("$") else
                 "git config --unset guardrails.base")
                + f"   (or create it: git fetch origin {b}:{b})")
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


def staged_policy_findings(repo: git.Repo, branch: Optional[str], trusted: Optional[Policy],
                           config: Optional[dict[str, str]] = None
                           ) -> tuple[list[Finding], bool]:
    """A commit on the base branch that changes the policy is judged by the new file: an
    error finding when the staged .guardrails.toml does not parse (line and column), and
    whether the commit replaces the trusted policy with a valid one (so a broken trusted
    policy is being repaired). One ``git cat-file`` for commits on the base branch only."""
    if branch is None:
        return [], False
    bases = {trusted.base} if trusted is not None else set()
    configured = trusted_base(repo, config)
    bases |= {configured} if configured else set(DEFAULT_BASES)
    if branch not in bases:
        return [], False
    staged, head = git.cat_file(repo, [f":{FILENAME}", f"HEAD:{FILENAME}"])
    if staged is None or staged.type != "blob" or (head is not None and head.data == staged.data):
        return [], False
    from guardrails.findings import Finding

    try:
        parse(staged.data, "staged")
    except PolicyError as e:
        return [Finding("policy-invalid", f"the staged {FILENAME} is not a valid policy: "
                        f"{e.message}", e.fix or f"fix {FILENAME}, then git add {FILENAME}",
                        path=FILENAME)], False
    return [], True


def same_text(worktree: bytes, committed: bytes) -> bool:
    """Whether a work-tree copy holds the committed text: byte for byte, or with the CRLF
    line endings git's checkout writes under core.autocrlf / eol=crlf."""
    return worktree == committed or (b"\r\n" in worktree and
                                     worktree.replace(b"\r\n", b"\n") == committed)


VALID_CACHE = "policy-valid"  # in <common>/guardrails/: the blob id last seen to parse


def _known_valid(repo: git.Repo, blob: git.Object) -> None:
    """Raise PolicyError unless ``blob`` parses; a blob once seen to parse is remembered (by
    id) so a human's next commit does not parse it again. The record is agent-writable, and
    all a forged one can do is spare a human the warning about a broken policy: humans are
    never judged by it, and agents never take this path."""
    path = repo.common_path("guardrails", VALID_CACHE)
    try:
        with open(path, "rb") as f:
            if f.read(80).strip() == blob.oid.encode():
                return
    except OSError:
        pass
    parse(blob.data, "base")  # PolicyError: the caller shows it
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(blob.oid.encode() + b"\n")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only git dir: parsed again next time


def enforces_always(repo: git.Repo, config: Optional[dict[str, str]] = None,
                    valid: bool = False) -> bool:
    """Whether the trusted policy says ``enforce = "always"``: all that a human outside any
    session needs to know. The policy text is parsed only when it could say so: TOML cannot
    spell "always" without the word itself or an escape (``\\u0061``), nor move the policy to
    another base without a ``base`` line other than ``base = "<this branch>"``. ``valid``: also
    raise PolicyError for a policy that does not parse (once per policy blob)."""
    _configured, candidates, objs = _base_objects(repo, config)
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
            if valid:
                _known_valid(repo, blob)
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


# --- asking the policy: which line decided, and lint --------------------------------------------

def pattern_lines(text: str, table: str, key: str,
                  patterns: Sequence[str]) -> dict[int, Optional[int]]:
    """index in ``patterns`` -> line (1-based) where that string is written under ``[table]``
    ``key`` (an array, possibly over several lines), best effort: None when not found."""
    import json

    first = _line_of(text, key, table or None)
    lines = text.splitlines()
    out: dict[int, Optional[int]] = {}
    pos = (first or 1) - 1
    for i, p in enumerate(patterns):
        forms = (json.dumps(p, ensure_ascii=False), f"'{p}'", json.dumps(p))
        out[i] = None
        for n in range(pos, len(lines)):
            if any(f in lines[n] for f in forms):
                out[i] = n + 1
                pos = n
                break
    return out


def deciding(patterns: Sequence[str], path: str) -> Optional[int]:
    """Index of the pattern that decides ``path`` (the last one matching it, ``!`` patterns
    included: gitignore semantics), or None when none matches."""
    from guardrails.scope.patterns import Matcher

    for i in range(len(patterns) - 1, -1, -1):
        p = patterns[i]
        body = p[1:] if p.startswith("!") else p
        if body and Matcher([body]).match(path):
            return i
    return None


def _lint(pol: Policy) -> dict[str, Any]:
    """What every lint Finding shares: a warning at the policy file, naming the policy."""
    return {"severity": "warning", "path": FILENAME, "policy": pol.source}


def lint_static(pol: Policy, tasks: Optional[Sequence[Task]] = None) -> list[Any]:
    """Warnings that need only the policy: an ``allow`` pattern without a slash (but a trailing
    one) matches at any depth, so ``config.json`` also allows ``src/deep/config.json``."""
    from guardrails.findings import Finding

    text = pol.raw.decode("utf-8", errors="replace")
    found = []
    for t in (pol.tasks.values() if tasks is None else tasks):
        where: Optional[dict[int, Optional[int]]] = None  # read only when a pattern is flagged
        for i, p in enumerate(t.allow):
            body = p[1:] if p.startswith("!") else p
            if p.startswith("!") or "/" in body.rstrip("/") or body.strip("*") == "":
                continue  # ("*", "**": everything, at any depth, is what they say)
            if where is None:
                where = pattern_lines(text, f"tasks.{t.name}", "allow", t.allow)
            line = where.get(i)
            found.append(Finding(
                "policy-slashless-pattern",
                f"{FILENAME}{':' + str(line) if line else ''}: [tasks.{t.name}] allow "
                f"{p!r} has no slash, so it matches at any depth, as in .gitignore "
                f"({_deep_example(body)})",
                f"write \"/{body}\" for the top level only, or \"**/{body}\" to say any depth "
                f"(a human's change to [tasks.{t.name}] on {pol.base}); see which pattern "
                "decides a path: git guardrails explain PATH", **_lint(pol)))
    return found


def _deep_example(body: str) -> str:
    name = body.rstrip("/")
    if any(c in name for c in "*?[\\"):
        return f"{name} in every directory"
    return f"src/deep/{name} too"


def lint_tree(pol: Policy, paths: Sequence[str]) -> list[Any]:
    """Warnings that need the base branch's files (``paths``): an allow or budget-exclude
    pattern that matches none of them (``locked`` is left out: locking a file before it
    exists is the point), and two tasks whose allow patterns both match some of them (their
    agents would change the same files)."""
    from guardrails.findings import Finding
    from guardrails.scope.patterns import Matcher

    text = pol.raw.decode("utf-8", errors="replace")
    found = []
    lists: list[tuple[str, str, tuple[str, ...]]] = [
        ("guardrails", "budget-exclude", pol.budget_exclude)]
    for t in pol.tasks.values():
        lists += [(f"tasks.{t.name}", "allow", t.allow),
                  (f"tasks.{t.name}", "budget-exclude", t.budget_exclude)]
    for table, key, pats in lists:
        where = pattern_lines(text, table, key, pats)
        for i, p in enumerate(pats):
            if p.startswith("!") or Matcher([p]).matching(paths):
                continue
            line = where.get(i)
            found.append(Finding(
                "policy-pattern-matches-nothing",
                f"{FILENAME}{':' + str(line) if line else ''}: [{table}] {key} {p!r} matches no "
                f"file on {pol.base} ({pol.source}): a typo, or a path not created yet",
                f"check the spelling (git ls-tree -r --name-only {pol.base}); a pattern for "
                "files to come is fine", **_lint(pol)))
    allowed = {t.name: Matcher(t.allow).matching(paths) for t in pol.tasks.values()}
    names = list(allowed)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            both = sorted(allowed[a] & allowed[b])
            if both:
                shown = ", ".join(both[:3]) + (f" and {len(both) - 3} more" if len(both) > 3
                                               else "")
                found.append(Finding(
                    "policy-tasks-overlap",
                    f"{FILENAME}: tasks `{a}` and `{b}` may both change {shown}: their agents "
                    "can change the same files in parallel",
                    f"narrow one task's allow (git guardrails explain --task {a} PATH shows "
                    "which pattern allows it), or add a \"!\" pattern", **_lint(pol)))
    return found
