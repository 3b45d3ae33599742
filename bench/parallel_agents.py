"""Stress benchmark: N agent worktrees each making K commits of real file changes while a
maintenance loop runs, with and without the guardrails. Real git processes throughout.

    python -m bench.parallel_agents [-n 16] [-k 20] [--mode MODE ...] [--all] [--workdir DIR]
                                    [--ref-format files|reftable]

The git on PATH is the git measured (``PATH=.cache/git-2.55.0/bin:$PATH`` after
``.ci/build-git``); ``--ref-format reftable`` (git >= 2.45) makes every repository reftable.

Modes are ``<setup>/<maintenance>``:

* setup ``plain``: no hooks, maintenance run with plain git (the unguarded baseline);
  ``guarded``: ``git-guardrails install --pre-commit``: the native hooks as git runs them
  without a hook runner (no runner, so the numbers are the guardrails' own cost) --
  reference-transaction and pre-auto-gc (shim.sh), ref-store-guard at pre-commit and
  verify-commit at post-commit (commit.sh: shell for the common case, the Python hook when a
  lock, a gc, a missing object or a lost commit needs judging) -- one session per worktree,
  ``maintenance.suspend``; maintenance goes through ``git-guardrails gc --wait``.
  ``native``: the same without the two commit hooks (reference-transaction, pre-auto-gc,
  sessions and ``git-guardrails gc`` only), to show where the time goes.
* maintenance ``none``; ``prunenow`` (``pack-refs --all`` + ``gc --prune=now``);
  ``gcloop`` (``pack-refs --all``, ``gc --auto`` with gc.auto=1, ``gc``);
  ``gcloop-noauto`` (the same, agents' commits with ``maintenance.auto=false gc.auto=0``);
  ``packrefs`` (two concurrent ``pack-refs --all --prune`` loops); ``human-prunenow``: the
  ``prunenow`` loop run with plain git beside a guarded setup (what a human in the main checkout
  may do; the guardrails cannot stop it, ``doctor`` must name every branch it damages).
* ``worktree-add``: N parallel ``git-guardrails worktree add`` (only when that command exists).

Per mode: commits attempted, reported ok, found on their branch, lost (reported ok, missing
from the branch; split into rolled back — the commit object still exists — and pruned), failed
commits and how many of them named their cause (a guardrails rule or message), ``git fsck``
problem lines, leftover lock files, wall time of the commit phase and its CPU time (user +
system of the agents' commits and everything they ran, hooks included). In guarded modes,
``git-guardrails doctor`` runs at the end: a lost commit on a branch doctor does not name is
counted as unexplained, and so is a failed commit whose message names no guardrails rule
(git's own ``fatal: cannot lock references``: the target is 0 in every guarded mode). After the
table: each guarded and native mode's wall and CPU time against plain with the same
maintenance in this run (issue 18's target: guarded/none <= 3x plain/none, in wall time; on a
machine other jobs load, the CPU ratio is the steadier one), and the load average.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

DEFAULT_MODES = ("plain/none", "plain/prunenow", "guarded/none", "guarded/prunenow",
                 "worktree-add")
ALL_MODES = ("plain/none", "plain/prunenow", "plain/gcloop", "plain/gcloop-noauto",
             "plain/packrefs", "guarded/none", "guarded/prunenow", "guarded/gcloop",
             "guarded/packrefs", "guarded/human-prunenow", "native/none", "native/prunenow",
             "worktree-add")
BIN = Path(sys.executable).parent

WORKER = r"""
set -u
i=$1; k=$2; wt=$3; log=$4; shift 4
: > "$log/w$i.ok"
for j in $(seq 1 "$k"); do
    echo "wt$i line $j" >> "$wt/f$i.txt"
    if ! git "$@" -C "$wt" add "f$i.txt" 2> "$log/w$i-c$j.add.err"; then
        git "$@" -C "$wt" add "f$i.txt" 2>> "$log/w$i-c$j.add.err"   # one retry, as an agent would
    fi
    if git "$@" -C "$wt" commit -q -m "wt$i-c$j" > "$log/w$i-c$j.out" 2> "$log/w$i-c$j.err"; then
        echo "wt$i-c$j" >> "$log/w$i.ok"
    fi
done
"""


@dataclass
class Result:
    mode: str
    attempted: int = 0
    ok: int = 0
    on_branch: int = 0
    lost: int = 0
    rolled_back: int = 0
    pruned: int = 0
    failed: int = 0
    named: int = 0
    fsck: int = 0
    locks: list[str] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0  # user + system CPU of the agents' commits and all they ran
    maint_runs: int = 0
    maint_failed: int = 0
    journal_rollbacks: int = 0
    unexplained: int = 0  # lost commits on branches `doctor` does not name (guarded modes)
    causes: Counter[str] = field(default_factory=Counter)
    lost_by_branch: dict[str, int] = field(default_factory=dict)
    note: str = ""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "PRE_COMMIT", "PREK_")) and k not in (
               "CLAUDECODE", "AGENT", "AI_AGENT", "SKIP")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C", GIT_AUTHOR_NAME="agent",
               GIT_AUTHOR_EMAIL="agent@example.invalid", GIT_COMMITTER_NAME="agent",
               GIT_COMMITTER_EMAIL="agent@example.invalid",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return env


def _git(env: dict[str, str], *args: str, cwd: Path, check: bool = True,
         input: Optional[bytes] = None) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, input=input,
                          check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
    return proc


def _hook(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


REF_FORMAT = ["files"]  # set by --ref-format


def _init(env: dict[str, str], repo: Path, cwd: Path) -> None:
    fmt = [f"--ref-format={REF_FORMAT[0]}"] if REF_FORMAT[0] != "files" else []
    _git(env, "init", "-q", "-b", "main", *fmt, str(repo), cwd=cwd)


def setup(work: Path, n: int, guarded: bool, env: dict[str, str],
          commit_hooks: bool = True) -> tuple[Path, list[Path]]:
    repo = work / "repo"
    _init(env, repo, work)
    (repo / ".guardrails.toml").write_text(
        '[guardrails]\nbase = "main"\nprotected = ["main"]\n')
    _git(env, "add", "-A", cwd=repo)
    _git(env, "commit", "-q", "-m", "base", cwd=repo)
    wts = []
    for i in range(1, n + 1):
        _git(env, "worktree", "add", "-q", "-b", f"wt{i}", str(work / f"wt{i}"), "main",
             cwd=repo)
        wts.append(work / f"wt{i}")
    _git(env, "pack-refs", "--all", cwd=repo)
    if guarded:
        # guarded: `git guardrails install --pre-commit`: the native hooks, with
        # ref-store-guard (pre-commit) and verify-commit (post-commit) as git runs them without
        # a hook runner (shell for the common case, the Python hook when something needs
        # judging). native: the same hooks without the two commit hooks.
        subprocess.run([str(BIN / "git-guardrails"), "install",
                        *(["--pre-commit"] if commit_hooks else [])], cwd=repo, env=env,
                       capture_output=True, check=True)
        if not commit_hooks:
            _hook(repo / ".git" / "hooks" / "post-commit", "exit 0\n")
        code = (
            "import sys, time\n"
            "from guardrails import git\nfrom guardrails.refstore import maintenance\n"
            "from guardrails.sessions import session\n"
            "for i, wt in enumerate(sys.argv[1:], 1):\n"
            "    r = git.discover(wt)\n"
            "    session.save(r.git_dir, session.Session(branch=f'wt{i}', "
            "baseline=git.rev_parse(r, 'HEAD'), started=time.time(), allow=['f*.txt']))\n"
            "maintenance.suspend(git.discover(sys.argv[1]))\n")
        subprocess.run([sys.executable, "-c", code, *map(str, wts)], env=env, check=True)
    return repo, wts


def maintenance_cmds(kind: str, guarded: bool) -> list[list[list[str]]]:
    """Loops (run concurrently), each a list of commands run in turn."""
    gg = [str(BIN / "git-guardrails"), "gc", "--wait", "--timeout", "600"]
    if kind == "none":
        return []
    if kind == "prunenow":
        if guarded:
            return [[[*gg, "--prune=now"]]]
        return [[["git", "pack-refs", "--all"], ["git", "gc", "--quiet", "--prune=now"]]]
    if kind in ("gcloop", "gcloop-noauto"):
        if guarded:
            return [[gg]]
        return [[["git", "pack-refs", "--all"],
                 ["git", "-c", "gc.auto=1", "-c", "gc.autoDetach=false", "gc", "--auto",
                  "--quiet"],
                 ["git", "gc", "--quiet"]]]
    if kind == "human-prunenow":
        return [[["git", "pack-refs", "--all"], ["git", "gc", "--quiet", "--prune=now"]]]
    if kind == "packrefs":
        if guarded:
            return [[gg], [gg]]
        return [[["git", "pack-refs", "--all", "--prune"]]] * 2
    raise ValueError(kind)


def run_mode(mode: str, n: int, k: int, base: Path) -> Result:
    res = Result(mode)
    if mode == "worktree-add":
        return run_worktree_add(n, base)
    setup_kind, maint = mode.split("/")
    guarded = setup_kind in ("guarded", "native")
    work = base / mode.replace("/", "-")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = _env(work)
    repo, wts = setup(work, n, guarded, env, commit_hooks=setup_kind == "guarded")
    log = work / "log"
    log.mkdir()
    extra: list[str] = []
    if maint == "gcloop-noauto":
        extra = ["-c", "maintenance.auto=false", "-c", "gc.auto=0"]
    done = work / "workers.done"
    loops = maintenance_cmds(maint, guarded)
    mprocs = []
    for li, cmds in enumerate(loops):
        script = "n=0; f=0\nwhile [ ! -e \"$DONE\" ]; do\n"
        for c in cmds:
            quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in c)
            script += f"  n=$((n+1)); {quoted} >/dev/null 2>>\"$LOG/maint{li}.err\" || f=$((f+1))\n"
        script += f"done\necho \"$n $f\" > \"$LOG/maint{li}.count\"\n"
        mprocs.append(subprocess.Popen(["bash", "-c", script], cwd=repo,
                                       env={**env, "DONE": str(done), "LOG": str(log)}))
    cpu0 = _child_cpu()
    t0 = time.monotonic()
    workers = [subprocess.Popen(["bash", "-c", WORKER, "w", str(i), str(k), str(wt), str(log),
                                 *extra], env=env)
               for i, wt in enumerate(wts, 1)]
    for w in workers:
        w.wait()
    res.wall = time.monotonic() - t0
    res.cpu = _child_cpu() - cpu0  # the workers only: the maintenance loops are not reaped yet
    done.touch()
    for m in mprocs:
        m.wait()
    for li in range(len(loops)):
        try:
            runs, fails = (log / f"maint{li}.count").read_text().split()
            res.maint_runs += int(runs)
            res.maint_failed += int(fails)
        except (OSError, ValueError):
            pass
    verify(res, repo, wts, log, k, env)
    if guarded and res.lost:
        doctor = subprocess.run([str(BIN / "git-guardrails"), "doctor", "--format", "json"],
                                cwd=repo, env=env, capture_output=True, text=True, check=False)
        try:
            named = json.dumps(json.loads(doctor.stdout).get("findings", []))
        except ValueError:
            named = ""
        for i in range(1, n + 1):
            lost_here = res.lost_by_branch.get(f"wt{i}", 0)
            if lost_here and not re.search(rf"\bwt{i}\b", named):
                res.unexplained += lost_here
    return res


def _child_cpu() -> float:
    """CPU seconds (user + system) of every reaped child of this process and of the children
    they reaped: a cost the load of other jobs on the machine changes far less than wall
    time."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _cause(text: str) -> str:
    import re

    text = re.sub(r"\b[0-9a-f]{40}([0-9a-f]{24})?\b", "<oid>", text)
    for line in text.splitlines():
        s = line.strip()
        for marker in ("error[refstore-", "refstore-"):
            if marker in s:
                return s[s.index(marker):].split("]")[0].replace("error[", "") + "]"
        if s.startswith(("fatal:", "error:", "git-guardrails:")):
            return s[:90]
    return (text.strip().splitlines() or ["(no message)"])[0][:90]


def _classify_lost(res: Result, repo: Path, i: int, lost: set[str],
                   env: dict[str, str]) -> None:
    """Lost commits of worktree i: rolled back (the object still exists) or pruned."""
    reflog = _git(env, "log", "-g", "--format=%H %gs", f"refs/heads/wt{i}", cwd=repo,
                  check=False).stdout.decode(errors="replace").splitlines()
    by_msg: dict[str, str] = {}
    for line in reflog:
        oid, _, gs = line.partition(" ")
        by_msg[gs.split(": ", 1)[-1]] = oid
    for m in lost:
        lost_oid = by_msg.get(m)
        if lost_oid and _git(env, "cat-file", "-e", lost_oid, cwd=repo,
                             check=False).returncode == 0:
            res.rolled_back += 1
        else:
            res.pruned += 1
    res.lost += len(lost)
    res.lost_by_branch[f"wt{i}"] = len(lost)


def _failures(res: Result, log: Path, i: int, k: int, ok: set[str]) -> None:
    """Failed commits of worktree i, each with its cause; named = a guardrails rule or
    message says why (anything else, e.g. git's own `cannot lock references`, is
    unexplained)."""
    for j in range(1, k + 1):
        if f"wt{i}-c{j}" in ok:
            continue
        res.failed += 1
        text = ""
        for suffix in (".add.err", ".out", ".err"):
            p = log / f"w{i}-c{j}{suffix}"
            if p.exists():
                text += p.read_text(errors="replace")
        res.causes[_cause(text)] += 1
        if "refstore-" in text or "git-guardrails" in text:
            res.named += 1


def verify(res: Result, repo: Path, wts: list[Path], log: Path, k: int,
           env: dict[str, str]) -> None:
    res.attempted = len(wts) * k
    for i, _wt in enumerate(wts, 1):
        ok = set((log / f"w{i}.ok").read_text().split())
        res.ok += len(ok)
        msgs = _git(env, "log", "--format=%s", f"wt{i}", "--not", "main", cwd=repo,
                    check=False).stdout.decode(errors="replace").split()
        res.on_branch += len(set(msgs))
        lost = ok - set(msgs)
        if lost:
            _classify_lost(res, repo, i, lost, env)
        _failures(res, log, i, k, ok)
    fsck = _git(env, "fsck", "--full", "--no-progress", cwd=repo, check=False)
    out = (fsck.stdout + fsck.stderr).decode(errors="replace").splitlines()
    res.fsck = sum(1 for line in out if line and not line.startswith(("dangling", "notice")))
    gd = repo / ".git"
    res.locks = _leftover_locks(gd)
    res.journal_rollbacks = _journal_rollbacks(gd / "guardrails" / "journal.jsonl")


def _journal_rollbacks(jp: Path) -> int:
    """Rollback and lost-commit entries in the ref journal (none when there is no journal)."""
    if not jp.exists():
        return 0
    n = 0
    for line in jp.read_text().splitlines():
        try:
            if json.loads(line).get("kind") in ("rollback", "commit-lost"):
                n += 1
        except ValueError:
            continue
    return n


def _leftover_locks(gd: Path) -> list[str]:
    """Lock files left in the git dir (os.walk: a detached auto-maintenance of plain git may
    still be deleting object directories)."""
    out = []
    for d, _dirs, files in os.walk(gd):
        rel = Path(d).relative_to(gd)
        if "guardrails" in rel.parts:
            continue
        out += [str(rel / f) for f in files if f.endswith(".lock")]
    return sorted(out)


def run_worktree_add(n: int, base: Path) -> Result:
    res = Result("worktree-add")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        from guardrails.cli import COMMANDS
    except ImportError:
        COMMANDS = {}
    if "worktree" not in COMMANDS:
        res.note = "not run: `git-guardrails worktree add` does not exist on this branch"
        return res
    work = base / "worktree-add"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = _env(work)
    repo = work / "repo"
    _init(env, repo, work)
    (repo / ".guardrails.toml").write_text('[guardrails]\nbase = "main"\n')
    _git(env, "add", "-A", cwd=repo)
    _git(env, "commit", "-q", "-m", "base", cwd=repo)
    t0 = time.monotonic()
    procs = [subprocess.Popen([str(BIN / "git-guardrails"), "worktree", "add",
                               str(work / f"w{i}"), f"agent/w{i}", "--allow", f"w{i}/**"],
                              cwd=repo, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(1, n + 1)]
    outs = [(p.wait(), p.communicate()) for p in procs]
    res.wall = time.monotonic() - t0
    res.attempted = n
    res.ok = sum(1 for rc, _ in outs if rc == 0)
    listed = _git(env, "worktree", "list", "--porcelain", cwd=repo).stdout.decode()
    res.on_branch = sum(1 for i in range(1, n + 1) if f"refs/heads/agent/w{i}\n" in listed)
    res.failed = n - res.ok
    for rc, (o, e) in outs:
        if rc != 0:
            res.causes[_cause(o + e)] += 1
            if "fix:" in e or "git-guardrails" in e:
                res.named += 1
    branches = _git(env, "branch", "--list", "agent/*", cwd=repo).stdout.decode().split()
    res.lost = len([b for b in branches if b.startswith("agent/")]) - res.on_branch
    res.note = "lost = orphan branches without a worktree"
    fsck = _git(env, "fsck", "--no-progress", cwd=repo, check=False)
    res.fsck = sum(1 for line in (fsck.stdout + fsck.stderr).decode().splitlines()
                   if line and not line.startswith(("dangling", "notice")))
    gd = repo / ".git"
    res.locks = _leftover_locks(gd)
    return res


def table(results: Sequence[Result]) -> str:
    head = ("| mode | attempted | reported ok | on branch | lost (rolled back / pruned) | "
            "lost, not named by doctor | "
            "journaled rollbacks | failed (cause named) | unexplained failures | fsck problems "
            "| leftover locks | maintenance runs (failed) | wall s | CPU s |")
    lines = [head, "|" + "---|" * 14]
    for r in results:
        if r.note.startswith("not run"):
            lines.append(f"| {r.mode} | {r.note} |" + " |" * 12)
            continue
        guarded = r.mode.startswith(("guarded", "native"))
        lines.append(
            f"| {r.mode} | {r.attempted} | {r.ok} | {r.on_branch} | {r.lost} "
            f"({r.rolled_back} / {r.pruned}) | {r.unexplained if guarded else '-'} "
            f"| {r.journal_rollbacks} | {r.failed} ({r.named}) "
            f"| {r.failed - r.named if guarded else '-'} "
            f"| {r.fsck} | {', '.join(r.locks) or 'none'} | {r.maint_runs} ({r.maint_failed}) "
            f"| {r.wall:.1f} | {r.cpu:.1f} |")
    out = "\n".join(lines) + "\n" + ratios(results)
    for r in results:
        if r.causes:
            out += f"\n{r.mode}: failure causes\n"
            for cause, count in r.causes.most_common(6):
                out += f"  {count:4d}  {cause}\n"
    return out


def ratios(results: Sequence[Result]) -> str:
    """Wall time of each guarded and native mode against plain with the same maintenance, in
    this run (issue 18: guarded/none <= 3x plain/none), per commit made (plain under
    reftable fails commits on git's 100 ms lock wait, which makes it look faster), and CPU
    time (user + system of the commits: what other jobs on a shared machine move least)."""
    by = {r.mode: r for r in results}
    out = ""
    for r in results:
        setup_kind, _, maint = r.mode.partition("/")
        floor = by.get(f"plain/{maint}")
        if setup_kind not in ("guarded", "native") or floor is None or not floor.wall:
            continue
        per = (r.wall / max(r.ok, 1)) / (floor.wall / max(floor.ok, 1))
        out += (f"\n{r.mode} / plain/{maint}: {r.wall / floor.wall:.2f}x wall time "
                f"({r.wall:.1f} s / {floor.wall:.1f} s), {per:.2f}x per commit made "
                f"({r.ok} / {floor.ok} made)")
        if floor.cpu > 0:
            out += f", {r.cpu / floor.cpu:.2f}x CPU ({r.cpu:.1f} s / {floor.cpu:.1f} s)"
    return out + "\n" if out else ""


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="parallel_agents", description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=16, help="worktrees (agents)")
    ap.add_argument("-k", type=int, default=20, help="commits per worktree")
    ap.add_argument("--mode", action="append", choices=ALL_MODES, help="repeatable")
    ap.add_argument("--all", action="store_true", help="every mode")
    ap.add_argument("--workdir", help="keep the repositories here (default: a temp dir)")
    ap.add_argument("--json", action="store_true", help="print results as JSON too")
    ap.add_argument("--ref-format", choices=("files", "reftable"), default="files",
                    help="ref backend of every repository (reftable: git >= 2.45)")
    args = ap.parse_args(argv)
    REF_FORMAT[0] = args.ref_format
    if args.n < 1 or args.k < 1:
        ap.error("-n and -k must be at least 1")
    modes = ALL_MODES if args.all else tuple(args.mode or DEFAULT_MODES)
    base = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="gg-bench-"))
    results = []
    load0 = os.getloadavg()
    for m in modes:
        print(f"running {m} ({args.n} x {args.k}) ...", file=sys.stderr, flush=True)
        results.append(run_mode(m, args.n, args.k, base))
    version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    load1 = os.getloadavg()
    print(f"git {version.split()[-1]} ({args.ref_format} refs), {args.n} worktrees x "
          f"{args.k} commits, {os.cpu_count()} CPUs, load average {load0[0]:.1f} at the "
          f"start, {load1[0]:.1f} at the end (1 min; 5 min {load1[1]:.1f})\n")
    print(table(results))
    if args.json:
        print(json.dumps([{**r.__dict__, "causes": dict(r.causes)} for r in results], indent=1))
    if not args.workdir:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
