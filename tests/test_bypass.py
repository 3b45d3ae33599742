"""no-skipped-hooks: added lines that skip hooks, missing hook types, SKIP; and the range scan."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT, install_hooks
from tests.helpers import add_worktree, git, make_repo, write
from tests.test_attest import start

HOOKS = "  - id: guardrails\n  - id: require-checks\n"
TYPES = "[pre-commit, prepare-commit-msg]"
AGENT = {"CLAUDECODE": "1"}


def test_hook_ids_match_the_manifest() -> None:
    from guardrails.checks.bypass import HOOK_IDS

    ids = re.findall(r"^- id: (\S+)", (PROJECT / ".pre-commit-hooks.yaml").read_text(), re.M)
    assert ids and set(ids) == set(HOOK_IDS)


def test_added_lines_refused_with_file_and_line(tmp_path: Path, runner: str,
                                                hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, HOOKS, hook_types=TYPES)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    start(wt)
    write(wt, "src/auth/deploy.sh", "#!/bin/sh\nset -e\ngit add -A\ngit commit -nm wip\n")
    git("add", "-A", cwd=wt)
    head = git("rev-parse", "HEAD", cwd=wt).stdout
    proc = git("commit", "-m", "deploy", cwd=wt, env=AGENT, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "bypass-added-line" in out and "src/auth/deploy.sh:4" in out
    assert git("rev-parse", "HEAD", cwd=wt).stdout == head
    # the same words in documentation are a warning: the commit goes through
    write(wt, "src/auth/deploy.sh", "#!/bin/sh\nset -e\n")
    write(wt, "src/auth/NOTES.md", "Never run `git commit --no-verify`.\n")
    git("add", "-A", cwd=wt)
    proc = git("commit", "-m", "notes", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_missing_prepare_commit_msg_hook_fails(tmp_path: Path, runner: str,
                                               hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, HOOKS, hook_types="[pre-commit]")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    start(wt)
    write(wt, "src/auth/a.py", "a = 1\n")
    git("add", "-A", cwd=wt)
    proc = git("commit", "-m", "a", cwd=wt, env=AGENT, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "bypass-hook-missing" in out and "prepare-commit-msg" in out


def _range(wt: Path, rng: str) -> list[dict[str, str]]:
    proc = subprocess.run(["git-guardrails", "check", "--range", rng, "--format", "json"],
                          cwd=wt, capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    findings: list[dict[str, str]] = json.loads(proc.stdout)["findings"]
    return findings


def test_range_scan_names_commit_file_and_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    write(wt, "src/auth/a.py", "a = 1\n")
    write(wt, "src/auth/ci.yml", "env:\n  SKIP: guardrails\nsteps:\n  - run: HUSKY=0 make\n")
    git("add", "-A", cwd=wt)
    git("commit", "-q", "--no-verify", "-m", "sneak", cwd=wt)
    sha = git("rev-parse", "HEAD", cwd=wt).stdout.strip()
    write(wt, "src/auth/b.py", "b = 1\n")
    git("add", "-A", cwd=wt)
    git("commit", "-q", "--no-verify", "-m", "clean", cwd=wt)
    found = [f for f in _range(wt, "main..HEAD") if f["rule"] == "bypass-added-line"]
    assert sorted((f["commit"], f["path"], f["line"]) for f in found) == [
        (sha, "src/auth/ci.yml", 2), (sha, "src/auth/ci.yml", 4)]  # type: ignore[comparison-overlap]


def test_range_scan_real_path_of_quoted_names(tmp_path: Path) -> None:
    """git C-quotes non-ASCII and control-character names in diff headers; findings name the
    real file and a fix command bash can run."""
    from guardrails.findings import shell_path

    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    name = "src/auth/caf\u00e9 \"q\".sh"
    write(wt, name, "git commit --no-verify -m x\n")
    git("add", "-A", cwd=wt)
    git("commit", "-q", "--no-verify", "-m", "sneak", cwd=wt)
    found = [f for f in _range(wt, "main..HEAD") if f["rule"] == "bypass-added-line"]
    assert [(f["path"], str(f["line"])) for f in found] == [(name, "1")]
    assert shell_path(name) in str(found[0]["hint"])
    proc = subprocess.run(["bash", "-c", f"cd {shell_path(str(wt))} && cat -- {shell_path(name)}"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "--no-verify" in proc.stdout


def test_scan_diff_imports_unidiff_only_on_a_hit() -> None:
    code = (
        "import sys\n"
        "from guardrails.checks.bypass import scan_diff\n"
        "d = b'diff --git a/x b/x\\n--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n+b\\n'\n"
        "assert scan_diff(d) == []\n"
        "assert 'unidiff' not in sys.modules\n"
        "f = scan_diff(d.replace(b'+b', b'+git push --no-verify'))\n"
        "assert [(x.path, x.line, x.rule) for x in f] == [('x', 1, 'bypass-added-line')], f\n"
        "assert 'unidiff' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr


def test_line_reasons() -> None:
    from guardrails.checks.bypass import line_reasons

    hits = [
        "git commit --no-verify -m x", "  run: git commit -nm wip", "git config core.hooksPath .x",
        "export HUSKY=0", "SKIP=guardrails git commit", "  SKIP: guardrails",
        "PRE_COMMIT_ALLOW_NO_CONFIG=1", "claude --dangerously-skip-permissions",
        '"defaultMode": "bypassPermissions"', "gemini --yolo", "git-commit-verify: false",
        'approval_policy = "never"', '"disableAllHooks": true',
    ]
    misses = ["git commit -m 'fix -n handling'", "skip = 3", "MAX_SKIP=4",
              "git commit -am fix", "def no_verify(): pass", "x = commit(n)"]
    for h in hits:
        assert line_reasons(h), h
    for m in misses:
        assert not line_reasons(m), m


def test_skip_ids_and_env_overrides() -> None:
    from guardrails.checks.bypass import env_hookspath_findings, skip_findings

    assert [f.severity for f in skip_findings({"SKIP": "lint, guardrails"})] == \
        ["error", "warning"]
    assert [f.severity for f in skip_findings({"PREK_SKIP": "proj:require-checks"})] == ["error"]
    assert skip_findings({"SKIP": ""}) == []
    assert len(env_hookspath_findings({"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_1":
                                       "core.hooksPath", "GIT_CONFIG_VALUE_1": ""})) == 1
    assert env_hookspath_findings({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "user.name"}) \
        == []


def test_git_process_identity_proc_and_ps_agree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    code = ("from guardrails.skipped import attestation as a; "
            "print(a.git_process(), a.git_process(use_proc=False), a.git_argvs())")
    git("config", "alias.probe", f"!{sys.executable} -c '{code}'", cwd=repo)
    out = git("probe", cwd=repo).stdout.split()
    via_proc, via_ps = out[0], out[1]
    assert via_proc != "None" and via_proc.split(":")[0] == via_ps.split(":")[0]
    # outside git there is no git ancestor
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    assert alone[:2] == ["None", "None"]


def test_relative_hookspath_other_worktrees_warned(tmp_path: Path) -> None:
    from guardrails import git as g
    from guardrails.checks.bypass import hooks_dir, relative_hookspath_findings

    repo = make_repo(tmp_path / "repo")
    (repo / ".husky" / "_").mkdir(parents=True)
    git("config", "core.hooksPath", ".husky/_", cwd=repo)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    r = g.discover(str(repo))
    directory, raw = hooks_dir(r)
    assert raw == ".husky/_" and directory == str(repo / ".husky" / "_")
    found = relative_hookspath_findings(r, raw)
    assert [(f.rule, f.severity) for f in found] == [("bypass-hookspath", "warning")]
    assert str(wt) in found[0].message
    (wt / ".husky" / "_").mkdir(parents=True)
    assert relative_hookspath_findings(r, raw) == []


def test_standalone_no_skipped_hooks_attests(tmp_path: Path, runner: str,
                                             hook_repo: tuple[str, str]) -> None:
    repo = make_repo(tmp_path / "repo")
    install_hooks(repo, runner, hook_repo, "  - id: no-skipped-hooks\n  - id: require-checks\n",
                  hook_types=TYPES)
    wt = add_worktree(repo, tmp_path / "wt", "agent/auth")
    start(wt)
    write(wt, "src/auth/a.py", "a = 1\n")
    git("add", "-A", cwd=wt)
    proc = git("commit", "-m", "a", cwd=wt, env=AGENT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git("log", "-1", "--format=%B", cwd=wt).stdout.count("Guardrails-Checked:") == 1
    assert [f for f in _range(wt, "main..HEAD") if f["rule"].startswith("attest")] == []


def test_hit_lines_re2_and_find_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The RE2 scan finds the lines the per-literal ``find`` scan finds: added lines only,
    ASCII case folded, no Unicode folding (a Kelvin sign is not a k), each line once."""
    import random

    from guardrails.checks import bypass

    if bypass._literal_rx() is None:
        pytest.skip("google-re2 is not installed")
    words = ["foo", "+", "-", " ", "\n", "\n+", "\n+++ ", "\n-", "HooKsPath", "SKIP",
             "--No-Verify", "hoo\u212apath", "commit -n", "yolo", "x", *bypass._LITERALS]
    rng = random.Random(6)
    cases = ["", "+skip", "+++ b/skip\n+skip skip\n-skip\n +skip\n+SKIP", "+hoo\u212apath\n"]
    cases += ["".join(rng.choice(words) for _ in range(rng.randint(0, 40)))
              for _ in range(2000)]
    for text in cases:
        data = text.encode()
        fast = bypass.hit_lines(data)
        with monkeypatch.context() as m:
            m.setattr(bypass, "_literal_rx", lambda: None)
            assert bypass.hit_lines(data) == fast, data
