"""Every refusal is a finding: each hook entry point, native hook and command that refuses is
run here in a refusing situation on a real repository, and what it prints must be findings in
guardrails.report's shape (``error[rule-id] message``, ``  fix: command``, the summary line)
whose rule ids are in the catalogue, with the documented exit code. A refusal path that prints
free text fails here."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from guardrails.rules import RULES
from tests.helpers import git, write
from tests.refstore_helpers import agents, cli, commit_file, git_dir, head

AGENT = {"CLAUDECODE": "1"}
FINDING = re.compile(r"^(error|warning)\[([a-z0-9-]+)\] \S")
SUMMARY = re.compile(r"^guardrails: \d+ error\(s\), \d+ warning\(s\)( \(.*\))?$")
# what git itself says around a hook's refusal
GIT_SAYS = ("fatal: ", "error: failed to push", "To ", " ! ")


def assert_refusal(proc: subprocess.CompletedProcess[str], rule: str, code: int) -> list[str]:
    """``proc`` exited ``code`` and printed only findings (at least one error of ``rule``),
    each error followed by its fix; returns the rule ids printed."""
    out = proc.stdout + proc.stderr
    lines = [ln.removeprefix("remote: ") for ln in out.splitlines()]
    lines = [ln for ln in lines if ln.strip()]
    ids: list[str] = []
    for i, line in enumerate(lines):
        m = FINDING.match(line)
        if m:
            assert m.group(2) in RULES, f"{m.group(2)} is not in guardrails/rules.py:\n{out}"
            ids.append(m.group(2))
            if m.group(1) == "error":
                assert i + 1 < len(lines) and lines[i + 1].startswith("  fix: "), out
            continue
        assert line.startswith("  fix: ") or SUMMARY.match(line) or line.startswith(GIT_SAYS), \
            f"free text on a refusal path: {line!r}\n{out}"
    assert rule in ids, out
    assert RULES[rule].severity == "error"
    assert proc.returncode == code, (proc.returncode, out)
    return ids


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env={**os.environ, **AGENT, **(env or {})},
                          capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """main + worktrees a (agent/auth, task auth) and b (agent/docs), both in sessions, the
    native hooks installed."""
    return agents(tmp_path)


# --- the pre-commit hook entry points -----------------------------------------------------

def _stage_outside(a: Path) -> None:
    write(a, "docs/outside.md", "x\n")
    git("add", "docs/outside.md", cwd=a)


@pytest.mark.parametrize(("entry", "setup", "env", "rule"), [
    ("guardrails-check-scope", _stage_outside, {}, "scope-outside-allow"),
    ("guardrails-run", _stage_outside, {}, "scope-outside-allow"),
    ("guardrails-no-skipped-hooks", None, {"SKIP": "guardrails"}, "bypass-skip-env"),
    ("guardrails-clean-baseline", None, {}, "baseline-wrong-branch"),
])
def test_pre_commit_hooks_refuse_with_findings(
        repo: tuple[Path, Path, Path], entry: str, setup: Callable[[Path], None] | None,
        env: dict[str, str], rule: str) -> None:
    _main, a, _b = repo
    if rule == "baseline-wrong-branch":
        git("switch", "-q", "-c", "agent/other", cwd=a)
        write(a, "src/auth/x.py", "x = 1\n")
        git("add", "src/auth/x.py", cwd=a)
    elif setup is not None:
        setup(a)
    assert_refusal(run([entry], a, env), rule, 1)


def test_ref_store_guard_refuses_with_a_finding(repo: tuple[Path, Path, Path]) -> None:
    main, a, _b = repo
    lock = main / ".git" / "packed-refs.lock"
    lock.write_text("")
    old = lock.stat().st_mtime - 3600
    os.utime(lock, (old, old))
    proc = run(["guardrails-ref-store-guard"], a,
               {"GUARDRAILS_LOCK_WAIT": "0.2", "GUARDRAILS_GC_WAIT": "0.2"})
    assert_refusal(proc, "refstore-stale-lock", 1)


@pytest.mark.parametrize(("env", "rules"), [
    ({}, ["attest-unchecked"]),
    ({"SKIP": "guardrails"}, ["bypass-skip-env", "attest-unchecked"]),
])
def test_require_checks_refuses_with_findings(repo: tuple[Path, Path, Path],
                                              env: dict[str, str], rules: list[str]) -> None:
    _main, a, _b = repo
    write(a, "src/auth/x.py", "x = 1\n")
    git("add", "src/auth/x.py", cwd=a)
    msg = a / "MSG"
    msg.write_text("subject\n")
    ids = assert_refusal(run(["guardrails-require-checks", str(msg)], a, env), rules[-1], 1)
    assert ids == rules
    assert "Guardrails-Checked" not in msg.read_text()


def test_verify_commit_reports_a_broken_commit_as_a_finding(
        repo: tuple[Path, Path, Path]) -> None:
    main, a, _b = repo
    assert commit_file(a, "src/auth/x.py", "a unique blob 1\n").returncode == 0
    blob = git("rev-parse", "HEAD:src/auth/x.py", cwd=a).stdout.strip()
    os.unlink(main / ".git" / "objects" / blob[:2] / blob[2:])
    # exit 1 makes the runners show it; git ignores post-commit's status
    assert_refusal(run(["guardrails-verify-commit"], a), "refstore-commit-broken", 1)


# --- the native hooks, through real git commands ------------------------------------------

def test_reference_transaction_refusals_are_findings(repo: tuple[Path, Path, Path]) -> None:
    main, a, b = repo
    assert commit_file(a, "src/auth/x.py", "x = 1\n").returncode == 0
    target = head(b)
    proc = git("update-ref", "refs/heads/agent/docs", "HEAD", cwd=a, check=False)
    assert_refusal(proc, "refstore-ref-foreign", 128)
    proc = git("update-ref", "--no-deref", "worktrees/b/HEAD", "HEAD", cwd=a, check=False)
    assert_refusal(proc, "refstore-ref-foreign", 128)
    proc = git("branch", "-f", "release/1", "HEAD", cwd=a, check=False)
    assert_refusal(proc, "refstore-ref-protected", 128)
    before = head(a)
    proc = commit_file(a, "src/auth/y.py", "y = 1\n", env={"SKIP": "guardrails"})
    assert_refusal(proc, "refstore-ref-unchecked", 128)
    assert head(a) == before and head(main, "refs/heads/agent/docs") == target


def test_unreadable_session_record_refuses_with_a_finding(
        repo: tuple[Path, Path, Path]) -> None:
    _main, a, _b = repo
    (Path(git_dir(a)) / "guardrails" / "session.json").write_text("{not json")
    proc = git("commit", "-q", "--allow-empty", "-m", "x", cwd=a, check=False)
    assert_refusal(proc, "refstore-session-unreadable", 128)


def test_pre_auto_gc_deferral_is_a_finding(repo: tuple[Path, Path, Path]) -> None:
    main, a, _b = repo
    paths = [str(write(main, f"tmp/o{i}", f"loose {i}\n")) for i in range(300)]
    git("hash-object", "-w", "--stdin-paths", cwd=main, input="\n".join(paths).encode())
    proc = git("-c", "gc.auto=1", "-c", "gc.autoDetach=false", "gc", "--auto", cwd=a,
               check=False)
    # git goes on without the gc: the hook's exit 1 only defers it
    assert_refusal(proc, "refstore-auto-gc-deferred", 0)


def test_shim_without_python_warns_as_a_finding(repo: tuple[Path, Path, Path]) -> None:
    main, a, _b = repo
    shim = main / ".git" / "hooks" / "reference-transaction"
    text = shim.read_text().replace("GUARDRAILS_PYTHON='", "GUARDRAILS_PYTHON='/nonexistent")
    shim.write_text(text.replace("command -v python3", "command -v no-such-python"))
    proc = git("update-ref", "refs/heads/release/1", "HEAD", cwd=a, check=False)
    out = proc.stderr.splitlines()
    assert out[0].startswith("warning[refstore-native-hooks] reference-transaction: no Python")
    assert out[1] == "  fix: git guardrails install" and SUMMARY.match(out[2]), out


# --- commands -------------------------------------------------------------------------------

def test_gc_refuses_with_a_finding(repo: tuple[Path, Path, Path]) -> None:
    main, _a, _b = repo
    assert_refusal(cli("gc", cwd=main), "refstore-gc-sessions-active", 1)


def test_the_shape_check_can_fail() -> None:
    """Free text, an unknown rule id and an error without its fix all fail the check."""
    for out in ("git-guardrails: ref update refused\n",
                "error[no-such-rule] x\n  fix: y\n",
                "error[attest-unchecked] x\nguardrails: 1 error(s), 0 warning(s)\n"):
        proc = subprocess.CompletedProcess(["x"], 1, "", out)
        with pytest.raises(AssertionError):
            assert_refusal(proc, "attest-unchecked", 1)
