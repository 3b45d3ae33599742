"""Bypass settings through git's newer config syntax (`git config set`/`unset`, git >= 2.46),
`--config-env`, and aliases: in added lines (bypass.line_reasons) and in `doctor`."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from guardrails import git as g
from guardrails.checks import bypass
from tests.helpers import git, make_repo


def _git_version() -> tuple[int, int]:
    out = subprocess.run(["git", "--version"], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"(\d+)\.(\d+)", out)
    assert m
    return int(m.group(1)), int(m.group(2))


@pytest.mark.parametrize("line", [
    "git config set alias.ci 'commit -n'",
    "git config set --global alias.ci \"commit -an\"",
    "git config alias.c 'commit -nm wip'",
    "git -c alias.c='commit -n' c -m x",
    "  run: git config set alias.p '!git push --no-verify'",
    "git --config-env=core.hooksPath=EMPTY commit -m x",
    "git config set core.hooksPath /dev/null",
    "git config unset core.hooksPath",
])
def test_added_line_hits(line: str) -> None:
    assert bypass.line_reasons(line), line


@pytest.mark.parametrize("line", [
    "git config set alias.st status",
    "git config set user.name 'no -n here'",
    "git config alias.lg 'log -n 5 --oneline'",
    "git -c alias.c='commit' c -m 'mentions -n'",
    "x = {'alias.ci': 'commit'}",
])
def test_added_line_misses(line: str) -> None:
    assert bypass.line_reasons(line) == [], line


def test_doctor_names_an_alias_that_skips_hooks(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    if _git_version() >= (2, 46):
        git("config", "set", "alias.yolo", "commit --no-verify", cwd=repo)
        git("config", "set", "alias.ship", "!git push --no-verify origin HEAD", cwd=repo)
    else:  # the same settings, with the syntax older git knows
        git("config", "alias.yolo", "commit --no-verify", cwd=repo)
        git("config", "alias.ship", "!git push --no-verify origin HEAD", cwd=repo)
    git("config", "alias.st", "status", cwd=repo)
    found = [f for f in bypass.diagnose(g.discover(str(repo))) if f.rule == "bypass-git-alias"]
    assert sorted(f.message.split("`")[1] for f in found) == ["ship", "yolo"]
    assert all("git config --unset alias." in f.hint for f in found)


def test_environment_alias() -> None:
    env = {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.name", "GIT_CONFIG_VALUE_0": "x",
           "GIT_CONFIG_KEY_1": "alias.c", "GIT_CONFIG_VALUE_1": "commit -n"}
    (f,) = bypass.env_alias_findings(env)
    assert f.rule == "bypass-git-alias" and "`c`" in f.message
    assert bypass.env_alias_findings({"GIT_CONFIG_COUNT": "x"}) == []


def test_config_env_hookspath_reaches_the_environment_check(tmp_path: Path) -> None:
    """`git --config-env=core.hooksPath=VAR` puts the override in GIT_CONFIG_PARAMETERS for
    the hooks git runs; the environment check sees it there."""
    repo = make_repo(tmp_path / "repo")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nenv > \"$(git rev-parse --git-dir)/seen-env\"\n")
    hook.chmod(0o755)
    (repo / "f.txt").write_text("x\n")
    git("add", "f.txt", cwd=repo)
    # a hooks path that is the real one, so the hook still runs and can show its environment
    env = dict(os.environ, HOOKS=str(repo / ".git" / "hooks"))
    subprocess.run(["git", "--config-env=core.hooksPath=HOOKS", "commit", "-qm", "x"], cwd=repo,
                   env=env, check=True, capture_output=True)
    seen = dict(line.split("=", 1) for line in
                (repo / ".git" / "seen-env").read_text().splitlines() if "=" in line)
    assert [f.rule for f in bypass.env_hookspath_findings(seen)] == ["bypass-env-hookspath"]
