"""The one decision core behind every agent's pre-tool hook.

An adapter (``guardrails/agents/<agent>.py``) turns its agent's payload into :class:`Call`
records; :func:`decide` returns a :class:`Verdict` (block, with a rule id, a message and the
fix) or None (allow). What is judged:

- **shell commands**: the shell-command analysis (``guardrails.skipped.shellcmd``): commands
  that skip hooks or switch the guard off are blocked; the files a command writes are judged
  like edits for the rules that do not depend on the task (git's directory, agent
  configuration, another worktree); a command that commits can be checked before it runs
  (:func:`commit_findings`, for agents under which git hooks never run).
- **edits** (every path an edit tool names): never inside a git directory, never agent
  configuration; inside a session, only in that session's worktree (the real temporary
  directory excepted), never ``locked``, only inside the task's ``allow``.
- **entering another worktree** while a session is active.

The session is found from the path being edited and from the agent's project directory
(``CLAUDE_PROJECT_DIR`` / ``GEMINI_PROJECT_DIR``) as well as from the payload's ``cwd``: an edit
into the main checkout or into another session's worktree is blocked whatever directory the
agent ``cd``'d into.
"""
from __future__ import annotations

import os

from guardrails.agents import paths as P
from guardrails.errors import GuardrailsError
from guardrails.records import Frozen, Record

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, Optional

    from guardrails.sessions.session import Session

SHELL, EDIT, ENTER, OTHER = "shell", "edit", "enter", "other"
# rule ids (guardrails/rules.py, docs/rules.md)
HOOK_ERROR = "agent-hook-error"
CONFIG = "agent-config-protected"
GIT_DIR = "agent-edit-git-dir"
OTHER_TREE = "agent-edit-other-worktree"
OUT_OF_SCOPE = "agent-edit-out-of-scope"
LOCKED = "agent-edit-locked"
COMMIT_CHECKS = "agent-commit-checks"
PROJECT_VARS = ("CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR")


class Call(Record):
    """One tool call, whatever agent made it."""

    __slots__ = ("tool", "kind", "command", "paths", "cwd")  # noqa: RUF023

    def __init__(self, tool: str, kind: str, cwd: str, command: str = "",
                 paths: Optional[list[str]] = None) -> None:
        self.tool = tool
        self.kind = kind  # SHELL, EDIT, ENTER or OTHER
        self.command = command  # SHELL: the command line
        self.paths: list[str] = paths or []  # EDIT / ENTER: as the agent wrote them
        self.cwd = cwd  # where the command runs / relative paths resolve


class Verdict(Frozen):
    """Why a call is blocked: a rule id, what is wrong, and what to do instead."""

    __slots__ = ("rule", "message", "fix")  # noqa: RUF023
    rule: str
    message: str
    fix: str

    def __init__(self, rule: str, message: str, fix: str) -> None:
        super().__init__(rule, message, fix)

    def text(self) -> str:
        return f"git-guardrails: blocked ({self.rule}): {self.message}\n  fix: {self.fix}"


class Where(Record):
    """The worktree and session an agent works in, found once per hook call."""

    __slots__ = ("tree", "session", "candidates")  # noqa: RUF023

    def __init__(self, tree: Optional[P.Tree], session: Optional[Session],
                 candidates: list[P.Tree]) -> None:
        self.tree = tree  # the session's worktree (or the cwd's, without a session)
        self.session = session
        self.candidates = candidates  # every worktree the agent may be said to be in


def analyze(command: str, cwd: Optional[str]) -> Any:
    """The shell-command analysis (``guardrails.skipped.shellcmd.analyze``): ``.reasons``
    (``.rule``, ``.message``), ``.commits``, ``.commit_dirs``, ``.stages``, ``.writes``. The one
    place that names the analysis module."""
    key = (command, cwd)
    if key not in _ANALYSES:
        from guardrails.skipped import shellcmd

        _ANALYSES[key] = shellcmd.analyze(command, cwd=cwd)
    return _ANALYSES[key]


_ANALYSES: dict[tuple[str, Optional[str]], Any] = {}


def session_of(tree: P.Tree) -> Optional[Session]:
    """The tree's session (a broken record raises, with its fix: the hook then blocks)."""
    from guardrails.sessions import session as sessions

    return sessions.load(tree.git_dir)


def where(cwd: str, env: Mapping[str, str]) -> Where:
    """The worktree and session of the agent: the project directory's and the cwd's worktrees
    are candidates; the first one with a session is the session's (the project directory
    stays where the agent started, the cwd follows ``cd``; Claude Code's ``--worktree`` keeps
    the project directory in the main checkout, so a session only the cwd has counts too)."""
    candidates: list[P.Tree] = []
    for d in [*(env.get(v) for v in PROJECT_VARS), cwd]:
        if not d or not os.path.isdir(d):
            continue
        t = P.tree_of(os.path.realpath(d))
        if t is not None and t not in candidates:
            candidates.append(t)
    for t in candidates:
        s = session_of(t)
        if s is not None:
            return Where(t, s, candidates)
    cwd_tree = P.tree_of(os.path.realpath(cwd))
    return Where(cwd_tree, None, candidates)


def _git_dir_verdict(shown: str, target: str, tree: Optional[P.Tree]) -> Optional[Verdict]:
    if P.in_git_dir(target, tree):
        return Verdict(GIT_DIR, f"{shown} is inside a git directory: hooks, config and session "
                       "records are not the agent's to write",
                       "leave .git alone; a human runs `git guardrails doctor` if hooks or "
                       "config need repair")
    return None


def judge_path(path: str, call: Call, at: Where, scope: bool = True) -> Optional[Verdict]:
    """The verdict for one path an edit (or, with ``scope=False``, a shell write) touches."""
    target = P.resolve(path, call.cwd)
    tree = P.tree_of(target)
    v = _git_dir_verdict(path, target, tree)
    if v is not None:
        return v
    why = P.protected(target, tree)
    if why is not None:
        return Verdict(CONFIG, f"{path}: {why}; agents may not change it, whatever the task "
                       "allows (it could turn the hooks off)",
                       "ask a human to make that change outside the agent")
    if not _scoped(at):
        # Neither a session nor a task: the agent may write anywhere but into another
        # session's worktree.
        if tree is not None and (at.tree is None or tree.top != at.tree.top) \
                and session_of(tree) is not None:
            return Verdict(OTHER_TREE, f"{path} is in the worktree of another session "
                           f"({tree.top})", f"work in your own worktree, or cd {tree.top}")
        return None
    assert at.tree is not None
    own = at.tree.top
    if tree is None or tree.top != own:
        if tree is None and P.within(target, P.real_tmp()):
            return None  # scratch files in the real temporary directory
        where_ = f"in the worktree {tree.top}" if tree is not None else "outside any worktree"
        if tree is not None and tree.top == tree.main_top:
            where_ = f"in the main checkout {tree.top}"
        label = "this session's worktree" if at.session is not None else \
            "this task's worktree"
        return Verdict(OTHER_TREE, f"{path} is {where_}, outside {label} ({own}): an agent "
                       "writes only in its own worktree", f"write the file under {own} instead")
    if not scope:
        return None
    rel = os.path.relpath(target, own).replace(os.sep, "/")
    return _scope_verdict(rel, at)


_CTX: dict[str, Any] = {}


def _scoped(at: Where) -> bool:
    """The agent works under a scope: a session, or a task of the trusted policy that covers
    its worktree's branch (what the commit checks would apply too)."""
    if at.session is not None:
        return True
    return at.tree is not None and at.tree.top != at.tree.main_top and \
        _context(at).task is not None


class _Scope(Record):
    """The trusted policy's ``locked`` and the task an agent's worktree works under."""

    __slots__ = ("source", "locked", "task", "allow", "scope_source")  # noqa: RUF023

    def __init__(self, source: str, locked: list[str], task: Optional[str],
                 allow: list[str], scope_source: str) -> None:
        self.source = source  # the policy's provenance ("main@1a2b3c4"), "" without one
        self.locked = locked
        self.task = task  # the task's name, "ad hoc", or None (no task: no allow check)
        self.allow = allow
        self.scope_source = scope_source


CACHE = "agent-hook-scope.json"


def _stamp(path: str) -> list[int]:
    try:
        st = os.stat(path)
    except OSError:
        return []
    return [st.st_ino, st.st_mtime_ns, st.st_size]


def _key(tree: P.Tree, bases: list[str]) -> list[Any]:
    """What the scope depends on, read with stats only: the base branches' refs (loose,
    packed, reftable), git config, the worktree's HEAD and session record, $GUARDRAILS_BASE."""
    c, g = tree.common_dir, tree.git_dir
    return [os.environ.get("GUARDRAILS_BASE", ""), _stamp(os.path.join(c, "config")),
            _stamp(os.path.join(g, "config.worktree")), _stamp(os.path.join(c, "packed-refs")),
            _stamp(os.path.join(c, "reftable", "tables.list")), _stamp(os.path.join(g, "HEAD")),
            _stamp(os.path.join(g, "guardrails", "session.json")),
            *[_stamp(os.path.join(c, "refs", "heads", *b.split("/"))) for b in bases]]


def _context(at: Where) -> _Scope:
    """The worktree's trusted ``locked`` and task, as ``guardrails.context.build`` resolves
    them (a session's task or ad-hoc patterns, else the task that covers the branch). The
    answer is kept in the worktree's git dir keyed by what it depends on, so a call reads the
    policy (two git processes and the TOML parser) only after that changed."""
    assert at.tree is not None
    tree = at.tree
    if tree.top in _CTX:
        return _CTX[tree.top]  # type: ignore[no-any-return]
    import json

    path = os.path.join(tree.git_dir, "guardrails", CACHE)
    try:
        with open(path, "rb") as f:
            cached = json.loads(f.read())
        if cached["key"] == _key(tree, cached["bases"]):
            _CTX[tree.top] = _Scope(*cached["scope"])
            return _CTX[tree.top]  # type: ignore[no-any-return]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    bases, scope = _read_scope(at)
    _CTX[tree.top] = scope
    try:
        from guardrails import state

        state.write_bytes(path, state.dumps({"key": _key(tree, bases), "bases": bases,
                                             "scope": [scope.source, scope.locked, scope.task,
                                                       scope.allow, scope.scope_source]}),
                          durable=False)
    except OSError:
        pass  # a cache: the next call reads the policy again
    return scope


def _read_scope(at: Where) -> tuple[list[str], _Scope]:
    from guardrails import git
    from guardrails.scope import policy as policies

    assert at.tree is not None
    here = os.getcwd()
    os.chdir(at.tree.top)  # hook_repo reads the worktree's .git, HEAD and config without git
    try:
        repo = git.hook_repo()
    finally:
        os.chdir(here)
    pol = policies.load_trusted(repo)
    configured = policies.trusted_base(repo)
    bases = list(dict.fromkeys([*(([configured] if configured else []) or
                                  list(policies.DEFAULT_BASES)),
                                *([pol.base] if pol is not None else [])]))
    sess = at.session
    source = pol.source if pol is not None else ""
    locked = list(pol.locked) if pol is not None else []
    covering = pol.task_for_branch(sess.branch or repo.branch) if pol is not None and \
        sess is not None and sess.allow and not sess.task else None
    if sess is not None and sess.allow and not sess.task and covering is None:
        # (an ad-hoc scope never widens a task that covers the branch: context.build)
        return bases, _Scope(source, locked, "ad hoc", list(sess.allow), "session (ad hoc)")
    task = covering
    if task is None and pol is not None:
        task = pol.tasks.get(sess.task) if sess is not None and sess.task else \
            pol.task_for_branch(repo.branch)
    if task is None:
        return bases, _Scope(source, locked, None, [], source)
    return bases, _Scope(source, locked, task.name, list(task.allow), source)


def _scope_verdict(rel: str, at: Where) -> Optional[Verdict]:
    from guardrails.scope.patterns import Matcher

    ctx = _context(at)
    if ctx.locked and Matcher(ctx.locked).match(rel):
        return Verdict(LOCKED, f"{rel} is locked by the policy ({ctx.source}): no agent "
                       "may change it", "leave it to a human, on the base branch")
    if ctx.task is not None and not Matcher(ctx.allow).match(rel):
        label = "the ad-hoc session" if ctx.scope_source == "session (ad hoc)" else \
            f"task `{ctx.task}`"
        return Verdict(OUT_OF_SCOPE, f"{rel} is outside the allow patterns of {label} "
                       f"({', '.join(ctx.allow)}; {ctx.scope_source})",
                       "edit only files in scope, or ask a human to widen the task on the "
                       "base branch")
    return None


def decide(call: Call, env: Mapping[str, str]) -> Optional[Verdict]:
    """Block (a :class:`Verdict`) or allow (None) one call."""
    if call.kind == OTHER:
        return None
    at = where(call.cwd, env)
    if call.kind == SHELL:
        return _shell(call, at)
    if call.kind == ENTER:
        return _enter(call, at)
    for p in call.paths:
        v = judge_path(p, call, at)
        if v is not None:
            return v
    return None


def _shell(call: Call, at: Where) -> Optional[Verdict]:
    a = analyze(call.command, call.cwd)
    if a.reasons:
        rule = a.reasons[0].rule
        msgs = "; ".join(dict.fromkeys(r.message for r in a.reasons))
        what = {"agent-skips-hooks": "skips git hooks",
                "agent-disables-guard": "switches the guardrails off",
                "agent-unresolved-command": "cannot be judged before it runs"}.get(
                    rule, "is refused")
        return Verdict(rule, f"this command {what}: {msgs}",
                       "run it without that (no --no-verify/-n, no SKIP=, no core.hooksPath, "
                       "hooks left installed) and fix what the hooks report")
    for w in getattr(a, "writes", []):
        v = judge_path(w, call, at, scope=False)
        if v is not None:
            return v
    return None


def _enter(call: Call, at: Where) -> Optional[Verdict]:
    if at.session is None or at.tree is None:
        return None
    for p in call.paths:
        target = P.resolve(p, call.cwd)
        tree = P.tree_of(target)
        if tree is None or tree.top != at.tree.top:
            return Verdict(OTHER_TREE, f"entering {p} would leave this session's worktree "
                           f"({at.tree.top})", f"stay in {at.tree.top}; end the session first "
                           "(`git guardrails finish`) to work elsewhere")
    return None


def commits(call: Call) -> bool:
    """The call's command runs ``git commit``."""
    return call.kind == SHELL and bool(getattr(analyze(call.command, call.cwd), "commits", False))


def commit_findings(call: Call) -> list[Any]:
    """The pre-commit checks the combined ``guardrails`` hook runs (``checks.PRE_COMMIT``),
    run now on what the command would commit: for agents under which git hooks never run.

    When the command also stages (``git add``, ``commit -a``/``--all``), the checks judge a
    temporary index with every change of the work tree staged: what it may commit at most."""
    from guardrails import checks, context, git

    a = analyze(call.command, call.cwd)
    dirs = list(dict.fromkeys(getattr(a, "commit_dirs", []) or [call.cwd]))
    found: list[Any] = []
    for d in dirs:
        d = d if os.path.isabs(d) else os.path.join(call.cwd, d)
        if not os.path.isdir(d):
            continue
        repo = git.discover(d)
        restore = os.environ.get("GIT_INDEX_FILE")
        stages = getattr(a, "stages", None)
        tmp = _staging_index(repo, _stages(call.command) if stages is None else bool(stages))
        try:
            if tmp is not None:
                os.environ["GIT_INDEX_FILE"] = tmp
            ctx = context.build(repo)
            found += checks.run(ctx, checks.PRE_COMMIT)
        finally:
            if tmp is not None:
                if restore is None:
                    os.environ.pop("GIT_INDEX_FILE", None)
                else:
                    os.environ["GIT_INDEX_FILE"] = restore
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
    return found


def _stages(command: str) -> bool:
    """The command may stage before it commits (``git add``/``rm``/``mv``, ``commit -a``).
    Read with shlex on its own (a plain word scan): when in doubt, True."""
    import shlex

    try:
        lex = shlex.shlex(command, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        words = list(lex)
    except ValueError:
        return True
    for i, w in enumerate(words):
        if os.path.basename(w) not in ("git", "git.exe"):
            continue
        rest = words[i + 1:]
        sub = next((r for r in rest if not r.startswith("-")), "")
        if sub in ("add", "stage", "rm", "mv", "apply", "checkout", "restore"):
            return True
        if sub == "commit" and any(r in ("-a", "--all") or (r.startswith("-") and not
                                   r.startswith("--") and "a" in r[1:].split("m")[0])
                                   for r in rest):
            return True
    return False


def _staging_index(repo: Any, stages: bool) -> Optional[str]:
    """A temporary copy of the index with the whole work tree staged, when the command stages
    before it commits; None to judge the index as it is."""
    if not stages:
        return None
    import shutil
    import tempfile

    from guardrails import git

    fd, tmp = tempfile.mkstemp(prefix="guardrails-index.")
    os.close(fd)
    src = os.environ.get("GIT_INDEX_FILE") or os.path.join(repo.git_dir, "index")
    if os.path.exists(src):
        shutil.copyfile(src, tmp)
    else:
        os.unlink(tmp)
    git.run("add", "-A", cwd=repo.toplevel, write=True, env={"GIT_INDEX_FILE": tmp})
    return tmp


def check_env(cwd: str, env: Mapping[str, str]) -> Optional[Verdict]:
    """Problems that make every answer unreliable: the hook then blocks (fail closed)."""
    if not os.path.isdir(cwd):
        return Verdict(HOOK_ERROR, f"the payload's cwd {cwd!r} does not exist or is not a "
                       "directory, so the hook cannot tell which worktree the call is in",
                       "cd into an existing worktree (or restart the agent there)")
    if not _which("git", env):
        return Verdict(HOOK_ERROR, "git is not installed or not on PATH: the hook cannot judge "
                       "the call", "install git (apt-get install git) and put it on PATH")
    given = env.get("GIT_DIR")
    if given:
        tree = P.tree_of(os.path.realpath(cwd))
        real = os.path.realpath(os.path.join(cwd, given))
        if tree is None or real != os.path.realpath(tree.git_dir):
            return Verdict(HOOK_ERROR, f"an inherited GIT_DIR={given} points elsewhere than "
                           f"the repository around {cwd}: git commands would act on another "
                           "repository", "unset GIT_DIR GIT_WORK_TREE (and restart the agent "
                           "without them)")
    return None


def _which(name: str, env: Mapping[str, str]) -> bool:
    for d in env.get("PATH", os.defpath).split(os.pathsep):
        p = os.path.join(d or ".", name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return True
    return False


def run(calls: Sequence[Call], env: Mapping[str, str]) -> Optional[Verdict]:
    """Decide every call of one payload: the first block wins."""
    for call in calls:
        v = check_env(call.cwd, env)
        if v is not None:
            return v
        try:
            v = decide(call, env)
        except GuardrailsError as e:
            return Verdict(HOOK_ERROR, e.message, e.fix or "see `git guardrails doctor`")
        if v is not None:
            return v
    return None
