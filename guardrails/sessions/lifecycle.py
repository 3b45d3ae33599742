"""Starting and ending sessions, and creating and removing worktrees for them.

Every write to shared state (the stash, branches, worktree entries, session records that other
worktrees check for ownership) happens under guardrails.state, the one flock in the common dir,
and through ``git.run(write=True)``, which retries git's transient lock failures. Every refusal
raises GuardrailsError (exit 2) before anything is changed, with the command that fixes it.
"""
from __future__ import annotations

import os
import shlex
import shutil
import time
from collections.abc import Mapping, Sequence
from typing import Optional

from guardrails import git, state
from guardrails.errors import GuardrailsError
from guardrails.findings import printable, shell_path
from guardrails.git import worktrees
from guardrails.records import Frozen
from guardrails.refstore import maintenance
from guardrails.scope import policy as policies
from guardrails.sessions import session
from guardrails.sessions.session import Session

Env = Optional[Mapping[str, Optional[str]]]
# Set for the `git worktree add` that `git guardrails worktree add` runs: the record-baseline
# hook then leaves the session to it (and does not wait for the lock it holds).
PENDING = "GUARDRAILS_SESSION_PENDING"
STASH_PREFIX = "guardrails: before session "


# --- the state of a work tree -----------------------------------------------------------------

class Dirty(Frozen):
    __slots__ = ("status", "path")  # noqa: RUF023
    status: str  # two letters of `git status --porcelain` ("??" untracked)
    path: str

    def __init__(self, status: str, path: str) -> None:
        super().__init__(status, path)


DIRTY_ARGS = ("status", "--porcelain=v1", "-z", "--untracked-files=all",
              "--ignore-submodules=none")


def dirty_files(toplevel: str, env: Env = None) -> list[Dirty]:
    """Every modified, staged, deleted and untracked (not ignored) file: one read-only
    ``git status`` (GIT_OPTIONAL_LOCKS=0: it never takes index.lock)."""
    return parse_dirty(git.run(*DIRTY_ARGS, cwd=toplevel, env=env).stdout)


def parse_dirty(data: bytes) -> list[Dirty]:
    """The files of ``git`` + :data:`DIRTY_ARGS` output (for callers that start it)."""
    fields = git.zsplit(data)
    out: list[Dirty] = []
    i = 0
    while i < len(fields):
        f = fields[i]
        xy, p = f[:2].decode(), git.decode_path(f[3:])
        out.append(Dirty(xy, p))
        i += 1
        if xy[0] in "RC" or xy[1] in "RC":  # the source path follows
            out.append(Dirty("R-", git.decode_path(fields[i])))
            i += 1
    return out


def blob_ids(toplevel: str, paths: Sequence[str], env: Env = None) -> dict[str, Optional[str]]:
    """The blob id each file's current content would get (with the path's clean filters), None
    for a missing file or a directory (a submodule). Nothing is written to the object store."""
    result: dict[str, Optional[str]] = {}
    regular: list[str] = []
    for p in paths:
        full = os.path.join(toplevel, p)
        if os.path.islink(full):
            target = os.fsencode(os.readlink(full))
            result[p] = git.run("hash-object", "--stdin", cwd=toplevel, input=target,
                                env=env).stdout.decode().strip()
        elif os.path.isfile(full) and "\n" not in p and not p.startswith('"'):
            regular.append(p)  # --stdin-paths would unquote a name starting with a quote
        elif os.path.isfile(full):
            result[p] = git.run("hash-object", "--", p, cwd=toplevel,
                                env=env).stdout.decode().strip()
        else:
            result[p] = None
    if regular:
        data = git.run("hash-object", "--stdin-paths", cwd=toplevel, env=env,
                       input=b"".join(os.fsencode(p) + b"\n" for p in regular)).stdout
        for p, oid in zip(regular, data.decode().split()):
            result[p] = oid
    return result


def list_dirty(items: Sequence[Dirty], limit: int = 50) -> str:
    names = {"??": "untracked", "R-": "renamed from"}
    lines = [f"  {names.get(d.status, d.status.strip() or '?'):>12}  {d.path}"
             for d in items[:limit]]
    if len(items) > limit:
        lines.append(f"  … and {len(items) - limit} more (git status)")
    return "\n".join(lines)


# --- scope: which task, which base ------------------------------------------------------------

class Scope(Frozen):
    __slots__ = ("task", "allow", "base", "policy")  # noqa: RUF023
    task: Optional[str]
    allow: tuple[str, ...]
    base: str
    policy: Optional[policies.Policy]

    def __init__(self, task: Optional[str], allow: tuple[str, ...], base: str,
                 policy: Optional[policies.Policy]) -> None:
        super().__init__(task, allow, base, policy)

    @property
    def label(self) -> str:
        return f"task `{self.task}`" if self.task else f"ad-hoc scope {', '.join(self.allow)}"


def default_base(repo: git.Repo, pol: Optional[policies.Policy]) -> str:
    if pol is not None:
        return pol.base
    return policies.local_base(repo) or policies.DEFAULT_BASES[0]


def resolve_scope(repo: git.Repo, branch: str, task: Optional[str], allow: Sequence[str],
                  base: Optional[str] = None) -> Scope:
    """The task (or ad-hoc patterns) a session on ``branch`` works under, from the trusted
    policy only. Refuses (exit 2) an unknown task, a task that does not cover the branch, a
    protected branch and the base branch."""
    pol = policies.load_trusted(repo)
    if task and allow:
        raise GuardrailsError("give either --task or --allow, not both",
                              "git guardrails start --task NAME   (or --allow 'PATTERN' …)")
    base = base or default_base(repo, pol)
    check_branch(pol, branch, base, task)
    names = ", ".join(sorted(pol.tasks)) if pol else ""
    where = f"the trusted policy ({pol.source})" if pol else \
        "the trusted policy (there is none: no .guardrails.toml on the base branch)"
    covering = pol.task_for_branch(branch) if allow and pol is not None else None
    if covering is not None:
        # an ad-hoc scope never widens a task (docs/sessions.md): the task's own scope applies
        raise GuardrailsError(
            f"branch `{branch}` is covered by task `{covering.name}` of {where}: an ad-hoc "
            "scope (--allow) cannot replace the task's allow patterns "
            f"({', '.join(covering.allow)})",
            f"git guardrails start --task {covering.name}   (a wider scope is a human's change "
            f"to [tasks.{covering.name}] on {pol.base if pol else base}; an ad-hoc session "
            "needs a branch no task covers)")
    if allow:
        from guardrails.scope.patterns import PatternError, validate

        try:
            validate(list(allow))
        except PatternError as e:
            raise GuardrailsError(
                f"bad --allow pattern {e.pattern!r}: {e.reason}",
                "patterns use .gitignore syntax, e.g. --allow 'src/**' --allow '!src/vendor/**'",
            ) from None
    elif task:
        if pol is None or task not in pol.tasks:
            raise GuardrailsError(
                f"task `{task}` is not in {where}",
                f"use one of: {names} (git guardrails start --task NAME)" if names else
                "commit .guardrails.toml with [tasks." + task + "] on the base branch, or start "
                "an ad-hoc session: git guardrails start --allow 'src/**'",
            )
        t = pol.tasks[task]
        if not t.covers(branch):
            raise GuardrailsError(
                f"task `{task}` may commit on {' or '.join(t.branches)}, not on `{branch}`",
                f"git guardrails worktree add ../{task} {t.branches[0].replace('*', task)} "
                f"--task {task}",
            )
    else:
        t2 = pol.task_for_branch(branch) if pol else None
        if t2 is None:
            raise GuardrailsError(
                f"no task in {where} covers branch `{branch}`",
                (f"pass --task NAME (tasks: {names}) or " if names else "pass ")
                + "--allow 'PATTERN' for an ad-hoc session (git guardrails start --allow …)",
            )
        task = t2.name
    return Scope(task=task, allow=tuple(allow), base=base, policy=pol)


def check_branch(pol: Optional[policies.Policy], branch: str, base: str,
                 task: Optional[str]) -> None:
    """An agent never works on a protected branch or on the base branch itself."""
    if branch == base or (pol is not None and pol.is_protected(branch)):
        what = "the base branch" if branch == base else "a protected branch"
        if task is None and pol is not None and pol.tasks:
            task = next(iter(pol.tasks))
        name = f"agent/{task}" if task else "agent/NAME"
        raise GuardrailsError(
            f"`{branch}` is {what}: an agent session works on its own branch",
            f"git guardrails worktree add ../{name.split('/')[-1]} {name}"
            + (f" --task {task}" if task else " --allow 'PATTERN'")
            + f"   (or, here: git switch -c {name})",
        )


def owner(repo: git.Repo, branch: str) -> Optional[tuple[str, Session]]:
    """(worktree path, session) of another worktree's session on ``branch``."""
    for d, s in session.all_sessions(repo):
        if s is not None and s.branch == branch and \
                os.path.normcase(d) != os.path.normcase(repo.git_dir):
            return worktrees.owner_of(repo, d), s
    return None


# --- start / finish ---------------------------------------------------------------------------

def _head(repo: git.Repo, env: Env = None) -> Optional[str]:
    proc = git.run("rev-parse", "-q", "--verify", "HEAD^{commit}", cwd=repo.toplevel,
                   ok=(0, 1, 128), env=env)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def start(repo: git.Repo, *, task: Optional[str] = None, allow: Sequence[str] = (),
          mode: Optional[str] = None, agent: Optional[str] = None, base: Optional[str] = None,
          origin: str = "start", env: Env = None,
          refuse_dirty: bool = True) -> tuple[Session, list[str]]:
    """Begin a session in ``repo``'s worktree. ``mode``: None (refuse a dirty tree), "stash" or
    "allow-dirty". Returns the saved session and lines to print. Changes nothing on refusal.

    ``refuse_dirty=False`` (the post-checkout hook, which must never fail a checkout) records a
    dirty tree as such (``clean: false`` without ``allow_dirty``): clean-baseline then refuses
    every commit of that session until it is restarted from a clean tree."""
    branch = repo.branch
    if branch is None:
        raise GuardrailsError(
            "HEAD is detached: a session works on its own branch",
            "git switch -c agent/NAME   (then: git guardrails start)",
        )
    existing = session.current(repo)  # raises, with the fix, on a broken record
    if existing is not None and not (origin == "worktree add" and existing.origin ==
                                     "post-checkout" and existing.branch == branch):
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(existing.started))
        raise GuardrailsError(
            f"a session is already active here: {existing.scope_label} on "
            f"`{existing.branch}` since {since}",
            "git guardrails finish   # then start again",
        )
    scope = resolve_scope(repo, branch, task, allow, base)
    if agent is None:
        from guardrails.agents import markers as agents

        agent = agents.from_env()
    messages: list[str] = []
    with state.hold(repo.common_dir, f"git guardrails start ({branch})"):
        other = owner(repo, branch)
        if other is not None:
            raise GuardrailsError(
                f"branch `{branch}` belongs to the session of the worktree {other[0]} "
                f"({other[1].scope_label})",
                f"work there (cd {shlex.quote(other[0])}), or end that session: "
                f"git -C {shlex.quote(other[0])} guardrails finish",
            )
        dirty = dirty_files(repo.toplevel, env)
        stash: Optional[str] = None
        recorded: dict[str, Optional[str]] = {}
        if dirty and mode is None and refuse_dirty:
            raise GuardrailsError(
                f"the work tree is not clean ({len(dirty)} file(s)); a session must start from a "
                "clean baseline so its changes can be told from work in progress:\n"
                + list_dirty(dirty),
                "commit or stash them first (git stash push --include-untracked), or: "
                "git guardrails start --stash (stashes them for you), or "
                "git guardrails start --allow-dirty (records them; they can then never be "
                "committed in this session)",
            )
        if dirty and mode == "stash":
            label = scope.task or "ad hoc"
            msg = (f"{STASH_PREFIX}{label} on {branch} "
                   f"{time.strftime('%Y-%m-%d %H:%M:%S')}")
            from guardrails.sessions import stash as stashes

            stash = stashes.stash(repo.toplevel, msg,
                                  sorted({d.path for d in dirty if d.status == "??"}), env)
            left = dirty_files(repo.toplevel, env)
            if left:
                raise GuardrailsError(
                    "after `git stash` the work tree is still not clean:\n" + list_dirty(left),
                    f"clean them by hand; your stashed changes: git stash apply {stash}",
                )
            messages.append(f"stashed {len(dirty)} file(s) as {stash[:12] if stash else '?'} "
                            f"\"{msg}\"")
            messages.append(f"  to get them back (after `git guardrails finish`): "
                            f"git stash apply {stash}   then drop it from `git stash list`")
            dirty = []
        if dirty:  # --allow-dirty, or the post-checkout hook (refuse_dirty=False)
            recorded = blob_ids(repo.toplevel, sorted({d.path for d in dirty}), env)
            if mode == "allow-dirty":
                messages.append(f"recorded {len(recorded)} dirty file(s); they cannot be "
                                "committed in this session:")
            else:
                messages.append(f"warning: the work tree is not clean ({len(recorded)} file(s)); "
                                "commits in this session are refused until it is restarted "
                                "from a clean tree:")
            messages.append(list_dirty(dirty))
        sess = Session(
            branch=branch, baseline=_head(repo, env), started=time.time(), task=scope.task,
            allow=list(scope.allow), clean=not dirty,
            allow_dirty=bool(dirty) and mode == "allow-dirty",
            dirty=recorded, agent=agent, base=scope.base, worktree=repo.toplevel,
            stash=stash, origin=origin,
        )
        # gc off first: killed between the two, gc is off with no session (status says so, and
        # `finish --force` puts it back) rather than a session running with gc on
        if maintenance.suspend(repo):
            messages.append("automatic gc and maintenance are off while sessions are active "
                            "(gc.auto=0, maintenance.auto=false; the last finish restores them)")
        try:
            where = session.save(repo.git_dir, sess)
        except OSError:  # a full disk: no session, so gc goes back to what it was
            try:
                maintenance.restore(repo)
            except (GuardrailsError, OSError):
                pass  # the record's own finding says how; the save's error is the news
            raise
    src = scope.policy.source if scope.task and scope.policy else "session (ad hoc)"
    messages.insert(0, (
        f"session started: {scope.label} on `{branch}` at "
        f"{sess.baseline[:12] if sess.baseline else '(no commit yet)'}, "
        f"{'clean' if sess.clean else 'dirty (recorded)'}; base `{scope.base}`; policy: {src}"))
    messages.append(f"record: {where}")
    return sess, messages


def summary(repo: git.Repo, sess: Session, env: Env = None) -> list[str]:
    """`git log --oneline base..HEAD` and the diffstat since the base (or the baseline)."""
    start_at = None
    if sess.base and git.rev_parse(repo, sess.base) is not None:
        start_at = sess.base
    elif sess.baseline:
        start_at = sess.baseline
    if start_at is None:
        return []
    log = git.run("log", "--oneline", "--no-decorate", "--end-of-options", f"{start_at}..HEAD",
                  "--", cwd=repo.toplevel, ok=(0, 128), env=env).stdout.decode(errors="replace")
    stat = git.run("diff", "--stat", "--end-of-options", f"{start_at}...HEAD", "--",
                   cwd=repo.toplevel, ok=(0, 128), env=env).stdout.decode(errors="replace")
    commits = log.splitlines()
    lines = [f"{len(commits)} commit(s) in {start_at}..HEAD:"]
    lines += [f"  {c}" for c in commits[:30]]
    if len(commits) > 30:
        lines.append(f"  … and {len(commits) - 30} more")
    if stat.strip():
        lines.append(stat.rstrip("\n"))
    lines.append(f"review it all: git diff {start_at}...HEAD")
    return lines


def human_at_terminal(repo: git.Repo, what: str) -> None:
    """``what`` (``finish --force``) from a process that an agent's marker marks needs a human
    at a terminal who confirms it by typing the branch name; without a terminal it is refused
    (exit 2). An agent's shell has no terminal, so it cannot end its own session by force and
    start a wider one. A process without an agent marker (a human's shell) is not asked."""
    import sys

    from guardrails.agents import markers

    found = markers.env_marker()
    if found is None:
        return
    branch = repo.branch or "HEAD"
    fix = (f"a human runs it in their own terminal: git -C {shlex.quote(repo.toplevel)} "
           f"guardrails {what}")
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise GuardrailsError(
            f"`git guardrails {what}` from an agent's process ({found[0]}): it needs a human "
            "at a terminal (an agent may not end its own session by force)", fix)
    sys.stderr.write(f"git guardrails {what}: the environment marks an agent ({found[0]}).\n"
                     f"A human confirms by typing the branch name ({branch}): ")
    sys.stderr.flush()
    if sys.stdin.readline().strip() != branch:
        raise GuardrailsError(f"not confirmed: `git guardrails {what}` was not run", fix)


def finish(repo: git.Repo, force: bool = False, with_summary: bool = True) -> list[str]:
    """End this worktree's session; returns the lines to print (with the short summary of
    `git log` and the diffstat unless ``with_summary`` is False: the caller shows a review).
    ``force`` from an agent's process needs a human at a terminal (:func:`human_at_terminal`).
    """
    if force:
        human_at_terminal(repo, "finish --force")
    try:
        sess = session.current(repo)
    except GuardrailsError:
        if not force:
            raise
        with state.hold(repo.common_dir, "git guardrails finish --force"):
            session.remove(repo.git_dir)
            lines = [f"removed the unreadable session record {session.path(repo.git_dir)}"]
            lines += _restore(repo)
        return lines
    if sess is None:
        if force:  # and what an interrupted start or finish left: gc suspended
            with state.hold(repo.common_dir, "git guardrails finish --force"):
                return ["no session here; nothing to do", *_restore(repo)]
        raise GuardrailsError("no session is active in this worktree",
                              "git guardrails start --task NAME   (or --allow 'PATTERN')")
    lines = [f"session finished: {sess.scope_label} on `{sess.branch}`"]
    try:
        lines += summary(repo, sess) if with_summary else []
    except GuardrailsError as e:
        if not force:
            raise
        lines.append(f"(no summary: {e.message})")
    left = dirty_files(repo.toplevel)
    if left:
        lines.append(f"warning: {len(left)} uncommitted file(s) remain in the work tree:")
        lines.append(list_dirty(left, limit=20))
    if sess.stash:
        lines.append(f"your changes stashed at start: git stash apply {sess.stash}")
    with state.hold(repo.common_dir, "git guardrails finish"):
        session.remove(repo.git_dir)
        lines += _restore(repo)
    return lines


def _restore(repo: git.Repo) -> list[str]:
    """maintenance.restore, its outcome as lines to print (a broken record: a warning and its
    fix; the session is ended all the same)."""
    try:
        if maintenance.restore(repo):
            return ["the last session ended: gc.auto and maintenance.auto are restored"]
    except state.StateError as e:
        return [f"warning: automatic gc stays off: {printable(e.message)}",
                f"  fix: {e.fix}"]
    return []


# --- worktree add / remove --------------------------------------------------------------------

def _branch_exists(repo: git.Repo, branch: str) -> bool:
    return git.rev_parse(repo, f"refs/heads/{branch}") is not None


def worktree_add(repo: git.Repo, path: str, branch: str, *, task: Optional[str] = None,
                 allow: Sequence[str] = (), base: Optional[str] = None,
                 agent: Optional[str] = None) -> tuple[Session, list[str]]:
    """``git worktree add`` (a new branch from the base) + ``start`` in it, serialised with every
    other guardrails writer; on any failure the branch it created is deleted again."""
    path = os.path.abspath(path)
    proc = git.run("check-ref-format", "--branch", branch, cwd=repo.toplevel, ok=(0, 1, 128))
    if proc.returncode != 0:
        raise GuardrailsError(f"`{branch}` is not a valid branch name",
                              "use a name like agent/NAME")
    scope = resolve_scope(repo, branch, task, allow, base)
    if git.rev_parse(repo, scope.base) is None:
        raise GuardrailsError(f"the base `{scope.base}` is not a commit here",
                              f"git fetch origin {scope.base}   (or pass --base REF)")
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise GuardrailsError(f"{path} already exists and is not an empty directory",
                              "choose another PATH")
    created = False
    made_worktree = False
    other_wt = git.OTHER_WORKTREE
    from guardrails.sessions import health

    note = health.pending_path(repo, branch)
    try:
        with state.hold(repo.common_dir, f"git guardrails worktree add {path} {branch}"):
            other = worktrees.find(repo, path)
            if other is not None:
                raise GuardrailsError(
                    f"{path} is still registered as a worktree"
                    + (f" ({other.prunable})" if other.prunable else ""),
                    f"git guardrails worktree remove --force {shlex.quote(path)}")
            own = owner(repo, branch)
            if own is not None:
                raise GuardrailsError(
                    f"branch `{branch}` belongs to the session of the worktree {own[0]}",
                    f"work there (cd {shlex.quote(own[0])}), or choose another branch",
                )
            fresh = not _branch_exists(repo, branch)
            # a note of what is being made, for status if this process is killed half-way
            try:
                state.write(note, {"branch": branch, "path": path, "created_branch": fresh,
                                   "pid": os.getpid(), "time": time.time()}, health.PENDING)
            except ValueError:
                pass  # a path with control characters: no note (nothing else changes)
            if fresh:
                git.run("branch", "--no-track", "--end-of-options", branch, scope.base,
                        cwd=repo.toplevel, write=True)
                created = True
            _add(repo, path, branch)
            made_worktree = True
        new = _discover_other(path)
        result = start(new, task=scope.task, allow=scope.allow, mode=None, agent=agent,
                       base=scope.base, origin="worktree add", env=other_wt)
        state.remove(note)
        return result
    except BaseException:
        if not (made_worktree or created):
            state.remove(note)
            raise
        with state.hold(repo.common_dir, f"git guardrails worktree add {path} (undo)"):
            if made_worktree:
                git.run("worktree", "remove", "--force", path, cwd=repo.toplevel, write=True,
                        ok=(0, 128))
            if created:
                git.run("branch", "-D", "--end-of-options", branch, cwd=repo.toplevel,
                        write=True, ok=(0, 1))
            state.remove(note)
        raise


def _discover_other(path: str) -> git.Repo:
    """git.discover for a worktree other than the one the caller's GIT_DIR names."""
    saved = {k: os.environ.pop(k) for k in list(git.OTHER_WORKTREE) if k in os.environ}
    try:
        return git.discover(path)
    finally:
        os.environ.update(saved)


def _add(repo: git.Repo, path: str, branch: str, attempts: int = 6) -> None:
    """``git worktree add PATH BRANCH``, retried on git's transient lock errors once git has
    cleaned up after itself (it removes a half-made worktree when it fails)."""
    for n in range(attempts):
        proc = git.run("worktree", "add", "--end-of-options", path, branch, cwd=repo.toplevel,
                       write=True, retries=0, ok=(0, 128, 255), env={PENDING: "1"})
        if proc.returncode == 0:
            return
        transient = any(t in proc.stderr for t in git.TRANSIENT) or b"commondir" in proc.stderr
        if not transient or n == attempts - 1 or (os.path.isdir(path) and os.listdir(path)):
            raise git.GitError(("worktree", "add", path, branch), proc.returncode, proc.stderr)
        time.sleep(0.05 * 2 ** n)


def worktree_remove(repo: git.Repo, path: str, force: bool = False,
                    discard_changes: bool = False, stash_changes: bool = False) -> list[str]:
    """``git worktree remove`` that refuses, unless told: an active session or commits not
    merged into the base (``force``), and local changes, which it lists (``discard_changes``
    deletes them; ``stash_changes`` keeps them in a stash it names). A locked worktree is
    refused with the ``git worktree unlock`` that frees it."""
    wt = _removable(repo, path, discard_changes, stash_changes)
    sess = _refuse_active_session(wt, force)
    base = sess.base if sess and sess.base else default_base(repo, _policy_or_none(repo))
    if wt.branch and not force and wt.prunable is None:
        _refuse_unmerged(repo, wt, base)
    dirty = dirty_files(wt.path, env=git.OTHER_WORKTREE) if wt.prunable is None else []
    if dirty and not (discard_changes or stash_changes):
        here = shell_path(wt.path)
        raise GuardrailsError(
            f"{wt.path} has {len(dirty)} uncommitted or untracked file(s); removing it would "
            "delete them:\n" + list_dirty(dirty),
            f"commit them, or keep them in a stash: git guardrails worktree remove --stash "
            f"{here}   (or delete them: git guardrails worktree remove --discard-changes "
            f"{here})")
    lines: list[str] = []
    with state.hold(repo.common_dir, f"git guardrails worktree remove {wt.path}"):
        if dirty and stash_changes:
            lines += _stash_worktree(wt, dirty)
        lines.append(_remove_worktree(repo, wt, discard_changes, len(dirty)))
        lines += _restore(repo)
    if wt.branch:
        lines.append(f"the branch `{wt.branch}` is kept (delete it with: git branch -d "
                     f"{shlex.quote(wt.branch)})")
    return lines


def _removable(repo: git.Repo, path: str, discard_changes: bool,
               stash_changes: bool) -> worktrees.Worktree:
    """The worktree at ``path``, refused when it cannot be removed whatever its state: not
    a worktree, the main one, the caller's own, locked; or both ways to lose changes given."""
    wt = worktrees.find(repo, path)
    if wt is None:
        raise GuardrailsError(f"{printable(path)} is not a worktree of this repository",
                              "git worktree list   # shows every worktree")
    if wt.is_main:
        raise GuardrailsError(f"{wt.path} is the main worktree; it cannot be removed",
                              "remove a linked worktree instead (git worktree list)")
    if os.path.normcase(os.path.realpath(wt.path)) == os.path.normcase(
            os.path.realpath(repo.toplevel)):
        raise GuardrailsError("cannot remove the worktree you are in",
                              f"cd elsewhere, then: git guardrails worktree remove "
                              f"{shell_path(wt.path)}")
    if discard_changes and stash_changes:
        raise GuardrailsError("give either --discard-changes or --stash, not both",
                              f"git guardrails worktree remove --stash {shell_path(wt.path)}")
    here = shell_path(wt.path)
    if wt.locked is not None and wt.prunable is None:
        raise GuardrailsError(
            f"{wt.path} is locked" + (f" ({printable(wt.locked)})" if wt.locked else ""),
            f"git worktree unlock {here}   # then: git guardrails worktree remove {here}")
    return wt


def _refuse_active_session(wt: worktrees.Worktree, force: bool) -> Optional[Session]:
    """The worktree's session (None without one); refused, unless ``force``, while one is
    active or its record cannot be read."""
    sess: Optional[Session] = None
    broken = False
    if wt.git_dir is not None:
        try:
            sess = session.load(wt.git_dir)
        except GuardrailsError:
            broken = True
    if (sess is not None or broken) and not force:
        here = shell_path(wt.path)
        finish = (f"git -C {here} guardrails finish" + (" --force" if broken else "")
                  if wt.prunable is None else "")
        raise GuardrailsError(
            f"{wt.path} has an active session"
            + (f" ({sess.scope_label} on `{sess.branch}`)" if sess else " (unreadable record)"),
            (f"{finish}   (or: " if finish else "")
            + f"git guardrails worktree remove --force {here}" + (")" if finish else ""),
        )
    return sess


def _refuse_unmerged(repo: git.Repo, wt: worktrees.Worktree, base: str) -> None:
    """Refuse when the worktree's branch has commits not merged into ``base`` (or ``base``
    does not resolve)."""
    here = shell_path(wt.path)
    proc = git.run("log", "--oneline", "--no-decorate", "--end-of-options",
                   f"{base}..refs/heads/{wt.branch}", "--", cwd=repo.toplevel, ok=(0, 128))
    if proc.returncode != 0:
        raise GuardrailsError(
            f"cannot tell whether `{wt.branch}` is merged: the base `{printable(base)}` "
            "does not resolve",
            f"git guardrails worktree remove --force {here}   (keeps the branch)")
    unmerged = proc.stdout.decode(errors="replace")
    if unmerged.strip():
        commits = unmerged.splitlines()
        raise GuardrailsError(
            f"branch `{wt.branch}` of {wt.path} has {len(commits)} commit(s) not merged "
            f"into `{base}`:\n" + "\n".join(f"  {printable(c)}" for c in commits[:20]),
            f"merge them (git merge {shlex.quote(str(wt.branch))}), or, to keep the branch "
            f"and remove only the worktree: git guardrails worktree remove --force {here}",
        )


def _stash_worktree(wt: worktrees.Worktree, dirty: list[Dirty]) -> list[str]:
    """Keep the worktree's local changes in a stash named after it: the lines that say so."""
    from guardrails.sessions import stash as stashes

    msg = (f"{stashes.PREFIX}worktree remove {wt.path} "
           f"({wt.branch or 'detached'}) {time.strftime('%Y-%m-%d %H:%M:%S')}")
    oid = stashes.stash(wt.path, msg, sorted({d.path for d in dirty if d.status == "??"}),
                        env=git.OTHER_WORKTREE)
    return [f"stashed {len(dirty)} file(s) as {oid[:12]} \"{printable(msg)}\"",
            f"  to get them back: git stash apply {oid}"]


def _remove_worktree(repo: git.Repo, wt: worktrees.Worktree, discard_changes: bool,
                     dirty: int) -> str:
    """Remove the worktree (a stale entry: its admin directory); with ``discard_changes`` its
    ``dirty`` local changes go with it (git's --force). The line that says what was done."""
    if wt.prunable is not None and wt.git_dir is not None:
        shutil.rmtree(wt.git_dir)  # what `git worktree prune` does for this one entry
        return f"removed the stale entry of {wt.path} ({wt.prunable})"
    # git deletes the worktree's admin dir, the session record with it. --force only when
    # the user agreed to lose the changes: otherwise git itself refuses a tree that became
    # dirty since the check above
    args = ["worktree", "remove", *(["--force"] if discard_changes else []),
            "--end-of-options", wt.path]
    git.run(*args, cwd=repo.toplevel, write=True)
    return f"removed worktree {wt.path}" + (
        f" and its {dirty} local change(s)" if dirty and discard_changes else "")


def _policy_or_none(repo: git.Repo) -> Optional[policies.Policy]:
    try:
        return policies.load_trusted(repo)
    except GuardrailsError:
        return None
