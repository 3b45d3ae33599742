"""git-guardrails explain PATH... [--task NAME] [--format text|json]

Per path: the verdict of the trusted policy (``allowed``, ``outside``, ``locked``) and the
pattern that decided it, with its file and line, like ``git check-ignore -v``. The task is
``--task``, else this worktree's session's, else the one whose branch glob covers the current
branch. Budget exclusions are shown too (``budget_excluded``).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Optional

import click

from guardrails import context, git, report
from guardrails.errors import GuardrailsError
from guardrails.findings import show_path
from guardrails.scope import policy as policies
from guardrails.scope.patterns import Matcher
from guardrails.scope.policy import Policy, Task


def _where(pol: Optional[Policy], table: str, key: str, pats: Sequence[str],
           i: Optional[int]) -> Optional[int]:
    if pol is None or i is None:
        return None
    return policies.pattern_lines(pol.raw.decode("utf-8", errors="replace"), table, key,
                                  pats).get(i)


def explain_path(pol: Optional[Policy], task: Task, adhoc: bool, path: str) -> dict[str, Any]:
    locked = pol.locked if pol is not None else ()
    li = policies.deciding(locked, path)
    pattern: Optional[str]
    if li is not None and not locked[li].startswith("!"):
        line = _where(pol, "guardrails", "locked", locked, li)
        verdict, pattern, source, key = "locked", locked[li], line, "locked"
    else:
        ai = policies.deciding(task.allow, path)
        line = None if adhoc else _where(pol, f"tasks.{task.name}", "allow", task.allow, ai)
        pattern = task.allow[ai] if ai is not None else None
        allowed = Matcher(task.allow).match(path)  # the check's own verdict
        verdict, source, key = ("allowed" if allowed else "outside"), line, "allow"
    excluded = (*pol.budget_exclude, *task.budget_exclude) if pol is not None else \
        task.budget_exclude
    origin = "session" if adhoc and key == "allow" else policies.FILENAME
    return {
        "path": path,
        "verdict": verdict,
        "pattern": pattern,
        "key": key if pattern is not None else None,
        "source": (f"{origin}:{source}" if source else origin) if pattern is not None else None,
        "line": source if pattern is not None else None,
        "budget_excluded": bool(excluded) and Matcher(excluded).match(path),
    }


def _normal(repo: git.Repo, path: str) -> str:
    """A path relative to the repository root, as the patterns see it (given relative to the
    current directory, like git check-ignore)."""
    import os

    full = os.path.normpath(os.path.join(os.getcwd(), path))
    rel = os.path.relpath(full, repo.toplevel)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        raise GuardrailsError(f"{path}: outside the repository {repo.toplevel}",
                              "give paths inside the work tree")
    return rel.replace(os.sep, "/")


@click.command("explain")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--task", metavar="NAME", help="A task of the trusted policy (default: the "
              "session's, else the one whose branch glob covers the current branch).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def command(paths: tuple[str, ...], task: Optional[str], fmt: str) -> int:
    """Which pattern of the trusted policy decides each PATH, and the verdict."""
    ctx = context.build()
    pol = ctx.policy
    names = ", ".join(sorted(pol.tasks)) if pol else ""
    adhoc = False
    if task:
        if pol is None or task not in pol.tasks:
            raise GuardrailsError(
                f"task `{task}` is not in the trusted policy"
                + (f" ({pol.source})" if pol else " (there is none on the base branch)"),
                f"git guardrails explain --task NAME PATH…   (tasks: {names or 'none'})")
        chosen = pol.tasks[task]
    elif ctx.task is not None:
        chosen = ctx.task
        adhoc = ctx.scope_source == "session (ad hoc)"
    else:
        raise GuardrailsError(
            f"no task applies here (branch `{ctx.branch or 'detached HEAD'}`, no session)",
            f"name one: git guardrails explain --task NAME PATH…   (tasks: {names or 'none'})")
    rows = [explain_path(pol, chosen, adhoc, _normal(ctx.repo, p)) for p in paths]
    policy = "session (ad hoc)" if adhoc else (pol.source if pol else None)
    if fmt == "json":
        report.write(json.dumps({"policy": policy, "task": chosen.name, "paths": rows},
                                indent=2) + "\n")
        return 0
    out = [f"# policy: {policy} · task: {chosen.name}"]
    for r in rows:
        src = f"{r['source']}:{r['pattern']}" if r["pattern"] is not None else "::"
        if r["source"] is not None and r["line"] is None:
            src = f"{r['source']}::{r['pattern']}"
        extra = " (budget-exclude)" if r["budget_excluded"] else ""
        out.append(f"{src}\t{show_path(r['path'])}\t{r['verdict']}{extra}")
    report.write("\n".join(out) + "\n")
    return 0
