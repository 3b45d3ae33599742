"""The agent hook fails closed, in every agent's protocol: bad input, a missing git, a cwd that
is gone, an inherited GIT_DIR that points elsewhere, a broken session record. And the session
is found from the path and the project directory, not only from the cwd."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import BIN
from tests.test_agent_hook_fixtures import AGENTS, Trees, assert_answer, hook, load
from tests.test_agent_hook_fixtures import trees as trees  # the module's worktrees

# one blocked-when-judged shape per agent, to learn what each protocol's "block" looks like
PROBE = {"claude": "edit-in-scope", "codex": "bash-ok", "gemini": "replace-in-scope",
         "cursor": "shell-ok", "copilot": "bash-ok", "windsurf": "run-command-ok",
         "cline": "execute-command-ok"}


def probe(trees: Trees, agent: str, **over: str) -> dict[str, object]:
    payload: dict[str, object] = load(agent, PROBE[agent], **{**trees.subst(), **over})["payload"]
    return payload


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("raw", ["{not json", "[]", '{"tool_name": 7}', ""])
def test_malformed_input_blocks(trees: Trees, agent: str, raw: str) -> None:
    proc = hook(agent, None, trees.wt, raw=raw)
    assert_answer(agent, proc, True, "agent-hook-error")
    assert "fix:" in proc.stderr + proc.stdout


@pytest.mark.parametrize("agent", AGENTS)
def test_allowed_call_is_allowed(trees: Trees, agent: str) -> None:
    assert_answer(agent, hook(agent, probe(trees, agent), trees.wt), False, None)


@pytest.mark.parametrize("agent", AGENTS)
def test_cwd_gone_blocks(trees: Trees, tmp_path: Path, agent: str) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    payload = probe(trees, agent, wt=str(gone))
    gone.rmdir()
    proc = hook(agent, payload, trees.wt)
    assert_answer(agent, proc, True, "agent-hook-error")
    assert "does not exist or is not a directory" in proc.stderr


def test_cwd_that_is_a_file_blocks(trees: Trees) -> None:
    f = trees.wt / "src" / "auth" / "login.py"
    proc = hook("claude", probe(trees, "claude", wt=str(f)), trees.wt)
    assert proc.returncode == 2 and "not a directory" in proc.stderr


@pytest.mark.parametrize("agent", AGENTS)
def test_git_missing_blocks(trees: Trees, agent: str) -> None:
    env = {**os.environ, "PATH": "/nonexistent"}
    proc = subprocess.run([str(BIN / "git-guardrails"), "agent-hook", agent], cwd=trees.wt,
                          input=json.dumps(probe(trees, agent)), capture_output=True,
                          text=True, env=env, check=False)
    assert_answer(agent, proc, True, "agent-hook-error")
    assert "git is not installed" in proc.stderr


def test_inherited_git_dir_elsewhere_blocks(trees: Trees) -> None:
    proc = hook("claude", probe(trees, "claude"), trees.wt,
                env={"GIT_DIR": str(trees.main / ".git")})
    assert proc.returncode == 2 and "GIT_DIR" in proc.stderr and "unset GIT_DIR" in proc.stderr
    own = subprocess.run(["git", "rev-parse", "--absolute-git-dir"], cwd=trees.wt,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert hook("claude", probe(trees, "claude"), trees.wt,
                env={"GIT_DIR": own}).returncode == 0  # the worktree's own: fine


def test_broken_session_record_blocks(tmp_path: Path) -> None:
    t = Trees(tmp_path)
    gd = subprocess.run(["git", "rev-parse", "--absolute-git-dir"], cwd=t.wt,
                        capture_output=True, text=True, check=True).stdout.strip()
    Path(gd, "guardrails", "session.json").write_text("{broken")
    proc = hook("claude", load("claude", "edit-in-scope", **t.subst())["payload"], t.wt)
    assert proc.returncode == 2 and "(agent-hook-error)" in proc.stderr
    assert "git guardrails finish --force" in proc.stderr


@pytest.mark.parametrize("var", ["CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR"])
def test_session_found_from_the_project_dir(trees: Trees, var: str) -> None:
    """The agent `cd`'d into the main checkout: the project directory still names the
    session's worktree, so an edit there is blocked."""
    payload = load("claude", "write-main-checkout", **{**trees.subst(), "wt": str(trees.main)})
    payload = payload["payload"]
    assert hook("claude", payload, trees.main).returncode == 0  # no session known: allowed
    proc = hook("claude", payload, trees.main, env={var: str(trees.wt)})
    assert proc.returncode == 2 and "(agent-edit-other-worktree)" in proc.stderr


def test_session_found_from_the_edited_path(trees: Trees) -> None:
    """No session at the cwd or project dir, but the path is in a session's worktree."""
    payload = load("claude", "write-other-session", **{**trees.subst(),
                                                        "wt": str(trees.main)})["payload"]
    proc = hook("claude", payload, trees.main)
    assert proc.returncode == 2 and "another session" in proc.stderr


def test_temp_exception_is_the_real_temp_dir_only(trees: Trees, tmp_path: Path) -> None:
    tmp = os.path.realpath(tempfile.gettempdir())
    for path, code in ((f"{tmp}/scratch.txt", 0), ("/srv/tmp/scratch.txt", 2),
                       ("/var/tmpfiles/x", 2)):
        payload = load("claude", "write-real-tmp", **trees.subst())["payload"]
        payload["tool_input"]["file_path"] = path
        assert hook("claude", payload, trees.wt).returncode == code, path


def test_scope_cache_follows_the_base_policy_and_the_session(tmp_path: Path) -> None:
    """The hook keeps the resolved scope in the worktree's git dir; a new policy on the base
    branch, or a new session, is seen on the next call."""
    from tests.helpers import POLICY, commit_all, gg, write

    t = Trees(tmp_path)
    payload = load("claude", "edit-out-of-scope", **t.subst())["payload"]  # docs/index.md
    assert hook("claude", payload, t.wt).returncode == 2
    assert hook("claude", payload, t.wt).returncode == 2  # from the cache
    write(t.main, ".guardrails.toml", POLICY.replace('allow = ["src/auth/**"',
                                                     'allow = ["docs/**", "src/auth/**"'))
    commit_all(t.main, "policy: auth may change docs")
    assert hook("claude", payload, t.wt).returncode == 0, "the base's new policy applies"
    assert gg("finish", cwd=t.wt).returncode == 0
    from tests.helpers import git

    git("switch", "-q", "-c", "feature/free", cwd=t.wt)  # ad hoc needs a branch no task covers
    assert gg("start", "--allow", "src/**", cwd=t.wt).returncode == 0
    proc = hook("claude", payload, t.wt)
    assert proc.returncode == 2 and "ad-hoc session" in proc.stderr


def _analysis_reports_writes() -> bool:
    from guardrails.agents import decide

    return bool(getattr(decide.analyze("echo x > out.txt", "/"), "writes", []))


@pytest.mark.skipif(not _analysis_reports_writes(),
                    reason="the shell analysis in this tree does not report written paths yet")
@pytest.mark.parametrize(("command", "rule"), [
    ("echo '{\"disableAllHooks\": true}' > .claude/settings.local.json",
     "agent-config-protected"),
    ("tee .gemini/settings.json < /dev/null", "agent-config-protected"),
    ("cp src/auth/login.py {main}/src/auth/login.py", "agent-edit-other-worktree"),
    ("printf 'exit 0' > {main}/.git/hooks/pre-commit", None),
])
def test_shell_writes_are_judged_like_edits(trees: Trees, command: str,
                                            rule: str | None) -> None:
    payload = load("claude", "bash-plain-commit", **trees.subst())["payload"]
    payload["tool_input"]["command"] = command.replace("{main}", str(trees.main))
    proc = hook("claude", payload, trees.wt)
    assert proc.returncode == 2, proc.stderr
    if rule:
        assert f"({rule})" in proc.stderr, proc.stderr


def test_shell_writes_in_scope_are_allowed(trees: Trees) -> None:
    payload = load("claude", "bash-plain-commit", **trees.subst())["payload"]
    payload["tool_input"]["command"] = "echo x > src/auth/notes.txt && ls > /dev/null"
    assert hook("claude", payload, trees.wt).returncode == 0
