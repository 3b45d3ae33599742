"""How many processes each native hook starts for the common case, an agent's commit in its
session (`git guardrails install --pre-commit`, bench.parallel_agents' guarded mode): counted with
strace on a real `git commit`, so that a change that adds one (a `$(...)` subshell, a `mkdir -p`
run every time, a second `wc`) fails here instead of going unseen in the 16 x 20 figures.
Counts, never times."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import add_worktree, gg, git, make_repo, write
from tests.refstore_helpers import start_session

pytestmark = [
    pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace(1) to count "
                       "the processes the hooks start"),
    pytest.mark.skipif(shutil.which("flock") is None,
                       reason="no flock(1): the shim hands every journal write to Python"),
]

# Each hook invocation of one agent commit -> the programs it runs, in any order. Every other
# step is the shell's own (read, case, parameter expansion, test, printf).
EXPECTED = {
    # every staged object exists (the lock files a commit can meet: the shell's globs, find
    # only for the age of one it meets)
    "pre-commit": ["git diff-index"],
    # a .pre-commit-config.yaml in HEAD would mean a check runner is expected (reftx.py)
    "reference-transaction prepared": ["git cat-file"],
    # the git command line (NULs) and the time in one awk; the journal's lock, size, last byte
    "reference-transaction committed": ["awk", "flock", "wc", "tail"],
    # the commit (HEAD@{0}) and every object it introduced
    "post-commit": ["git rev-list"],
}

_FORK = re.compile(r"^(\d+)\s+(?:<\.\.\. )?(?:clone3?|fork|vfork)\b.*= (\d+)$")
_EXEC = re.compile(r'^(\d+)\s+execve\("([^"]*)", \[([^\]]*)\]')


def _hook_runs(log: Path) -> dict[str, list[tuple[int, list[str]]]]:
    """Per hook invocation (name and state): how many processes ran under it and what each
    exec'd (program, and git's subcommand)."""
    parent: dict[int, int] = {}
    execs: dict[int, list[list[str]]] = {}
    for line in log.read_text(errors="replace").splitlines():
        m = _FORK.match(line)
        if m:
            parent[int(m.group(2))] = int(m.group(1))
            continue
        m = _EXEC.match(line)
        if m and not line.rstrip().endswith(("= -1 ENOENT (No such file or directory)",
                                              "= -1 EACCES (Permission denied)")):
            argv = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(3))
            execs.setdefault(int(m.group(1)), []).append([m.group(2), *argv[1:3]])
    hooks: dict[int, str] = {}
    for pid, calls in execs.items():
        for path, *args in calls:
            if "/hooks/" in path:
                name = path.rsplit("/", 1)[1]
                hooks[pid] = f"{name} {args[0]}" if name == "reference-transaction" else name
    runs: dict[str, list[tuple[int, list[str]]]] = {}
    for hook_pid, name in hooks.items():
        under = [p for p in set(parent) | set(execs) if p != hook_pid and _under(p, hook_pid,
                                                                                  parent)]
        progs = []
        for p in under:
            for path, *args in execs.get(p, []):
                prog = path.rsplit("/", 1)[1]
                progs.append(f"git {args[0]}" if prog == "git" and args else prog)
        runs.setdefault(name, []).append((len(under), sorted(progs)))
    return runs


def _under(pid: int, ancestor: int, parent: dict[int, int]) -> bool:
    seen = 0
    while pid in parent and seen < 1000:
        pid = parent[pid]
        if pid == ancestor:
            return True
        seen += 1
    return False


# A check runner's pre-commit stage (the README's configuration) records the git process whose
# checks ran; a hook kept as pre-commit.legacy (run first by commit.sh) stands in for it here.
RECORD_CHECKS = r"""#!/bin/sh
read -r stat < "/proc/$PPID/stat"
set -- ${stat##*) }
git_pid=$2
read -r stat < "/proc/$git_pid/stat"
set -- ${stat##*) }
gd=$(git rev-parse --absolute-git-dir)
printf '{"git": "%s:%s"}\n' "$git_pid" "${20}" > "$gd/guardrails/checked.json"
"""


@pytest.mark.parametrize("checked", [False, True], ids=["no-checks-record", "checks-record"])
def test_agent_commit_hooks_start_the_fewest_processes(tmp_path: Path, checked: bool) -> None:
    repo = make_repo(tmp_path / "repo")
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    add_worktree(repo, tmp_path / "b", "agent/docs")
    if checked:
        legacy = repo / ".git" / "hooks" / "pre-commit.legacy"
        legacy.write_text(RECORD_CHECKS)
        legacy.chmod(0o755)
    proc = gg("install", "--pre-commit", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    start_session(a, "agent/auth", "auth")
    start_session(tmp_path / "b", "agent/docs", "docs")
    journal = repo / ".git" / "guardrails" / "journal.jsonl"
    for n in range(2):  # the second commit finds the journal's directory there
        write(a, "src/auth/x.py", f"x = {n}\n")
        git("add", "src/auth/x.py", cwd=a)
        log = tmp_path / f"strace-{n}.log"
        traced = subprocess.run(
            ["strace", "-f", "-qq", "-e", "signal=none",
             "-e", "trace=execve,clone,clone3,fork,vfork", "-o", str(log),
             "git", "commit", "-q", "-m", f"change {n}"],
            cwd=a, capture_output=True, text=True, check=False)
        assert traced.returncode == 0, traced.stderr
    runs = _hook_runs(log)
    expected = dict(EXPECTED)
    if checked:
        # the stand-in runner's own processes run under commit.sh; the prepared state needs no
        # look at HEAD's config (the checks record is there); committed reads the
        # checked-commits record's size in the journal's one wc, and appends to it
        del expected["pre-commit"]
        expected["reference-transaction prepared"] = []
        ck = Path(git("rev-parse", "--absolute-git-dir", cwd=a).stdout.strip()) / \
            "guardrails" / "checked-commits"
        assert len(ck.read_text().splitlines()) == 2
    # every hook of the commit ran; a state with nothing to do (preparing and aborted on git
    # 2.54+, the commit's second transaction that moves nothing) starts no process at all
    for name, want in expected.items():
        if not want:
            assert all(count == 0 for count, _ in runs.get(name, [])), (name, runs)
            continue
        got = [r for r in runs.get(name, []) if r[0]]
        assert len(got) == 1, (name, runs)
        count, progs = got[0]
        assert progs == sorted(want), (name, progs)
        assert count == len(want), f"{name}: {count} processes for {progs} (a subshell?)"
    for name, rs in runs.items():
        if name not in EXPECTED and not name.endswith(".legacy"):
            assert all(count == 0 for count, _ in rs), (name, rs)
    # ... and still did the work: the fast path journaled both commits, Python never started
    assert all("python" not in p for rs in runs.values() for _, ps in rs for p in ps)
    lines = journal.read_text().splitlines()
    assert len(lines) == 2 and all('"kind": "update"' in ln for ln in lines), lines
    assert git("rev-parse", "HEAD", cwd=a).stdout.strip() in lines[-1]
