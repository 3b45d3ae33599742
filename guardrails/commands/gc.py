"""git-guardrails gc [--wait]: git gc that is safe with agents committing in other worktrees.

On git >= 2.54, whose own maintenance is ``git maintenance run`` with the geometric strategy
(``git gc`` is only its legacy ``gc`` task), a plain ``git guardrails gc`` runs
``git maintenance run`` with that strategy's tasks named explicitly (so the
``maintenance.<task>.enabled=false`` that sessions set does not turn it into a no-op): a
geometric repack that deletes no loose object, pack-refs, commit-graph, reflog-expire,
worktree-prune. ``--prune``, ``--aggressive``, a configured ``gc.pruneExpire`` with no session
active, and git before 2.54 run ``git gc``."""
from __future__ import annotations

import sys
from typing import Optional

import click

from guardrails import git, state
from guardrails.errors import GuardrailsError
from guardrails.sessions import session

UNSAFE_EXPIRY = ("now", "all")
SAFE_PRUNE = "2.weeks.ago"
SAFE_WORKTREE_PRUNE = "3.months.ago"
MAINTENANCE_SINCE = (2, 54)  # "git maintenance" uses the geometric strategy by default
GEOMETRIC_TASKS = ("geometric-repack", "pack-refs", "commit-graph", "reflog-expire",
                   "worktree-prune")


def git_version(repo: git.Repo) -> tuple[int, ...]:
    import re

    out = git.run("version", cwd=repo.toplevel).stdout.decode(errors="replace")
    m = re.search(r"(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def gc_args(repo: git.Repo, prune: Optional[str], sessions: int,
            aggressive: bool = False, maintenance: bool = False) -> tuple[list[str], list[str]]:
    """The git command line for a safe gc (``maintenance``: ``git maintenance run`` with the
    geometric tasks), and notes on what was made safer."""
    notes: list[str] = []
    args: list[str] = []
    cfg = git.config(repo.toplevel,
                     r"^(gc\.(pruneexpire|worktreepruneexpire)|extensions\.refstorage)$")
    # files refs: pack-refs rewrites packed-refs and deletes the loose refs it packed; a
    # commit that read the branch in between fails with git's own "cannot lock ref 'HEAD': is
    # at X but expected Y" (nothing lost, nothing of ours runs to name it). Left for when no
    # session is active. (reftable's pack-refs is a compaction: git retries, so do we.)
    pack_refs = not sessions or cfg.get("extensions.refstorage", "").lower() == "reftable"
    if not pack_refs:
        notes.append(f"pack-refs skipped while {sessions} session(s) are active (beside a "
                     "commit it can fail that commit); run `git guardrails gc` when they "
                     "have finished to pack refs")
    expiry = prune if prune is not None else cfg.get("gc.pruneexpire")
    if sessions and expiry is not None and expiry.strip().lower() in UNSAFE_EXPIRY:
        notes.append(f"prune expiry {expiry!r} ignored while {sessions} session(s) are active "
                     f"(it deletes objects agents have just written); using {SAFE_PRUNE}")
        expiry = SAFE_PRUNE
    wexpiry = cfg.get("gc.worktreepruneexpire")
    if sessions and wexpiry is not None and wexpiry.strip().lower() in UNSAFE_EXPIRY:
        notes.append(f"gc.worktreePruneExpire={wexpiry} ignored while sessions are active; "
                     f"using {SAFE_WORKTREE_PRUNE}")
        args += ["-c", f"gc.worktreePruneExpire={SAFE_WORKTREE_PRUNE}"]
    if maintenance:
        # a geometric repack prunes nothing: the prune expiry does not apply
        notes = [n for n in notes if not n.startswith("prune expiry")]
        return [*args, "maintenance", "run", "--quiet",
                *(f"--task={t}" for t in GEOMETRIC_TASKS
                  if pack_refs or t != "pack-refs")], notes
    if not pack_refs:
        args += ["-c", "gc.packRefs=false"]
    args += ["gc", "--quiet"]
    if expiry is not None and (prune is not None or expiry == SAFE_PRUNE):
        args.append(f"--prune={expiry}")
    if aggressive:
        args.append("--aggressive")
    return args, notes


def _finite(value: float) -> float:
    import math

    if not math.isfinite(value):  # FloatRange lets NaN through
        raise click.BadParameter("must be a number of seconds from 0 to 86400")
    return value


# A reftable stack compaction (pack-refs, the maintenance pack-refs task) gives up when another
# process adds a table meanwhile; beside agents committing, that is the common case.
RETRY_ON = (b"data concurrently modified",)


def _run_retrying(repo: git.Repo, args: list[str], attempts: int = 4) -> git.Completed:
    import time

    for n in range(attempts):
        try:
            return git.run(*args, cwd=repo.toplevel, write=True)
        except git.GitError as e:
            if n == attempts - 1 or not any(m in e.stderr for m in RETRY_ON):
                raise
            time.sleep(0.2 * 2 ** n)
    raise AssertionError("unreachable")


@click.command("gc")
@click.option("--wait", is_flag=True,
              help="Run even while sessions are active: wait for in-flight git operations, "
                   "never prune objects younger than 2 weeks.")
@click.option("--timeout", type=click.FloatRange(0, 86400), default=300.0, show_default=True,
              callback=lambda _ctx, _param, v: _finite(v),
              help="Seconds to wait for the guardrails lock and for running git operations.")
@click.option("--prune", metavar="DATE", help="Passed to git gc --prune (not 'now' while "
                                              "sessions are active).")
@click.option("--aggressive", is_flag=True, help="Passed to git gc.")
def command(wait: bool, timeout: float, prune: Optional[str], aggressive: bool) -> int:
    """Run git gc only when no agent session is active (or, with --wait, safely beside them)."""
    from guardrails.checks import refstore

    repo = git.discover()
    with state.hold(repo.common_dir, "git-guardrails gc", timeout=timeout):
        active = session.all_sessions(repo)
        if active and not wait:
            where = ", ".join(
                f"{s.task or 'ad hoc'} ({s.branch})" if s else f"unreadable record in {gd}"
                for gd, s in active)
            from guardrails import report
            from guardrails.findings import Finding

            refusal = Finding(
                "refstore-gc-sessions-active",
                f"git guardrails gc: refusing: {len(active)} agent session(s) active: {where}",
                "run it after `git guardrails finish` in those worktrees, or "
                "`git guardrails gc --wait` (safe beside them: no --prune=now)")
            report.write(report.render([refusal], "text", {}, stream=sys.stderr), sys.stderr)
            return 1
        held = refstore.wait_for_locks(repo, wait=timeout, gc_wait=timeout)
        if held:
            from guardrails import report

            report.write(report.render(held, "text", {}), None)
            if any(f.severity == "error" for f in held):
                raise GuardrailsError("git gc not started: the repository's locks above are "
                                      "still held or stale", "see the fix lines above")
        # a configured gc.pruneExpire asks for gc's prune (applied when no session is active)
        modern = (prune is None and not aggressive and git_version(repo) >= MAINTENANCE_SINCE
                  and (bool(active) or "gc.pruneexpire" not in git.config(
                      repo.toplevel, r"^gc\.pruneexpire$")))
        args, notes = gc_args(repo, prune, len(active), aggressive, maintenance=modern)
        for n in notes:
            click.echo(f"git-guardrails gc: {n}", err=True)
        proc = _run_retrying(repo, args)
        err = proc.stderr.decode(errors="replace").strip()
        if err:
            click.echo(err, err=True)
    return 0
