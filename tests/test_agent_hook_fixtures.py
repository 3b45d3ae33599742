"""Every agent's real payload shapes (tests/fixtures/agents, with their sources) fed to the real
`git-guardrails agent-hook AGENT` from inside a real session worktree: block or allow, and the
exact shape of each protocol's answer."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

from tests.helpers import POLICY, add_worktree, gg, git, make_repo, write

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "agents"
AGENTS = ("claude", "codex", "gemini", "cursor", "copilot", "windsurf", "cline")
CASES = sorted((p.parent.name, p.stem) for p in FIXTURES.glob("*/*.json"))
WT_POLICY = POLICY + '\n[tasks.wt]\nbranch = "worktree-*"\nallow = ["src/**"]\n'


def load(agent: str, name: str, **subst: str) -> dict[str, Any]:
    text = (FIXTURES / agent / f"{name}.json").read_text()
    for k, v in subst.items():
        text = text.replace("{" + k + "}", v.replace("\\", "\\\\").replace('"', '\\"'))
    data: dict[str, Any] = json.loads(text)
    return data


def hook(agent: str, payload: object, cwd: Path, env: Optional[dict[str, str]] = None,
         raw: Optional[str] = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items()
            if k not in ("CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR", "COPILOT_CLI", "GIT_DIR")}
    full.update(env or {})
    return subprocess.run(["git-guardrails", "agent-hook", agent], cwd=cwd, env=full,
                          input=raw if raw is not None else json.dumps(payload),
                          capture_output=True, text=True, check=False)


class Trees:
    def __init__(self, base: Path) -> None:
        self.main = make_repo(base / "repo", policy=WT_POLICY)
        self.wt = add_worktree(self.main, base / "wt", "agent/auth")
        self.other = add_worktree(self.main, base / "other", "agent/docs")
        for where, task in ((self.wt, "auth"), (self.other, "docs")):
            proc = gg("start", "--task", task, cwd=where)
            assert proc.returncode == 0, proc.stderr

    def subst(self) -> dict[str, str]:
        return {"wt": str(self.wt), "main": str(self.main), "other": str(self.other),
                "tmp": os.path.realpath(tempfile.gettempdir()), "agentwt": str(self.wt)}


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trees]:
    """Built before the per-test environment fixture (tests/conftest.py) runs: the same
    settings, for the module."""
    from tests.conftest import base_environment

    with pytest.MonkeyPatch.context() as mp:  # what tests/conftest.git_env sets per test
        base_environment(mp)
        yield Trees(tmp_path_factory.mktemp("agenthooks"))


def _exit_code_answer(proc: subprocess.CompletedProcess[str], blocked: bool, where: str) -> None:
    """Claude Code, Codex, Windsurf: exit 2 with a reason on stderr blocks; silence allows."""
    if blocked:
        assert proc.returncode == 2 and proc.stdout == "", where
        assert proc.stderr.strip(), where  # Codex blocks on exit 2 only with a reason
    else:
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", ""), where


def _gemini_answer(proc: subprocess.CompletedProcess[str], blocked: bool, where: str) -> None:
    if blocked:
        assert proc.returncode == 2 and proc.stderr.strip(), where
    else:
        assert proc.returncode == 0 and json.loads(proc.stdout) == {}, where


def _cursor_answer(proc: subprocess.CompletedProcess[str], blocked: bool, where: str) -> None:
    if blocked:
        assert proc.returncode == 2, where
        ans = json.loads(proc.stdout)
        assert set(ans) == {"permission", "user_message", "agent_message"}, where
        assert ans["permission"] == "deny", where
    else:
        assert proc.returncode == 0 and json.loads(proc.stdout) == {}, where


def _copilot_answer(proc: subprocess.CompletedProcess[str], blocked: bool, where: str) -> None:
    assert proc.returncode == 0, where  # exit 2 is only a warning for Copilot
    if blocked:
        ans = json.loads(proc.stdout)
        assert set(ans) == {"permissionDecision", "permissionDecisionReason"}, where
        assert ans["permissionDecision"] == "deny", where
    else:
        assert proc.stdout == "", where


def _cline_answer(proc: subprocess.CompletedProcess[str], blocked: bool, where: str) -> None:
    assert proc.returncode == 0, where
    ans = json.loads(proc.stdout)
    if blocked:
        assert set(ans) == {"cancel", "errorMessage", "contextModification"}, where
        assert ans["cancel"] is True, where
    else:
        assert ans == {"cancel": False}, where


# each protocol's answer, checked exactly
ANSWERS = {"claude": _exit_code_answer, "codex": _exit_code_answer,
           "windsurf": _exit_code_answer, "gemini": _gemini_answer, "cursor": _cursor_answer,
           "copilot": _copilot_answer, "cline": _cline_answer}


def assert_answer(agent: str, proc: subprocess.CompletedProcess[str], blocked: bool,
                  rule: Optional[str]) -> None:
    """The exact answer each protocol expects."""
    where = f"{agent}: rc={proc.returncode} out={proc.stdout!r} err={proc.stderr!r}"
    ANSWERS[agent](proc, blocked, where)
    if blocked and rule:
        assert f"({rule})" in proc.stderr + proc.stdout, where


def test_every_agent_has_fixtures() -> None:
    assert set(ANSWERS) == set(AGENTS), "every agent's answer is checked"
    for agent in AGENTS:
        found = [n for a, n in CASES if a == agent]
        assert len(found) >= 4, agent
        for n in found:
            data = load(agent, n)
            assert data["_source"] and data["_expect"] in ("block", "allow", "event"), n
    import re

    left = re.findall(r"\{(?:wt|main|other|tmp|agentwt)\}", json.dumps([load(a, n, **dict.fromkeys(
        ("wt", "main", "other", "tmp", "agentwt"), "/x"))["payload"] for a, n in CASES]))
    assert left == []


@pytest.mark.parametrize(("agent", "name"), [c for c in CASES if not c[1].startswith(
    ("commit-checks", "worktreecreate", "post-setup", "sessionstart"))])
def test_fixture(trees: Trees, agent: str, name: str) -> None:
    data = load(agent, name, **trees.subst())
    proc = hook(agent, data["payload"], trees.wt)
    assert_answer(agent, proc, data["_expect"] == "block", data.get("_rule"))


@pytest.mark.parametrize("name", ["commit-checks-fail", "commit-checks-pass"])
def test_gemini_runs_the_commit_checks(tmp_path: Path, name: str) -> None:
    """Git hooks never run under Gemini CLI: the adapter runs the pre-commit checks on what the
    command commits. In-scope staged work passes; a staged out-of-scope file blocks."""
    t = Trees(tmp_path)
    if name.endswith("fail"):
        write(t.wt, "docs/new.md", "out of scope\n")
        git("add", "docs/new.md", cwd=t.wt)
    else:
        write(t.wt, "src/auth/login.py", "def login(): return True\n")
        git("add", "src/auth/login.py", cwd=t.wt)
    data = load("gemini", name, **t.subst())
    proc = hook("gemini", data["payload"], t.wt)
    assert_answer("gemini", proc, data["_expect"] == "block", data.get("_rule"))
    if name.endswith("fail"):
        assert "scope-outside-allow" in proc.stderr and "docs/new.md" in proc.stderr


def test_gemini_checks_what_add_and_commit_would_commit(tmp_path: Path) -> None:
    """`git add -A && git commit` stages before it commits: the checks judge a temporary index
    with the work tree staged, and the real index is left as it was."""
    t = Trees(tmp_path)
    write(t.wt, "docs/new.md", "out of scope\n")
    payload = load("gemini", "commit-checks-pass", **t.subst())["payload"]
    payload["tool_input"]["command"] = "git add -A && git commit -m wip"
    proc = hook("gemini", payload, t.wt)
    assert proc.returncode == 2 and "docs/new.md" in proc.stderr, proc.stderr
    assert git("diff", "--cached", "--name-only", cwd=t.wt).stdout == ""


def test_claude_worktreecreate_makes_a_session(tmp_path: Path) -> None:
    t = Trees(tmp_path)
    data = load("claude", "worktreecreate", **t.subst())
    proc = hook("claude", data["payload"], t.main)
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path == t.main / ".claude" / "worktrees" / "feature-auth" and path.is_dir()
    assert git("branch", "--show-current", cwd=path).stdout.strip() == "worktree-feature-auth"
    st = json.loads(gg("status", "--format", "json", cwd=t.main).stdout)
    rows = {os.path.realpath(r["path"]): r for r in st["worktrees"]}
    assert rows[os.path.realpath(path)]["task"] == "wt"
    # the nested worktree is a worktree of its own, not a stray change of the main checkout
    assert rows[os.path.realpath(t.main)]["state"] == "clean", rows
    assert not [f for f in st["findings"] if f["rule"] == "status-stray-changes"], st


@pytest.mark.parametrize(("agent", "name", "where"), [
    ("gemini", "sessionstart-worktree", ".gemini/worktrees/g1"),
    ("windsurf", "post-setup-worktree", "ws/worktrees/repo/w1"),
])
def test_agent_made_worktree_gets_a_session(tmp_path: Path, agent: str, name: str,
                                            where: str) -> None:
    t = Trees(tmp_path)
    path = t.main / where if where.startswith(".") else tmp_path / where
    # as Gemini CLI does it: with git hooks off, so record-baseline cannot run
    git("-c", "core.hooksPath=", "worktree", "add", "-q", "-b", f"worktree-{path.name}",
        str(path), "main", cwd=t.main)
    data = load(agent, name, **{**t.subst(), "agentwt": str(path)})
    proc = hook(agent, data["payload"], path)
    assert proc.returncode == 0, proc.stderr
    assert (Path(git("rev-parse", "--absolute-git-dir", cwd=path).stdout.strip())
            / "guardrails" / "session.json").is_file(), proc.stderr
    edit = load("claude", "edit-out-of-scope", **{**t.subst(), "wt": str(path)})
    assert hook("claude", edit["payload"], path).returncode == 2
