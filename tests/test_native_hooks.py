"""The native reference-transaction and pre-auto-gc hooks, through real git commands."""
from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from guardrails import git as ggit
from guardrails.checks import refstore
from guardrails.findings import Finding
from guardrails.refstore import journal as gjournal
from tests.conftest import requires_git, requires_ref_format
from tests.helpers import add_worktree, git, write
from tests.refstore_helpers import (
    agents,
    cli,
    commit_file,
    end_session,
    head,
    journal,
)


def test_own_branch_commit_allowed_and_journaled(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path)
    before = head(a)
    proc = commit_file(a, "src/auth/x.py", "x = 1\n")
    assert proc.returncode == 0, proc.stderr
    after = head(a)
    entries = [e for e in journal(repo) if e["kind"] == "update"]
    assert [(e["ref"], e["old"], e["new"], e["task"]) for e in entries] == [
        ("refs/heads/agent/auth", before, after, "auth")]
    assert entries[0]["worktree"] == str(a)


@pytest.mark.parametrize("how", ["branch -f", "update-ref", "push"])
def test_other_session_branch_refused_and_journaled(tmp_path: Path, how: str) -> None:
    repo, a, b = agents(tmp_path)
    assert commit_file(a, "src/auth/x.py", "x = 1\n").returncode == 0
    target = head(b)
    if how == "branch -f":
        # git refuses `branch -f` of a branch checked out elsewhere by itself; detach b first
        git("checkout", "-q", "--detach", cwd=b)
        proc = git("branch", "-f", "agent/docs", "HEAD", cwd=a, check=False)
    elif how == "update-ref":
        proc = git("update-ref", "refs/heads/agent/docs", "HEAD", cwd=a, check=False)
    else:
        git("config", "receive.denyCurrentBranch", "ignore", cwd=repo)
        proc = git("push", ".", "HEAD:agent/docs", cwd=a, check=False)
    assert proc.returncode != 0
    assert "error[refstore-ref-foreign] ref update refused: refs/heads/agent/docs: agent/docs " \
        "is the branch of another session (task docs" in proc.stderr
    assert "fix:" in proc.stderr
    assert head(repo, "refs/heads/agent/docs") == target
    refused = [e for e in journal(repo) if e["kind"] == "refused"]
    assert refused and refused[-1]["ref"] == "refs/heads/agent/docs"
    assert refused[-1]["task"] == "auth" and refused[-1]["rule"] == "refstore-ref-foreign"


def test_protected_branch_and_other_head_refused(tmp_path: Path) -> None:
    repo, a, _b = agents(tmp_path)
    assert commit_file(a, "src/auth/x.py", "x = 1\n").returncode == 0
    main_before = head(repo, "refs/heads/release/1")
    proc = git("push", ".", "HEAD:release/1", cwd=a, check=False)
    assert proc.returncode != 0
    assert "error[refstore-ref-protected]" in proc.stderr
    assert "release/1 is protected by the policy (main@" in proc.stderr
    assert head(repo, "refs/heads/release/1") == main_before
    proc = git("update-ref", "--no-deref", "worktrees/b/HEAD", "HEAD", cwd=a, check=False)
    assert proc.returncode != 0
    assert "error[refstore-ref-foreign]" in proc.stderr
    assert "HEAD of another worktree (b)" in proc.stderr
    # per-worktree refs and plain tags stay allowed
    git("update-ref", "refs/worktree/checkpoint", "HEAD", cwd=a)
    git("tag", "mine", cwd=a)


def test_human_outside_session_not_bothered(tmp_path: Path) -> None:
    repo, a, _b = agents(tmp_path)
    end_session(a)
    git("update-ref", "refs/heads/release/1", "HEAD", cwd=a)
    # moving a session's branch from outside any session is journaled, not refused
    git("update-ref", "refs/heads/agent/docs", "HEAD~0", cwd=repo)
    assert any(e["ref"] == "refs/heads/agent/docs" and e["kind"] == "update"
               for e in journal(repo))


def test_maintenance_in_session_worktree_not_refused(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path)
    assert commit_file(a, "src/auth/x.py", "x = 1\n").returncode == 0
    tips = {r: head(repo, r) for r in ("refs/heads/agent/auth", "refs/heads/agent/docs")}
    git("pack-refs", "--all", cwd=a)
    git("gc", "-q", cwd=a)
    assert {r: head(repo, r) for r in tips} == tips
    assert not [e for e in journal(repo) if e["kind"] in ("refused", "rollback")]


def test_no_python_without_sessions(tmp_path: Path) -> None:
    repo, a, b = agents(tmp_path)
    end_session(a)
    end_session(b)
    # with no session anywhere the shim must not start Python: make Python unusable and
    # check a protected update still goes through silently
    shim = repo / ".git" / "hooks" / "reference-transaction"
    text = shim.read_text()
    broken = text.replace("GUARDRAILS_PYTHON='", "GUARDRAILS_PYTHON='/nonexistent")
    shim.write_text(broken.replace("command -v python3", "command -v no-such-python"))
    proc = git("update-ref", "refs/heads/release/1", "HEAD", cwd=a, check=False)
    assert proc.returncode == 0 and proc.stderr == ""


def test_a_humans_own_refs_start_no_python_beside_sessions(tmp_path: Path) -> None:
    """Sessions are active in other worktrees: a human's commit, branch and reset outside any
    session touch no session's branch, so the shim starts no Python for them; moving a
    session's branch from there still reaches Python, which journals it."""
    import sys

    repo, _a, _b = agents(tmp_path)
    human = add_worktree(repo, tmp_path / "human", "human/topic")
    log = tmp_path / "python-starts.log"
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho "$PWD $4" >> "{log}"\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    shim = repo / ".git" / "hooks" / "reference-transaction"
    shim.write_text(re.sub(r"GUARDRAILS_PYTHON='[^']*'", f"GUARDRAILS_PYTHON='{wrapper}'",
                           shim.read_text()))
    write(human, "notes.txt", "human work\n")
    git("add", "notes.txt", cwd=human)
    git("commit", "-q", "--no-verify", "-m", "human work", cwd=human)
    git("branch", "human/other", cwd=human)
    git("reset", "-q", "--hard", "HEAD~1", cwd=human)
    git("update-ref", "refs/heads/release/1", "HEAD", cwd=repo)
    assert not log.exists(), log.read_text()
    git("update-ref", "refs/heads/agent/docs", "HEAD", cwd=human)
    assert log.exists()
    assert any(e["ref"] == "refs/heads/agent/docs" and e["kind"] == "update"
               for e in journal(repo))


def test_unchecked_commit_refused_when_checks_record_exists(tmp_path: Path) -> None:
    _repo, a, _ = agents(tmp_path)
    gd = Path(git("rev-parse", "--absolute-git-dir", cwd=a).stdout.strip())
    # the record names the git process whose pre-commit stage ran: here an earlier one
    (gd / "guardrails" / "checked.json").write_text('{"git": "1:0", "diff": "x", "time": 0}')
    before = head(a)
    write(a, "src/auth/x.py", "never checked = 2\n")
    git("add", "-A", cwd=a)
    proc = git("commit", "-q", "--no-verify", "-m", "sneaky", cwd=a, check=False)
    assert proc.returncode != 0
    assert "the pre-commit checks never saw" in proc.stderr
    assert head(a) == before
    # plumbing is caught the same way
    t2 = git("write-tree", cwd=a).stdout.strip()
    c2 = git("commit-tree", t2, "-p", "HEAD", "-m", "plumbing", cwd=a).stdout.strip()
    proc = git("update-ref", "refs/heads/agent/auth", c2, cwd=a, check=False)
    assert proc.returncode != 0 and head(a) == before


@requires_ref_format("files")  # the race writes the loose ref; reftable has no such race
def test_rollback_noticed_journaled_and_exposed(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path)
    x = head(a)
    assert commit_file(a, "src/auth/x.py", "1\n").returncode == 0
    y = head(a)
    # what a concurrent pack-refs race leaves: the branch reads as an older commit, with no
    # ref update (and so no hook call and no reflog entry) in between
    (repo / ".git" / "refs" / "heads" / "agent" / "auth").write_text(x + "\n")
    r = ggit.discover(str(a))
    # doctor sees it at once, before any commit notices
    live = [f for f in refstore.diagnose(r) if f.rule == "refstore-rollback"]
    assert len(live) == 1 and live[0].commit == y and f"merge --no-edit {y[:12]}" in live[0].hint
    proc = commit_file(a, "src/auth/y.py", "2\n")
    assert proc.returncode == 0
    assert "rolled back" in proc.stderr and y[:12] in proc.stderr
    rb = [e for e in journal(repo) if e["kind"] == "rollback"]
    assert len(rb) == 1 and rb[0]["lost"] == y and rb[0]["ref"] == "refs/heads/agent/auth"
    assert [e["lost"] for e in gjournal.rollbacks(r)] == [y]
    found = [f for f in refstore.diagnose(r) if f.rule == "refstore-rollback"]
    assert len(found) == 1 and f"merge --no-edit {y[:12]}" in found[0].hint
    # following the hint puts the lost commit back on the branch; then nothing is reported
    git("merge", "--no-edit", y, cwd=a)
    assert git("merge-base", "--is-ancestor", y, "HEAD", cwd=a, check=False).returncode == 0
    assert gjournal.rollbacks(r) == []
    assert [f for f in refstore.diagnose(r) if f.rule == "refstore-rollback"] == []


def test_amend_and_reset_are_not_rollbacks(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path)
    assert commit_file(a, "src/auth/x.py", "1\n").returncode == 0
    git("commit", "-q", "--amend", "-m", "reworded", cwd=a)
    git("reset", "-q", "--hard", "HEAD~1", cwd=a)
    assert commit_file(a, "src/auth/z.py", "3\n").returncode == 0
    assert not [e for e in journal(repo) if e["kind"] == "rollback"]


def _many_loose_objects(repo: Path) -> None:
    data = b"".join(f"blob {i}\n".encode() for i in range(300))
    paths = []
    for i in range(300):
        paths.append(str(write(repo, f"tmp/o{i}", f"blob {i} {data[:10]!r}\n")))
    git("hash-object", "-w", "--stdin-paths", cwd=repo, input="\n".join(paths).encode())


def test_auto_gc_deferred_while_sessions_active(tmp_path: Path) -> None:
    repo, a, b = agents(tmp_path)
    _many_loose_objects(repo)
    proc = git("-c", "gc.auto=1", "-c", "gc.autoDetach=false", "gc", "--auto", cwd=a, check=False)
    assert proc.returncode == 0
    assert "error[refstore-auto-gc-deferred] automatic gc deferred" in proc.stderr
    assert " a" in proc.stderr
    assert not list((repo / ".git" / "objects" / "pack").glob("*.pack"))
    end_session(a)
    end_session(b)
    proc = git("-c", "gc.auto=1", "-c", "gc.autoDetach=false", "gc", "--auto", cwd=a, check=False)
    assert "deferred" not in proc.stderr
    assert list((repo / ".git" / "objects" / "pack").glob("*.pack"))


def _hook(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_install_chains_existing_hooks_and_uninstall_restores(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path, install=False)
    hooks = repo / ".git" / "hooks"
    mark = tmp_path / "legacy.log"
    original = f'while read o n r; do echo "$1 $r" >> {mark}; done\n'
    _hook(hooks / "reference-transaction", original)
    _hook(hooks / "pre-auto-gc", f'echo pre-auto-gc >> {mark}\nexit 0\n')
    out1 = cli("install", cwd=a, check=True).stdout
    assert "kept the existing hook" in out1
    snapshot = {p.name: p.read_text() for p in hooks.iterdir()}
    out2 = cli("install", cwd=a, check=True).stdout
    assert "already installed" in out2 and "kept" not in out2
    assert {p.name: p.read_text() for p in hooks.iterdir()} == snapshot
    assert (hooks / "reference-transaction.legacy").read_text() == "#!/bin/sh\n" + original
    # both the chained hook and ours run
    assert commit_file(a, "src/auth/x.py", "1\n").returncode == 0
    assert "committed refs/heads/agent/auth" in mark.read_text()
    assert journal(repo)
    proc = git("update-ref", "refs/heads/release/1", "HEAD", cwd=a, check=False)
    assert proc.returncode != 0 and "protected" in proc.stderr
    # a chained hook that refuses still refuses
    _hook(hooks / "reference-transaction.legacy", 'cat >/dev/null\n[ "$1" = prepared ] && '
                                                  'echo legacy-says-no >&2 && exit 1\nexit 0\n')
    proc = commit_file(a, "src/auth/y.py", "2\n")
    assert proc.returncode != 0 and "legacy-says-no" in proc.stderr
    out3 = cli("uninstall", cwd=a, check=True).stdout
    assert "restored the previous hook" in out3
    assert "legacy-says-no" in (hooks / "reference-transaction").read_text()
    assert (hooks / "pre-auto-gc").read_text() == "#!/bin/sh\n" + \
        f'echo pre-auto-gc >> {mark}\nexit 0\n'
    assert not (hooks / "reference-transaction.legacy").exists()


def test_install_honours_core_hooks_path(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path, install=False)
    custom = tmp_path / "shared-hooks"
    git("config", "core.hooksPath", str(custom), cwd=repo)
    out = cli("install", cwd=a, check=True).stdout
    assert str(custom / "reference-transaction") in out
    assert not (repo / ".git" / "hooks" / "reference-transaction").exists()
    proc = git("update-ref", "refs/heads/release/1", "HEAD", cwd=a, check=False)
    assert proc.returncode != 0 and "protected" in proc.stderr
    cli("uninstall", cwd=a, check=True)
    assert not (custom / "reference-transaction").exists()
    assert git("update-ref", "refs/heads/release/1", "HEAD", cwd=a, check=False).returncode == 0


def test_install_refuses_when_legacy_slot_taken(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path, install=False)
    hooks = repo / ".git" / "hooks"
    _hook(hooks / "pre-auto-gc", "exit 0\n")
    _hook(hooks / "pre-auto-gc.legacy", "exit 0\n")
    proc = cli("install", cwd=a)
    assert proc.returncode == 2
    assert "no place to keep the existing hook" in proc.stderr and "fix:" in proc.stderr


def test_shim_is_cheap_text(tmp_path: Path) -> None:
    repo, _a, _ = agents(tmp_path)
    text = (repo / ".git" / "hooks" / "reference-transaction").read_text()
    assert os.access(repo / ".git" / "hooks" / "reference-transaction", os.X_OK)
    assert "/worktrees/*/guardrails/session.json" in text
    assert text.index("[ -n \"$active\" ] || exit 0") < text.index("-I -c")


def test_session_commit_on_own_branch_needs_no_python(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path)
    shim = repo / ".git" / "hooks" / "reference-transaction"
    text = shim.read_text().replace("GUARDRAILS_PYTHON='", "GUARDRAILS_PYTHON='/nonexistent")
    shim.write_text(text.replace("command -v python3", "command -v no-such-python"))
    before = head(a)
    proc = commit_file(a, "src/auth/x.py", "1\n")
    assert proc.returncode == 0 and "no Python found" not in proc.stderr, proc.stderr
    after = head(a)
    assert [(e["ref"], e["old"], e["new"], e["task"]) for e in journal(repo)] == [
        ("refs/heads/agent/auth", before, after, "auth")]
    # anything else needs Python: without it the shim says so loudly and lets git go on
    proc = git("update-ref", "refs/heads/release/1", "HEAD", cwd=a, check=False)
    assert "warning[refstore-native-hooks] reference-transaction: no Python found" in proc.stderr
    assert "NOT checked" in proc.stderr


RECORDING_PRE_COMMIT = r"""#!/bin/sh
# what the skipped-hooks check records when the pre-commit stage runs: the git process
pstat=$(cat /proc/$PPID/stat); pstat=${pstat##*) }
start=$(printf '%s\n' "$pstat" | cut -d' ' -f20)
mkdir -p "$GIT_DIR/guardrails"
printf '{"diff": "d", "git": "%s:%s", "time": 1}' "$PPID" "$start" \
    > "$GIT_DIR/guardrails/checked.json"
"""


def test_skipped_hooks_record_by_git_process(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path)
    _hook(repo / ".git" / "hooks" / "pre-commit", RECORDING_PRE_COMMIT.split("\n", 1)[1])
    assert commit_file(a, "src/auth/x.py", "checked\n").returncode == 0
    before = head(a)
    proc = commit_file(a, "src/auth/x.py", "not checked\n", "--no-verify")
    assert proc.returncode != 0 and "the pre-commit checks never saw" in proc.stderr
    assert head(a) == before
    assert commit_file(a, "src/auth/x.py", "checked again\n").returncode == 0
    tree = git("write-tree", cwd=a).stdout.strip()
    write(a, "src/auth/y.py", "plumbing\n")
    git("add", "-A", cwd=a)
    t2 = git("write-tree", cwd=a).stdout.strip()
    assert t2 != tree
    c2 = git("commit-tree", t2, "-p", "HEAD", "-m", "plumbing", cwd=a).stdout.strip()
    proc = git("update-ref", "refs/heads/agent/auth", c2, cwd=a, check=False)
    assert proc.returncode != 0 and "never saw" in proc.stderr


def _rollback_findings(repo: Path) -> list[Finding]:
    return [f for f in refstore.diagnose(ggit.discover(str(repo))) if f.rule == "refstore-rollback"]


@pytest.mark.parametrize("where", ["main checkout", "plain worktree", "receive-pack"])
def test_human_moving_a_session_branch_back_is_a_rollback(tmp_path: Path, where: str) -> None:
    """Issue 14: `git update-ref refs/heads/agent/auth agent/auth~1` from the main checkout (or
    any worktree without a session, or a push) rolls the session's branch back through a
    normal ref update: journaled with old and new ids, loud, and doctor names branch, lost
    commit and the exact command that restores it, until it is restored."""
    repo, a, _ = agents(tmp_path)
    assert commit_file(a, "src/auth/x.py", "1\n").returncode == 0
    x = head(a)
    assert commit_file(a, "src/auth/x.py", "2\n").returncode == 0
    y = head(a)
    if where == "main checkout":
        proc = git("update-ref", "refs/heads/agent/auth", "refs/heads/agent/auth~1", cwd=repo)
    elif where == "plain worktree":
        c = add_worktree(repo, tmp_path / "c", "human/c")
        proc = git("update-ref", "refs/heads/agent/auth", "agent/auth~1", cwd=c)
    else:
        git("config", "receive.denyCurrentBranch", "ignore", cwd=repo)
        proc = git("push", "-q", "--force", ".", f"{x}:refs/heads/agent/auth", cwd=repo)
    assert head(repo, "refs/heads/agent/auth") == x
    assert "warning[refstore-rollback]" in proc.stderr and y[:12] in proc.stderr, proc.stderr
    rb = [e for e in journal(repo) if e["kind"] == "rollback"]
    assert len(rb) == 1, rb
    assert (rb[0]["ref"], rb[0]["old"], rb[0]["new"], rb[0]["lost"], rb[0]["task"]) == (
        "refs/heads/agent/auth", y, x, y, "auth")
    assert rb[0]["worktree"] == str(a)
    found = _rollback_findings(repo)
    assert len(found) == 1 and found[0].commit == y
    assert "agent/auth was rolled back" in found[0].message and y[:12] in found[0].message
    hint = found[0].hint
    assert hint == f"git -C {a} update-ref refs/heads/agent/auth {y} {x}", hint
    subprocess.run(hint, shell=True, check=True, cwd=tmp_path)
    assert head(repo, "refs/heads/agent/auth") == y
    assert _rollback_findings(repo) == []
    # the restore is a move forward: journaled as an update, no new rollback
    assert len([e for e in journal(repo) if e["kind"] == "rollback"]) == 1


def test_rollback_hint_after_the_branch_moved_on_is_a_merge(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path)
    assert commit_file(a, "src/auth/x.py", "1\n").returncode == 0
    y = head(a)
    git("update-ref", "refs/heads/agent/auth", "refs/heads/agent/auth~1", cwd=repo)
    git("reset", "-q", "--hard", cwd=a)  # the agent picks up where the branch is now
    assert commit_file(a, "src/auth/z.py", "3\n").returncode == 0
    found = _rollback_findings(repo)
    assert len(found) == 1 and found[0].hint == f"git -C {a} merge --no-edit {y[:12]}"
    subprocess.run(found[0].hint, shell=True, check=True, capture_output=True)
    assert _rollback_findings(repo) == []


def test_deleting_a_session_branch_is_a_rollback(tmp_path: Path) -> None:
    repo, a, _ = agents(tmp_path)
    assert commit_file(a, "src/auth/x.py", "1\n").returncode == 0
    y = head(a)
    git("update-ref", "-d", "refs/heads/agent/auth", cwd=repo)
    found = _rollback_findings(repo)
    assert len(found) == 1 and found[0].commit == y
    subprocess.run(found[0].hint, shell=True, check=True, cwd=repo)
    assert head(repo, "refs/heads/agent/auth") == y


def test_session_rewrites_are_journaled_as_rewrites(tmp_path: Path) -> None:
    """reset, amend, rebase and update-ref by the session itself on its own branch: journaled
    as "rewrite" with old and new ids, never a rollback, nothing for doctor."""
    repo, a, _ = agents(tmp_path)
    for i in range(3):
        assert commit_file(a, "src/auth/x.py", f"{i}\n").returncode == 0
    c1, c3 = head(a, "HEAD~2"), head(a)
    git("commit", "-q", "--amend", "-m", "reworded", cwd=a)
    amended = head(a)
    git("reset", "-q", "--hard", "HEAD~1", cwd=a)
    c2 = head(a)
    git("update-ref", "refs/heads/agent/auth", "HEAD~1", cwd=a)
    git("reset", "-q", "--hard", cwd=a)
    # another committer date: in the same second the rebased commit would be the same commit
    git("rebase", "-q", "--force-rebase", "HEAD~1", cwd=a,
        env={"GIT_COMMITTER_DATE": "@1900000000 +0000"})
    assert head(a) != c1
    rewrites = [(e["old"], e["new"], e["cmd"]) for e in journal(repo) if e["kind"] == "rewrite"]
    assert rewrites == [(c3, amended, "commit"), (amended, c2, "reset"),
                        (c2, c1, "update-ref"), (c1, head(a), "rebase")], rewrites
    assert not [e for e in journal(repo) if e["kind"] == "rollback"]
    assert _rollback_findings(repo) == []


def test_moving_back_to_an_earlier_checked_commit_is_not_refused(tmp_path: Path) -> None:
    """Issue 14: the checked-tree record keeps every tree the checks saw in the session, so
    `git update-ref refs/heads/agent/auth agent/auth~1` to a checked commit goes through; a
    tree they never saw is still refused, with an exact message."""
    repo, a, _ = agents(tmp_path)
    _hook(repo / ".git" / "hooks" / "pre-commit", RECORDING_PRE_COMMIT.split("\n", 1)[1])
    assert commit_file(a, "src/auth/x.py", "one\n").returncode == 0
    one = head(a)
    assert commit_file(a, "src/auth/x.py", "two\n").returncode == 0
    assert commit_file(a, "src/auth/x.py", "three\n").returncode == 0
    proc = git("update-ref", "refs/heads/agent/auth", "agent/auth~1", cwd=a, check=False)
    assert proc.returncode == 0, proc.stderr
    proc = git("update-ref", "refs/heads/agent/auth", one, cwd=a, check=False)
    assert proc.returncode == 0, proc.stderr
    # the same checked tree under a new commit (commit-tree of a checked tree) is fine too
    tree = git("rev-parse", f"{one}^{{tree}}", cwd=a).stdout.strip()
    again = git("commit-tree", tree, "-p", one, "-m", "same tree", cwd=a).stdout.strip()
    assert git("update-ref", "refs/heads/agent/auth", again, cwd=a, check=False).returncode == 0
    # back to the baseline: where the session started
    assert git("update-ref", "refs/heads/agent/auth", "main", cwd=a,
               check=False).returncode == 0
    git("reset", "-q", "--hard", cwd=a)
    write(a, "src/auth/y.py", "never checked\n")
    git("add", "-A", cwd=a)
    t2 = git("write-tree", cwd=a).stdout.strip()
    c2 = git("commit-tree", t2, "-p", "HEAD", "-m", "plumbing", cwd=a).stdout.strip()
    proc = git("update-ref", "refs/heads/agent/auth", c2, cwd=a, check=False)
    assert proc.returncode != 0
    assert (f"commit {c2[:12]} on your branch has a tree ({t2[:12]}) the pre-commit checks "
            "never saw in this session (not one of the 3 checked commits' trees, nor the "
            "baseline's)") in proc.stderr
    assert not [e for e in journal(repo) if e["kind"] == "rollback"]


def test_checked_commits_record_is_bounded(tmp_path: Path) -> None:
    from guardrails.refstore.native import reftx

    gd = tmp_path / "gd"
    for i in range(2 * reftx.KEEP_CHECKED + 1):
        reftx.add_checked(str(gd), f"{i:040x}", None)
    kept = reftx.read_checked(str(gd), 0)
    assert len(kept) == reftx.KEEP_CHECKED
    assert kept[-1][0] == f"{2 * reftx.KEEP_CHECKED:040x}"


@requires_git(2, 45, why="reftable refs")
def test_reftable_branch_checked_out_elsewhere_is_refused(tmp_path: Path) -> None:
    """In a reftable repository every HEAD file says `ref: refs/heads/.invalid`: the hook must
    ask git which branch each worktree has, or a session could move a branch checked out in a
    plain worktree."""
    from tests.refstore_helpers import start_session

    repo = tmp_path / "rt"
    git("init", "-q", "-b", "main", "--ref-format=reftable", str(repo), cwd=tmp_path)
    git("commit", "-q", "--allow-empty", "-m", "one", cwd=repo)
    a = add_worktree(repo, tmp_path / "a", "agent/auth")
    c = add_worktree(repo, tmp_path / "c", "human/c")
    cli("install", cwd=repo, check=True)
    start_session(a, "agent/auth", "auth")
    before = head(c)
    git("commit", "-q", "--allow-empty", "-m", "two", cwd=a)
    proc = git("update-ref", "refs/heads/human/c", "HEAD", cwd=a, check=False)
    assert proc.returncode != 0
    assert f"human/c is checked out in another worktree ({c})" in proc.stderr, proc.stderr
    assert head(c) == before


@requires_ref_format("files")  # the pack-refs race writes the loose ref; reftable has none
def test_prune_after_a_rollback_is_never_silent(tmp_path: Path) -> None:
    """Issue 14 (2.55, files): a commit reported as made, rolled back by a pack-refs race and
    then pruned by a human's `gc --prune=now`: doctor names the branch and the commit, and
    says where its changes still are (not a merge of a commit that no longer exists)."""
    repo, a, _ = agents(tmp_path)
    x = head(a)
    assert commit_file(a, "src/auth/x.py", "lost work\n").returncode == 0
    y = head(a)
    (repo / ".git" / "refs" / "heads" / "agent" / "auth").write_text(x + "\n")
    git("reflog", "expire", "--expire=now", "--all", cwd=repo)
    git("gc", "-q", "--prune=now", cwd=repo)
    assert git("cat-file", "-e", y, cwd=repo, check=False).returncode != 0
    proc = cli("doctor", cwd=repo)
    assert proc.returncode == 1, proc.stdout
    assert "agent/auth was rolled back" in proc.stdout and y[:12] in proc.stdout
    assert "pruned" in proc.stdout and f"git -C {a} status" in proc.stdout
    assert "lost work" in git("diff", "--cached", cwd=a).stdout  # where the hint points


def test_doctor_names_a_session_branch_a_prune_broke(tmp_path: Path) -> None:
    """After any prune: a session branch whose commits miss objects, or whose journaled commit
    is gone, is named by doctor (exit 1), with the branch, session and commit."""
    repo, a, _ = agents(tmp_path)
    assert commit_file(a, "src/auth/x.py", "1\n").returncode == 0
    assert commit_file(a, "src/auth/y.py", "2\n").returncode == 0
    tip = head(a)
    blob = git("rev-parse", f"{tip}:src/auth/y.py", cwd=a).stdout.strip()
    loose = repo / ".git" / "objects" / blob[:2] / blob[2:]
    assert loose.exists()
    loose.unlink()  # what a prune racing `git add` leaves: a commit whose blob is gone
    proc = cli("doctor", "--format", "json", cwd=repo)
    assert proc.returncode == 1
    import json

    found = [f for f in json.loads(proc.stdout)["findings"]
             if f["rule"] == "refstore-commit-broken"]
    assert len(found) == 1 and "agent/auth (session auth" in found[0]["message"]
    assert blob[:12] in found[0]["message"] and found[0]["commit"] == tip


def test_doctor_says_when_the_shims_are_outdated(tmp_path: Path) -> None:
    repo, _a, _b = agents(tmp_path)
    shim = repo / ".git" / "hooks" / "reference-transaction"
    shim.write_text(re.sub(r"guardrails-shim-version: \d+", "guardrails-shim-version: 0",
                           shim.read_text()))
    found = [f for f in refstore.diagnose(ggit.discover(str(repo)))
             if f.rule == "refstore-native-hooks"]
    assert len(found) == 1 and "older git-guardrails" in found[0].message
    assert found[0].hint.startswith("git guardrails install")
    cli("install", cwd=repo, check=True)
    assert [f for f in refstore.diagnose(ggit.discover(str(repo)))
            if f.rule == "refstore-native-hooks"] == []
