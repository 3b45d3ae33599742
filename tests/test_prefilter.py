"""bin/guardrails-hook, the sh entry of the `guardrails` and `require-checks` hook ids: a
human's commit outside any session starts no Python; every other case goes to the Python hook,
and the answer is the Python hook's own. Real repositories, the real script; the Python hooks it
hands over to are wrapped only to log that they started, then run for real."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from guardrails.agents import markers
from guardrails.scope import policy
from tests.helpers import POLICY, add_worktree, commit_all, git, make_repo, write

SCRIPT = Path(__file__).resolve().parents[1] / "bin" / "guardrails-hook"
ENTRIES = {"run": "guardrails-run", "require-checks": "guardrails-require-checks"}


def _constant(name: str) -> str:
    m = re.search(rf"^{name}='?([^'\n]*)'?$", SCRIPT.read_text(), re.M)
    assert m, name
    return m.group(1)


def test_constants_are_the_python_tables() -> None:
    assert _constant("MARKERS").split() == [m.var for m in markers.ENV_MARKERS]
    assert _constant("POLICY_FILE") == policy.FILENAME
    assert tuple(_constant("DEFAULT_BASES").split()) == policy.DEFAULT_BASES
    assert _constant("VALID_CACHE") == policy.VALID_CACHE
    # the base branches the script compares HEAD with are the same defaults
    for b in policy.DEFAULT_BASES:
        assert f"'ref: refs/heads/{b}'" in SCRIPT.read_text()


def test_installed_executable_beside_the_python_hooks() -> None:
    """pip (editable here; pre-commit and prek install the same way) puts the script in the
    environment's bin, executable, next to the console scripts it hands over to."""
    bin_dir = Path(sys.executable).parent
    assert os.access(bin_dir / "guardrails-hook", os.X_OK)
    assert (bin_dir / "guardrails-hook").read_bytes() == SCRIPT.read_bytes()
    manifest = (SCRIPT.parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert "entry: guardrails-hook run\n" in manifest
    assert "entry: guardrails-hook require-checks\n" in manifest


@pytest.fixture
def hook_bin(tmp_path: Path) -> tuple[Path, Path]:
    """A bin directory holding the script and, under the Python hooks' names, wrappers that log
    each start and exec the real hooks."""
    d = tmp_path / "hook-bin"
    d.mkdir()
    shutil.copy(SCRIPT, d / "guardrails-hook")
    log = tmp_path / "python-hook-starts.log"
    for entry in ENTRIES.values():
        real = Path(sys.executable).parent / entry
        w = d / entry
        w.write_text(f'#!/bin/sh\necho {entry} >> "{log}"\nexec "{real}" "$@"\n')
        w.chmod(0o755)
    return d, log


def _run(hook_bin: tuple[Path, Path], hook: str, cwd: Path, env: Optional[dict[str, str]] = None,
         args: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str], bool]:
    """(the script's result, whether it started the Python hook)."""
    d, log = hook_bin
    if log.exists():
        log.unlink()
    if hook == "require-checks" and not args:
        msg = cwd / ".git-msg-for-test"
        msg.write_text("subject\n")
        args = (str(msg),)
    full = {**os.environ, **(env or {})}
    proc = subprocess.run([str(d / "guardrails-hook"), hook, *args], cwd=cwd, env=full,
                          capture_output=True, text=True, check=False)
    return proc, log.exists()


def _python(hook: str, cwd: Path, env: Optional[dict[str, str]] = None,
            args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    if hook == "require-checks" and not args:
        msg = cwd / ".git-msg-for-test"
        msg.write_text("subject\n")
        args = (str(msg),)
    return subprocess.run([str(Path(sys.executable).parent / ENTRIES[hook]), *args], cwd=cwd,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          check=False)


def _same(a: subprocess.CompletedProcess[str], b: subprocess.CompletedProcess[str]) -> None:
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)


def _human(tmp_path: Path, text: Optional[str] = POLICY) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "repo", policy=text)
    wt = add_worktree(repo, tmp_path / "human", "human/topic")
    write(wt, "notes.txt", "human work\n")
    git("add", "notes.txt", cwd=wt)
    return repo, wt


@pytest.mark.parametrize("hook", sorted(ENTRIES))
def test_a_human_outside_any_session_starts_no_python(tmp_path: Path, hook: str,
                                                      hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    _python("run", wt)  # the Python hook records the policy as seen to parse
    proc, started = _run(hook_bin, hook, wt)
    assert (proc.returncode, proc.stdout, proc.stderr, started) == (0, "", "", False)
    _same(proc, _python(hook, wt))


def test_a_policy_never_seen_to_parse_goes_to_python_once(tmp_path: Path,
                                                          hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    proc, started = _run(hook_bin, "run", wt)
    assert started and proc.returncode == 0
    proc, started = _run(hook_bin, "run", wt)
    assert not started and proc.returncode == 0


def test_a_broken_policy_warns_the_human_every_time(tmp_path: Path,
                                                    hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path, POLICY + "\n[tasks.broken\n")
    for _ in range(2):
        proc, started = _run(hook_bin, "run", wt)
        assert started
        _same(proc, _python("run", wt))
        assert proc.returncode == 0 and "policy" in (proc.stdout + proc.stderr)


# the policy texts whose enforce value the script cannot rule out: Python decides
ALWAYS = POLICY.replace("[guardrails]\n", '[guardrails]\nenforce = "always"\n')
UNSURE = {
    "always": ALWAYS,
    "escaped": POLICY.replace("[guardrails]\n", '[guardrails]\nenforce = "\\u0061lways"\n'),
    "another base": POLICY.replace('base = "main"', 'base = "develop"'),
    "two base lines": POLICY + '\n[tasks.base]\nbranch = "agent/base"\nallow = ["x"]\n',
    "base twice on a line": POLICY.replace('base = "main"', 'base = "main"  # base'),
}


@pytest.mark.parametrize("case", sorted(UNSURE))
@pytest.mark.parametrize("hook", sorted(ENTRIES))
def test_a_policy_that_may_say_always_goes_to_python(tmp_path: Path, case: str, hook: str,
                                                     hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path, UNSURE[case])
    _python("run", wt)
    proc, started = _run(hook_bin, hook, wt)
    assert started, case
    _same(proc, _python(hook, wt))


SURE = {
    "single quotes and a comment": POLICY.replace('base = "main"', "  base='main'   # trusted"),
    "no base line": POLICY.replace('base = "main"\n', ""),
    "CRLF": POLICY.replace("\n", "\r\n"),
}


@pytest.mark.parametrize("case", sorted(SURE))
def test_policies_that_cannot_say_always_need_no_python(tmp_path: Path, case: str,
                                                        hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path, SURE[case])
    _python("run", wt)
    for hook in ENTRIES:
        proc, started = _run(hook_bin, hook, wt)
        assert not started and proc.returncode == 0, (case, hook, proc.stderr)


def test_enforce_always_checks_the_human_for_real(tmp_path: Path,
                                                  hook_bin: tuple[Path, Path]) -> None:
    repo, _wt = _human(tmp_path, ALWAYS)
    # a human commit under enforce = "always" that the pre-commit stage did not check
    proc, started = _run(hook_bin, "require-checks", repo)
    assert started and proc.returncode == 1 and "require-checks" in proc.stderr
    _same(proc, _python("require-checks", repo))


def test_no_policy_or_no_base_needs_no_python(tmp_path: Path,
                                              hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path, None)
    for hook in ENTRIES:
        proc, started = _run(hook_bin, hook, wt)
        assert (proc.returncode, started) == (0, False), hook
        _same(proc, _python(hook, wt))
    bare = tmp_path / "nobase"
    git("init", "-q", "-b", "trunk", str(bare), cwd=tmp_path)
    write(bare, "a.txt")
    commit_all(bare)
    proc, started = _run(hook_bin, "run", bare)
    assert (proc.returncode, started) == (0, False)


AGENT_ENVS = {
    "claude": {"CLAUDECODE": "1"},
    "generic": {"AGENT": "amp"},
    "cursor": {"CURSOR_EXTENSION_HOST_ROLE": "agent-exec"},
    "aider": {"GIT_AUTHOR_NAME": "Jo (aider)"},
    "base": {"GUARDRAILS_BASE": "main"},
    "range": {"PRE_COMMIT_FROM_REF": "HEAD~1", "PRE_COMMIT_TO_REF": "HEAD"},
}


@pytest.mark.parametrize("case", sorted(AGENT_ENVS))
def test_agent_markers_and_other_inputs_go_to_python(tmp_path: Path, case: str,
                                                     hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    _python("run", wt)
    hooks = ["run"] if case == "range" else sorted(ENTRIES)
    for hook in hooks:
        proc, started = _run(hook_bin, hook, wt, AGENT_ENVS[case])
        assert started, (case, hook)
        _same(proc, _python(hook, wt, AGENT_ENVS[case]))


def test_markers_turned_off_are_a_human(tmp_path: Path, hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    _python("run", wt)
    for value in ("0", "false", "No", ""):
        proc, started = _run(hook_bin, "run", wt, {"CLAUDECODE": value, "AGENT": value})
        assert (proc.returncode, started) == (0, False), value


def test_a_session_worktree_goes_to_python(tmp_path: Path, hook_bin: tuple[Path, Path]) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "auth", "agent/auth")
    proc = subprocess.run(["git-guardrails", "start"], cwd=wt, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    write(wt, "README.md", "out of the task's scope\n")
    git("add", "README.md", cwd=wt)
    proc, started = _run(hook_bin, "run", wt)
    assert started and proc.returncode == 1 and "scope-outside-allow" in proc.stdout
    _same(proc, _python("run", wt))


def test_options_and_a_missing_message_file_go_to_python(tmp_path: Path,
                                                         hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    _python("run", wt)
    proc, started = _run(hook_bin, "run", wt, args=("--format", "json"))
    assert started and proc.returncode == 0 and proc.stdout.startswith("{")
    d, _log = hook_bin
    proc = subprocess.run([str(d / "guardrails-hook"), "require-checks"], cwd=wt,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "no commit message file" in proc.stderr


def test_a_policy_change_staged_on_the_base_goes_to_python(tmp_path: Path,
                                                           hook_bin: tuple[Path, Path]) -> None:
    repo = make_repo(tmp_path / "repo")
    _python("run", repo)
    proc, started = _run(hook_bin, "run", repo)
    assert not started  # a human's commit on main that leaves the policy alone
    write(repo, ".guardrails.toml", POLICY + "\n[tasks.broken\n")
    git("add", ".guardrails.toml", cwd=repo)
    proc, started = _run(hook_bin, "run", repo)
    assert started
    _same(proc, _python("run", repo))


def test_a_configured_base(tmp_path: Path, hook_bin: tuple[Path, Path]) -> None:
    repo, wt = _human(tmp_path, POLICY.replace('base = "main"', 'base = "trunk"'))
    git("branch", "trunk", "main", cwd=repo)
    git("config", "guardrails.base", "trunk", cwd=repo)
    _python("run", wt)
    proc, started = _run(hook_bin, "run", wt)
    assert (proc.returncode, started) == (0, False)
    git("config", "guardrails.base", "gone", cwd=repo)
    proc, started = _run(hook_bin, "run", wt)
    assert started and proc.returncode == 2  # the Python hook names the missing base
    _same(proc, _python("run", wt))


def test_unknown_hook_name_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([str(SCRIPT), "nope"], cwd=tmp_path, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2 and "unknown hook 'nope'" in proc.stderr
