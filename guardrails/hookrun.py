"""The one shape of every hook entry point: ``hooks/<name>.py`` is
``def main(argv=None) -> int: return hookrun.main("<hook-id>", argv)``.

:data:`HOOKS` says, per hook id of ``.pre-commit-hooks.yaml``, what runs, which ``--format``
values it takes, what its positional arguments are, and whether it may fail the git operation.
:func:`main` reads the command line the same way for every hook (git's or the runner's
positional arguments without argparse; ``--help``, ``--format`` and an unknown option through
it: usage and exit 2 alike) and runs the worker under :func:`guardrails.errors.handle`: its exit
code (0, or 1 for error findings, each printed as ``error[rule-id] …`` by guardrails.report),
2 for a usage, configuration or environment error, 3 for an internal error, 130 on Ctrl-C. A
hook that must not fail git (post-checkout, post-commit) prints every problem as a warning and
exits 0.

The pre-commit-stage checks run over the index, or, with PRE_COMMIT_FROM_REF/TO_REF (pre-push,
manual), over each commit of the range.
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Optional

    from guardrails import git
    from guardrails.context import Context


def range_from_env() -> Optional[str]:
    """The commit range of a pre-push or manual run as the runner gave it (for messages), or
    None for a pre-commit run."""
    frm, to = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if frm and to:
        return f"{frm}..{to}"
    if to or os.environ.get("PRE_COMMIT_REMOTE_NAME"):
        # a push whose history contains a root commit: everything not yet on a remote
        return f"{to or 'HEAD'} --not --remotes"
    return None


def push_range(ctx: Context, revs: list[str]) -> list[str]:
    """A pre-push run judges what ``ci`` will judge: ``merge-base(base, TO)..TO``, the agent
    work the branch adds, never the base branch's own (human) history, even on the first push
    to an empty remote (where the runner's range is everything not on a remote). The base is
    the trusted policy's (else the session's, else main/master); without a merge-base the
    runner's range stands. A manual run (``--from-ref``/``--to-ref``) keeps its range."""
    if not os.environ.get("PRE_COMMIT_REMOTE_NAME"):
        return revs
    from guardrails import git
    from guardrails.scope import policy as policies

    to = revs[0].split("..", 1)[1] if ".." in revs[0] else revs[0]  # a resolved commit id
    base = ctx.policy.base if ctx.policy is not None else \
        (ctx.session.base if ctx.session is not None and ctx.session.base else
         policies.local_base(ctx.repo))
    if not base:
        return revs
    proc = git.run("merge-base", "--end-of-options", f"refs/heads/{base}", to,
                   cwd=ctx.repo.toplevel, ok=(0, 1, 128))
    mb = proc.stdout.decode().strip()
    if proc.returncode != 0 or not mb:
        return revs
    return [f"{mb}..{to}"]


def range_revs(toplevel: str) -> Optional[list[str]]:
    """The ``git log`` arguments of :func:`range_from_env`'s range, each end resolved to a commit
    id first (one ``git rev-parse --end-of-options``): a value of PRE_COMMIT_FROM_REF/TO_REF
    is one revision, never split into words nor read as an option. Exit 2 when one does not
    name a commit."""
    frm, to = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if not (frm and to) and not (to or os.environ.get("PRE_COMMIT_REMOTE_NAME")):
        return None
    names = [("PRE_COMMIT_FROM_REF", frm), ("PRE_COMMIT_TO_REF", to)] if frm and to else \
        [("PRE_COMMIT_TO_REF", to or "HEAD")]
    from guardrails import git
    from guardrails.errors import GuardrailsError
    from guardrails.findings import printable

    oids: list[str] = []
    for var, value in names:
        assert value is not None
        proc = git.run("rev-parse", "-q", "--verify", "--end-of-options", f"{value}^{{commit}}",
                       cwd=toplevel, ok=(0, 1, 128))
        oid = proc.stdout.decode(errors="replace").strip()
        if proc.returncode != 0 or not oid:
            raise GuardrailsError(
                f"{var}={printable(value)!r} does not name a commit here",
                "give one revision each: pre-commit run --hook-stage manual --from-ref REV "
                "--to-ref REV (or prek run --from-ref REV --to-ref REV); "
                "check it with: git rev-parse --verify --end-of-options 'REV^{commit}'")
        oids.append(oid)
    return [f"{oids[0]}..{oids[1]}"] if len(oids) == 2 else [oids[0], "--not", "--remotes"]


TEXT = ("text",)
TEXT_JSON = ("text", "json")

# hook id -> (worker "module:function" taking (args, fmt) -> exit code; "checks:NAME,..." runs
# those checks, "checks:*" every pre-commit-stage one; --format values; what did not happen
# when a problem is turned into a warning ("" = may fail the git operation); the positional
# arguments for --help; the one-line description)
HOOKS: dict[str, tuple[str, tuple[str, ...], str, str, str]] = {
    "clean-baseline": ("checks:baseline", TEXT_JSON, "", "FILENAMES",
                       "an agent commit comes from a clean session on its own branch"),
    "check-scope": ("checks:scope", TEXT_JSON, "", "FILENAMES",
                    "every changed path inside the task's allow patterns, none locked"),
    "no-skipped-hooks": ("checks:bypass", TEXT_JSON, "", "FILENAMES",
                         "no SKIP of a guardrails hook, no added line that turns hooks off"),
    "guardrails": ("checks:*", TEXT_JSON, "", "FILENAMES",
                   "every pre-commit-stage check in one process"),
    "ref-store-guard": ("guardrails.refstore.guard:hook", TEXT_JSON, "", "FILENAMES",
                        "wait out shared ref locks; refuse stale locks, a running gc, "
                        "pruned staged objects"),
    "require-checks": ("guardrails.skipped.require:hook", TEXT, "", "MSGFILE [SOURCE [OBJECT]]",
                       "refuse an agent commit its pre-commit stage did not check; add the "
                       "Guardrails-Checked trailer"),
    "record-baseline": ("guardrails.hookrun:record_baseline", TEXT, "no session recorded",
                        "[PREVIOUS NEW FLAG]",
                        "record the session when git worktree add makes a task's worktree"),
    "verify-commit": ("guardrails.hookrun:verify_commit", TEXT_JSON,
                      "could not verify the commit", "",
                      "the commit just made is on its branch and its objects exist"),
}


def main(hook_id: str, argv: Optional[Sequence[str]] = None) -> int:
    """Run hook ``hook_id`` with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    worker, _formats, never_fail, _metavar, _description = HOOKS[hook_id]
    try:
        args, fmt = parse_args(hook_id, argv)
    except SystemExit as e:  # --help (0) or a usage error (2), already printed by argparse
        return e.code if isinstance(e.code, int) else 2
    from guardrails.errors import handle

    return handle(hook_id, lambda: _worker(worker)(args, fmt), never_fail=never_fail)


def parse_args(hook_id: str, argv: Optional[Sequence[str]] = None) -> tuple[list[str], str]:
    """(positional arguments, --format). A hook's usual command line (nothing, file names the
    runner passes, git's own arguments) is read without argparse, which costs ~3 ms to import
    and set up; anything that looks like an option goes through argparse, the same for every
    hook (``--help``; an unknown option or a --format the hook does not take: usage, exit 2)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(a.startswith("-") for a in args):
        return args, "text"
    import argparse

    _worker_name, formats, never_fail, metavar, description = HOOKS[hook_id]
    positional = "[FILENAMES ...]" if metavar == "FILENAMES" else metavar
    usage = f"%(prog)s [-h] [--format {{{','.join(formats)}}}] {positional}".rstrip()
    parser = argparse.ArgumentParser(
        prog=hook_id, usage=usage,
        description=f"git-guardrails {hook_id}: {description}."
        + (" Never fails the git operation." if never_fail else ""))
    parser.add_argument("args", nargs="*", metavar="ARGS",
                        help="ignored: the hook computes the change set"
                        if metavar == "FILENAMES" else f"as git passes them: {metavar}")
    parser.add_argument("--format", choices=formats, default="text")
    ns = parser.parse_args(args)
    return list(ns.args), str(ns.format)


def _worker(spec: str) -> Callable[[list[str], str], int]:
    mod, _, name = spec.partition(":")
    if mod == "checks":
        def run(_args: list[str], fmt: str) -> int:
            from guardrails.checks import PRE_COMMIT

            return _run(PRE_COMMIT if name == "*" else tuple(name.split(",")), fmt)
        return run
    fn: Callable[[list[str], str], int] = getattr(__import__(mod, fromlist=[name]), name)
    return fn


def _stages_policy(repo: git.Repo) -> bool:
    """Whether the index changes .guardrails.toml (one ``git diff-index``; commits on the base
    branch only)."""
    from guardrails import git
    from guardrails.scope import policy

    proc = git.run("diff-index", "--cached", "--quiet", "HEAD", "--", policy.FILENAME,
                   cwd=repo.toplevel, ok=(0, 1, 128))
    return proc.returncode != 0


def _human_outside_session(repo: git.Repo) -> bool:
    """No session here, no agent marker, and a policy that does not say enforce = "always":
    a human's commit, which the pre-commit checks leave alone (the contract's agent commit)."""
    from guardrails.agents import markers as agents
    from guardrails.scope import policy
    from guardrails.sessions import session

    if session.current(repo) is not None or agents.from_env() is not None:
        return False
    if repo.branch in policy.DEFAULT_BASES and _stages_policy(repo):
        return False  # a commit on the base that changes the policy: judged by the new file
    try:
        return not policy.enforces_always(repo, valid=True)
    except policy.PolicyError:
        return False  # the full path turns a broken policy into a warning for a human


def _agent_here(repo: git.Repo) -> bool:
    """A session record here (one stat) or an agent marker in the environment: the checks
    will run. Asked before anything else is imported, so that their git commands start first
    (a broken record is reported where it is read, as it would have been)."""
    from guardrails.agents import markers as agents
    from guardrails.sessions import where

    return where.is_active(repo.git_dir) or agents.from_env() is not None


def _run(names: Sequence[str], fmt: str) -> int:
    from guardrails import checks, context, git

    repo = git.hook_repo()
    rng = range_revs(repo.toplevel)
    early = rng is None and _agent_here(repo)
    if early:  # git reads the index and config while the session and policy code is imported
        context.prefetch(repo)
        checks.prefetch(repo, names)
        context.prefetch_policy(repo)
    if rng is None and not early and _human_outside_session(repo):
        # nothing applies: no git process beyond the policy's, no policy parse
        if fmt != "text":
            from guardrails import report

            report.write(report.render([], fmt, {"policy": None, "task": None}), sys.stdout)
        return 0
    if rng is None and not early:
        context.prefetch(repo)
        checks.prefetch(repo, names)
        context.prefetch_policy(repo)
    ctx = context.build(repo)
    if rng is None:
        found = checks.run(ctx, names)
    else:
        from guardrails.scope import changes

        rng = push_range(ctx, rng)
        found = checks.run_commits(ctx, names, changes.commits(ctx.repo, rng))
    if found:
        from guardrails.sessions.session import note_findings

        note_findings(ctx.repo.git_dir, found)  # for `git guardrails status`
    if found or fmt != "text":  # (a pass in text prints nothing: no report module to load)
        from guardrails import report

        meta = {"policy": ctx.scope_source or None,
                "task": ctx.task.name if ctx.task else None}
        report.write(report.render(found, fmt, meta), sys.stdout)
    from guardrails.findings import exit_code

    return exit_code(found)


# --- the two hooks that must not fail git ------------------------------------------------------

def _is_new_worktree(argv: Sequence[str]) -> bool:
    frm = os.environ.get("PRE_COMMIT_FROM_REF") or (argv[0] if len(argv) >= 3 else "")
    kind = os.environ.get("PRE_COMMIT_CHECKOUT_TYPE") or (argv[2] if len(argv) >= 3 else "")
    return kind == "1" and bool(frm) and set(frm) == {"0"}


def record_baseline(args: list[str], _fmt: str) -> int:
    """record-baseline (post-checkout): when ``git worktree add`` creates a worktree on a
    branch a task of the trusted policy covers, record the session there. A new worktree's
    checkout is the one whose previous HEAD is the null object id (PRE_COMMIT_FROM_REF, or
    git's first argument) with PRE_COMMIT_CHECKOUT_TYPE=1 (a branch checkout); every other
    checkout is left alone. Exit 0 always (HOOKS: problems are warnings)."""
    if not _is_new_worktree(args):
        return 0
    from guardrails import git
    from guardrails.scope import policy as policies
    from guardrails.sessions import lifecycle, session

    if os.environ.get(lifecycle.PENDING):
        return 0  # `git guardrails worktree add` records the session itself
    repo = git.discover()
    if repo.branch is None or session.is_active(repo.git_dir):
        return 0
    pol = policies.load_trusted(repo)
    task = pol.task_for_branch(repo.branch) if pol else None
    if task is None:
        return 0
    _sess, lines = lifecycle.start(repo, task=task.name, origin="post-checkout",
                                   refuse_dirty=False)
    sys.stdout.write("record-baseline: " + "\n".join(lines) + "\n")
    return 0


def verify_commit(_args: list[str], fmt: str) -> int:
    """verify-commit (post-commit): the commit just made is on its branch and every object it
    introduced exists. git ignores post-commit's exit status: 1 only makes pre-commit and prek
    show the findings (on stderr), which say what was lost and how to recover it."""
    from guardrails import git, report
    from guardrails.refstore import guard as refstore

    found = refstore.verify_commit(git.hook_repo())
    if not found:
        return 0
    report.write(report.render(found, fmt, {}), sys.stderr)
    return 1
