"""The git each CI leg claims to test is the git that runs, in the tests and in the hooks git
starts from them (hooks inherit git's exec path, and an outer GIT_EXEC_PATH could send them to
another install). .ci/run sets GUARDRAILS_TEST_GIT_VERSION and GUARDRAILS_TEST_REF_FORMAT."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from guardrails import git as ggit
from tests.conftest import git_version_str, ref_format
from tests.helpers import git

EXPECTED_VERSION = os.environ.get("GUARDRAILS_TEST_GIT_VERSION", "")
EXPECTED_FORMAT = os.environ.get("GUARDRAILS_TEST_REF_FORMAT", "")


def _hook_report(tmp_path: Path) -> dict[str, str]:
    """Make a repository, commit once with a native pre-commit hook that records what `git`
    is to it (version, exec path, ref format); return those lines."""
    repo = tmp_path / "r"
    git("init", "-q", "-b", "main", str(repo), cwd=tmp_path)
    out = tmp_path / "hook.out"
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(
        "#!/bin/sh\n"
        f"{{ git --version; git --exec-path; command -v git;"
        "  f=$(git rev-parse --show-ref-format 2>/dev/null);"  # 2.39 echoes the unknown option
        f"  case $f in reftable) echo reftable;; *) echo files;; esac; }} > '{out}'\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    git("commit", "-q", "--allow-empty", "-m", "one", cwd=repo)
    version, exec_path, which, fmt = out.read_text().splitlines()
    return {"version": version.split()[2], "exec_path": exec_path, "which": which, "format": fmt}


@pytest.mark.skipif(not EXPECTED_VERSION,
                    reason="GUARDRAILS_TEST_GIT_VERSION unset: run under .ci/run or make test-git")
def test_git_in_tests_and_hooks_is_the_legs_git(tmp_path: Path) -> None:
    assert git_version_str() == EXPECTED_VERSION
    assert ggit.run("--version").stdout.split()[2].decode() == EXPECTED_VERSION
    seen = _hook_report(tmp_path)
    assert seen["version"] == EXPECTED_VERSION, seen
    # the hook's git comes from the exec path of the git that ran it
    here = git("--exec-path", cwd=tmp_path).stdout.strip()
    assert seen["exec_path"] == here, seen


@pytest.mark.skipif(not EXPECTED_FORMAT,
                    reason="GUARDRAILS_TEST_REF_FORMAT unset: run under .ci/run or make test-git")
def test_repositories_use_the_legs_ref_format(tmp_path: Path) -> None:
    assert ref_format() == EXPECTED_FORMAT
    assert _hook_report(tmp_path)["format"] == EXPECTED_FORMAT
    if EXPECTED_FORMAT == "reftable":
        assert (tmp_path / "r" / ".git" / "reftable" / "tables.list").is_file()
    else:
        assert not (tmp_path / "r" / ".git" / "reftable").exists()


def test_hooks_run_the_git_of_the_tests(tmp_path: Path) -> None:
    """Also without .ci/run: whatever git the suite runs, its hooks run the same one."""
    seen = _hook_report(tmp_path)
    assert seen["version"] == git_version_str(), seen
