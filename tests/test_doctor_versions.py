"""doctor compares the git-guardrails command with the hook environments that real pre-commit
and real prek built for the repository (read from their caches, as each runner lays them out)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from guardrails import git as ggit
from guardrails.checks import versions
from tests.conftest import install_hooks
from tests.helpers import make_repo, write


def built(tmp_path: Path, runner: str, hook_repo: tuple[str, str],
          monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose hooks ``runner`` has built; the other runner's cache is empty (the
    session shares both caches, so it may hold an environment for the same rev)."""
    other = "PREK_HOME" if runner == "pre-commit" else "PRE_COMMIT_HOME"
    monkeypatch.setenv(other, str(tmp_path / "empty-cache"))
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, "  - id: guardrails\n")
    proc = subprocess.run([runner, "install-hooks"], cwd=repo, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo


def test_reads_the_runners_environment(tmp_path: Path, runner: str,
                                       hook_repo: tuple[str, str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    repo = built(tmp_path, runner, hook_repo, monkeypatch)
    path, sha = hook_repo
    entries = versions.config_entries(str(repo))
    assert entries == [(path, sha)]
    envs = versions.precommit_envs(entries) if runner == "pre-commit" else \
        versions.prek_envs(entries)
    assert len(envs) == 1, envs
    env = envs[0]
    from importlib import metadata

    assert (env.runner, env.repo, env.rev) == (runner, path, sha)
    assert env.version == metadata.version("git-guardrails")
    assert env.commit == sha
    assert os.path.isdir(env.where)

    r = ggit.discover(str(repo))
    same = versions.Install(env.version, sha, "test")
    assert versions.diagnose(r, cli=same) == []
    assert versions.diagnose(r, cli=versions.Install(env.version, None, "an index")) == []

    other = versions.diagnose(r, cli=versions.Install(env.version, "f" * 40, "test"))
    assert [f.rule for f in other] == ["doctor-version-mismatch"]
    assert "different commits" in other[0].message and runner in other[0].message
    assert f"{runner} autoupdate --repo {path}" in other[0].hint
    assert f'git+file://{path}@{sha}"' in other[0].hint  # install the command at the hooks' rev

    newer = versions.diagnose(r, cli=versions.Install("99.0.0", None, "test"))
    assert "the hooks are older" in newer[0].message
    assert newer[0].hint.startswith(f"{runner} autoupdate --repo {path}")
    older = versions.diagnose(r, cli=versions.Install("0.0.1", None, "test"))
    assert "the command is older" in older[0].message
    assert older[0].hint.startswith('pipx install --force "git-guardrails @ git+file://')


def test_doctor_reports_this_install(tmp_path: Path, runner: str,
                                     hook_repo: tuple[str, str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The command under test against the environment the runner built from the snapshot: the
    same version, a different commit whenever the command knows its own (an editable or
    path install of a clone; a wheel from an index does not)."""
    repo = built(tmp_path, runner, hook_repo, monkeypatch)
    proc = subprocess.run(["git-guardrails", "doctor", "--format", "json"], cwd=repo,
                          capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    found = [f for f in json.loads(proc.stdout)["findings"]
             if f["rule"] == "doctor-version-mismatch"]
    if versions.cli_install().commit is not None:
        assert len(found) == 1 and found[0]["severity"] == "warning"
        assert hook_repo[1][:12] in found[0]["message"]
    else:
        assert found == []


def test_config_entries(tmp_path: Path) -> None:
    write(tmp_path, ".pre-commit-config.yaml", """\
repos:
- repo: local
  hooks: [{id: x, name: x, entry: x, language: system}]
- repo: meta
  hooks: [{id: identity}]
-   repo: 'https://github.com/git-guardrails/git-guardrails'   # pinned
    rev: "0123456789abcdef0123456789abcdef01234567"
    hooks:
    - id: guardrails
- rev: v1.0.0
  repo: https://example.com/other
""")
    assert versions.config_entries(str(tmp_path)) == [
        ("https://github.com/git-guardrails/git-guardrails",
         "0123456789abcdef0123456789abcdef01234567"),
        ("https://example.com/other", "v1.0.0"),
    ]
