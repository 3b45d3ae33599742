"""The CI examples say what they do: whole history, a pinned install (never the branch under
review), and their `ci` commands actually run against a clone shaped like the CI's."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import install_hooks
from tests.helpers import add_worktree, commit_all, git, make_repo, write
from tests.test_ci import CI_VARS, CLAUDE, checked_commit

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
yaml: Any = pytest.importorskip("yaml")


@pytest.fixture(autouse=True)
def no_ci_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in CI_VARS:
        monkeypatch.delenv(var, raising=False)


def pinned(cmd: str) -> bool:
    """A pip install of git-guardrails from a fixed tag/SHA, not from the checkout."""
    return bool(re.search(r"git\+https://\S+@\$\{?GUARDRAILS_VERSION\}?", cmd)) and \
        not re.search(r"pip install[^\n]*(\s\.(\s|$)|-e\s)", cmd)


def test_github_workflow_shape() -> None:
    wf = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    assert re.fullmatch(r"v\d+\.\d+\.\d+|[0-9a-f]{40}", wf["env"]["GUARDRAILS_VERSION"])
    steps = wf["jobs"]["guardrails"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = [s["run"] for s in steps if "run" in s]
    assert any(pinned(r) for r in runs)
    assert not any("${{" in r for r in runs)  # user input goes through env, not the script
    ci = [r for r in runs if "git-guardrails ci" in r]
    assert any("--format github" in r for r in ci) and any("--format sarif" in r for r in ci)
    upload = next(s for s in steps if s.get("uses", "").startswith(
        "github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "guardrails.sarif"
    assert wf["permissions"]["security-events"] == "write"


def test_gitlab_job_shape() -> None:
    job = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())["guardrails"]
    assert job["variables"]["GIT_DEPTH"] == 0
    assert any(pinned(c) for c in job["before_script"])
    assert any("git-guardrails ci" in c for c in job["script"])


def ci_clone(tmp: Path) -> tuple[Path, str]:
    """An upstream with main and a straying agent branch, cloned the way CI checks out a pull
    request: the whole history, HEAD detached at the branch's tip."""
    up = make_repo(tmp / "upstream")
    wt = add_worktree(up, tmp / "agent", "agent/auth")
    write(wt, "src/auth/a.py", "a\n")
    checked_commit(wt, "in scope" + CLAUDE)
    write(wt, "docs/aside.md", "aside\n")
    sha = checked_commit(wt, "stray" + CLAUDE)
    clone = tmp / "clone"
    git("clone", "-q", f"file://{up}", str(clone), cwd=tmp)
    git("checkout", "-q", "--detach", sha, cwd=clone)
    return clone, sha


def test_github_workflow_commands_run(tmp_path: Path) -> None:
    clone, sha = ci_clone(tmp_path)
    wf = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    summary = tmp_path / "summary.md"
    results = []
    for step in wf["jobs"]["guardrails"]["steps"]:
        if "git-guardrails ci" not in step.get("run", ""):
            continue
        env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_HEAD_REF": "agent/auth", "GITHUB_BASE_REF": "main"}
        env.update({k: v.replace("${{ github.base_ref }}", "main")
                         .replace("${{ github.event.pull_request.head.sha }}", sha)
                         .replace("${{ github.head_ref }}", "agent/auth")
                    for k, v in step.get("env", {}).items()})
        proc = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=clone,
                              env=env, capture_output=True, text=True)
        results.append((proc.returncode, proc.stdout, proc.stderr))
    (rc_gh, out_gh, _), (rc_sarif, _, err_sarif) = results
    assert rc_gh == 1
    assert re.search(r"^::error file=docs/aside\.md,title=guardrails scope-outside-allow",
                     out_gh, re.MULTILINE)
    assert "scope-outside-allow" in summary.read_text()
    assert rc_sarif == 0, err_sarif  # findings: exit 1, accepted by the step
    doc = json.loads((clone / "guardrails.sarif").read_text())
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["scope-outside-allow"]
    assert doc["runs"][0]["properties"]["task"] == "auth"


def test_gitlab_job_commands_run(tmp_path: Path) -> None:
    clone, sha = ci_clone(tmp_path)
    job = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())["guardrails"]
    env = {**os.environ, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
           "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "agent/auth", "CI_COMMIT_SHA": sha}
    script = [c for c in job["before_script"] if c.startswith("git fetch")] + job["script"]
    proc = subprocess.run(["bash", "-e", "-c", "\n".join(script)], cwd=clone, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "scope-outside-allow" in proc.stdout and "task: auth" in proc.stdout
    assert "`scope-outside-allow`" in (clone / "guardrails.md").read_text()


def test_manual_stage_recipe(tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    """The commands of examples/pre-commit-manual.md, run as written, under both runners."""
    text = (EXAMPLES / "pre-commit-manual.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    cmds = [c for c in re.split(r"\n(?=\S)", blocks[0].strip())
            if c.startswith(f"{runner} run")]
    assert len(cmds) == 1
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, "  - id: check-scope\n")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/ok.py", "ok\n")
    commit_all(wt, "in scope")
    proc = subprocess.run(["bash", "-c", cmds[0]], cwd=wt, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(wt, "docs/aside.md", "aside\n")
    commit_all(wt, "stray")
    proc = subprocess.run(["bash", "-c", cmds[0]], cwd=wt, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "scope-outside-allow" in proc.stdout and "docs/aside.md" in proc.stdout
