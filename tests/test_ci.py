"""git-guardrails ci: real repositories, agent branches built by real commits (hook-skipping
ones included), every format parsed back."""
from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from guardrails.cli import main
from guardrails.findings import show_path
from guardrails.rules import RULES
from tests.helpers import (
    POLICY,
    add_worktree,
    commit_all,
    counting_git,
    git,
    git_calls,
    git_subcommands,
    make_repo,
    write,
)

CLAUDE = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
Run = Callable[..., "tuple[int, str, str]"]


pytestmark = pytest.mark.usefixtures("no_ci_env")  # tests/conftest.py


@pytest.fixture
def gg(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> Run:
    """Run `git-guardrails ARGS` in-process in ``cwd``: (exit code, stdout, stderr)."""
    def run(cwd: Path, *args: str) -> tuple[int, str, str]:
        capfd.readouterr()
        monkeypatch.chdir(cwd)
        rc = main(list(args))
        out, err = capfd.readouterr()
        return rc, out, err
    return run


def head(repo: Path, rev: str = "HEAD") -> str:
    return git("rev-parse", rev, cwd=repo).stdout.strip()


def attest(wt: Path) -> bool:
    """Amend HEAD with the trailer its hooks would have added, ``Guardrails-Checked: <id>``,
    when the attestation module (the skipped-hooks issue's) is installed; False otherwise."""
    try:
        attestation = importlib.import_module("guardrails.skipped.attestation")
    except ImportError:
        return False
    from guardrails import git as ggit
    from guardrails.git import patchlog

    sha = head(wt)
    pid = patchlog.patch_ids(ggit.discover(str(wt)), [sha])[sha]
    git("commit", "-q", "--amend", "--no-edit", "--no-verify", "--trailer",
        f"{attestation.TRAILER}: {pid}", cwd=wt)
    return True


def checked_commit(wt: Path, message: str) -> str:
    """A commit whose hooks ran: committed, then attested (see attest)."""
    commit_all(wt, message)
    attest(wt)
    return head(wt)


def skip_hooks_commit(wt: Path, message: str) -> str:
    """What an agent's tool that disables hooks does: commit with core.hooksPath=/dev/null."""
    git("add", "-A", cwd=wt)
    git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", message, cwd=wt)
    return head(wt)


def plumbing_commit(repo: Path, branch: str, path: str, content: str, message: str) -> str:
    """commit-tree + update-ref: no commit hook runs at all."""
    blob = git("hash-object", "-w", "--stdin", cwd=repo, input=content.encode()).stdout.strip()
    idx = repo / ".git" / "tmp-index"
    env = {"GIT_INDEX_FILE": str(idx)}
    git("read-tree", f"refs/heads/{branch}", cwd=repo, env=env)
    git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", cwd=repo, env=env)
    tree = git("write-tree", cwd=repo, env=env).stdout.strip()
    idx.unlink()
    sha = git("commit-tree", tree, "-p", f"refs/heads/{branch}", "-m", message,
              cwd=repo).stdout.strip()
    git("update-ref", f"refs/heads/{branch}", sha, cwd=repo)
    return sha


def agents_repo(tmp: Path) -> dict[str, str]:
    """main with the policy; agent/auth strays and widens its own policy; agent/docs skips
    hooks and commits by plumbing."""
    repo = make_repo(tmp / "repo")
    auth = add_worktree(repo, tmp / "auth", "agent/auth")
    docs = add_worktree(repo, tmp / "docs", "agent/docs")
    ids = {"base": head(repo)}
    write(auth, "src/auth/token.py", "def token(): pass\n")
    ids["auth_ok"] = checked_commit(auth, "add token" + CLAUDE)
    write(auth, "docs/stray.md", "an aside\n")
    write(auth, "src/auth/login.py", "def login(): return 1\n")
    ids["auth_stray"] = checked_commit(auth, "login tweak" + CLAUDE)
    write(auth, ".guardrails.toml", POLICY.replace('"src/auth/**", "tests/auth/**"', '"**"'))
    ids["auth_widen"] = checked_commit(auth, "widen my scope" + CLAUDE)
    write(auth, "src/auth/other.md", "in scope only under the widened policy\n")
    write(auth, "README.md", "rewritten\n")
    ids["auth_after"] = checked_commit(auth, "use the new scope" + CLAUDE)
    write(docs, "docs/guide.md", "# guide\n")
    ids["docs_skip"] = skip_hooks_commit(docs, "guide" + CLAUDE)
    ids["docs_plumb"] = plumbing_commit(repo, "agent/docs", "docs/plumb.md", "p\n", "plumbing")
    return ids


def ci_json(gg: Run, repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    rc, out, err = gg(repo, "ci", "--format", "json", *args)
    assert rc in (0, 1), err
    return rc, json.loads(out)


def test_json_report_and_merge_base_policy(tmp_path: Path, gg: Run) -> None:
    ids = agents_repo(tmp_path)
    repo = tmp_path / "repo"
    rc, doc = ci_json(gg, repo, "--base", "main", "--head", "agent/auth")
    assert rc == 1
    assert doc["policy"] == f"main@{ids['base'][:7]}"
    assert doc["merge_base"] == ids["base"] and doc["head"] == ids["auth_after"]
    assert doc["branch"] == "agent/auth" and doc["task"] == "auth"
    listed = git("rev-list", "--reverse", "main..agent/auth", cwd=repo).stdout.split()
    assert [c["oid"] for c in doc["commits"]] == listed[::-1]
    assert all(c["agent"] == "claude-code" for c in doc["commits"])
    found = {(f["rule"], f["path"], f["commit"]) for f in doc["findings"]}
    # the branch widened its own allow to "**": still judged by the merge-base's policy
    assert ("scope-outside-allow", "docs/stray.md", ids["auth_stray"]) in found
    assert ("scope-outside-allow", "src/auth/other.md", ids["auth_after"]) not in found
    assert ("scope-outside-allow", "README.md", ids["auth_after"]) in found
    assert ("scope-locked", ".guardrails.toml", ids["auth_widen"]) in found
    assert ("ci-policy-changed", ".guardrails.toml", ids["auth_widen"]) in found
    assert not any(f["commit"] == ids["auth_ok"] for f in doc["findings"])
    assert all(f["policy"] == doc["policy"] for f in doc["findings"])
    errors = sum(f["severity"] == "error" for f in doc["findings"])
    assert doc["summary"] == {"errors": errors, "warnings": len(doc["findings"]) - errors}


def test_text_grouped_by_commit_names_policy(tmp_path: Path, gg: Run) -> None:
    ids = agents_repo(tmp_path)
    rc, out, _ = gg(tmp_path / "repo", "ci", "--base", "main", "--head", "agent/auth")
    assert rc == 1
    assert out.splitlines()[0].startswith(f"policy: main@{ids['base'][:7]}")
    assert "\033[" not in out  # not a TTY
    stray = out.index(f"commit {ids['auth_stray'][:12]} login tweak")
    assert "docs/stray.md" in out[stray:].split("\ncommit ")[0]
    assert f"commit {ids['auth_ok'][:12]}" not in out  # no findings, no group
    assert re.search(r"FAIL: \d+ error\(s\), 0 warning\(s\) in 4 commit\(s\) \(policy: main@",
                     out.splitlines()[-1])


def test_clean_branch_passes(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/a.py", "a = 1\n")
    checked_commit(wt, "in scope" + CLAUDE)
    rc, out, _ = gg(wt, "ci", "--base", "main")
    assert rc == 0, out
    assert "ok: 0 error(s), 0 warning(s) in 1 commit(s)" in out


SARIF_LEVELS = {"error", "warning", "note", "none"}


def test_sarif(tmp_path: Path, gg: Run) -> None:
    ids = agents_repo(tmp_path)
    repo = tmp_path / "repo"
    rc, out, _ = gg(repo, "ci", "--base", "main", "--head", "agent/auth", "--format", "sarif")
    assert rc == 1
    doc = json.loads(out)
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][:len(RULES)] == list(RULES)
    for r in rules:
        assert r["shortDescription"]["text"]
        assert r["defaultConfiguration"]["level"] in SARIF_LEVELS
    _, js = ci_json(gg, repo, "--base", "main", "--head", "agent/auth")
    assert len(run["results"]) == len(js["findings"]) > 0
    for res, f in zip(run["results"], js["findings"]):
        assert res["ruleId"] == f["rule"] == rules[res["ruleIndex"]]["id"]
        assert res["level"] == f["severity"]
        assert res["message"]["text"].startswith(f["message"])
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == (f["path"] or ".guardrails.toml")
        assert loc["region"]["startLine"] >= 1
        assert res["properties"]["commit"] == f["commit"]
        assert res["properties"]["policy"] == f"main@{ids['base'][:7]}"
    assert run["properties"]["policy"] == f"main@{ids['base'][:7]}"
    assert len({r["partialFingerprints"]["guardrailsFinding/v1"] for r in run["results"]}) == \
        len(run["results"])


GH_LINE = re.compile(r"^::(error|warning|notice) ((?:[a-z]+=[^,:]*)(?:,[a-z]+=[^,:]*)*)::(.*)$")


def gh_unescape(s: str) -> str:
    for esc, ch in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        s = s.replace(esc, ch)
    return s


def test_github_annotations_escaped(tmp_path: Path, gg: Run,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    odd = "docs/50%, a:b\nc.md"
    write(wt, odd, "x\n")
    sha = checked_commit(wt, "odd name" + CLAUDE)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    rc, out, _ = gg(wt, "ci", "--base", "main", "--format", "github")
    assert rc == 1
    lines = out.splitlines()
    parsed = [GH_LINE.match(line) for line in lines]
    assert all(parsed), lines
    errors = [m for m in parsed if m and m.group(1) == "error"]
    assert len(errors) == 1
    m = errors[0]
    props = dict(p.split("=", 1) for p in m.group(2).split(","))
    assert gh_unescape(props["file"]) == odd
    assert gh_unescape(props["title"]) == f"guardrails scope-outside-allow ({sha[:7]})"
    body = gh_unescape(m.group(3))
    assert body.startswith(show_path(odd) + ": added: outside the allow patterns")
    assert show_path(odd) == '"docs/50%, a:b\\nc.md"'  # C-quoted like git, one line
    assert body.splitlines()[-1] == f"policy: main@{head(repo)[:7]}"
    assert "\n" not in m.group(3) and "%0A" in m.group(3)
    assert parsed[-1] and parsed[-1].group(1) == "notice"
    md = summary.read_text()
    assert md.startswith("earlier step\n### ❌ git-guardrails: 1 error(s), 0 warning(s)")
    assert "`scope-outside-allow`" in md


def test_markdown_and_output_file(tmp_path: Path, gg: Run) -> None:
    ids = agents_repo(tmp_path)
    repo = tmp_path / "repo"
    target = tmp_path / "report.md"
    rc, out, err = gg(repo, "ci", "--base", "main", "--head", "agent/auth",
                      "--format", "markdown", "--output", str(target))
    assert rc == 1 and out == "" and str(target) in err
    md = target.read_text()
    _, js = ci_json(gg, repo, "--base", "main", "--head", "agent/auth")
    rows = [line for line in md.splitlines() if line.startswith("| ❌") or
            line.startswith("| ⚠️")]
    assert len(rows) == len(js["findings"])
    assert f"policy: `main@{ids['base'][:7]}`" in md
    for c in js["commits"]:
        assert f"`{c['oid'][:7]}`" in md


def test_shallow_clone_exits_2_naming_fetch_depth(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    for n in range(3):
        write(repo, f"f{n}.txt", f"{n}\n")
        commit_all(repo, f"main {n}")
    git("switch", "-q", "-c", "agent/auth", "HEAD~2", cwd=repo)
    write(repo, "src/auth/x.py", "x\n")
    checked_commit(repo, "agent work")
    clone = tmp_path / "clone"
    git("clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(clone),
        cwd=tmp_path)
    git("switch", "-q", "agent/auth", cwd=clone)
    rc, out, err = gg(clone, "ci", "--base", "origin/main")
    assert rc == 2 and out == ""
    assert "shallow" in err and "fetch-depth: 0" in err and "GIT_DEPTH: 0" in err
    git("fetch", "-q", "--unshallow", cwd=clone)
    rc, out, err = gg(clone, "ci", "--base", "origin/main")
    assert rc == 0, out + err


def test_unrelated_histories_exit_2(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    git("switch", "-q", "--orphan", "agent/auth", cwd=repo)
    write(repo, "src/auth/x.py", "x\n")
    commit_all(repo, "orphan")
    rc, out, err = gg(repo, "ci", "--base", "main")
    assert rc == 2 and out == ""
    assert "unrelated histories" in err and "--base" in err


def test_base_that_does_not_exist_exits_2(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    rc, _, err = gg(repo, "ci", "--base", "origin/nope")
    assert rc == 2 and "git fetch origin nope" in err


def test_empty_range(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    git("branch", "agent/auth", cwd=repo)
    rc, doc = ci_json(gg, repo, "--base", "main", "--head", "agent/auth")
    assert rc == 0
    assert doc["commits"] == [] and doc["findings"] == []
    assert doc["policy"] == f"main@{head(repo)[:7]}"
    rc, out, _ = gg(repo, "ci", "--base", "main", "--head", "agent/auth")
    assert rc == 0 and "0 commit(s)" in out


def test_base_as_sha_remote_branch_and_tag(tmp_path: Path, gg: Run) -> None:
    ids = agents_repo(tmp_path)
    repo = tmp_path / "repo"
    git("tag", "v1", "main", cwd=repo)
    clone = tmp_path / "clone"
    git("clone", "-q", f"file://{repo}", str(clone), cwd=tmp_path)
    git("switch", "-q", "agent/auth", cwd=clone)
    results = []
    for where, base in ((repo, ids["base"]), (clone, "origin/main"), (repo, "v1")):
        rc, doc = ci_json(gg, where, "--base", base, "--head", "agent/auth")
        assert rc == 1
        assert doc["merge_base"] == ids["base"]
        assert doc["policy"].endswith(f"@{ids['base'][:7]}")
        results.append(sorted((f["rule"], f["commit"], f["path"] or "")
                              for f in doc["findings"]))
    assert results[0] == results[1] == results[2]
    assert doc["policy"] == f"v1@{ids['base'][:7]}"
    # a remote-tracking head names its branch (so its task) too
    git("checkout", "-q", "--detach", cwd=clone)
    rc, doc = ci_json(gg, clone, "--base", "origin/main", "--head", "origin/agent/auth")
    assert (doc["branch"], doc["task"], doc["branch_from"]) == ("agent/auth", "auth", "--head")


def test_invalid_policy_at_merge_base_exits_2(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo", policy=POLICY.replace("max-files = 40",
                                                              "max-files = 0"))
    git("switch", "-q", "-c", "agent/auth", cwd=repo)
    rc, out, err = gg(repo, "ci", "--base", "main")
    assert rc == 2 and out == ""
    assert ".guardrails.toml" in err and "max-files" in err and "main@" in err


def test_task_from_ci_variables(tmp_path: Path, gg: Run,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    ids = agents_repo(tmp_path)
    repo = tmp_path / "repo"
    git("checkout", "-q", "--detach", "agent/auth", cwd=repo)
    rc, doc = ci_json(gg, repo, "--base", "main")
    assert doc["branch"] is None and doc["task"] is None
    assert doc["findings"][0]["rule"] == "ci-unknown-branch"
    # with no task, the claude-marked commits are agent commits no task covers
    assert {f["commit"] for f in doc["findings"] if f["rule"] == "no-task"} == \
        {ids["auth_ok"], ids["auth_stray"], ids["auth_widen"], ids["auth_after"]}
    for var in ("GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME"):
        monkeypatch.setenv(var, "agent/auth")
        rc, doc = ci_json(gg, repo, "--base", "main")
        assert (doc["branch"], doc["task"], doc["branch_from"]) == \
            ("agent/auth", "auth", f"${var}")
        monkeypatch.delenv(var)
    rc, doc = ci_json(gg, repo, "--base", "main", "--branch", "agent/docs")
    assert doc["task"] == "docs"
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    rc, _, err = gg(repo, "ci", "--format", "json")  # base from the CI: origin/main
    assert rc == 2 and "origin/main" in err


def test_human_commits_on_uncovered_branch_pass(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    git("switch", "-q", "-c", "feature/human", cwd=repo)
    write(repo, "anything/else.py", "x\n")
    commit_all(repo, "human work")
    rc, doc = ci_json(gg, repo, "--base", "main")
    assert rc == 0 and doc["findings"] == [] and doc["task"] is None
    write(repo, "anything/more.py", "y\n")
    agent = checked_commit(repo, "agent work\n\nCo-authored-by: aider (gpt) <aider@aider.chat>")
    rc, doc = ci_json(gg, repo, "--base", "main")
    assert rc == 1
    assert [(f["rule"], f["commit"]) for f in doc["findings"]] == [("no-task", agent)]


def test_protected_branch(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    write(repo, "docs/x.md", "x\n")
    agent = commit_all(repo, "straight onto main" + CLAUDE)
    write(repo, "docs/y.md", "y\n")
    commit_all(repo, "a human's commit")
    rc, doc = ci_json(gg, repo, "--base", "main~2")
    assert rc == 1 and doc["branch"] == "main"
    prot = [f for f in doc["findings"] if f["rule"] == "ci-protected-branch"]
    assert [f["commit"] for f in prot] == [agent]
    assert "main" in prot[0]["message"]


def test_hook_config_changed(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    git("switch", "-q", "-c", "feature/hooks", cwd=repo)
    write(repo, ".pre-commit-config.yaml", "repos: []\n")
    human = commit_all(repo, "a human edits hooks")
    rc, doc = ci_json(gg, repo, "--base", "main")
    assert rc == 0
    assert [(f["rule"], f["severity"], f["commit"]) for f in doc["findings"]] == \
        [("ci-hook-config-changed", "warning", human)]
    write(repo, ".claude/settings.json", '{"env": {"SKIP": "guardrails"}}\n')
    agent = commit_all(repo, "agent settings" + CLAUDE)
    rc, doc = ci_json(gg, repo, "--base", "main")
    hook = {f["path"]: (f["severity"], f["commit"]) for f in doc["findings"]
            if f["rule"] == "ci-hook-config-changed"}
    assert hook == {".pre-commit-config.yaml": ("warning", human),
                    ".claude/settings.json": ("error", agent)}


def test_merges(tmp_path: Path, gg: Run) -> None:
    repo = make_repo(tmp_path / "repo")
    auth = add_worktree(repo, tmp_path / "auth", "agent/auth")
    docs = add_worktree(repo, tmp_path / "docs", "agent/docs")
    write(auth, "src/auth/a.py", "a\n")
    checked_commit(auth, "auth 1" + CLAUDE)
    # main moves on; the agent merges main in: neither main's commits nor the merge are findings
    write(repo, "src/core.py", "core\n")
    main_commit = commit_all(repo, "main moves")
    git("merge", "-q", "--no-edit", "main", cwd=auth)
    attest(auth)
    rc, doc = ci_json(gg, auth, "--base", "main")
    assert rc == 0, doc["findings"]
    assert main_commit not in {c["oid"] for c in doc["commits"]}
    assert any(c["merge"] for c in doc["commits"])
    # now it merges the docs agent's branch: its commits are outside auth's scope, and the
    # merge itself brings in another agent branch
    write(docs, "docs/d.md", "d\n")
    docs_commit = checked_commit(docs, "docs 1" + CLAUDE)
    git("merge", "-q", "--no-edit", "agent/docs", cwd=auth)
    merge = head(auth)
    rc, doc = ci_json(gg, auth, "--base", "main")
    assert rc == 1
    rules = {(f["rule"], f["commit"]) for f in doc["findings"]}
    assert ("ci-merge-agent-branch", merge) in rules
    assert ("scope-outside-allow", docs_commit) in rules
    m = next(f for f in doc["findings"] if f["rule"] == "ci-merge-agent-branch")
    assert "agent/docs" in m["message"] and "docs" in m["message"] and "1 commit" in m["message"]
    # after the docs branch moved on, the merge message still names it
    write(docs, "docs/e.md", "e\n")
    commit_all(docs, "docs 2" + CLAUDE)
    rc, doc = ci_json(gg, auth, "--base", "main")
    assert ("ci-merge-agent-branch", merge) in {(f["rule"], f["commit"]) for f in doc["findings"]}


def test_attestation_from_attest_module(tmp_path: Path, gg: Run) -> None:
    from guardrails.checks import RANGE

    assert "attest" in RANGE  # ci verifies attestations through the range checks
    ids = agents_repo(tmp_path)
    rc, doc = ci_json(gg, tmp_path / "repo", "--base", "main", "--head", "agent/docs")
    assert rc == 1
    status = {c["oid"]: c["attestation"] for c in doc["commits"]}
    assert status[ids["docs_skip"]] == status[ids["docs_plumb"]] == "missing"
    flagged = {f["commit"] for f in doc["findings"] if f["rule"] not in
               ("scope-outside-allow", "scope-locked")}
    assert {ids["docs_skip"], ids["docs_plumb"]} <= flagged


# --- a long range: 1,000 commits, one git log, a handful of git processes ---------------------

def fast_import(repo: Path, branch: str, start: str, n: int, stray_at: int) -> None:
    """``n`` commits on ``branch`` from ``start`` in one ``git fast-import``: each edits two
    files under src/auth/; commit ``stray_at`` also adds docs/stray.md."""
    chunks = []
    for i in range(n):
        msg = f"step {i}{CLAUDE}\n".encode()
        body = [f"commit refs/heads/{branch}", f"mark :{i + 1}",
                f"committer Agent <agent@example.com> {1700000000 + i} +0000",
                f"data {len(msg)}"]
        ops = [f"M 100644 inline src/auth/f{i % 50}.py", f"data {len(str(i)) + 1}", str(i),
               f"M 100644 inline src/auth/g{i % 7}.py", f"data {len(str(i)) + 1}", str(i)]
        if i == stray_at:
            ops += ["M 100644 inline docs/stray.md", "data 2", "s"]
        frm = [f"from {start}"] if i == 0 else []
        chunks.append("\n".join(body).encode() + b"\n" + msg + "\n".join(frm + ops).encode()
                      + b"\n\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(chunks),
                   check=True)


def test_thousand_commits_few_git_processes(tmp_path: Path, gg: Run,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    fast_import(repo, "agent/auth", head(repo), 1000, stray_at=617)
    shim_dir, log = counting_git(tmp_path / "shim")
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    rc, doc = ci_json(gg, repo, "--base", "main", "--head", "agent/auth")
    calls = git_subcommands(log)
    assert rc == 1
    assert len(doc["commits"]) == 1000
    # one `git log` for every commit's changes, one for every commit's patch (attestation)
    logs = [c for c in git_calls(log) if c[0] == "log"]
    assert len(logs) == 2 and sum("--raw" in c for c in logs) == 1 and \
        sum("-p" in c for c in logs) == 1, logs
    assert len(calls) <= 12, calls
    stray = [f for f in doc["findings"] if f["rule"] == "scope-outside-allow"]
    assert [(f["path"], f["message"].split(":")[0]) for f in stray] == \
        [("docs/stray.md", "docs/stray.md")]
    subjects = {c["oid"]: c["subject"] for c in doc["commits"]}
    assert subjects[stray[0]["commit"]] == "step 617"


def test_max_lines_counted_from_the_patch_log(tmp_path: Path, gg: Run,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The raw log has no --numstat: the budget's line counts come from the patch log (a pure
    rename counts no line), and a rename with edits is read again by one diff-tree."""
    repo = make_repo(tmp_path / "repo", POLICY.replace("max-lines = 1500", "max-lines = 4"))
    git("checkout", "-q", "-b", "agent/auth", cwd=repo)
    write(repo, "src/auth/big.py", "".join(f"{i}\n" for i in range(20)))
    big = commit_all(repo, "twenty lines" + CLAUDE)
    git("mv", "src/auth/big.py", "src/auth/moved.py", cwd=repo)
    commit_all(repo, "a pure rename" + CLAUDE)
    shim_dir, log = counting_git(tmp_path / "shim")
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    rc, doc = ci_json(gg, repo, "--base", "main")
    assert rc == 1
    budgets = [(f["commit"], f["message"].split(",")[0]) for f in doc["findings"]
               if f["rule"] == "budget-max-lines"]
    assert budgets == [(big, "20 lines added and removed")]
    assert "diff-tree" not in git_subcommands(log)
    git("mv", "src/auth/moved.py", "src/auth/edited.py", cwd=repo)
    write(repo, "src/auth/edited.py", "".join(f"{i}\n" for i in range(25)))
    edited = commit_all(repo, "a rename with edits" + CLAUDE)
    log.unlink()
    rc, doc = ci_json(gg, repo, "--base", "main")
    assert rc == 1
    budgets = [(f["commit"], f["message"].split(",")[0]) for f in doc["findings"]
               if f["rule"] == "budget-max-lines"]
    assert budgets == [(big, "20 lines added and removed"),
                       (edited, "5 lines added and removed")]
    assert git_subcommands(log).count("diff-tree") == 1


@pytest.mark.parametrize("args", [
    [], ["--base", "main"], ["--base=main", "--head", "x", "--branch=agent/a"],
    ["--base", "a", "--base", "b"], ["--base", ""], ["--base="], ["--format", "json"],
    ["--format=sarif", "--output", "report.sarif"], ["--output=out.txt", "--head", "HEAD~2"],
    ["--base", "-x"], ["--base"], ["--format", "JSON"], ["--bogus"], ["main"], ["-h"],
    ["--help"], ["--base", "main", "--"], ["--output", "."], ["--bas", "main"],
    ["--against", "a", "--against=b", "--strict"], ["--strict"], ["--against"],
])
def test_fast_command_line_reads_what_click_reads(tmp_path: Path, args: list[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`ci` runs without click for a plain command line: the same values as the click command
    would pass, and anything else is left to click (parse gives None)."""
    import click

    from guardrails.commands import ci

    monkeypatch.chdir(tmp_path)
    seen: list[dict[str, Any]] = []

    def fake_run(base: Any, head: Any, branch: Any, fmt: Any, output: Any,
                 against: Any = (), strict: Any = False) -> int:
        seen.append({"base": base, "head": head, "branch": branch, "fmt": fmt,
                     "output": output, "against": list(against), "strict": strict})
        return 0

    monkeypatch.setattr(ci, "run", fake_run)
    fast = ci.parse(args)
    try:
        ci.command.main(args=args, prog_name="ci", standalone_mode=False)
    except click.ClickException:
        assert fast is None
        return
    if "-h" in args or "--help" in args or "--" in args:
        assert fast is None
        return
    assert seen and (fast is None or fast == seen[0])
    assert fast is not None or args in (["--base", "-x"],)
