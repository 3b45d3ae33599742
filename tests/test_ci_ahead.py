"""ci starts its range's git processes before it imports the policy and check code
(guardrails.review.ahead), and the verdict is the one gather reaches without that: real
repositories, real git processes, counted."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guardrails import git as ggit
from guardrails.review import ahead
from tests.helpers import (
    CI_VARS,
    POLICY,
    commit_all,
    counting_git,
    git,
    git_subcommands,
    make_repo,
    write,
)

CLAUDE = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"


pytestmark = pytest.mark.usefixtures("no_ci_env")  # tests/conftest.py


def branch_repo(tmp_path: Path, merge: bool = False) -> Path:
    """main with the policy; agent/auth with in-scope work, a stray file, a rename, and with
    ``merge`` a merge of main (more git processes: the merge's refs are looked up)."""
    repo = make_repo(tmp_path / "repo")
    git("checkout", "-q", "-b", "agent/auth", cwd=repo)
    write(repo, "src/auth/a.py", "".join(f"{i}\n" for i in range(30)))
    commit_all(repo, "auth" + CLAUDE)
    write(repo, "docs/stray.md", "stray\n")
    commit_all(repo, "stray" + CLAUDE)
    git("mv", "src/auth/a.py", "src/auth/b.py", cwd=repo)
    commit_all(repo, "rename" + CLAUDE)
    if not merge:
        return repo
    git("checkout", "-q", "main", cwd=repo)
    write(repo, "README.md", "more\n")
    commit_all(repo, "main moves on")
    git("checkout", "-q", "agent/auth", cwd=repo)
    git("merge", "-q", "--no-edit", "main", cwd=repo)
    return repo


# The probe runs ci in a fresh interpreter and notes, for every git process, the modules
# imported by then.
PROBE = """\
import json, sys
from guardrails import git
seen = []
real = git.Running.__init__
def init(self, cmd, *a, **k):
    sub = [c for c in cmd[1:] if not c.startswith("-") and "=" not in c and "/" not in c]
    seen.append((sub[0] if sub else "?", "tomllib" in sys.modules,
                 "guardrails.review.judge" in sys.modules))
    real(self, cmd, *a, **k)
git.Running.__init__ = init
from guardrails.cli import main
rc = main(sys.argv[1:])
sys.stderr.write("@@" + json.dumps(seen) + "\\n")
sys.exit(rc)
"""


def probe(repo: Path, *args: str) -> tuple[int, list[tuple[str, bool, bool]]]:
    env = {k: v for k, v in os.environ.items() if k not in CI_VARS}
    proc = subprocess.run([sys.executable, "-c", PROBE, "ci", *args], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)
    line = [x for x in proc.stderr.splitlines() if x.startswith("@@")]
    assert line, proc.stderr
    return proc.returncode, [tuple(x) for x in json.loads(line[0][2:])]


def test_the_range_logs_start_before_the_policy_code_is_imported(tmp_path: Path) -> None:
    repo = branch_repo(tmp_path)
    rc, seen = probe(repo, "--base", "main", "--format", "json")
    assert rc == 1
    # (on reftable, discover asks symbolic-ref for HEAD's branch)
    subs = [s for s, _, _ in seen if s != "symbolic-ref"]
    # discover, both names, the merge-base, the policy blob, the raw log, the patch log and
    # its patch-id: each once
    assert sorted(subs) == sorted(["rev-parse", "cat-file", "merge-base", "cat-file", "log",
                                   "log", "patch-id"]), subs
    # all but patch-id (started by the patch log's thread, whenever it runs) before the
    # policy's parser and the checks are imported
    before = [s for s, toml, judge in seen if not toml and not judge and s in subs and
              s != "patch-id"]
    assert sorted(before) == sorted(["rev-parse", "cat-file", "merge-base", "cat-file", "log",
                                     "log"]), seen


def test_a_head_whose_branch_is_unknown_waits_for_require_branch(tmp_path: Path) -> None:
    """Detached, no CI variable: ci may not go on (require_branch) before it has read the
    commits, so the patch log is not started ahead; the exit is 2 as before."""
    repo = branch_repo(tmp_path)
    write(repo, "src/auth/human.py")
    commit_all(repo, "a commit that names no agent")
    git("checkout", "-q", "--detach", cwd=repo)
    rc, seen = probe(repo, "--base", "main", "--format", "json")
    assert rc == 2
    assert [s for s, _, _ in seen].count("log") == 1  # the raw log only


@pytest.mark.parametrize("base,head", [("nope", "HEAD"), ("main", "nope"),
                                       ("main", "HEAD^{tree}"), ("-main", "HEAD")])
def test_names_that_do_not_resolve_are_left_to_gather(tmp_path: Path, base: str,
                                                      head: str) -> None:
    """Nothing started ahead stays behind, and gather says what is wrong (exit 2)."""
    repo = branch_repo(tmp_path)
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        resolving = ahead.begin(base, head)
        r = ggit.discover(bare_ok=True)
        assert ahead.start(r, resolving, head, "agent/auth", {}) is None
        assert ggit._PREFETCHED == {}
    finally:
        os.chdir(cwd)
    proc = subprocess.run([sys.executable, "-m", "guardrails.cli", "ci", "--base", base,
                           "--head", head, "--branch", "agent/auth"], cwd=repo,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr


def _verdict(repo: Path, use_ahead: bool, branch: str | None = "agent/auth") -> str:
    from guardrails import report
    from guardrails.review import judge as rv

    cwd = os.getcwd()
    os.chdir(repo)
    try:
        r = ggit.discover(bare_ok=True)
        started = ahead.start(r, ahead.begin("main", "HEAD"), "HEAD", branch, {}) \
            if use_ahead else None
        if use_ahead:
            assert started is not None and started.log is not None
        v = rv.judge(rv.gather(r, "main", "HEAD", branch, env={}, strict=True, ahead=started))
        out = report.render(v.findings, "json", rv.meta(v), stream=__import__("io").StringIO(),
                            commits=rv.commit_rows(v))
        assert ggit._PREFETCHED == {}  # everything started ahead was collected
        return out
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("merge", [False, True])
def test_the_verdict_is_gathers_own(tmp_path: Path, merge: bool) -> None:
    repo = branch_repo(tmp_path, merge)
    with_ahead, without = _verdict(repo, True), _verdict(repo, False)
    assert with_ahead == without
    doc = json.loads(with_ahead)
    assert {f["rule"] for f in doc["findings"]} >= {"scope-outside-allow"}
    assert len(doc["commits"]) == 3 + merge


def test_a_policy_that_cannot_be_read_leaves_nothing_started(tmp_path: Path) -> None:
    """gather raises (exit 2) with the range's logs and policy read started ahead: all of
    it is collected, so no later run in the process picks up stale output."""
    from guardrails.errors import GuardrailsError
    from guardrails.review import judge as rv

    repo = make_repo(tmp_path / "repo", POLICY + "\n[broken\n")
    git("checkout", "-q", "-b", "agent/auth", cwd=repo)
    write(repo, "src/auth/a.py")
    commit_all(repo, "auth" + CLAUDE)
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        r = ggit.discover(bare_ok=True)
        started = ahead.start(r, ahead.begin("main", "HEAD"), "HEAD", None, {})
        assert started is not None and started.log is not None  # HEAD's branch names it
        with pytest.raises(GuardrailsError):
            rv.gather(r, "main", "HEAD", None, env={}, strict=True, ahead=started)
        assert ggit._PREFETCHED == {}
    finally:
        os.chdir(cwd)


def test_git_processes_of_a_plain_ci_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven git processes, whatever the range's length: none is started twice."""
    repo = branch_repo(tmp_path)
    shim_dir, log = counting_git(tmp_path / "shim")
    env = {**{k: v for k, v in os.environ.items() if k not in CI_VARS},
           "PATH": f"{shim_dir}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run([sys.executable, "-m", "guardrails.cli", "ci", "--base", "main",
                           "--format", "json"], cwd=repo, env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    assert sorted(s for s in git_subcommands(log) if s != "symbolic-ref") == sorted(
        ["rev-parse", "cat-file", "merge-base", "cat-file", "log", "log", "patch-id"])
