"""install-agent writes each agent's hook settings (absolute path, merged, idempotent,
--dry-run); the command it writes really blocks; doctor finds missing, unresolvable and
silently dropped hooks."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from guardrails.agents import settings as S
from tests.helpers import gg, make_repo
from tests.test_agent_hook_fixtures import AGENTS, Trees, load

PROBE_BLOCK = {"claude": "bash-no-verify", "codex": "bash-no-verify", "gemini": "shell-no-verify",
               "cursor": "shell-no-verify", "copilot": "bash-no-verify",
               "windsurf": "run-command-no-verify", "cline": "execute-command-no-verify"}


def installed_command(agent: str, path: Path) -> str:
    if agent == "cline":
        line = next(ln for ln in path.read_text().splitlines() if ln.startswith("exec "))
        return line[len("exec "):]
    cmds = S.commands_in(json.loads(path.read_text()), agent)
    assert cmds, path.read_text()
    return cmds[0][1]


@pytest.mark.parametrize("agent", AGENTS)
def test_install_writes_a_working_hook_idempotently(tmp_path: Path, agent: str) -> None:
    t = Trees(tmp_path)
    proc = gg("install-agent", agent, cwd=t.wt)
    assert proc.returncode == 0, proc.stderr
    path = Path(S.project_file(agent, str(t.wt)))
    first = path.read_text()
    cmd = installed_command(agent, path)
    exe = shlex.split(cmd)[0]
    assert os.path.isabs(exe) and os.access(exe, os.X_OK), cmd
    again = gg("install-agent", agent, cwd=t.wt)
    assert again.returncode == 0 and "already up to date" in again.stdout
    assert path.read_text() == first
    # the command as written blocks a hook-skipping command, in the agent's protocol
    payload = load(agent, PROBE_BLOCK[agent], **t.subst())["payload"]
    run = subprocess.run(shlex.split(cmd), cwd=t.wt, input=json.dumps(payload),
                         capture_output=True, text=True, check=False,
                         env={"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"]})
    assert "(agent-skips-hooks)" in run.stdout + run.stderr, (run.stdout, run.stderr)
    if agent == "cline":
        assert os.access(path, os.X_OK)
    # and doctor finds it installed and resolvable
    found = json.loads(gg("doctor", "--format", "json", cwd=t.wt).stdout)["findings"]
    ours = [f for f in found if f["rule"].startswith("agent-hook") and agent in f["message"]]
    assert not [f for f in ours if f["rule"] in ("agent-hook-missing", "agent-hook-unresolved")]


@pytest.mark.parametrize("agent", [a for a in AGENTS if a != "cline"])
def test_install_merges_and_replaces_our_entry_in_place(tmp_path: Path, agent: str) -> None:
    t = Trees(tmp_path)
    path = Path(S.project_file(agent, str(t.wt)))
    path.parent.mkdir(parents=True, exist_ok=True)
    old = S.merge(agent, {"theirs": {"keep": True}}, "/old/place/git-guardrails agent-hook "
                  + agent)
    event = S.EVENTS[agent][0][0]
    other = ({"matcher": "Read", "hooks": [{"type": "command", "command": "audit.sh"}]}
             if agent in S.NESTED else {"command": "audit.sh", "bash": "audit.sh"})
    old["hooks"][event].append(other)
    path.write_text(json.dumps(old, indent=2))
    dry = gg("install-agent", agent, "--dry-run", cwd=t.wt)
    assert dry.returncode == 0 and "-" in dry.stdout and "/old/place" in dry.stdout
    assert json.loads(path.read_text()) == old  # --dry-run writes nothing
    assert gg("install-agent", agent, cwd=t.wt).returncode == 0
    new = json.loads(path.read_text())
    assert new["theirs"] == {"keep": True}
    assert new["hooks"][event][-1] == other  # their hook kept, after ours (ours in place)
    assert "/old/place" not in json.dumps(new)
    assert len(S.commands_in(new, agent)) == len(S.EVENTS[agent])


def test_install_user_level(tmp_path: Path) -> None:
    t = Trees(tmp_path)
    home = tmp_path / "home"  # not the session's shared HOME: doctor tests read that one
    home.mkdir()
    assert gg("install-agent", "codex", "--user", cwd=t.wt,
              env={"HOME": str(home)}).returncode == 0
    assert (home / ".codex" / "hooks.json").is_file()
    assert not (t.wt / ".codex").exists()


def test_install_refuses_bad_json_and_a_foreign_cline_hook(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    (repo / ".gemini").mkdir()
    (repo / ".gemini" / "settings.json").write_text("{oops")
    proc = gg("install-agent", "gemini", cwd=repo)
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr and "fix" in proc.stderr
    hook = repo / ".clinerules" / "hooks" / "PreToolUse"
    hook.parent.mkdir(parents=True)
    hook.write_text("#!/bin/sh\necho '{\"cancel\": false}'\n")
    proc = gg("install-agent", "cline", cwd=repo)
    assert proc.returncode == 2 and "not ours" in proc.stderr
    assert "cancel" in hook.read_text()


def findings(repo: Path, home: Path) -> list[dict[str, str]]:
    out = gg("doctor", "--format", "json", cwd=repo, env={"HOME": str(home),
                                                            "CODEX_HOME": str(home / "cx")})
    data: list[dict[str, str]] = json.loads(out.stdout)["findings"]
    return [f for f in data if f["rule"].startswith("agent-hook")]


def test_doctor_missing_unresolved_and_dropped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    home = tmp_path / "home"
    home.mkdir()
    (repo / ".cursor").mkdir()
    assert [f["rule"] for f in findings(repo, home)] == ["agent-hook-missing"]
    (repo / ".cursor" / "hooks.json").write_text(json.dumps(S.merge(
        "cursor", {}, "/nonexistent/git-guardrails agent-hook cursor")))
    got = findings(repo, home)
    assert [f["rule"] for f in got] == ["agent-hook-unresolved"], got
    (repo / ".cursor" / "hooks.json").unlink()
    (repo / ".cursor").rmdir()
    # Gemini: hooksConfig.enabled = false drops every hook
    (repo / ".gemini").mkdir()
    gem = S.merge("gemini", {"hooksConfig": {"enabled": False}}, S.command("gemini"))
    (repo / ".gemini" / "settings.json").write_text(json.dumps(gem))
    assert [f["rule"] for f in findings(repo, home)] == ["agent-hook-dropped"]
    (repo / ".gemini" / "settings.json").write_text(json.dumps(
        S.merge("gemini", {}, S.command("gemini"))))
    assert findings(repo, home) == []
    # Claude Code: only in the shared settings.json, read only from that very folder
    (repo / ".claude").mkdir()
    (repo / ".claude" / "settings.json").write_text(json.dumps(
        S.merge("claude", {}, S.command("claude"))))
    got = findings(repo, home)
    assert [(f["rule"], f["severity"]) for f in got] == [("agent-hook-dropped", "warning")]
    assert gg("install-agent", "claude", cwd=repo).returncode == 0
    assert findings(repo, home) == []
    # Copilot: disableAllHooks in the repository's settings
    (repo / ".github" / "copilot").mkdir(parents=True)
    (repo / ".github" / "copilot" / "settings.json").write_text('{"disableAllHooks": true}')
    assert gg("install-agent", "copilot", cwd=repo).returncode == 0
    assert [f["rule"] for f in findings(repo, home)] == ["agent-hook-dropped"]


def test_doctor_codex_trust(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    home = tmp_path / "home"
    (home / "cx").mkdir(parents=True)
    assert gg("install-agent", "codex", cwd=repo).returncode == 0
    got = findings(repo, home)
    assert len(got) == 2 and all(f["rule"] == "agent-hook-dropped" for f in got)
    assert any("not trusted the" in f["message"] for f in got)
    assert any("project" in f["message"] for f in got)
    hooks = repo / ".codex" / "hooks.json"
    (home / "cx" / "config.toml").write_text(
        f'[projects."{repo}"]\ntrust_level = "trusted"\n\n'
        f'[hooks.state."{hooks}:pre_tool_use:0:0"]\ntrusted_hash = "sha256:abc"\n')
    assert findings(repo, home) == []
    (home / "cx" / "config.toml").write_text(
        f'[projects."{repo}"]\ntrust_level = "trusted"\n\n'
        f'[hooks.state."{hooks}:pre_tool_use:0:0"]\nenabled = false\n')
    got = findings(repo, home)
    assert len(got) == 1 and "disabled" in got[0]["message"]


def test_doctor_claude_allow_managed_hooks_only(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrails import git
    from guardrails.agents import doctor

    repo = make_repo(tmp_path / "r")
    assert gg("install-agent", "claude", cwd=repo).returncode == 0
    managed = tmp_path / "managed-settings.json"
    managed.write_text('{"allowManagedHooksOnly": true}')
    monkeypatch.setattr(doctor, "CLAUDE_MANAGED", (str(managed),))
    got = [f for f in doctor.diagnose(git.discover(str(repo))) if f.rule.startswith("agent-")]
    assert [f.rule for f in got] == ["agent-hook-dropped"]
    assert "allowManagedHooksOnly" in got[0].message


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("agent", AGENTS)
def test_examples_are_what_install_agent_writes(agent: str) -> None:
    """examples/<agent>-settings* show install-agent's entries (with a plain command name)."""
    cmd = f"git-guardrails agent-hook {agent}"
    if agent == "cline":
        assert (EXAMPLES / "cline-settings-PreToolUse").read_text() == S.script(cmd)
        return
    data = json.loads((EXAMPLES / f"{agent}-settings.json").read_text())
    assert S.merge(agent, data, cmd) == data  # already merged: nothing to change
    assert len(S.commands_in(data, agent)) == len(S.EVENTS[agent])


def test_claude_example_matcher_sends_every_tool_to_the_hook() -> None:
    """Claude Code tests a matcher with other characters than [A-Za-z0-9_ ,|-] as an
    unanchored JavaScript regex; Python's re agrees for this one."""
    import re

    data = json.loads((EXAMPLES / "claude-settings.json").read_text())
    matcher = data["hooks"]["PreToolUse"][0]["matcher"]
    assert re.search(r"[^A-Za-z0-9_ ,|-]", matcher)  # the regex path, anchored by us
    for tool in ("Bash", "PowerShell", "Monitor", "Edit", "Write", "MultiEdit", "NotebookEdit",
                 "EnterWorktree", "mcp__filesystem__write_file", "mcp__plugin_p_db__query"):
        assert re.search(matcher, tool), tool
    for tool in ("Read", "Glob", "Grep", "WebFetch", "BashOutput", "XEdit"):
        assert not re.search(matcher, tool), tool
    assert "WorktreeCreate" in data["hooks"]
