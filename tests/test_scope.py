"""check-scope end to end: real commits in a linked worktree through real pre-commit and prek
(`runner`), pushes to a local bare remote, manual ranges, and `git-guardrails check`. The
per-kind logic is tested in-process (fast); the runner tests bundle many kinds per commit."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from guardrails import checks, context, git
from guardrails.findings import Finding
from tests.conftest import install_hooks
from tests.helpers import POLICY, add_worktree, commit_all, make_repo, write
from tests.helpers import git as run_git

AGENT = {"CLAUDECODE": "1"}
FILES = {
    "src/auth/login.py": "def login():\n    return 'login'\n",
    "src/auth/session.py": "def session():\n    return 'a session object'\n" * 3,
    "docs/index.md": "# The documentation index\n\nwith enough text to be recognised\n",
    "docs/guide.md": "# A guide\n\nthat is moved into the auth tree\nby the agent\n",
    "README.md": "readme\n",
    "tools/run.sh": "#!/bin/sh\necho run\n",
}
POLICY_ALL = POLICY + '\n[tasks.all]\nbranch = "agent/all"\nallow = ["**"]\n'


def repo_with(tmp_path: Path, policy: str = POLICY) -> Path:
    return make_repo(tmp_path / "repo", policy=policy, files=dict(FILES))


def findings(wt: Path, monkeypatch: pytest.MonkeyPatch, agent: bool = True) -> list[Finding]:
    if agent:
        monkeypatch.setenv("CLAUDECODE", "1")
    ctx = context.build(git.discover(str(wt)))
    return checks.run(ctx, ["scope"])


def summary(found: list[Finding]) -> list[tuple[str, str | None]]:
    return sorted((f.rule, f.path) for f in found)


def nested_repo(path: Path) -> None:
    """A real repository inside the work tree: `git add` records it as a gitlink."""
    path.mkdir(parents=True)
    run_git("init", "-q", str(path), cwd=path.parent)
    write(path, "f.txt", "sub\n")
    commit_all(path, "sub")


# --- each kind of change, in-process ----------------------------------------------------------

def _modify(wt: Path) -> None:
    write(wt, "README.md", "changed\n")


def _add(wt: Path) -> None:
    write(wt, "docs/new.md", "new\n")


def _delete(wt: Path) -> None:
    (wt / "docs/index.md").unlink()


def _rename_in(wt: Path) -> None:
    run_git("mv", "docs/guide.md", "src/auth/guide.md", cwd=wt)


def _rename_out(wt: Path) -> None:
    run_git("mv", "src/auth/session.py", "docs/session.py", cwd=wt)


def _copy(wt: Path) -> None:
    shutil.copy(wt / "src/auth/session.py", wt / "docs/session-copy.py")
    write(wt, "src/auth/session.py", FILES["src/auth/session.py"] + "# more\n")


def _mode(wt: Path) -> None:
    p = wt / "tools/run.sh"
    p.chmod(0o755)


def _submodule(wt: Path) -> None:
    nested_repo(wt / "vendor/lib")


def _symlink(wt: Path) -> None:
    os.symlink("../src/auth/login.py", wt / "docs/link.py")


def _typechange(wt: Path) -> None:
    (wt / "README.md").unlink()
    os.symlink("docs/index.md", wt / "README.md")


KINDS = {
    "modified": (_modify, [("README.md", "modified")]),
    "added": (_add, [("docs/new.md", "added")]),
    "deleted": (_delete, [("docs/index.md", "deleted")]),
    "renamed-in": (_rename_in,
                   [("docs/guide.md", "renamed to src/auth/guide.md (rename source)")]),
    "renamed-out": (_rename_out,
                    [("docs/session.py", "renamed from src/auth/session.py (rename target)")]),
    "copied": (_copy, [("docs/session-copy.py", "copied from src/auth/session.py")]),
    "mode-only": (_mode, [("tools/run.sh", "mode 100644 -> 100755")]),
    "submodule": (_submodule, [("vendor/lib", "submodule added")]),
    "symlink": (_symlink, [("docs/link.py", "symlink added")]),
    "type-change": (_typechange, [("README.md", "symlink type changed")]),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_out_of_scope_kind_is_refused(kind: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    make, expected = KINDS[kind]
    repo = repo_with(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    make(wt)
    run_git("add", "-A", cwd=wt)
    found = findings(wt, monkeypatch)
    assert [(f.rule, f.path) for f in found] == [("scope-outside-allow", p) for p, _ in expected]
    for f, (p, what) in zip(found, expected):
        assert f.message.startswith(f"{p}: {what}: outside the allow patterns of task `auth`")
        assert "git restore --staged -- " in f.hint
        assert f.policy is not None and f.policy.startswith("main@")


def test_in_scope_change_of_every_kind_passes(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/login.py", "changed\n")
    write(wt, "tests/auth/test_login.py", "def test(): pass\n")
    run_git("mv", "src/auth/session.py", "src/auth/sessions.py", cwd=wt)
    os.symlink("login.py", wt / "src/auth/link.py")
    nested_repo(wt / "src/auth/sub")
    write(wt, "src/auth/ödd name\n-x.py", "x\n")
    run_git("add", "-A", cwd=wt)
    assert findings(wt, monkeypatch) == []


def test_negated_vendored_path_is_outside(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/vendored/lib.py", "x\n")
    run_git("add", "-A", cwd=wt)
    assert summary(findings(wt, monkeypatch)) == \
        [("scope-outside-allow", "src/auth/vendored/lib.py")]


def test_locked_path_refused_even_when_allow_is_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path, POLICY_ALL)
    wt = add_worktree(repo, tmp_path / "wt", "agent/all")
    write(wt, ".github/workflows/ci.yml", "on: push\n")
    write(wt, ".pre-commit-config.yaml", "repos: []\n")
    write(wt, "anything/else.txt", "fine\n")
    run_git("add", "-A", cwd=wt)
    found = findings(wt, monkeypatch)
    # hook configuration is also reported as CI reports it (one verdict, local and CI)
    assert summary(found) == [("ci-hook-config-changed", ".pre-commit-config.yaml"),
                              ("scope-locked", ".github/workflows/ci.yml"),
                              ("scope-locked", ".pre-commit-config.yaml")]
    assert all("locked by the policy" in f.message for f in found if f.rule == "scope-locked")


@pytest.mark.parametrize(("files", "lines", "rules"), [
    (3, 3, []),
    (41, 41, ["budget-max-files"]),
    (2, 1501, ["budget-max-lines"]),
    (41, 1600, ["budget-max-files", "budget-max-lines"]),
])
def test_budgets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: int, lines: int,
                 rules: list[str]) -> None:
    repo = repo_with(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    per = lines // files
    extra = lines - per * files
    for i in range(files):
        write(wt, f"src/auth/gen/{i}.py", "x\n" * (per + (extra if i == 0 else 0)))
    run_git("add", "-A", cwd=wt)
    found = findings(wt, monkeypatch)
    assert [f.rule for f in found] == rules
    for f in found:
        assert "of task `auth`" in f.message
        assert (f"{files} files changed" in f.message) or (f"{lines} lines" in f.message)


def test_budget_counts_removed_lines_and_not_binary(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path, POLICY.replace("max-lines = 1500", "max-lines = 3"))
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/session.py", "def session():\n")  # 5 lines removed
    write(wt, "src/auth/blob.bin", b"\x00" * 10000)
    run_git("add", "-A", cwd=wt)
    found = findings(wt, monkeypatch)
    assert [(f.rule, f.message.split(",")[0]) for f in found] == \
        [("budget-max-lines", "5 lines added and removed")]


def test_no_task_for_an_agent_on_an_unknown_branch(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt", "agent/unknown")
    write(wt, "src/auth/x.py")
    run_git("add", "-A", cwd=wt)
    assert findings(wt, monkeypatch, agent=False) == []  # a human: not checked
    found = findings(wt, monkeypatch)
    assert summary(found) == [("no-task", None)]
    assert "no task in the trusted policy covers branch `agent/unknown`" in found[0].message
    assert "auth (agent/auth)" in found[0].hint


def test_human_outside_session_not_checked_unless_enforce_always(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repo_with(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "docs/human.md")
    run_git("add", "-A", cwd=wt)
    assert findings(wt, monkeypatch, agent=False) == []
    write(repo, ".guardrails.toml", POLICY.replace('base = "main"',
                                                   'base = "main"\nenforce = "always"'))
    commit_all(repo, "enforce always")
    # (the branch's copy of the policy is now older than main's: reported, not used)
    assert summary(findings(wt, monkeypatch, agent=False)) == \
        [("policy-worktree-differs", ".guardrails.toml"), ("scope-outside-allow", "docs/human.md")]


# --- through the real runners -------------------------------------------------------------------

# pre-commit itself cannot decode a staged name that is not UTF-8 (it fails before any hook
# runs, so the commit is refused anyway); prek passes it to the hook.
ODD_OUT = [b"docs/with space\nand newline.md", b"-rf", b'q"uote\'s.md', b"caf\xe9.txt"]


def test_agent_commits_through_runner(tmp_path: Path, runner: str,
                                      hook_repo: tuple[str, str]) -> None:
    repo = repo_with(tmp_path)
    install_hooks(repo, runner, hook_repo, "  - id: check-scope\n")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")

    # in scope: accepted
    write(wt, "src/auth/login.py", "def login():\n    return 'ok'\n")
    write(wt, "src/auth/ödd name.py", "x\n")
    run_git("add", "-A", cwd=wt)
    proc = run_git("commit", "-m", "in scope", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head = run_git("rev-parse", "HEAD", cwd=wt).stdout

    # every kind of out-of-scope change at once, plus odd names: refused, each reported
    for kind in ("modified", "added", "deleted", "renamed-in", "mode-only", "submodule",
                 "symlink"):
        KINDS[kind][0](wt)
    odd = ODD_OUT if runner == "prek" else ODD_OUT[:-1]  # pre-commit: UnicodeDecodeError
    for name in odd:
        write(wt, name, "odd\n")
    run_git("add", "-A", cwd=wt)
    proc = run_git("commit", "-m", "stray", cwd=wt, env=AGENT, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    for kind in ("modified", "added", "deleted", "renamed-in", "mode-only", "submodule",
                 "symlink"):
        for path, what in KINDS[kind][1]:
            assert f"error[scope-outside-allow] {path}: {what}: outside" in out, (kind, out)
    assert "error[scope-outside-allow] -rf: added" in out
    assert 'error[scope-outside-allow] "docs/with space\\nand newline.md": added' in out
    assert "git restore --staged -- $'docs/with space\\nand newline.md'" in out
    assert "error[scope-outside-allow] q\"uote's.md: added" in out
    if runner == "prek":
        assert 'error[scope-outside-allow] "caf\\xe9.txt": added' in out
        assert "git restore --staged -- $'caf\\xe9.txt'" in out
    assert f"guardrails: {7 + len(odd)} error(s), 0 warning(s) (policy: main@" in out
    assert run_git("rev-parse", "HEAD", cwd=wt).stdout == head

    # a human (no agent marker, no session) is not bothered by the same change
    proc = run_git("commit", "-m", "human", cwd=wt, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_enforce_always_checks_humans_through_runner(tmp_path: Path, runner: str,
                                                     hook_repo: tuple[str, str]) -> None:
    repo = repo_with(tmp_path, POLICY.replace('base = "main"',
                                              'base = "main"\nenforce = "always"'))
    install_hooks(repo, runner, hook_repo, "  - id: guardrails\n")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "docs/human.md")
    run_git("add", "-A", cwd=wt)
    proc = run_git("commit", "-m", "human", cwd=wt, check=False)
    assert proc.returncode != 0
    assert "error[scope-outside-allow] docs/human.md: added" in proc.stdout + proc.stderr


def test_pre_push_checks_each_pushed_commit(tmp_path: Path, runner: str,
                                            hook_repo: tuple[str, str]) -> None:
    repo = repo_with(tmp_path)
    install_hooks(repo, runner, hook_repo, "  - id: check-scope\n    stages: [pre-push]\n",
                  hook_types="[pre-push]")
    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    run_git("remote", "add", "origin", str(remote), cwd=repo)
    proc = run_git("push", "-q", "origin", "main", cwd=repo, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # human commits on main: fine

    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/a.py")
    ok1 = commit_all(wt, "in scope", AGENT)
    write(wt, "docs/stray.md")
    bad = commit_all(wt, "stray (hooks skipped)", AGENT)
    write(wt, "src/auth/b.py")
    ok2 = commit_all(wt, "in scope again", AGENT)
    proc = run_git("push", "origin", "agent/auth", cwd=wt, env=AGENT, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert f"error[scope-outside-allow] {bad[:12]} docs/stray.md: added" in out
    assert ok1[:12] not in out and ok2[:12] not in out
    assert "guardrails: 1 error(s)" in out
    assert run_git("ls-remote", str(remote), "agent/auth", cwd=tmp_path).stdout == ""

    run_git("revert", "--no-edit", bad, cwd=wt)
    # the bad commit is still in the pushed range: every commit is judged
    proc = run_git("push", "origin", "agent/auth", cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0
    assert f"{bad[:12]} docs/stray.md" in proc.stdout + proc.stderr


def test_manual_range_run(tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    repo = repo_with(tmp_path)
    install_hooks(repo, runner, hook_repo, "  - id: check-scope\n    stages: [manual]\n",
                  hook_types="[pre-commit]")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/a.py")
    commit_all(wt, "in scope", AGENT)
    good = run_git("rev-parse", "HEAD", cwd=wt).stdout.strip()
    write(wt, "docs/stray.md")
    bad = commit_all(wt, "stray", AGENT)
    base = run_git("rev-parse", "main", cwd=wt).stdout.strip()

    def run(frm: str, to: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([runner, "run", "--hook-stage", "manual", "check-scope",
                               "--from-ref", frm, "--to-ref", to],
                              cwd=wt, capture_output=True, text=True, check=False)

    proc = run(base, good)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run(base, bad)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert f"error[scope-outside-allow] {bad[:12]} docs/stray.md: added" in out


# --- the command ---------------------------------------------------------------------------------

def test_check_range_json(tmp_path: Path) -> None:
    repo = repo_with(tmp_path)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/a.py")
    commit_all(wt, "in scope")
    run_git("mv", "src/auth/session.py", "docs/session.py", cwd=wt)
    write(wt, ".github/x.yml", "x: 1\n")
    bad = commit_all(wt, "out")
    proc = subprocess.run(["git-guardrails", "check", "--range", "main..agent/auth",
                           "--format", "json"], cwd=wt, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    main = run_git("rev-parse", "--short=7", "main", cwd=repo).stdout.strip()
    assert doc["policy"] == f"main@{main}" and doc["task"] == "auth"
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert doc["summary"]["errors"] == len(errors)
    # (other range checks, e.g. attestation, may add their own findings: scope's are these)
    got = sorted((f["rule"], f["path"], f["commit"], f["severity"]) for f in doc["findings"]
                 if f["rule"].startswith("scope-"))
    assert got == [("scope-locked", ".github/x.yml", bad, "error"),
                   ("scope-outside-allow", "docs/session.py", bad, "error")]

    proc = subprocess.run(["git-guardrails", "check", "--range", "main..agent/auth~1",
                           "--format", "json"], cwd=wt, capture_output=True, text=True,
                          check=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert [f for f in json.loads(proc.stdout)["findings"]
            if f["rule"].startswith("scope-")] == []

    proc = subprocess.run(["git-guardrails", "check", "--range", "main..no-such-branch"],
                          cwd=wt, capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no-such-branch" in proc.stderr


@pytest.mark.parametrize("name", [b"plain.txt", b"with space", b"new\nline", b"tab\there",
                                  b"q'uo\"te", b"caf\xe9", "é中".encode(), b"back\\slash",
                                  b"-dash"])
def test_hint_paths_round_trip_through_bash(name: bytes) -> None:
    from guardrails.findings import printable, shell_path, show_path

    path = os.fsdecode(name)
    proc = subprocess.run(["bash", "-c", f"printf %s {shell_path(path)}"],
                          capture_output=True, check=True)
    assert proc.stdout == name
    assert show_path(path).isprintable() and printable(path).isprintable()
