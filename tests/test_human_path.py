"""A human outside any session pays almost nothing: the pre-commit hooks read the configured
base and the policy blob (two git processes), see that it cannot say enforce = "always", and
stop. Whenever the text could say "always" (plainly, through an escape, or by moving the policy
to another base) it is parsed and obeyed."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ref_format
from tests.helpers import POLICY, counting_git, git, git_subcommands, make_repo, write


def _hook(cwd: Path, *extra_env: tuple[str, str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **dict(extra_env))
    return subprocess.run(["guardrails-run"], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)


def _human_wt(tmp_path: Path, policy: str) -> Path:
    root = make_repo(tmp_path / "repo", policy=policy)
    git("switch", "-q", "-c", "human/topic", cwd=root)
    write(root, "anywhere/else.txt", "human work\n")
    git("add", "-A", cwd=root)
    return root


def test_human_outside_a_session_costs_two_git_processes(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = _human_wt(tmp_path, POLICY)
    shim_dir, log = counting_git(tmp_path / "shim")
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    proc = _hook(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    # reftable: HEAD is no file, so hook_repo asks one `git symbolic-ref`
    extra = ["symbolic-ref"] if ref_format() == "reftable" else []
    assert git_subcommands(log) == [*extra, "config", "cat-file"]


def test_the_same_change_by_an_agent_is_judged(tmp_path: Path) -> None:
    """The fast path is the human's only: with an agent marker the same commit is refused."""
    root = _human_wt(tmp_path, POLICY)
    proc = _hook(root, ("CLAUDECODE", "1"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "baseline-no-session" in proc.stdout


@pytest.mark.parametrize("enforce", [
    'enforce = "always"',
    "enforce = 'always'",
    'enforce = "\\u0061lways"',  # a TOML escape: no "always" in the text
    'enforce = """always"""',
])
def test_enforce_always_is_never_missed(tmp_path: Path, enforce: str) -> None:
    policy = POLICY.replace('base = "main"', f'base = "main"\n{enforce}')
    root = _human_wt(tmp_path, policy)
    proc = _hook(root)
    assert proc.returncode == 1, (enforce, proc.stdout + proc.stderr)


def test_enforce_always_on_the_base_the_policy_moves_to(tmp_path: Path) -> None:
    """main's policy says base = "trunk"; trunk's says always: the human is judged."""
    root = make_repo(tmp_path / "repo", policy=POLICY.replace('base = "main"', 'base = "trunk"'))
    git("switch", "-q", "-c", "trunk", cwd=root)
    write(root, ".guardrails.toml",
          POLICY.replace('base = "main"', 'base = "trunk"\nenforce = "always"'))
    git("commit", "-q", "-am", "trunk policy", cwd=root)
    git("switch", "-q", "-c", "human/topic", cwd=root)
    write(root, "anywhere/else.txt", "human work\n")
    git("add", "-A", cwd=root)
    proc = _hook(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_require_checks_leaves_a_human_commit_alone(tmp_path: Path) -> None:
    root = _human_wt(tmp_path, POLICY)
    msg = tmp_path / "MSG"
    msg.write_text("human message\n")
    proc = subprocess.run(["guardrails-require-checks", str(msg)], cwd=root, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert msg.read_text() == "human message\n"
