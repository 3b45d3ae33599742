"""git-guardrails status [--format text|json]

One row per worktree (path, branch, task, baseline, ahead/behind the base, dirty or clean,
session, last finding), then the active tasks whose changed paths overlap and the worktrees
without a session (the main checkout first of all) that became dirty while sessions are active.

Cost: one ``git worktree list --porcelain -z``, the trusted policy (two calls), one ``git
status`` per worktree (as many at a time as there are CPUs, guardrails.git.each), and beside
them a fixed number of calls whatever the number of worktrees (guardrails.git.aheadbehind):
one ``cat-file --batch-check`` for the bases and baselines, one ``for-each-ref`` with an
``%(ahead-behind:…)`` atom per tip (git < 2.41: ``merge-base --octopus`` + ``rev-list
--parents``), one ``diff-tree --stdin`` for every session's baseline..HEAD. Every read runs
with GIT_OPTIONAL_LOCKS=0, so polling never takes index.lock. The CONFLICTS column: one ``git
merge-tree`` per pair of session tips (and per tip against the base) not yet in the cache
(guardrails.review.conflicts).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

import click

from guardrails import git, report
from guardrails.errors import GuardrailsError
from guardrails.findings import WARNING, Finding, printable, shell_path
from guardrails.git import aheadbehind, each, worktrees
from guardrails.review import conflicts
from guardrails.scope import policy as policies
from guardrails.sessions import lifecycle, session

OTHER = git.OTHER_WORKTREE


@dataclass
class Row:
    path: str
    branch: Optional[str]
    head: Optional[str]
    main: bool
    state: str = "clean"  # clean | dirty | prunable | bare | error
    dirty: int = 0
    session: str = "none"  # none | active | unreadable
    task: Optional[str] = None
    agent: Optional[str] = None
    baseline: Optional[str] = None
    base: Optional[str] = None
    ahead: Optional[int] = None
    behind: Optional[int] = None
    started: Optional[float] = None
    last_finding: Optional[dict[str, Any]] = None
    note: Optional[str] = None  # prunable / locked reason, or an error
    changed: list[str] = field(default_factory=list)
    dirty_paths: list[str] = field(default_factory=list)
    conflicts: Optional[dict[str, Any]] = None  # paths that conflict: {"base": n, "branches"}


def _facts(wt: worktrees.Worktree, default_base: str
           ) -> tuple[Row, Optional[session.Session]]:
    """What the worktree list and the files of its private git dir say (no git process)."""
    row = Row(path=wt.path, branch=wt.branch, head=wt.head, main=wt.is_main)
    if wt.bare:
        row.state = "bare"
        return row, None
    if wt.prunable is not None or not os.path.isdir(wt.path):
        row.state = "prunable"
        row.note = wt.prunable or "its directory is gone"
    sess: Optional[session.Session] = None
    if wt.git_dir is not None:
        try:
            sess = session.load(wt.git_dir)
        except GuardrailsError as e:
            row.session = "unreadable"
            row.note = e.message
        try:
            row.last_finding = session.last_finding(wt.git_dir)
        except GuardrailsError:
            row.last_finding = None  # reported as state-invalid, with its fix
    if sess is not None:
        row.session = "active"
        row.task = sess.task or "ad hoc: " + ", ".join(sess.allow)
        row.agent, row.baseline, row.started = sess.agent, sess.baseline, sess.started
    row.base = (sess.base if sess and sess.base else None) or default_base
    return row, sess


def _commits(repo: git.Repo, live: list[tuple[Row, Optional[session.Session]]]
             ) -> dict[int, set[str]]:
    """Ahead/behind the base of every row with a commit (set on the rows), and the paths
    each session changed in commits since its baseline (by row index in ``live``): a
    handful of git processes whatever the number of worktrees (guardrails.git.aheadbehind)."""
    names = [r.base for r, _s in live if r.base and r.head] + \
        [s.baseline for _r, s in live if s is not None and s.baseline] + \
        [r.head for r, _s in live if r.head]  # a HEAD whose commit is missing drops out here
    oid = aheadbehind.resolve(repo, names)
    tips = {i: (oid.get(r.base or ""), oid.get(r.head or "")) for i, (r, _s) in enumerate(live)}
    ab = aheadbehind.counts(repo, [(b, t) for b, t in tips.values() if b and t],
                            names=sorted({r.base for r, _s in live if r.base and oid.get(r.base)}))
    for i, (b, t) in tips.items():
        if b and t and (b, t) in ab:
            live[i][0].ahead, live[i][0].behind = ab[(b, t)]
    # committed since the baseline (tree to tree: plumbing, no index involved)
    diffs = {i: (oid.get(s.baseline), oid.get(r.head or "")) for i, (r, s) in enumerate(live)
             if s is not None and s.baseline and r.head and r.head != s.baseline}
    paths = aheadbehind.changed_paths(repo, [(a, b) for a, b in diffs.values() if a and b])
    return {i: set(paths.get((a, b), ())) for i, (a, b) in diffs.items() if a and b}


def _fill(repo: git.Repo, rows: list[tuple[Row, Optional[session.Session]]]) -> None:
    """The git side of every row that has a work tree: dirty files (one ``git status`` per
    worktree, a few at a time, beside the commit reads), ahead/behind, changed paths."""
    live = [(r, s) for r, s in rows if r.state not in ("bare", "prunable")]
    got: list[Any] = []

    def commits() -> None:
        try:
            got.append(_commits(repo, live))
        except BaseException as e:  # raised again below, in the caller's thread
            got.append(e)

    beside = threading.Thread(target=commits, daemon=True)
    beside.start()
    try:
        procs = each.run_each(lifecycle.DIRTY_ARGS, [r.path for r, _s in live], env=OTHER)
    finally:
        beside.join()
    changed: dict[int, set[str]] = {}
    if isinstance(got[0], GuardrailsError):  # git itself failed: say so on each row
        for row, _s in live:
            row.note = row.note or got[0].message.splitlines()[0]
    elif isinstance(got[0], BaseException):
        raise got[0]
    else:
        changed = got[0]
    for i, ((row, sess), proc) in enumerate(zip(live, procs)):
        dirty: list[lifecycle.Dirty] = []
        if proc.returncode == 0:
            dirty = lifecycle.parse_dirty(proc.stdout)
            row.dirty, row.dirty_paths = len(dirty), [d.path for d in dirty]
            row.state = "dirty" if dirty else "clean"
        else:
            row.state = "error"
            row.note = git.GitError(lifecycle.DIRTY_ARGS, proc.returncode, proc.stderr
                                    ).message.splitlines()[0]
        if sess is not None:
            # plus everything uncommitted (`git diff` against the work tree would refresh
            # the index under index.lock, GIT_OPTIONAL_LOCKS or not)
            row.changed = sorted(changed.get(i, set()) | {d.path for d in dirty})


def _became_dirty(row: Row, since: float) -> list[str]:
    """The dirty files of a worktree changed at or after ``since`` (mtime; for a deleted file,
    the mtime of its directory)."""
    newer = []
    for p in row.dirty_paths:
        full = os.path.join(row.path, p)
        try:
            mtime = os.lstat(full).st_mtime
        except OSError:
            try:
                mtime = os.stat(os.path.dirname(full)).st_mtime
            except OSError:
                continue
        if mtime >= since:
            newer.append(p)
    return newer


def _drop_nested(rows: list[Row]) -> None:
    """A registered worktree inside another one (``.claude/worktrees/<n>``,
    ``.gemini/worktrees/<n>``) shows in the outer one's ``git status`` as an untracked
    directory: it is a worktree of its own, not a change of the outer one."""
    tops = {os.path.realpath(r.path) for r in rows}
    for r in rows:
        if not r.dirty_paths:
            continue
        outer = os.path.realpath(r.path)
        kept = [p for p in r.dirty_paths
                if os.path.realpath(os.path.join(outer, p.rstrip("/"))) not in tops - {outer}]
        if len(kept) != len(r.dirty_paths):
            r.dirty_paths = kept
            r.dirty = len(kept)
            if r.state == "dirty" and not kept:
                r.state = "clean"


def collect(repo: git.Repo) -> tuple[list[Row], list[dict[str, Any]], list[Finding]]:
    wts = worktrees.list_worktrees(repo)
    try:
        pol = policies.load_trusted(repo)
    except GuardrailsError:
        pol = None  # status still shows the worktrees; `check` reports the policy error
    base = lifecycle.default_base(repo, pol) if pol is None else pol.base
    facts = [_facts(wt, base) for wt in wts]
    _fill(repo, facts)
    rows = [r for r, _s in facts]
    _drop_nested(rows)
    from guardrails.sessions import health

    findings: list[Finding] = health.findings(repo, wts)
    active = [r for r in rows if r.session == "active"]
    try:  # merge forecasts, cached by the pair of tips: cheap once computed
        counts = conflicts.status_counts(repo, base, [(r.branch, r.head) for r in active
                                                      if r.branch])
    except GuardrailsError:
        counts = {}
    for r in active:
        r.conflicts = counts.get(r.branch or "")
    overlaps: list[dict[str, Any]] = []
    for i, a in enumerate(active):
        for b in active[i + 1:]:
            both = sorted(set(a.changed) & set(b.changed))
            if not both:
                continue
            overlaps.append({"a": {"path": a.path, "task": a.task, "branch": a.branch},
                             "b": {"path": b.path, "task": b.task, "branch": b.branch},
                             "paths": both})
            shown = ", ".join(both[:5]) + (f" … ({len(both)} paths)" if len(both) > 5 else "")
            findings.append(Finding(
                "status-overlap",
                f"{a.task} ({a.path}) and {b.task} ({b.path}) both change {shown}",
                f"agree who owns these paths before merging; compare: git diff "
                f"{shell_path(f'{a.branch}...{b.branch}')} -- {shell_path(both[0])}",
                severity=WARNING, path=both[0]))
    if active:
        since = min(r.started or time.time() for r in active)
        for r in rows:
            if r.session != "none" or r.state != "dirty":
                continue
            newer = _became_dirty(r, since)
            if newer:
                shown = ", ".join(newer[:5]) + (f" … ({len(newer)} files)" if len(newer) > 5
                                                else "")
                where = "the main checkout" if r.main else f"the worktree {r.path}"
                findings.append(Finding(
                    "status-stray-changes",
                    f"{where} has no session but changed while sessions are active: {shown}",
                    "an agent may have written there by absolute path; inspect: "
                    f"git -C {shell_path(r.path)} status, and move the changes to the agent's "
                    "worktree", severity=WARNING,
                    path=newer[0]))
    return rows, overlaps, findings


def _ago(t: Optional[float]) -> str:
    if not t:
        return ""
    s = max(0, time.time() - t)
    return f"{s / 3600:.1f}h" if s >= 3600 else f"{s / 60:.0f}m" if s >= 60 else f"{s:.0f}s"


def render_text(rows: list[Row]) -> str:
    head = ("WORKTREE", "BRANCH", "TASK", "BASELINE", "+/-BASE", "CONFLICTS", "TREE", "SESSION",
            "LAST FINDING")
    table: list[tuple[str, ...]] = [head]
    for r in rows:
        ab = f"+{r.ahead}/-{r.behind}" if r.ahead is not None else "-"
        tree = f"dirty({r.dirty})" if r.state == "dirty" else r.state
        sess = r.session if r.session != "active" else f"active {_ago(r.started)}"
        lf = ""
        if r.last_finding:
            lf = f"{r.last_finding.get('rule')} {_ago(r.last_finding.get('time'))} ago"
        table.append((r.path + (" (main)" if r.main else ""), r.branch or "(detached)",
                      r.task or "-", (r.baseline or "")[:9] or "-", ab,
                      conflicts.count_label(r.conflicts), tree, sess, lf or "-"))
    table = [tuple(printable(str(c)) for c in row) for row in table]  # agent-written text
    widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    for r in rows:
        if r.note:
            lines.append(f"  {printable(r.path)}: {printable(r.note)}")
    return "\n".join(lines) + "\n"


@click.command("status")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text")
def command(fmt: str) -> int:
    """Every worktree: branch, task, baseline, ahead/behind, dirty, session, last finding; and
    tasks whose changes overlap."""
    repo = git.discover()
    rows, overlaps, findings = collect(repo)
    if fmt == "json":
        meta = {"worktrees": [{k: v for k, v in asdict(r).items() if k != "dirty_paths"}
                              for r in rows], "overlaps": overlaps}
        report.write(report.as_json(findings, meta))
    else:
        report.write(render_text(rows) + (report.render(findings, fmt, {}) if findings else ""))
    return 0
