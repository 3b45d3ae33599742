"""``git guardrails explain`` (which pattern decided a path, like ``git check-ignore -v``) and
the policy lint warnings (doctor and on policy load), on real repositories (issue 13)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.helpers import add_worktree, git, make_repo

POLICY = """\
[guardrails]
base = "main"
locked = [".guardrails.toml"]

[tasks.auth]
branch = "agent/auth"
allow = [
  "src/auth/**",
  "config.json",
  "!src/auth/vendored/**",
]

[tasks.web]
branch = "agent/web"
allow = ["src/**/*.js", "src/nothing-here/**"]
"""
FILES = {"src/auth/login.py": "x\n", "src/auth/vendored/lib.py": "v\n",
         "src/deep/config.json": "{}\n", "config.json": "{}\n", "src/auth/app.js": "a\n",
         "README.md": "r\n"}


def gg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git-guardrails", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env=dict(os.environ))


def test_explain_names_the_deciding_pattern_with_file_and_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=POLICY, files=FILES)
    proc = gg(repo, "explain", "--task", "auth", "--format", "json", "src/auth/login.py",
              "src/auth/vendored/lib.py", "src/deep/config.json", "README.md",
              ".guardrails.toml")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    main = git("rev-parse", "--short=7", "main", cwd=repo).stdout.strip()
    assert data["policy"] == f"main@{main}" and data["task"] == "auth"
    by = {p["path"]: p for p in data["paths"]}
    assert (by["src/auth/login.py"]["verdict"], by["src/auth/login.py"]["pattern"],
            by["src/auth/login.py"]["source"]) == ("allowed", "src/auth/**",
                                                    ".guardrails.toml:8")
    assert (by["src/auth/vendored/lib.py"]["verdict"],
            by["src/auth/vendored/lib.py"]["pattern"],
            by["src/auth/vendored/lib.py"]["source"]) == (
                "outside", "!src/auth/vendored/**", ".guardrails.toml:10")
    assert (by["src/deep/config.json"]["verdict"], by["src/deep/config.json"]["pattern"]) == (
        "allowed", "config.json")
    assert (by["README.md"]["verdict"], by["README.md"]["pattern"]) == ("outside", None)
    assert (by[".guardrails.toml"]["verdict"], by[".guardrails.toml"]["pattern"],
            by[".guardrails.toml"]["source"]) == ("locked", ".guardrails.toml",
                                                   ".guardrails.toml:3")
    text = gg(repo, "explain", "--task", "auth", "src/deep/config.json", "README.md")
    assert text.returncode == 0
    assert ".guardrails.toml:9:config.json\tsrc/deep/config.json" in text.stdout
    assert "::\tREADME.md" in text.stdout  # like check-ignore -v -n: no pattern decided it


def test_explain_picks_the_task_of_the_current_branch_and_refuses_unknown(
        tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=POLICY, files=FILES)
    wt = add_worktree(repo, tmp_path / "wt", "agent/web")
    proc = gg(wt, "explain", "--format", "json", "src/auth/app.js")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["task"] == "web" and data["paths"][0]["verdict"] == "allowed"
    bad = gg(repo, "explain", "--task", "nope", "x")
    assert bad.returncode == 2 and "nope" in bad.stderr and "auth" in bad.stderr
    none = gg(repo, "explain", "x")  # on main: no task covers it
    assert none.returncode == 2 and "--task" in none.stderr


def test_policy_lint_warnings_in_doctor_and_on_load(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=POLICY, files=FILES)
    proc = gg(repo, "doctor", "--format", "json")
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"].startswith("policy-")]
    by = {f["rule"]: f for f in found}
    assert "/config.json" in by["policy-slashless-pattern"]["hint"]
    assert by["policy-slashless-pattern"]["severity"] == "warning"
    assert "src/nothing-here/**" in by["policy-pattern-matches-nothing"]["message"]
    assert "src/auth/app.js" in by["policy-tasks-overlap"]["message"]
    assert {"auth", "web"} <= set(by["policy-tasks-overlap"]["message"].replace("`", " ").split())
    # on policy load: the hooks' and check's output carries the same warnings
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    assert gg(wt, "start").returncode == 0
    chk = gg(wt, "check", "--staged", "--format", "json")
    rules = [f["rule"] for f in json.loads(chk.stdout)["findings"]]
    assert "policy-slashless-pattern" in rules
