"""git-guardrails agent-hook claude: a corpus of commands and edits, blocked and allowed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from tests.helpers import add_worktree, make_repo

BLOCKED = [
    "git commit --no-verify -m x",
    "git commit -n -m x",
    "git commit -nm x",
    "git commit -anm 'fix'",
    "git commit -m x --no-verify",
    "git commit --no-verif -m x",  # git accepts unambiguous abbreviations
    "git -c core.hooksPath= commit -m x",
    "git -c core.hooksPath=/dev/null commit -m x",
    "git -c core.hookspath=/dev/null commit -m x",
    "git --config-env=core.hooksPath=EMPTY commit -m x",
    "git -C ../other commit -n -m x",
    "/usr/bin/git commit --no-verify -m x",
    "env SKIP=guardrails git commit -m x",
    "SKIP=require-checks git commit -m x",
    "PREK_SKIP=guardrails git commit -m x",
    "export SKIP=guardrails",
    "HUSKY=0 git commit -m x",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0= git commit -m x",
    'bash -c "git commit --no-verify -m x"',
    "sh -c 'git commit -n -m x'",
    "eval 'git commit --no-verify -m x'",
    "cd src && git add . && git commit --no-verify -m x",
    "git add . ; git commit -nm wip",
    "echo $(git commit --no-verify -m x)",
    "echo `git commit -n -m x`",
    "git push --no-verify origin HEAD",
    "git merge --no-verify topic",
    "git cherry-pick --no-verify abc123",
    "git rebase --no-verify main",
    "git am --no-verify patch.mbox",
    "sudo -u bob git commit -n -m x",
    "xargs -I{} git commit --no-verify -m {}",
    "git config core.hooksPath /dev/null",
    "git config --unset core.hooksPath",  # where hooks come from is not the agent's to change
    "nohup git commit --no-verify -m x &",
    "git commit -m \"$(cat <<'EOF'\nmessage\nEOF\n)\" --no-verify",
    "python3 -c \"import subprocess; subprocess.run(['git', 'commit', '--no-verify'])\"",
    "git commit -m 'unterminated --no-verify",
]

ALLOWED = [
    "git commit -m 'do not use --no-verify'",
    'git commit -m "fix: drop the -n flag and core.hooksPath hack"',
    "git commit -m x",
    "git commit -am fix",
    "git commit -mn",  # the message is "n"
    "git commit --message --no-verify",  # the message is "--no-verify"
    "git commit --message=--no-verify",
    "git commit -F msg.txt",
    "git commit --trailer 'Note: no --no-verify' -m y",
    "git commit -m \"$(cat <<'EOF'\nnever --no-verify, never SKIP=x\nEOF\n)\"",
    "git commit --no-verify --verify -m x",  # the last one wins: hooks run
    "git push -n origin HEAD",  # push -n is --dry-run
    "git cherry-pick -n abc123",  # cherry-pick -n is --no-commit
    "git log --grep=--no-verify",
    "git config --get core.hooksPath",
    "grep -rn -- --no-verify docs/",
    "echo 'SKIP is a pre-commit variable'",
    "ls -la",
    "git status && git diff --cached",
]


def run_hook(payload: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git-guardrails", "agent-hook", "claude"], cwd=cwd,
                          input=json.dumps(payload), capture_output=True, text=True,
                          check=False)


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("agenthook")
    repo = make_repo(base / "repo")
    wt = add_worktree(repo, base / "wt", "agent/auth")
    return repo, wt


def test_corpus_size() -> None:
    assert len(BLOCKED) + len(ALLOWED) >= 30


def decide_bash(command: str) -> Optional[str]:
    """The claude adapter and the decision core, in process: the block message or None."""
    from guardrails.agents import claude, decide

    calls = claude.calls({"tool_name": "Bash", "tool_input": {"command": command}, "cwd": "/"},
                         {})
    v = decide.run(calls, dict(os.environ))
    return None if v is None else v.text()


@pytest.mark.parametrize("command", BLOCKED)
def test_bash_blocked(command: str) -> None:
    reason = decide_bash(command)
    assert reason is not None and "blocked (agent-" in reason and "fix:" in reason


@pytest.mark.parametrize("command", ALLOWED)
def test_bash_allowed(command: str) -> None:
    assert decide_bash(command) is None


def test_cli_blocks_with_exit_2_and_reason(trees: tuple[Path, Path]) -> None:
    _, wt = trees
    proc = run_hook({"tool_name": "Bash", "tool_input": {"command": "git commit -nm x"},
                     "cwd": str(wt)}, wt)
    assert proc.returncode == 2
    assert "blocked" in proc.stderr and "--no-verify" in proc.stderr
    ok = run_hook({"tool_name": "Bash", "tool_input": {"command": "git commit -m x"},
                   "cwd": str(wt)}, wt)
    assert ok.returncode == 0 and ok.stderr == ""
    bad = subprocess.run(["git-guardrails", "agent-hook", "claude"], cwd=wt, input="{not json",
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "fix:" in bad.stderr and "(agent-hook-error)" in bad.stderr


@pytest.mark.parametrize("tool,path,blocked,why", [
    ("Edit", "src/auth/login.py", False, None),
    ("Write", "src/auth/new.py", False, None),
    ("MultiEdit", "src/auth/deep/x.py", False, None),
    ("Write", "src/auth/vendored/lib.py", True, "outside the allow patterns"),
    ("Edit", "docs/index.md", True, "outside the allow patterns"),
    ("Edit", ".guardrails.toml", True, "locked"),
    ("Write", ".github/workflows/ci.yml", True, "locked"),
    ("NotebookEdit", "notebooks/a.ipynb", True, "outside the allow patterns"),
    ("Edit", "{repo}/src/auth/login.py", True, "the main checkout"),
    ("Write", "{common}/hooks/pre-commit", True, "inside a git directory"),
    ("Edit", "{common}/config", True, "inside a git directory"),
    ("Read", "docs/index.md", False, None),  # not an edit
])
def test_edit_scope(trees: tuple[Path, Path], tool: str, path: str, blocked: bool,
                    why: str | None) -> None:
    repo, wt = trees
    path = path.format(repo=repo, common=repo / ".git")
    key = "notebook_path" if tool == "NotebookEdit" else "file_path"
    proc = run_hook({"tool_name": tool, "tool_input": {key: path}, "cwd": str(wt)}, wt)
    assert proc.returncode == (2 if blocked else 0), proc.stderr
    if why:
        assert why in proc.stderr


def test_session_blocks_edits_outside_its_worktree(tmp_path: Path) -> None:
    from guardrails import git as g
    from guardrails.sessions import session

    repo = make_repo(tmp_path / "repo")
    # a branch no task covers: an ad-hoc scope on a task's branch is ignored (the task decides)
    wt = add_worktree(repo, tmp_path / "wt", "work/adhoc")
    outside = Path("/srv/not-a-worktree/elsewhere.txt")  # outside the repo and the temp dir
    payload = {"tool_name": "Write", "tool_input": {"file_path": str(outside)}, "cwd": str(wt)}
    assert run_hook(payload, wt).returncode == 0  # no session, no task: not ours to guard
    r = g.discover(str(wt))
    session.save(r.git_dir, session.Session(branch="work/adhoc", baseline=None, started=0.0,
                                            allow=["src/**"]))
    proc = run_hook(payload, wt)
    assert proc.returncode == 2 and "outside this session's worktree" in proc.stderr
    inside = {"tool_name": "Edit", "tool_input": {"file_path": "src/x.py"}, "cwd": str(wt)}
    assert run_hook(inside, wt).returncode == 0
    docs = {"tool_name": "Edit", "tool_input": {"file_path": "docs/x.md"}, "cwd": str(wt)}
    proc = run_hook(docs, wt)
    assert proc.returncode == 2 and "ad-hoc session" in proc.stderr


from tests.test_startup import NEVER  # noqa: E402  (the hooks' start-up budget)

LEAN = tuple(sorted(NEVER))


@pytest.mark.parametrize(("tool", "tool_input", "also"), [
    ("Bash", {"command": "git add -A && git commit -m x && ls > out.txt"}, ("typing",)),
    ("Edit", {"file_path": "src/auth/login.py"}, ()),  # tomllib imports typing
])
def test_hook_start_up_is_lean(trees: tuple[Path, Path], tool: str,
                               tool_input: dict[str, str], also: tuple[str, ...]) -> None:
    """The hook runs on every tool call: the fast path imports none of these."""
    _, wt = trees
    code = ("import sys, atexit\n"
            "atexit.register(lambda: sys.__stderr__.write('IMPORTED %s\\n' % sorted(m for m in "
            f"{(*LEAN, *also)!r} if m in sys.modules)))\n"
            "from guardrails.cli import main\n"
            "sys.exit(main(['agent-hook', 'claude']))\n")
    payload = json.dumps({"tool_name": tool, "tool_input": tool_input, "cwd": str(wt)})
    # the first call in a worktree parses the policy (tomllib, so typing) and caches the scope
    # in <git-dir>/guardrails/agent-hook-scope.json; every later call is the fast path. Warm it
    # here: without this the test passed only when an earlier test had made the call.
    warm = subprocess.run([sys.executable, "-c", code], cwd=wt, capture_output=True, text=True,
                          input=payload, check=False)
    assert warm.returncode == 0, warm.stderr
    proc = subprocess.run([sys.executable, "-c", code], cwd=wt, capture_output=True, text=True,
                          input=payload, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTED []" in proc.stderr, proc.stderr
