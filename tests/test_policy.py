"""The policy: validation (exit 2 naming file, key, line and a fix), branch-glob overlap, and
trust — the policy comes from the base branch, never from the agent's work tree or branch."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from guardrails import checks, context, git
from guardrails.errors import GuardrailsError
from guardrails.findings import Finding
from guardrails.scope import policy
from guardrails.scope.policy import PolicyError, globs_overlap, parse
from tests.conftest import install_hooks
from tests.helpers import POLICY, add_worktree, commit_all, make_repo, write
from tests.helpers import git as run_git

AGENT = {"CLAUDECODE": "1"}
TASK = '[tasks.a]\nbranch = "agent/a"\nallow = ["src/**"]\n'


def parse_error(text: str) -> str:
    with pytest.raises(PolicyError) as e:
        parse(text.encode(), "main@1234567")
    return str(e.value)


# --- validation ---------------------------------------------------------------------------------

def test_the_example_policy_parses() -> None:
    pol = parse(POLICY.encode(), "main@1234567")
    assert pol.base == "main" and pol.enforce == "agents"
    assert set(pol.tasks) == {"auth", "docs"}
    auth = pol.tasks["auth"]
    assert auth.allow == ("src/auth/**", "tests/auth/**", "!src/auth/vendored/**")
    assert (auth.max_files, auth.max_lines) == (40, 1500)
    assert pol.tasks["docs"].branches == ("agent/docs", "agent/docs-*")
    assert pol.task_for_branch("agent/docs-api") is pol.tasks["docs"]
    assert pol.task_for_branch("agent/other") is None
    assert pol.is_protected("release/1.0") and not pol.is_protected("agent/auth")


@pytest.mark.parametrize(("text", "line", "key", "close"), [
    ('[guardrails]\nbase = "main"\nlockd = []\n', 3, "guardrails.lockd", "locked"),
    ('[guardrails]\nbase = "main"\n\n' + TASK + "max_files = 3\n", 7, "tasks.a.max_files",
     "max-files"),
    ("# policy\n[guardrail]\nbase = 'main'\n", 2, "guardrail", "guardrails"),
    (TASK + "alow = ['x']\n", 4, "tasks.a.alow", "allow"),
])
def test_unknown_key_names_key_line_and_close_match(text: str, line: int, key: str,
                                                    close: str) -> None:
    msg = parse_error(text)
    assert f".guardrails.toml (main@1234567):{line}: {key}: unknown key" in msg
    assert f"did you mean `{close}`?" in msg


@pytest.mark.parametrize(("text", "line", "what"), [
    ('[tasks.a]\nbranch = "agent/a"\nallow = "src/**"\n', 3, "allow: must be a list of strings"),
    ('[tasks.a]\nbranch = 7\nallow = ["x"]\n', 2, "branch: must be a string or a list"),
    ('[tasks.a]\nbranch = "a"\nallow = ["x"]\nmax-files = "40"\n', 4,
     "max-files: must be a whole number"),
    ('[tasks.a]\nbranch = "a"\nallow = ["x"]\nmax-lines = 0\n', 4,
     "max-lines: must be a whole number"),
    ('[tasks.a]\nbranch = "a"\nallow = ["x"]\nmax-lines = true\n', 4,
     "max-lines: must be a whole number"),
    ('[guardrails]\nenforce = "sometimes"\n', 2, 'enforce: must be "agents" or "always"'),
    ('[guardrails]\nprotected = "main"\n', 2, "protected: must be a list of strings"),
    ('[guardrails]\nlocked = [1]\n', 2, "locked: must be a list of strings"),
    ('[tasks.a]\nbranch = "agent/a"\nallow = []\n', 3, "allow: is empty"),
    ('[tasks.a]\nbranch = "agent/a"\nallow = ["src/**", "!"]\n', 3, "allow: bad pattern '!'"),
    ('[guardrails]\nlocked = ["a\\\\"]\n', 2, "locked: bad pattern"),
    # git would drop it and lock nothing
    ('[guardrails]\nlocked = ["src/auth/[secret"]\n', 2,
     "locked: bad pattern 'src/auth/[secret': this pattern can match nothing"),
])
def test_wrong_values_name_key_and_line(text: str, line: int, what: str) -> None:
    msg = parse_error(text)
    assert re.search(rf":{line}: (tasks\.a|guardrails)\.{re.escape(what)}", msg), msg
    assert "\n  fix: edit .guardrails.toml" in msg


@pytest.mark.parametrize(("text", "what"), [
    ('[tasks.a]\nallow = ["x"]\n', "[tasks.a] has no `branch`"),
    ('[tasks.a]\nbranch = "x"\n', "[tasks.a] has no `allow`"),
    ("tasks = 3\n", "`tasks` must be a table"),
    ("[guardrails\n", "not valid TOML"),
])
def test_structural_errors(text: str, what: str) -> None:
    assert what in parse_error(text)


def test_overlapping_task_branches_refused_with_line() -> None:
    text = (TASK + '\n[tasks.b]\nbranch = ["other", "agent/*"]\nallow = ["docs/**"]\n')
    msg = parse_error(text)
    assert ":6: tasks.b.branch: branch glob 'agent/*' of task `b` overlaps 'agent/a'" in msg
    assert "make the globs disjoint" in msg


@pytest.mark.parametrize(("a", "b", "overlap"), [
    ("agent/*", "agent/auth", True),
    ("agent/a/*", "agent/b/*", False),
    ("[a-m]*", "[n-z]*", False),
    ("[a-m]*", "[m-z]*", True),
    ("agent/docs", "agent/docs-*", False),
    ("agent/docs*", "agent/docs-*", True),
    ("*", "anything/at/all", True),
    ("a?c", "abc", True),
    ("a?c", "a/c", True),  # fnmatch's ? matches / in branch names
    ("[!a]*", "a*", False),
    ("*x", "y*", True),
    ("x*", "y*", False),
    ("agent/*/fix", "agent/auth/*", True),
])
def test_globs_overlap(a: str, b: str, overlap: bool) -> None:
    assert globs_overlap(a, b) is overlap
    assert globs_overlap(b, a) is overlap


def test_disjoint_task_globs_are_accepted() -> None:
    pol = parse(b'[tasks.a]\nbranch = "agent/a/*"\nallow = ["a/**"]\n'
                b'[tasks.b]\nbranch = "agent/b/*"\nallow = ["b/**"]\n'
                b'[tasks.c]\nbranch = ["x/[a-m]*"]\nallow = ["c/**"]\n'
                b'[tasks.d]\nbranch = ["x/[n-z]*"]\nallow = ["d/**"]\n', "main@1")
    assert pol.task_for_branch("agent/b/x").name == "b"  # type: ignore[union-attr]
    assert pol.task_for_branch("x/cat").name == "c"  # type: ignore[union-attr]


# --- trust --------------------------------------------------------------------------------------

def scope_findings(wt: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[context.Context,
                                                                         list[Finding]]:
    monkeypatch.setenv("CLAUDECODE", "1")
    ctx = context.build(git.discover(str(wt)))
    return ctx, checks.run(ctx, ["scope"])


def rules(found: list[Finding]) -> list[tuple[str, str | None]]:
    return sorted((f.rule, f.path) for f in found)


WIDE = POLICY.replace('allow = ["src/auth/**", "tests/auth/**", "!src/auth/vendored/**"]',
                      'allow = ["**"]')


def test_policy_comes_from_base_branch_not_work_tree(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, ".guardrails.toml", WIDE)  # the agent widens its scope in its work tree
    write(wt, "docs/stray.md")
    run_git("add", "docs/stray.md", cwd=wt)
    ctx, found = scope_findings(wt, monkeypatch)
    main = run_git("rev-parse", "--short=7", "main", cwd=repo).stdout.strip()
    assert ctx.policy is not None and ctx.policy.source == f"main@{main}"
    assert ctx.task is not None and ctx.task.allow[0] == "src/auth/**"
    assert rules(found) == [("policy-worktree-differs", ".guardrails.toml"),
                            ("scope-outside-allow", "docs/stray.md")]
    differs = next(f for f in found if f.rule == "policy-worktree-differs")
    assert differs.severity == "warning" and f"main@{main}" in differs.message


def test_same_policy_in_work_tree_is_not_reported(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/ok.py")
    run_git("add", "-A", cwd=wt)
    _, found = scope_findings(wt, monkeypatch)
    assert found == []


def test_policy_only_on_agent_branch_authorises_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo", policy=None)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, ".guardrails.toml", WIDE)
    commit_all(wt, "my own policy")
    write(wt, "src/auth/x.py")
    run_git("add", "-A", cwd=wt)
    ctx, found = scope_findings(wt, monkeypatch)
    assert ctx.policy is None
    assert [f.rule for f in found] == ["policy-worktree-differs", "no-task"]
    assert "authorises nothing" in found[1].message


def test_task_only_on_agent_branch_authorises_nothing(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/evil")
    write(wt, ".guardrails.toml",
          POLICY + '\n[tasks.evil]\nbranch = "agent/evil"\nallow = ["**"]\n')
    commit_all(wt, "add my task")
    write(wt, "src/auth/x.py")
    run_git("add", "-A", cwd=wt)
    ctx, found = scope_findings(wt, monkeypatch)
    assert ctx.task is None
    assert [f.rule for f in found] == ["policy-worktree-differs", "no-task"]
    assert "no task in the trusted policy covers branch `agent/evil`" in found[1].message
    assert found[1].policy is not None and found[1].policy.startswith("main@")


def test_base_from_config_must_not_be_a_task_branch(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An agent pointing guardrails.base at its own branch (with a widened policy on it) does
    not get to judge itself."""
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, ".guardrails.toml", WIDE)
    commit_all(wt, "widen")
    run_git("config", "guardrails.base", "agent/auth", cwd=wt)
    write(wt, "docs/stray.md")
    run_git("add", "-A", cwd=wt)
    monkeypatch.setenv("CLAUDECODE", "1")
    with pytest.raises(GuardrailsError) as e:
        context.build(git.discover(str(wt)))
    assert "agent/auth" in str(e.value) and "guardrails.base" in str(e.value)
    assert "git config --unset guardrails.base" in e.value.fix


def test_policy_names_another_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", policy=POLICY.replace('base = "main"', 'base = "trunk"'))
    run_git("branch", "trunk", cwd=repo)
    write(repo, ".guardrails.toml", POLICY.replace('base = "main"', 'base = "trunk"')
          + '\n[tasks.only-on-main]\nbranch = "x/*"\nallow = ["x/**"]\n')
    commit_all(repo, "main moves on")
    pol = policy.load_trusted(git.discover(str(repo)))
    trunk = run_git("rev-parse", "--short=7", "trunk", cwd=repo).stdout.strip()
    assert pol is not None and pol.source == f"trunk@{trunk}" and "only-on-main" not in pol.tasks


# --- through the real hook and the command ------------------------------------------------------

def test_bad_policy_exits_2_through_hook_and_check(tmp_path: Path, runner: str,
                                                   hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo", policy=POLICY.replace("max-files = 40", "max_files = 40"))
    install_hooks(repo, runner, hook_repo, "  - id: guardrails\n")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/ok.py")
    run_git("add", "-A", cwd=wt)
    head = run_git("rev-parse", "HEAD", cwd=wt).stdout
    proc = run_git("commit", "-m", "in scope", cwd=wt, env=AGENT, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "guardrails: error: .guardrails.toml (main@" in out
    assert ":9: tasks.auth.max_files: unknown key `max_files`" in out
    assert "did you mean `max-files`?" in out
    assert "exit code: 2" in out, out
    assert run_git("rev-parse", "HEAD", cwd=wt).stdout == head

    # an agent is stopped (exit 2); a human outside a session only warned (issue 15: a broken
    # policy never locks humans out), and doctor fails on it with the line
    cli = subprocess.run(["git-guardrails", "check", "--format", "json"], cwd=wt,
                         capture_output=True, text=True, check=False, env={**os.environ, **AGENT})
    assert cli.returncode == 2, cli.stdout + cli.stderr
    assert cli.stdout == ""
    assert "unknown key `max_files`" in cli.stderr
    cli = subprocess.run(["git-guardrails", "check", "--format", "json"], cwd=wt,
                         capture_output=True, text=True, check=False)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "policy-invalid" in [f["rule"] for f in json.loads(cli.stdout)["findings"]]
    doc = subprocess.run(["git-guardrails", "doctor"], cwd=wt, capture_output=True, text=True,
                         check=False)
    assert doc.returncode == 1 and ":9: tasks.auth.max_files" in doc.stdout, doc.stdout


def test_agent_cannot_widen_its_scope_by_committing_the_policy(
        tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, "  - id: guardrails\n")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    # 1. in one commit with the out-of-scope change: both refused
    write(wt, ".guardrails.toml", WIDE)
    write(wt, "docs/stray.md")
    run_git("add", "-A", cwd=wt)
    proc = run_git("commit", "-m", "widen", cwd=wt, env=AGENT, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "error[scope-locked] .guardrails.toml" in out
    assert "error[scope-outside-allow] docs/stray.md" in out
    # 2. the policy sneaked onto the branch without hooks: the next commit is judged by main's
    run_git("commit", "-q", "--no-verify", "-m", "widen", "--", ".guardrails.toml",
            cwd=wt, env=AGENT)
    head = run_git("rev-parse", "HEAD", cwd=wt).stdout
    proc = run_git("commit", "-m", "stray", cwd=wt, env=AGENT, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "error[scope-outside-allow] docs/stray.md" in out
    assert "warning[policy-worktree-differs]" in out
    assert run_git("rev-parse", "HEAD", cwd=wt).stdout == head
    # and `check --range` over the branch sees the locked change it made
    cli = subprocess.run(["git-guardrails", "check", "--range", "main..HEAD", "--format", "json"],
                         cwd=wt, capture_output=True, text=True, check=False)
    assert cli.returncode == 1, cli.stderr
    doc = json.loads(cli.stdout)
    assert [(f["rule"], f["path"]) for f in doc["findings"]
            if f["rule"].startswith("scope-")] == [("scope-locked", ".guardrails.toml")]


def test_examples_are_valid() -> None:
    import yaml  # type: ignore[import-untyped]

    root = Path(__file__).resolve().parent.parent
    pol = parse((root / "examples" / ".guardrails.toml").read_bytes(), "example")
    assert len(pol.tasks) == 2
    cfg = yaml.safe_load((root / "examples" / ".pre-commit-config.yaml").read_text())
    manifest = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())
    ids = {h["id"] for h in manifest}
    used = [h["id"] for repo in cfg["repos"] for h in repo["hooks"]]
    assert used and set(used) <= ids
    assert "pre-commit" in cfg["default_install_hook_types"]


def test_branch_globs_match_as_fnmatch_does() -> None:
    """branch_match's str fast path (no ``?``/``[``, one trailing ``*``) agrees with fnmatch."""
    import fnmatch

    from guardrails.scope.policy import branch_match

    globs = ["main", "agent/*", "agent/bench-*", "*", "", "a*b", "release/*", "agent/?",
             "agent/[ab]", "agent/**", "*/x", "ma*", "main*"]
    branches = ["main", "main2", "agent/x", "agent/", "agent", "agent/bench-1", "agent/a",
                "agent/b/c", "release/1.0", "", "x", "a/x", "mainline", "agent/bench-"]
    for g in globs:
        for b in branches:
            assert branch_match(b, g) == fnmatch.fnmatchcase(b, g), (b, g)


def test_a_configured_base_is_read_whatever_was_prefetched(tmp_path: Path) -> None:
    """The hook starts the policy's cat-file for main/master before git config answers; with
    guardrails.base set, the configured branch's policy is the one read (the prefetched
    process is not collected)."""
    root = make_repo(tmp_path / "r")
    run_git("branch", "trunk", cwd=root)
    write(root, ".guardrails.toml", POLICY.replace('"agent/auth"', '"agent/other"'))
    commit_all(root, "main's policy differs from trunk's")
    run_git("config", "guardrails.base", "trunk", cwd=root)
    r = git.discover(str(root))
    context.prefetch_policy(r)
    assert [args for args, *_ in git._PREFETCHED] == [("cat-file", "--batch")]
    ctx = context.build(r, branch="agent/auth")
    assert ctx.policy is not None and ctx.scope_source.startswith("trunk@")
    assert ctx.task is not None and ctx.task.name == "auth"
    for args, cwd, data in list(git._PREFETCHED):  # the uncollected one
        git.discard(*args, cwd=cwd, input=data)
