"""clean-baseline and record-baseline: the hook entry points on real repositories, and real
commits and checkouts through real pre-commit and prek."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Optional

from guardrails import git as ggit
from guardrails.sessions import session
from tests.conftest import install_hooks, ref_format
from tests.helpers import (
    add_worktree,
    commit_all,
    counting_git,
    gg,
    git,
    git_subcommands,
    make_repo,
    write,
)

AGENT = {"CLAUDECODE": "1"}


def hook(cwd: Path, env: Optional[dict[str, str]] = None, name: str = "clean-baseline"
         ) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run([f"guardrails-{name}", "--format", "json"], cwd=cwd, env=full,
                          capture_output=True, text=True, check=False)


def rules(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert proc.returncode in (0, 1), proc.stderr
    return [f["rule"] for f in json.loads(proc.stdout)["findings"]]


def started(tmp_path: Path, *args: str) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    proc = gg("start", *args, cwd=wt)
    assert proc.returncode == 0, proc.stderr
    return repo, wt


def test_human_outside_session_not_bothered(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    write(repo, "src/x.py")
    git("add", "-A", cwd=repo)
    proc = hook(repo)
    assert proc.returncode == 0 and rules(proc) == []


def test_agent_without_session_refused_with_start_command(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/x.py")
    git("add", "-A", cwd=wt)
    proc = hook(wt, AGENT)
    assert proc.returncode == 1 and rules(proc) == ["baseline-no-session"]
    f = json.loads(proc.stdout)["findings"][0]
    assert f["hint"].startswith("git guardrails start") and "claude-code" in f["message"]
    # on main: also the protected branch, and the hint is a worktree for a task
    proc = hook(repo, {"CODEX_THREAD_ID": "t"})
    assert rules(proc) == ["baseline-no-session", "baseline-protected-branch"]
    assert "git guardrails worktree add" in json.loads(proc.stdout)["findings"][0]["hint"]


def test_session_commit_on_own_branch_passes(tmp_path: Path) -> None:
    _repo, wt = started(tmp_path)
    write(wt, "src/auth/x.py")
    git("add", "-A", cwd=wt)
    assert hook(wt, AGENT).returncode == 0
    commit_all(wt, "one")
    write(wt, "src/auth/y.py")
    git("add", "-A", cwd=wt)
    proc = hook(wt)  # a session makes every commit an agent commit, markers or not
    assert proc.returncode == 0 and rules(proc) == []


def test_wrong_branch_protected_branch_detached(tmp_path: Path) -> None:
    _repo, wt = started(tmp_path)
    git("switch", "-q", "-c", "agent/other", cwd=wt)
    assert rules(hook(wt)) == ["baseline-wrong-branch"]
    git("switch", "-q", "--ignore-other-worktrees", "main", cwd=wt)
    proc = hook(wt)
    assert rules(proc) == ["baseline-protected-branch"] and proc.returncode == 1
    git("switch", "-q", "--detach", "agent/auth", cwd=wt)
    proc = hook(wt)
    assert rules(proc) == ["baseline-detached-head"]
    assert "git switch agent/auth" in json.loads(proc.stdout)["findings"][0]["hint"]


def test_head_no_longer_descends_from_baseline(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/a.py")
    commit_all(wt, "before the session")
    assert gg("start", cwd=wt).returncode == 0
    git("reset", "-q", "--hard", "HEAD~1", cwd=wt)
    write(wt, "src/auth/b.py")
    git("add", "-A", cwd=wt)
    assert rules(hook(wt)) == ["baseline-diverged"]
    # the baseline object itself gone from the record's point of view
    gd = ggit.discover(str(wt)).git_dir
    s = session.load(gd)
    assert s is not None
    s.baseline = "f" * 40
    session.save(gd, s)
    proc = hook(wt)
    assert rules(proc) == ["baseline-diverged"] and "cannot be found" in proc.stdout


def test_allow_dirty_paths_never_committed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/login.py", "human wip\n")
    write(wt, "src/auth/notes.txt", "human notes\n")
    assert gg("start", "--allow-dirty", cwd=wt).returncode == 0
    write(wt, "src/auth/agent.py", "agent\n")
    git("add", "src/auth/agent.py", cwd=wt)
    assert rules(hook(wt)) == []
    git("add", "src/auth/login.py", cwd=wt)
    proc = hook(wt)
    assert rules(proc) == ["baseline-dirty-path"]
    assert "exactly the content it had before" in proc.stdout
    write(wt, "src/auth/login.py", "human wip\nagent too\n")
    git("add", "src/auth/login.py", "src/auth/notes.txt", cwd=wt)
    proc = hook(wt)
    assert rules(proc) == ["baseline-dirty-path", "baseline-dirty-path"]
    assert "includes changes made before" in proc.stdout


def test_dirty_start_recorded_by_checkout_hook_refuses_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/login.py", "carried over\n")
    from guardrails.sessions import lifecycle

    lifecycle.start(ggit.discover(str(wt)), task="auth", origin="post-checkout",
                    refuse_dirty=False)
    write(wt, "src/auth/x.py")
    git("add", "src/auth/x.py", cwd=wt)
    proc = hook(wt)
    assert rules(proc) == ["baseline-dirty-start"] and "src/auth/login.py" in proc.stdout


def test_mid_merge_and_mid_rebase(tmp_path: Path) -> None:
    repo, wt = started(tmp_path)
    write(repo, "docs/index.md", "main moved\n")
    commit_all(repo, "main moves")
    write(wt, "src/auth/a.py")
    commit_all(wt, "agent work")
    # a merge of the base into the session's branch, concluded by `git commit`
    git("merge", "--no-ff", "--no-commit", "main", cwd=wt)
    assert os.path.exists(git("rev-parse", "--git-path", "MERGE_HEAD", cwd=wt).stdout.strip())
    assert rules(hook(wt)) == []
    git("commit", "-q", "--no-verify", "--no-edit", cwd=wt)
    # an interactive rebase stopped for an edit: HEAD is detached, the rebased branch counts
    env = {"GIT_SEQUENCE_EDITOR": "sed -i -e 1s/^pick/edit/"}
    git("rebase", "-q", "-i", "main", cwd=wt, env=env)
    assert git("symbolic-ref", "-q", "HEAD", cwd=wt, check=False).returncode != 0
    write(wt, "src/auth/b.py")
    git("add", "-A", cwd=wt)
    assert rules(hook(wt)) == []
    git("rebase", "--abort", cwd=wt)
    # a rebase that rewrites history below the baseline is refused
    base_parent = git("rev-list", "--max-parents=0", "HEAD", cwd=wt).stdout.strip()
    git("rebase", "-q", "-i", "--root", cwd=wt, env=env)
    git("commit", "-q", "--amend", "--no-verify", "-m", "rewritten root", cwd=wt)
    assert git("rev-parse", "HEAD", cwd=wt).stdout.strip() != base_parent
    assert rules(hook(wt)) == ["baseline-diverged"]


def test_combined_hook_under_runner(tmp_path: Path, runner: str,
                                    hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    # prepare-commit-msg too: the combined hook's no-skipped-hooks check requires it
    install_hooks(repo, runner, hook_repo, "  - id: guardrails\n",
                  hook_types="[pre-commit, prepare-commit-msg]")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/login.py", "human wip\n")
    write(wt, "src/auth/agent.py", "agent\n")
    git("add", "src/auth/agent.py", cwd=wt)
    proc = git("commit", "-m", "no session", cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0 and "baseline-no-session" in proc.stdout + proc.stderr
    git("reset", "-q", cwd=wt)
    (wt / "src/auth/agent.py").unlink()
    assert gg("start", "--allow-dirty", cwd=wt).returncode == 0
    # the runner stashes the unstaged dirty file while hooks run: the record still decides
    write(wt, "src/auth/agent.py", "agent\n")
    git("add", "src/auth/agent.py", cwd=wt)
    proc = git("commit", "-m", "agent work", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (wt / "src/auth/login.py").read_text() == "human wip\n"
    git("add", "src/auth/login.py", cwd=wt)
    proc = git("commit", "-m", "sweep wip", cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0 and "baseline-dirty-path" in proc.stdout + proc.stderr
    st = gg("status", "--format", "json", cwd=repo)
    rows = {r["path"]: r for r in json.loads(st.stdout)["worktrees"]}
    assert rows[str(wt)]["last_finding"]["rule"] == "baseline-dirty-path"


def test_record_baseline_on_worktree_add_under_runner(tmp_path: Path, runner: str,
                                                      hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo,
                  "  - id: clean-baseline\n  - id: record-baseline\n",
                  hook_types="[pre-commit, post-checkout]")
    wt = tmp_path / "wt"
    proc = git("worktree", "add", "-b", "agent/auth", str(wt), "main", cwd=repo)
    assert "record-baseline" in proc.stdout + proc.stderr
    gd = ggit.discover(str(wt)).git_dir
    s = session.load(gd)
    assert s is not None and s.task == "auth" and s.origin == "post-checkout" and s.clean
    assert s.baseline == git("rev-parse", "HEAD", cwd=wt).stdout.strip()
    assert git("status", "--porcelain", "--ignored", cwd=wt).stdout == ""
    # an agent can commit in it at once; clean-baseline runs on its own hook id
    write(wt, "src/auth/x.py")
    git("add", "-A", cwd=wt)
    proc = git("commit", "-m", "agent", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "clean-baseline" in proc.stdout + proc.stderr
    # ... but not on another branch than the session's
    git("switch", "-q", "-c", "agent/auth-side", cwd=wt)
    write(wt, "src/auth/y.py")
    git("add", "-A", cwd=wt)
    proc = git("commit", "-m", "side", cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0 and "baseline-wrong-branch" in proc.stdout + proc.stderr
    git("reset", "-q", "--hard", cwd=wt)
    git("switch", "-q", "agent/auth", cwd=wt)
    # a branch no task covers: no session; a plain branch switch: no session
    other = tmp_path / "other"
    git("worktree", "add", "-b", "feature/x", str(other), "main", cwd=repo)
    assert not session.is_active(ggit.discover(str(other)).git_dir)
    git("switch", "-q", "-c", "agent/docs", cwd=other)
    assert not session.is_active(ggit.discover(str(other)).git_dir)
    # `git guardrails worktree add` records its own session (origin "worktree add")
    docs = tmp_path / "docs"
    proc2 = gg("worktree", "add", str(docs), "agent/docs-2", cwd=repo)
    assert proc2.returncode == 0, proc2.stderr
    s2 = session.load(ggit.discover(str(docs)).git_dir)
    assert s2 is not None and s2.origin == "worktree add" and s2.task == "docs"
    # never fails a checkout: a broken policy on main is a warning
    write(repo, ".guardrails.toml", "[guardrails]\nbase = 3\n")
    commit_all(repo, "break the policy")
    broken = tmp_path / "broken"
    proc = git("worktree", "add", "-b", "agent/auth-2", str(broken), "main", cwd=repo,
               check=False)
    assert proc.returncode == 0
    assert "record-baseline: warning" in proc.stdout + proc.stderr


def test_baseline_adds_at_most_one_git_call_to_the_combined_hook(tmp_path: Path) -> None:
    repo, wt = started(tmp_path)
    for name in ("pre-commit", "prepare-commit-msg", "post-checkout"):  # no-skipped-hooks
        (repo / ".git" / "hooks" / name).write_text("#!/bin/sh\nexit 0\n")
        (repo / ".git" / "hooks" / name).chmod(0o755)
    write(wt, "src/auth/x.py")
    git("add", "-A", cwd=wt)
    shim_dir, log = counting_git(tmp_path / "shim")
    env = {"PATH": f"{shim_dir}{os.pathsep}{os.environ['PATH']}"}

    def calls(name: str) -> list[str]:
        if log.exists():
            log.unlink()
        proc = hook(wt, env, name=name)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return git_subcommands(log)

    scope_only = calls("check-scope")
    combined = calls("run")
    # + no-skipped-hooks' own calls: the record's fingerprint (a `--raw` diff) and the staged
    # patch streamed into `git patch-id` (the trailer's id, which require-checks then takes
    # from the record instead of diffing again); its core.hooksPath comes with guardrails.base
    # in the context's one `git config`; git.hook_repo() reads the repository from what git
    # gives hooks, so neither runs `rev-parse`
    assert sorted(combined) == sorted([*scope_only, "merge-base", "diff", "diff", "patch-id"])
    assert scope_only.count("config") == 1 and "rev-parse" not in combined
    # reftable: hook_repo reads HEAD with one `git symbolic-ref` (the HEAD file is a placeholder)
    assert len(combined) == 7 + (ref_format() == "reftable")
