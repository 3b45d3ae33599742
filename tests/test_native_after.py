"""The native post-checkout and post-commit hooks (after.sh): a human's checkout, switch,
restore or commit starts no Python; a new worktree on a task's branch gets its session; a
commit in a session is verified. Real git, real shims; the Python the shim starts is wrapped so
the test sees each start."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.helpers import add_worktree, gg, git, make_repo, write


def _installed(tmp_path: Path) -> tuple[Path, Path]:
    """A repository with the native hooks; the shims' Python is a wrapper that logs its starts."""
    repo = make_repo(tmp_path / "repo")
    proc = gg("install", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = tmp_path / "python-starts.log"
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho start >> "{log}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    hooks = repo / ".git" / "hooks"
    for name in ("post-checkout", "post-commit"):
        p = hooks / name
        text = p.read_text()
        assert "guardrails-shim-version" in text
        p.write_text(text.replace(f"GUARDRAILS_PYTHON='{sys.executable}'",
                                  f"GUARDRAILS_PYTHON='{wrapper}'"))
    return repo, log


def _starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_humans_checkout_switch_restore_and_commit_start_no_python(tmp_path: Path) -> None:
    repo, log = _installed(tmp_path)
    git("switch", "-q", "-c", "human/topic", cwd=repo)
    write(repo, "README.md", "changed\n")
    git("restore", "README.md", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    git("switch", "-q", "human/topic", cwd=repo)
    write(repo, "notes.txt", "human work\n")
    git("add", "notes.txt", cwd=repo)
    git("commit", "-q", "-m", "human commit", cwd=repo)
    assert _starts(log) == 0, log.read_text()


def test_a_new_worktree_on_a_tasks_branch_gets_its_session(tmp_path: Path) -> None:
    repo, log = _installed(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt-auth", "agent/auth")
    assert _starts(log) == 1
    record = wt.parent / "repo" / ".git" / "worktrees" / "wt-auth" / "guardrails" / "session.json"
    assert json.loads(record.read_text())["task"] == "auth"
    # a worktree on a branch no task covers: Python looks, records nothing
    other = add_worktree(repo, tmp_path / "wt-human", "human/x")
    assert _starts(log) == 2
    assert not (repo / ".git" / "worktrees" / "wt-human" / "guardrails" / "session.json").exists()
    assert other.is_dir()


def test_a_commit_in_a_session_is_verified(tmp_path: Path) -> None:
    repo, log = _installed(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt-auth", "agent/auth")
    before = _starts(log)
    write(wt, "src/auth/x.py", "x = 1\n")
    git("add", "-A", cwd=wt)
    git("commit", "-q", "--no-verify", "-m", "agent commit", cwd=wt)
    # verified in shell (commit.sh: on its branch, its objects present): no Python; what a
    # broken or lost commit starts is tests/test_native_commit.py's
    assert _starts(log) == before
    # and the session's commit landed (verify-commit said nothing)
    assert git("log", "-1", "--format=%s", cwd=wt).stdout.strip() == "agent commit"


def test_a_hook_that_was_there_runs_first_and_keeps_its_status(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    mark = tmp_path / "legacy-ran"
    legacy = hooks / "post-checkout"
    legacy.write_text(f'#!/bin/sh\necho "$*" >> "{mark}"\nexit 3\n')
    legacy.chmod(0o755)
    proc = gg("install", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (hooks / "post-checkout.legacy").exists()
    proc = git("switch", "-q", "-c", "human/y", cwd=repo, check=False)
    assert mark.read_text().strip().endswith(" 1")
    assert proc.returncode != 0  # git reports post-checkout's failure; ours keeps it
    proc = gg("uninstall", cwd=repo)
    assert proc.returncode == 0 and legacy.read_text().startswith("#!/bin/sh\necho")
    assert not (hooks / "post-checkout.legacy").exists()
    assert os.access(legacy, os.X_OK)


def test_every_native_hook_starts_python_one_way() -> None:
    """shim.sh, after.sh and commit.sh start Python only through python.sh's run_python
    (written into each at install): one place says how, and what a missing Python means."""
    from importlib import resources

    files = resources.files("guardrails.refstore.native")
    for name in ("shim.sh", "after.sh", "commit.sh"):
        text = files.joinpath(name).read_text()
        assert text.count("@RUN_PYTHON@\n") == 1, name
        assert "-I -c" not in text and "GUARDRAILS_PYTHON='@PYTHON@'" in text, name
    assert "-I -c" in files.joinpath("python.sh").read_text()
