"""require-checks and the attestation, through real commits under real pre-commit and prek."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import install_hooks
from tests.helpers import add_worktree, git, make_repo, write

HOOKS = "  - id: guardrails\n  - id: require-checks\n"
TYPES = "[pre-commit, prepare-commit-msg]"
AGENT = {"CLAUDECODE": "1"}
TRAILER = "Guardrails-Checked:"


def setup(tmp_path: Path, runner: str, hook_repo: tuple[str, str],
          hooks: str = HOOKS) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, hooks, hook_types=TYPES)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    start(wt)
    return repo, wt


def start(wt: Path) -> None:
    """A session, as the clean-baseline check requires for agent commits."""
    proc = subprocess.run(["git-guardrails", "start"], cwd=wt, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def head(wt: Path) -> str:
    return git("rev-parse", "HEAD", cwd=wt).stdout.strip()


def message(wt: Path, rev: str = "HEAD") -> str:
    return git("log", "-1", "--format=%B", rev, cwd=wt).stdout


def agent_commit(wt: Path, rel: str, content: str, msg: str, *extra: str,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    write(wt, rel, content)
    git("add", "-A", cwd=wt)
    return git("commit", "-m", msg, *extra, cwd=wt, env={**AGENT, **(env or {})}, check=False)


def check_range(wt: Path, rng: str = "main..HEAD") -> tuple[int, list[dict[str, str]]]:
    proc = subprocess.run(["git-guardrails", "check", "--range", rng, "--format", "json"],
                          cwd=wt, capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)["findings"]


def assert_valid(wt: Path, rng: str = "main..HEAD") -> None:
    rc, findings = check_range(wt, rng)
    assert (rc, findings) == (0, []), "\n".join(f["message"] for f in findings)


def rules_by_commit(findings: list[dict[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f["commit"], []).append(f["rule"])
    return out


def test_agent_commit_attested_and_verified(tmp_path: Path, runner: str,
                                            hook_repo: tuple[str, str]) -> None:
    repo, wt = setup(tmp_path, runner, hook_repo)
    proc = agent_commit(wt, "src/auth/a.py", "a = 1\n", "add a")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    msg = message(wt)
    assert msg.count(TRAILER) == 1
    assert msg.startswith("add a\n\nGuardrails-Checked: ")
    rc, findings = check_range(wt)
    assert rc == 0 and findings == []
    # a human commit outside any session gets no trailer and is not refused
    write(repo, "docs/b.md", "b\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "human", cwd=repo)
    assert TRAILER not in message(repo)


def test_a_plain_agent_commit_starts_no_python_for_require_checks(
        tmp_path: Path, runner: str, hook_repo: tuple[str, str],
        runner_homes: dict[str, str]) -> None:
    """Under the real runner, the sh entry (bin/guardrails-hook) attests the plain commit its
    pre-commit stage checked without the Python hook; the runner's own environment is wrapped
    only to log that hook's starts (and put back)."""
    _, wt = setup(tmp_path, runner, hook_repo)
    assert agent_commit(wt, "src/auth/a.py", "a = 1\n", "first").returncode == 0  # builds the env
    home = Path(runner_homes["PREK_HOME" if runner == "prek" else "PRE_COMMIT_HOME"])
    entries = [p for p in home.rglob("guardrails-require-checks")
               if (p.parent / "guardrails-hook").is_file()]
    assert entries
    log = tmp_path / "starts.log"
    kept = {p: p.read_bytes() for p in entries}
    try:
        for p in entries:
            real = p.with_name("real-require-checks")
            real.write_bytes(kept[p])
            real.chmod(0o755)
            p.write_text(f'#!/bin/sh\necho started >> "{log}"\nexec "{real}" "$@"\n')
        proc = agent_commit(wt, "src/auth/b.py", "b = 1\n", "second")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert not log.exists()
        assert message(wt).startswith("second\n\nGuardrails-Checked: ")
        assert_valid(wt)  # the trailer is the patch id CI computes
        # an amend is Python's: the same wrapped entry starts
        proc = git("commit", "--amend", "-m", "second, amended", cwd=wt, env=AGENT, check=False)
        assert proc.returncode == 0 and log.read_text() == "started\n"
        assert_valid(wt)
    finally:
        for p, data in kept.items():
            p.write_bytes(data)
            p.with_name("real-require-checks").unlink(missing_ok=True)


def test_no_verify_refused_head_unchanged(tmp_path: Path, runner: str,
                                          hook_repo: tuple[str, str]) -> None:
    _, wt = setup(tmp_path, runner, hook_repo)
    before = head(wt)
    for flags in (["--no-verify"], ["-n"]):
        proc = agent_commit(wt, "src/auth/a.py", f"a = {flags}\n", "skip", *flags)
        assert proc.returncode != 0
        out = proc.stdout + proc.stderr
        assert "require-checks" in out and "--no-verify" in out and "not allowed" in out
        assert head(wt) == before


def test_skip_env_refused(tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    _, wt = setup(tmp_path, runner, hook_repo)
    before = head(wt)
    for var in ("SKIP", "PREK_SKIP"):
        proc = agent_commit(wt, "src/auth/a.py", f"a = '{var}'\n", "skip", env={var: "guardrails"})
        if runner == "pre-commit" and var == "PREK_SKIP":
            # pre-commit ignores PREK_SKIP: the guardrails hook runs and fails on the variable
            assert "bypass-skip-env" in proc.stdout + proc.stderr
        assert proc.returncode != 0, proc.stdout + proc.stderr
        assert head(wt) == before
    # naming only require-checks: the pre-commit stage sees it and fails
    proc = agent_commit(wt, "src/auth/a.py", "a = 3\n", "skip", env={"SKIP": "require-checks"})
    assert proc.returncode != 0
    assert "bypass-skip-env" in proc.stdout + proc.stderr
    assert head(wt) == before


def test_retry_with_no_verify_after_failed_hook_refused(
        tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    """The guardrails hook passes, another hook fails; the same tree with --no-verify must not
    ride on that earlier check."""
    repo = make_repo(tmp_path / "repo")
    (repo / ".pre-commit-config.yaml").write_text("")
    install_hooks(repo, runner, hook_repo, HOOKS, hook_types=TYPES)
    cfg = (repo / ".pre-commit-config.yaml").read_text() + (
        "- repo: local\n  hooks:\n  - id: lint\n    name: lint\n    entry: \"false\"\n"
        "    language: system\n    stages: [pre-commit]\n    always_run: true\n"
        "    pass_filenames: false\n")
    (repo / ".pre-commit-config.yaml").write_text(cfg)
    git("commit", "-qam", "lint", "--no-verify", cwd=repo)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    start(wt)
    before = head(wt)
    proc = agent_commit(wt, "src/auth/a.py", "a = 1\n", "first try")
    assert proc.returncode != 0 and head(wt) == before
    proc = git("commit", "--no-verify", "-m", "retry", cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "not allowed" in proc.stdout + proc.stderr
    assert head(wt) == before


def test_bypasses_land_but_range_check_flags_them(tmp_path: Path, runner: str,
                                                  hook_repo: tuple[str, str]) -> None:
    _, wt = setup(tmp_path, runner, hook_repo)
    assert agent_commit(wt, "src/auth/ok.py", "ok = 1\n", "checked").returncode == 0
    checked = head(wt)
    write(wt, "src/auth/a.py", "a = 1\n")
    git("add", "-A", cwd=wt)
    git("-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "hookspath", cwd=wt, env=AGENT)
    c1 = head(wt)
    write(wt, "src/auth/b.py", "b = 1\n")
    git("add", "-A", cwd=wt)
    git("commit", "-q", "-m", "gemini", cwd=wt, env={
        **AGENT, "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.hooksPath",
        "GIT_CONFIG_VALUE_0": ""})
    c2 = head(wt)
    write(wt, "src/auth/c.py", "c = 1\n")
    git("add", "-A", cwd=wt)
    tree = git("write-tree", cwd=wt).stdout.strip()
    c3 = git("commit-tree", tree, "-p", c2, "-m", "plumbing", cwd=wt).stdout.strip()
    git("update-ref", "refs/heads/agent/auth", c3, c2, cwd=wt)
    assert head(wt) == c3  # all three landed
    rc, findings = check_range(wt)
    assert rc == 1
    assert rules_by_commit(findings) == {c1: ["attest-missing"], c2: ["attest-missing"],
                                         c3: ["attest-missing"]}
    assert checked not in rules_by_commit(findings)
    assert all("hooks were skipped" in f["message"] for f in findings)


def test_amend_after_check_flagged_and_amend_with_hooks_reattests(
        tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    _, wt = setup(tmp_path, runner, hook_repo)
    assert agent_commit(wt, "src/auth/a.py", "a = 1\n", "add a").returncode == 0
    # an amend through the hooks: new content, one trailer, still valid
    proc = agent_commit(wt, "src/auth/a.py", "a = 2\n", "add a", "--amend", "--no-edit")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert message(wt).count(TRAILER) == 1
    assert_valid(wt)
    # an amend that skips the hooks keeps the old trailer: flagged as changed after the check
    write(wt, "src/auth/a.py", "a = 3\n")
    git("add", "-A", cwd=wt)
    git("-c", "core.hooksPath=/dev/null", "commit", "-q", "--amend", "--no-edit", cwd=wt,
        env=AGENT)
    rc, findings = check_range(wt)
    assert rc == 1
    assert rules_by_commit(findings) == {head(wt): ["attest-mismatch"]}
    assert "changed after it was checked" in findings[0]["message"]
    # and --amend --no-verify is refused like any --no-verify
    before = head(wt)
    proc = agent_commit(wt, "src/auth/a.py", "a = 4\n", "x", "--amend", "--no-verify")
    assert proc.returncode != 0 and head(wt) == before


def test_clean_rebase_keeps_attestations_conflict_resolution_flagged(
        tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo", files={
        "src/auth/login.py": "".join(f"line{i}\n" for i in range(1, 21)),
        "src/auth/other.py": "one\ntwo\nthree\n", "README.md": "readme\n"})
    install_hooks(repo, runner, hook_repo, HOOKS, hook_types=TYPES)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    start(wt)
    lines = [f"line{i}\n" for i in range(1, 21)]
    lines[9] = "agent10\n"
    assert agent_commit(wt, "src/auth/login.py", "".join(lines), "edit line 10").returncode == 0
    assert agent_commit(wt, "src/auth/new.py", "new\n", "add new").returncode == 0
    assert agent_commit(wt, "src/auth/other.py", "one\nagent\nthree\n", "edit other"
                        ).returncode == 0
    # main moves: a line two lines away from the agent's change, and a new file
    base = [f"line{i}\n" for i in range(1, 21)]
    base[7] = "main8\n"
    write(repo, "src/auth/login.py", "".join(base))
    write(repo, "docs/more.md", "more\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "main moves", cwd=repo)
    proc = git("rebase", "main", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "main8" in (wt / "src/auth/login.py").read_text()
    assert_valid(wt)
    for rev in ("HEAD", "HEAD~1", "HEAD~2"):
        assert message(wt, rev).count(TRAILER) == 1
    # a cherry-pick replays too: it is not refused and keeps the trailer, which stays valid
    picked = git("rev-parse", "HEAD~1", cwd=wt).stdout.strip()
    git("checkout", "-q", "-b", "agent/auth-pick", "main", cwd=wt)
    proc = git("cherry-pick", picked, cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert message(wt) == message(wt, picked)
    # its trailer stays valid; and the trailer marks it an agent's commit, which no task covers
    # on agent/auth-pick (issue 13: an attested commit is an agent commit)
    rc, findings = check_range(wt)
    assert rc == 1 and [f["rule"] for f in findings] == ["no-task"], findings
    git("checkout", "-q", "agent/auth", cwd=wt)
    # now a conflict: main changes the line the last commit changed
    write(repo, "src/auth/other.py", "one\nmain\nthree\n")
    git("commit", "-q", "--no-verify", "-am", "main conflicts", cwd=repo)
    proc = git("rebase", "main", cwd=wt, env=AGENT, check=False)
    assert proc.returncode != 0  # stopped on the conflict
    write(wt, "src/auth/other.py", "one\nagent and main\nthree\n")
    git("add", "-A", cwd=wt)
    proc = git("-c", "core.editor=true", "rebase", "--continue", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rc, findings = check_range(wt)
    assert rc == 1
    assert rules_by_commit(findings) == {head(wt): ["attest-mismatch"]}


def test_merge_and_squash_messages_keep_one_trailer(tmp_path: Path, runner: str,
                                                    hook_repo: tuple[str, str]) -> None:
    repo, wt = setup(tmp_path, runner, hook_repo)
    assert agent_commit(wt, "src/auth/a.py", "a = 1\nb = 1\n", "agent a").returncode == 0
    # a clean merge of main into the agent branch: merge message kept, one trailer
    write(repo, "docs/x.md", "x\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "main x", cwd=repo)
    proc = git("merge", "--no-edit", "main", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    msg = message(wt)
    assert msg.startswith("Merge branch 'main' into agent/auth")
    assert msg.count(TRAILER) == 1
    # a conflicting merge, resolved and committed through the hooks
    write(repo, "src/auth/a.py", "a = 2\nb = 1\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "main a", cwd=repo)
    write(wt, "src/auth/a.py", "a = 3\nb = 1\n")
    git("add", "-A", cwd=wt)
    assert git("commit", "-q", "-m", "agent a3", cwd=wt, env=AGENT, check=False).returncode == 0
    assert git("merge", "main", cwd=wt, env=AGENT, check=False).returncode != 0
    write(wt, "src/auth/a.py", "a = 23\nb = 1\n")
    git("add", "-A", cwd=wt)
    proc = git("commit", "--no-edit", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    msg = message(wt)
    assert msg.startswith("Merge branch 'main' into agent/auth")
    assert msg.count(TRAILER) == 1
    assert_valid(wt, "main..HEAD")
    # a conflict resolved with --no-verify is refused
    write(repo, "src/auth/a.py", "a = 4\nb = 1\n")
    git("commit", "-q", "--no-verify", "-am", "main a4", cwd=repo)
    assert git("merge", "main", cwd=wt, env=AGENT, check=False).returncode != 0
    write(wt, "src/auth/a.py", "a = 234\nb = 1\n")
    git("add", "-A", cwd=wt)
    before = head(wt)
    assert git("commit", "--no-edit", "--no-verify", cwd=wt, env=AGENT,
               check=False).returncode != 0
    assert head(wt) == before
    git("merge", "--abort", cwd=wt)
    # squash merge: the squash message is kept, one trailer
    git("checkout", "-q", "-b", "agent/auth-side", "agent/auth", cwd=repo)
    for n in (1, 2):  # a side branch, committed by a human in the main checkout
        write(repo, "src/auth/s.py", f"s = {n}\n")
        git("add", "-A", cwd=repo)
        git("commit", "-q", "--no-verify", "-m", f"side {n}", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    git("merge", "--squash", "agent/auth-side", cwd=wt, env=AGENT)
    proc = git("commit", "--no-edit", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    msg = message(wt)
    assert msg.startswith("Squashed commit of the following")
    assert msg.count(TRAILER) == 1
    assert_valid(wt, "HEAD~1..HEAD")


@pytest.mark.parametrize("runner", ["prek"])
def test_hostile_diff_config_does_not_change_the_id(tmp_path: Path, runner: str,
                                                    hook_repo: tuple[str, str]) -> None:
    """Attested under one user's diff settings, verified under CI's defaults."""
    _, wt = setup(tmp_path, runner, hook_repo)
    for k, v in (("diff.noprefix", "true"), ("diff.context", "9"), ("diff.renames", "copies"),
                 ("diff.algorithm", "histogram"), ("diff.interHunkContext", "7"),
                 ("diff.mnemonicPrefix", "true"), ("core.abbrev", "9"),
                 ("merge.conflictStyle", "zdiff3"), ("log.showSignature", "false")):
        git("config", k, v, cwd=wt)
    write(wt, "src/auth/bin.dat", bytes(range(256)) * 4)
    body = "".join(f"l{i}\n" for i in range(40))
    assert agent_commit(wt, "src/auth/text.py", body, "add files").returncode == 0
    git("mv", "src/auth/text.py", "src/auth/moved.py", cwd=wt)
    write(wt, "src/auth/moved.py", body.replace("l5\n", "five\n").replace("l30\n", "thirty\n"))
    os.chmod(wt / "src/auth/bin.dat", 0o755)
    assert agent_commit(wt, "src/auth/moved.py", body.replace("l5\n", "five\n").replace(
        "l30\n", "thirty\n"), "rename, edit, chmod").returncode == 0
    for k in ("diff.noprefix", "diff.context", "diff.renames", "diff.algorithm",
              "diff.interHunkContext", "diff.mnemonicPrefix", "core.abbrev",
              "merge.conflictStyle"):
        git("config", "--unset", k, cwd=wt)
    assert_valid(wt)


def test_message_file_resolved_and_direct_git_hook(tmp_path: Path) -> None:
    """require-checks as a plain git hook (git's own arguments), with a relative message file."""
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name, entry in (("pre-commit", "guardrails-run"),
                        ("prepare-commit-msg", "guardrails-require-checks")):
        (hooks / name).write_text(f"#!/bin/sh\nexec {entry} \"$@\"\n")
        (hooks / name).chmod(0o755)
    (hooks / "post-checkout").write_text("#!/bin/sh\nexit 0\n")
    (hooks / "post-checkout").chmod(0o755)
    git("config", "core.hooksPath", str(hooks), cwd=repo)
    start(wt)
    proc = agent_commit(wt, "src/auth/a.py", "a = 1\n", "direct")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert message(wt).count(TRAILER) == 1
    assert_valid(wt)
    before = head(wt)
    assert agent_commit(wt, "src/auth/a.py", "a = 2\n", "x", "--no-verify").returncode != 0
    assert head(wt) == before
    # the entry point itself: a message file relative to cwd, as prek passes it
    msg = wt / "msg.txt"
    msg.write_text("subject\n\nCo-authored-by: x <x@x>\n")
    env = {**os.environ, **AGENT}
    proc2 = subprocess.run(["guardrails-require-checks", "msg.txt"], cwd=wt, env=env,
                           capture_output=True, text=True, check=False)
    assert proc2.returncode == 1  # no pre-commit stage ran for this process
    assert "not allowed" in proc2.stderr
    proc3 = subprocess.run(["guardrails-require-checks"], cwd=wt, env=env,
                           capture_output=True, text=True, check=False)
    assert proc3.returncode == 2 and "fix:" in proc3.stderr
    # a message file that does not exist (after a check, so the trailer would be written)
    git("add", "-A", cwd=wt)
    subprocess.run(["guardrails-run"], cwd=wt, env=env, capture_output=True, check=False)
    proc4 = subprocess.run(["guardrails-require-checks", "missing/msg"], cwd=wt, env=env,
                           capture_output=True, text=True, check=False)
    assert proc4.returncode == 2 and "fix:" in proc4.stderr and "Traceback" not in proc4.stderr


def test_commit_all_and_partial_commit_use_the_temporary_index(
        tmp_path: Path, runner: str, hook_repo: tuple[str, str]) -> None:
    """`commit -a` (GIT_INDEX_FILE=index.lock) and `commit -- path` (next-index-<pid>.lock):
    both stages see the same temporary index."""
    _, wt = setup(tmp_path, runner, hook_repo)
    write(wt, "src/auth/login.py", "changed = 1\n")
    proc = git("commit", "-a", "-m", "all", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(wt, "src/auth/login.py", "changed = 2\n")
    write(wt, "src/auth/other.py", "o = 1\n")
    git("add", "src/auth/other.py", cwd=wt)
    proc = git("commit", "-m", "partial", "--", "src/auth/login.py", cwd=wt, env=AGENT,
               check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git("diff", "--cached", "--name-only", cwd=wt).stdout.strip() == "src/auth/other.py"
    assert message(wt).count(TRAILER) == 1
    assert_valid(wt)


def test_trailer_parsing_and_insertion(tmp_path: Path) -> None:
    from guardrails import git as g
    from guardrails.skipped import attestation

    tv = attestation.trailer_values
    assert tv("s\n\nGuardrails-Checked: abc\n") == ["abc"]
    assert tv("s\n\nCo-authored-by: x <x@x>\nGuardrails-Checked: abc\n\n# Conflicts:\n#\tf\n") \
        == ["abc"]
    assert tv("s\n\nGuardrails-Checked: abc\n\nmore body\n") == []  # not the trailer block
    assert tv("s\n") == []
    repo = make_repo(tmp_path / "repo")
    r = g.discover(str(repo))
    cases = {
        "Merge branch 'x'": "Merge branch 'x'\n\nGuardrails-Checked: 1\n",  # no newline
        "s\n\nbody\n\nCo-authored-by: a <a@a>\nGuardrails-Checked: old\n":
            "s\n\nbody\n\nCo-authored-by: a <a@a>\nGuardrails-Checked: 1\n",
        "squash\n\nGuardrails-Checked: a\nGuardrails-Checked: b\n":
            "squash\n\nGuardrails-Checked: 1\n",
        "s\n\n# Please enter the commit message\n":
            "s\n\nGuardrails-Checked: 1\n\n# Please enter the commit message\n",
    }
    for before, after in cases.items():
        f = tmp_path / "msg"
        f.write_text(before)
        attestation.add_trailer(r, str(f), "1")
        assert f.read_text() == after, before


def test_tee_streams_and_reports_failures(tmp_path: Path) -> None:
    from guardrails import git as g
    from guardrails.errors import GuardrailsError

    repo = make_repo(tmp_path / "repo")
    first, second = g.tee(["log", "-1", "--format=%H%n%s"], ["hash-object", "--stdin"],
                          cwd=str(repo))
    lines = first.decode().split()
    assert lines[1] == "initial"
    expected = git("hash-object", "--stdin", cwd=repo, input=first).stdout.strip()
    assert second.decode().strip() == expected
    with pytest.raises(GuardrailsError):
        g.tee(["log", "no-such-rev"], ["patch-id", "--stable"], cwd=str(repo))


def test_commit_heads_find_what_the_header_regex_finds() -> None:
    """patchlog.commit_heads (bytes.find) and COMMIT_HEADER.finditer agree."""
    from guardrails.git import patchlog

    a, b = "a" * 40, "b" * 64
    samples = [
        b"", f"commit {a}".encode(), f"commit {a}\n".encode(),
        f"commit {a}\n\ndiff --git a/x b/x\n+commit {a}\n-commit {b}\ncommit {b}\n".encode(),
        f"xcommit {a}\ncommit {a[:39]}\ncommit {a}z\ncommit {b}\ncommit {a}".encode(),
        f"\ncommit {a}\n\ncommit {b}\n\n".encode(),
    ]
    for data in samples:
        want = [(m.start(), m.end(), m.group(1).decode())
                for m in patchlog.COMMIT_HEADER.finditer(data)]
        assert patchlog.commit_heads(data) == want, data
