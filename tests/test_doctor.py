"""git-guardrails doctor: hooks per worktree, core.hooksPath, environment overrides, and each
agent's settings."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import add_worktree, git, make_repo, write


def install_plain_hooks(repo: Path, directory: Path | None = None) -> Path:
    hooks = directory or repo / ".git" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    for name in ("pre-commit", "prepare-commit-msg", "post-checkout"):
        (hooks / name).write_text("#!/bin/sh\nexit 0\n")
        (hooks / name).chmod(0o755)
    return hooks


def doctor(cwd: Path, env: dict[str, str] | None = None) -> tuple[int, list[dict[str, str]]]:
    proc = subprocess.run(["git-guardrails", "doctor", "--format", "json"], cwd=cwd,
                          capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    assert proc.returncode in (0, 1), proc.stderr
    # the policy lint's warnings (tests/test_gate_explain.py) are not what these tests are about
    return proc.returncode, [f for f in json.loads(proc.stdout)["findings"]
                             if not f["rule"].startswith("policy-")]


def rules(findings: list[dict[str, str]]) -> list[str]:
    return sorted(f["rule"] for f in findings if f["severity"] == "error")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = make_repo(tmp_path / "repo")
    install_plain_hooks(r)
    write(r, ".pre-commit-config.yaml", "repos:\n- repo: x\n  hooks:\n  - id: require-checks\n")
    return r


def test_healthy_repo_passes(repo: Path, tmp_path: Path) -> None:
    add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert doctor(repo) == (0, [])
    text = subprocess.run(["git-guardrails", "doctor"], cwd=repo, capture_output=True, text=True,
                          check=False)
    # (the fixture's policy has lint warnings: "*.md" matches at any depth)
    assert text.returncode == 0 and "error[" not in text.stdout


def test_missing_hook_type(repo: Path) -> None:
    (repo / ".git/hooks/prepare-commit-msg").unlink()
    rc, found = doctor(repo)
    assert rc == 1 and rules(found) == ["bypass-hook-missing"]
    assert "prepare-commit-msg" in found[0]["message"]
    assert "install -t prepare-commit-msg" in found[0]["hint"] or "-t prepare-commit-msg" in \
        found[0]["hint"]


def test_relative_gitignored_hookspath_missing_in_linked_worktree(repo: Path,
                                                                  tmp_path: Path) -> None:
    install_plain_hooks(repo, repo / ".husky" / "_")
    write(repo, ".gitignore", ".husky/_\n")
    git("add", ".gitignore", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "ignore", cwd=repo)
    git("config", "core.hooksPath", ".husky/_", cwd=repo)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    rc, found = doctor(wt)
    assert rc == 1
    errors = [f for f in found if f["severity"] == "error"]
    assert [f["rule"] for f in errors] == ["bypass-hookspath"]
    assert str(wt) in errors[0]["message"] and "does not exist" in errors[0]["message"]
    assert "git config --unset-all core.hooksPath" in errors[0]["hint"]


def test_env_hookspath_override(repo: Path) -> None:
    rc, found = doctor(repo, {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.hooksPath",
                              "GIT_CONFIG_VALUE_0": "/dev/null"})
    assert rc == 1 and "bypass-env-hookspath" in rules(found)


@pytest.mark.parametrize("rel,content,needle", [
    (".aider.conf.yml", "model: x\n", "git-commit-verify: true"),
    (".aider.conf.yml", "git-commit-verify: false\n", "git-commit-verify: true"),
    (".claude/settings.json", '{"permissions": {"defaultMode": "bypassPermissions"}}',
     "defaultMode"),
    (".claude/settings.local.json", '{"disableAllHooks": true}', "disableAllHooks"),
    (".claude/settings.json", '{"env": {"SKIP": "guardrails"}}', "SKIP"),
    (".codex/config.toml", 'approval_policy = "never"\n', 'approval_policy = "on-request"'),
    (".codex/config.toml", '[profiles.fast]\nsandbox_mode = "danger-full-access"\n',
     "profiles.fast.sandbox_mode"),
    (".gemini/settings.json", '{"general": {"defaultApprovalMode": "yolo"}}',
     "defaultApprovalMode"),
])
def test_agent_settings(repo: Path, rel: str, content: str, needle: str) -> None:
    write(repo, rel, content)
    rc, found = doctor(repo)
    assert rc == 1
    assert rules(found) == ["bypass-agent-config"]
    assert needle in found[0]["message"] + found[0]["hint"]


@pytest.mark.parametrize("rel,content", [
    (".aider.conf.yml", "git-commit-verify: true\n"),
    (".claude/settings.json", '{"permissions": {"defaultMode": "acceptEdits"}}'),
    (".codex/config.toml", 'approval_policy = "on-request"\nsandbox_mode = "workspace-write"\n'),
    (".gemini/settings.json", '{"general": {"defaultApprovalMode": "auto_edit"}}'),
])
def test_safe_agent_settings_pass(repo: Path, rel: str, content: str) -> None:
    write(repo, rel, content)
    rc, found = doctor(repo)
    # the agent is configured without git-guardrails' agent hook: a warning of its own
    assert rc == 0 and [r for r in rules(found) if r != "agent-hook-missing"] == []


def test_aider_env(repo: Path) -> None:
    rc, found = doctor(repo, {"AIDER_GIT_COMMIT_VERIFY": "false"})
    assert rc == 1 and rules(found) == ["bypass-agent-config"]
    assert doctor(repo, {"AIDER_GIT_COMMIT_VERIFY": "true"}) == (0, [])


def test_doctor_framework_runs_every_registered_module() -> None:
    from guardrails import checks

    assert "bypass" in checks.DOCTOR
    import importlib

    for name in checks.DOCTOR:
        assert callable(importlib.import_module(f"guardrails.checks.{name}").diagnose)
