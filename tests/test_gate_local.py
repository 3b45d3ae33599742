"""The local layer's holes (issue 13), through real pre-commit, real native hooks and the real
``git-guardrails`` executable: ad-hoc scopes that would widen a task, commits whose tree no
pre-commit check saw, hook configuration inside a task's area, attestation ids that depended
on diff attributes, pre-push's range and the session's cumulative budget."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import install_hooks
from tests.helpers import add_worktree, commit_all, git, make_repo, write

HOOKS = "  - id: guardrails\n  - id: require-checks\n"
TYPES = "[pre-commit, prepare-commit-msg]"
AGENT = {"CLAUDECODE": "1"}


def gg(cwd: Path, *args: str, env: dict[str, str] | None = None,
       stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git-guardrails", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env={**os.environ, **(env or {})},
                          input=stdin if stdin is not None else "",
                          )


def ours(found: list[dict[str, str]]) -> list[str]:
    """The rules found, but the missing hook types (these tests call `check` directly)."""
    return [f["rule"] for f in found if f["rule"] != "bypass-hook-missing"]


def head(wt: Path, rev: str = "HEAD") -> str:
    return git("rev-parse", rev, cwd=wt).stdout.strip()


def git_dir(wt: Path) -> Path:
    return Path(git("rev-parse", "--absolute-git-dir", cwd=wt).stdout.strip())


def commit(wt: Path, rel: str, content: str, *extra: str,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    write(wt, rel, content)
    git("add", "-A", cwd=wt)
    return git("commit", "-q", "-m", f"change {rel}", *extra, cwd=wt,
               env={**AGENT, **(env or {})}, check=False)


def hooked_repo(tmp_path: Path, hook_repo: tuple[str, str],
                runner: str = "pre-commit") -> tuple[Path, Path]:
    """main with real runner hooks (guardrails + require-checks), a worktree on agent/auth in
    a session."""
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, HOOKS, hook_types=TYPES)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    proc = gg(wt, "start")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return repo, wt


@pytest.fixture
def homes(runner_homes: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in runner_homes.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def hooked(tmp_path: Path, homes: None, hook_repo: tuple[str, str]) -> tuple[Path, Path]:
    return hooked_repo(tmp_path, hook_repo)


# --- 3. ad-hoc scopes never widen a task -----------------------------------------------------

def test_adhoc_start_on_a_task_branch_is_refused_naming_the_task(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    proc = gg(wt, "start", "--allow", "**")
    assert proc.returncode == 2
    assert "task `auth`" in proc.stderr and "git guardrails start --task auth" in proc.stderr
    assert not (git_dir(wt) / "guardrails" / "session.json").exists()
    proc = gg(repo, "worktree", "add", str(tmp_path / "wt2"), "feature/free", "--allow", "**")
    assert proc.returncode == 0, proc.stderr  # no task covers feature/free: ad hoc is fine
    proc = gg(repo, "worktree", "add", str(tmp_path / "wt3"), "agent/docs", "--allow", "**")
    assert proc.returncode == 2 and "task `docs`" in proc.stderr
    assert not (tmp_path / "wt3").exists()


def test_tampered_adhoc_record_on_a_task_branch_uses_the_task(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert gg(wt, "start").returncode == 0
    p = git_dir(wt) / "guardrails" / "session.json"
    data = json.loads(p.read_text())
    data["task"], data["allow"] = None, ["**"]  # what an agent may write there
    p.write_text(json.dumps(data))
    write(wt, "README.md", "widened\n")
    git("add", "-A", cwd=wt)
    proc = gg(wt, "check", "--staged", "--format", "json", env=AGENT)
    found = json.loads(proc.stdout)["findings"]
    assert proc.returncode == 1
    assert [f["rule"] for f in found if f["rule"].startswith("scope")] == ["scope-outside-allow"]
    assert json.loads(proc.stdout).get("task") in ("auth", None)
    assert any("auth" in f["message"] for f in found)


def test_agent_cannot_force_finish_without_a_human_at_a_terminal(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert gg(wt, "start").returncode == 0
    proc = gg(wt, "finish", "--force", env=AGENT)
    assert proc.returncode == 2
    assert "terminal" in proc.stderr and "CLAUDECODE" in proc.stderr
    assert (git_dir(wt) / "guardrails" / "session.json").exists()
    proc = gg(wt, "finish", "--force")  # a human (no agent marker)
    assert proc.returncode == 0, proc.stderr
    assert not (git_dir(wt) / "guardrails" / "session.json").exists()


# --- 4. local holes with native hooks --------------------------------------------------------

def test_native_hook_refuses_unchecked_first_commit(hooked: tuple[Path, Path]) -> None:
    repo, wt = hooked
    assert gg(repo, "install").returncode == 0
    assert not (git_dir(wt) / "guardrails" / "checked.json").exists()
    before = head(wt)
    # plumbing runs no hook at all (require-checks neither): only the native hook sees it
    write(wt, "src/auth/x.py", "never checked\n")
    git("add", "-A", cwd=wt)
    tree = git("write-tree", cwd=wt).stdout.strip()
    new = git("commit-tree", tree, "-p", "HEAD", "-m", "plumbing", cwd=wt).stdout.strip()
    proc = git("update-ref", "refs/heads/agent/auth", new, cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0, proc.stderr
    assert "never saw" in proc.stderr and "no check has run in this worktree" in proc.stderr
    assert head(wt) == before
    # the same after the record is deleted
    assert commit(wt, "src/auth/ok.py", "checked\n").returncode == 0
    (git_dir(wt) / "guardrails" / "checked.json").unlink()
    before = head(wt)
    proc = git("update-ref", "refs/heads/agent/auth", new, cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0 and head(wt) == before


@pytest.mark.parametrize("env, runner", [
    ({"SKIP": "guardrails,require-checks"}, "pre-commit"),
    ({"PREK_SKIP": "require-checks,guardrails"}, "prek"),
    ({"PRE_COMMIT_ALLOW_NO_CONFIG": "1"}, "pre-commit"),
])
def test_native_hook_notices_skip_and_allow_no_config(tmp_path: Path, homes: None,
                                                      hook_repo: tuple[str, str],
                                                      env: dict[str, str], runner: str) -> None:
    repo, wt = hooked_repo(tmp_path, hook_repo, runner)
    assert gg(repo, "install").returncode == 0
    var = next(iter(env))
    for first in (True, False):  # the session's first commit (no record yet), then a later one
        if not first:
            assert commit(wt, "src/auth/ok.py", "checked\n").returncode == 0  # a record now
        if "PRE_COMMIT_ALLOW_NO_CONFIG" in env:
            os.rename(wt / ".pre-commit-config.yaml", wt / "aside.yaml")
        before = head(wt)
        proc = commit(wt, "src/auth/x.py", f"skipped {first}\n", env=env)
        assert proc.returncode != 0, proc.stderr
        if runner == "prek":  # prek refuses by itself when a stage has no hook left to run
            assert "No hooks found" in proc.stderr or var in proc.stderr, proc.stderr
        else:
            assert var in proc.stderr
            assert "error[refstore-ref-unchecked] ref update refused" in proc.stderr
        assert head(wt) == before
        git("reset", "-q", cwd=wt)
        if "PRE_COMMIT_ALLOW_NO_CONFIG" in env:
            os.rename(wt / "aside.yaml", wt / ".pre-commit-config.yaml")


def test_doctor_reports_unattested_session_commits_and_missing_native_hooks(
        hooked: tuple[Path, Path]) -> None:
    repo, wt = hooked
    proc = gg(repo, "doctor", "--format", "json")
    found = json.loads(proc.stdout)["findings"]
    native = [f for f in found if f["rule"] == "refstore-native-hooks"]
    assert proc.returncode == 1 and native and native[0]["severity"] == "error"
    write(wt, "src/auth/x.py", "sneaked in\n")
    git("add", "-A", cwd=wt)
    git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "no hooks", cwd=wt, env=AGENT)
    sha = head(wt)
    assert gg(repo, "install").returncode == 0
    proc = gg(wt, "doctor", "--format", "json")
    found = json.loads(proc.stdout)["findings"]
    un = [f for f in found if f["rule"] == "session-unchecked-commit"]
    assert proc.returncode == 1 and un and un[0]["commit"] == sha, found
    assert "refstore-native-hooks" not in [f["rule"] for f in found]


# --- 5. one verdict, local and CI -------------------------------------------------------------

@pytest.mark.parametrize("rel", ["src/auth/.gitattributes", "src/auth/.gitmodules",
                                 "src/auth/.pre-commit-config.yaml", ".husky/pre-commit",
                                 "lefthook.yml"])
def test_local_hook_reports_hook_config_like_ci(tmp_path: Path, rel: str) -> None:
    repo = make_repo(tmp_path / "repo", policy="""\
[guardrails]
base = "main"

[tasks.auth]
branch = "agent/auth"
allow = ["**"]
""")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert gg(wt, "start").returncode == 0
    write(wt, rel, "*.py -diff\n")
    git("add", "-A", cwd=wt)
    proc = gg(wt, "check", "--staged", "--format", "json", env=AGENT)
    local = [(f["rule"], f["severity"], f["path"]) for f in json.loads(proc.stdout)["findings"]]
    git("commit", "-q", "--no-verify", "-m", "hook config", cwd=wt)
    ci = gg(repo, "ci", "--base", "main", "--head", "agent/auth", "--format", "json")
    remote = [(f["rule"], f["severity"], f["path"]) for f in json.loads(ci.stdout)["findings"]
              if f["rule"] == "ci-hook-config-changed"]
    assert remote == [("ci-hook-config-changed", "error", rel)]
    assert proc.returncode == 1 and remote[0] in local, local


ATTRIBUTE_CASES = {
    # name: (a .gitattributes in the work tree at commit time, never committed; the common
    # dir's info/attributes at commit time; local config; CI's config)
    "-diff": ("*.py -diff", "", {}, {}),
    "binary": ("*.py binary", "", {}, {}),
    "diff=driver textconv": ("", "*.py diff=tc", {"diff.tc.textconv": "sed s/a/b/"}, {}),
    "diff=driver binary": ("", "*.py diff=tc", {"diff.tc.binary": "true"}, {}),
    "external diff driver": ("", "*.py diff=ext", {"diff.ext.command": "echo changed"}, {}),
    "diff.external": ("", "", {"diff.external": "echo changed"}, {}),
    "diff.algorithm": ("", "", {"diff.algorithm": "patience"}, {"diff.algorithm": "histogram"}),
    "diff.renames": ("", "", {"diff.renames": "copies"}, {"diff.renames": "false"}),
    "core.bigFileThreshold": ("", "", {"core.bigFileThreshold": "16"}, {}),
    "core.quotePath": ("", "", {"core.quotePath": "false"}, {}),
    "CI-side -diff": ("", "", {}, {"core.attributesFile": "CI_ATTRS"}),
}


@pytest.mark.parametrize("case", sorted(ATTRIBUTE_CASES))
def test_attestation_id_ignores_diff_attributes_and_config(hooked: tuple[Path, Path],
                                                           tmp_path: Path, case: str) -> None:
    repo, wt = hooked
    committed, info, local_cfg, ci_cfg = ATTRIBUTE_CASES[case]
    if info:
        (repo / ".git" / "info").mkdir(exist_ok=True)
        (repo / ".git" / "info" / "attributes").write_text(info + "\n")
    for k, v in local_cfg.items():
        git("config", k, v, cwd=wt)
    if committed:  # in the work tree, not staged: it changes the diff git shows locally
        write(wt, "src/auth/.gitattributes", committed + "\n")
    body = "".join(f"line a{i}\n" for i in range(30))
    write(wt, "src/auth/login.py", body)
    write(wt, "src/auth/caf\u00e9.py", "a = 1\n")
    git("add", "--", "src/auth/login.py", "src/auth/caf\u00e9.py", cwd=wt)
    proc = git("commit", "-q", "-m", "attributes", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    trailer = git("log", "-1", "--format=%(trailers:key=Guardrails-Checked,valueonly)",
                  cwd=wt).stdout.strip()
    assert trailer
    (wt / "src/auth/.gitattributes").unlink(missing_ok=True)
    for k in local_cfg:
        git("config", "--unset", k, cwd=wt)
    (repo / ".git" / "info" / "attributes").unlink(missing_ok=True)
    clone = tmp_path / "ci"
    git("clone", "-q", str(repo), str(clone), cwd=tmp_path)
    git("fetch", "-q", "origin", "agent/auth:refs/remotes/origin/agent/auth", cwd=clone)
    for k, v in ci_cfg.items():
        if v == "CI_ATTRS":
            (tmp_path / "ci-attrs").write_text("* -diff\n")
            v = str(tmp_path / "ci-attrs")
        git("config", k, v, cwd=clone)
    out = gg(clone, "ci", "--base", "origin/main", "--head", "origin/agent/auth",
             "--format", "json")
    found = [f for f in json.loads(out.stdout)["findings"] if f["rule"].startswith("attest")]
    assert found == [], found


# --- 6. pre-push judges only the pushed agent work --------------------------------------------

def test_pre_push_to_an_empty_remote_judges_only_the_agent_commits(
        tmp_path: Path, runner_homes: dict[str, str], hook_repo: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in runner_homes.items():
        monkeypatch.setenv(k, v)
    repo = make_repo(tmp_path / "repo")
    write(repo, "README.md", "a human's later change on main\n")
    commit_all(repo, "human work on main")
    install_hooks(repo, "pre-commit", hook_repo, "  - id: check-scope\n",
                  hook_types="[pre-push]")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert gg(wt, "start").returncode == 0
    write(wt, "src/auth/login.py", "def login(): return 1\n")
    git("add", "-A", cwd=wt)
    git("commit", "-q", "-m", "agent work", cwd=wt, env=AGENT)
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    proc = git("push", str(remote), "agent/auth", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and a stray agent commit is still caught on the next push
    write(wt, "docs/x.md", "stray\n")
    git("add", "-A", cwd=wt)
    git("commit", "-q", "--no-verify", "-m", "stray", cwd=wt, env=AGENT)
    proc = git("push", str(remote), "agent/auth", cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0 and "docs/x.md" in proc.stdout + proc.stderr
    assert "README.md" not in proc.stdout + proc.stderr


# --- 8. the session's cumulative budget --------------------------------------------------------

def test_session_budget_is_cumulative_over_commits_and_index(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy="""\
[guardrails]
base = "main"

[tasks.auth]
branch = "agent/auth"
allow = ["src/auth/**"]
branch-max-lines = 500
""")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert gg(wt, "start").returncode == 0
    write(wt, "src/auth/a.py", "".join(f"a{i}\n" for i in range(400)))
    git("add", "-A", cwd=wt)
    proc = gg(wt, "check", "--staged", "--format", "json", env=AGENT)
    assert ours(json.loads(proc.stdout)["findings"]) == [], proc.stdout
    git("commit", "-q", "--no-verify", "-m", "first", cwd=wt)
    write(wt, "src/auth/b.py", "".join(f"b{i}\n" for i in range(400)))
    git("add", "-A", cwd=wt)
    proc = gg(wt, "check", "--staged", "--format", "json", env=AGENT)
    found = json.loads(proc.stdout)["findings"]
    assert proc.returncode == 1 and ours(found) == ["budget-branch-max-lines"]
    assert "800" in next(f["message"] for f in found if f["rule"].startswith("budget"))
