"""Fault injection on real repositories and real processes (issue 15).

Every state file guardrails keeps (session, last finding, checked record, tip, journal,
maintenance, lock) is truncated, filled with garbage, nested 100,000 deep, given wrong types,
replaced by a directory; git-guardrails and the hooks are killed with SIGKILL before each git
command of ``start``, ``worktree add``, ``finish`` and ``gc``; a git dir is made unwritable for
a non-root user; output goes to ``/dev/full``. Each case asserts the documented exit code, a
message whose ``fix:`` works (the test runs it), no traceback, and nothing lost: commits, the
index, the work tree, stashes and config are what they were.

Everything runs through the installed commands (``git-guardrails``, ``guardrails-run`` …) as
subprocesses (the package is imported only to decode what a report says).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Optional

import pytest

from tests.helpers import commit_all, gg, git, make_repo, write

# --- what every case asserts ------------------------------------------------------------------


def sane(proc: subprocess.CompletedProcess[str], codes: tuple[int, ...] = (0, 1, 2)) -> None:
    """A documented exit code, no traceback, no internal error, no raw control characters."""
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, both
    assert "internal error" not in both, both
    assert proc.returncode in codes, (proc.returncode, both)
    assert "\x1b" not in both, both  # nothing an agent wrote drives the terminal


def fixes(text: str) -> list[str]:
    """Every ``fix:``/``hint:`` command of a message (the text after it, up to two spaces)."""
    out = []
    for m in re.finditer(r"(?:fix|hint): (.*)", text):
        out.append(m.group(1).split("   ")[0].split("  #")[0].strip())
    return out


def run_fix(cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a fix as a user would paste it into bash (``git guardrails`` resolves through PATH)."""
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, capture_output=True, text=True,
                          check=False)


class Snapshot:
    """What must never be lost: refs (branches, tags, the stash), the stash list, the index, the
    work tree's content (tracked and untracked files) and the config file."""

    def __init__(self, top: Path, common: Path) -> None:
        self.refs = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=top).stdout
        self.stash = git("stash", "list", "--format=%H", cwd=top).stdout
        self.index = git("ls-files", "-s", cwd=top).stdout
        self.tree = _tree(top)
        self.config = (common / "config").read_text()

    def lost(self, other: Snapshot, allow_new_refs: bool = False) -> list[str]:
        """What ``other`` (taken later) no longer has."""
        out = []
        before = set(self.refs.splitlines())
        after = set(other.refs.splitlines())
        if not before <= after:
            out.append(f"refs: {sorted(before - after)}")
        if not allow_new_refs and after - before:
            out.append(f"new refs: {sorted(after - before)}")
        if not set(self.stash.split()) <= set(other.stash.split()):
            out.append("stash entries")
        if self.index != other.index:
            out.append("index")
        if self.tree != other.tree:
            out.append("work tree")
        if self.config != other.config:
            out.append(f"config:\n{self.config}\n---\n{other.config}")
        return out


def _tree(top: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for root, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d != ".git"]
        for n in names:
            p = os.path.join(root, n)
            if n == ".git":
                continue
            files[os.path.relpath(p, top)] = Path(p).read_bytes()
    return files


def git_dir(wt: Path) -> Path:
    return Path(git("rev-parse", "--path-format=absolute", "--git-dir", cwd=wt).stdout.strip())


def common_dir(wt: Path) -> Path:
    return Path(git("rev-parse", "--path-format=absolute", "--git-common-dir",
                    cwd=wt).stdout.strip())


def install_plain_hooks(common: Path) -> None:
    """The guardrails hooks as plain git hooks (no runner): real commits run the real entry
    points installed in the venv."""
    hooks = common / "hooks"
    hooks.mkdir(exist_ok=True)
    for name, entry in (("pre-commit", "guardrails-run"),
                        ("prepare-commit-msg", "guardrails-require-checks \"$@\""),
                        ("post-commit", "guardrails-verify-commit")):
        p = hooks / name
        p.write_text(f"#!/bin/sh\nexec {entry}\n")
        p.chmod(0o755)


@pytest.fixture
def sess(tmp_path: Path) -> tuple[Path, Path]:
    """A repository on main and a linked worktree with an active session (task auth)."""
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    proc = gg("worktree", "add", str(wt), "agent/auth", "--task", "auth", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return repo, wt


# --- the state files and how to break them ----------------------------------------------------

def _session_path(repo: Path, wt: Path) -> Path:
    return git_dir(wt) / "guardrails" / "session.json"


STATE_FILES: dict[str, Callable[[Path, Path], Path]] = {
    "session": _session_path,
    "last-finding": lambda repo, wt: git_dir(wt) / "guardrails" / "last-finding.json",
    "checked": lambda repo, wt: git_dir(wt) / "guardrails" / "checked.json",
    "tip": lambda repo, wt: git_dir(wt) / "guardrails" / "tip",
    "journal": lambda repo, wt: common_dir(repo) / "guardrails" / "journal.jsonl",
    "maintenance": lambda repo, wt: common_dir(repo) / "guardrails" / "maintenance.json",
    "lock": lambda repo, wt: common_dir(repo) / "guardrails" / "guardrails.lock",
}


def _valid(name: str, repo: Path, wt: Path, p: Path) -> bytes:
    """A valid content of each file (the one there, or a plausible one)."""
    if p.is_file() and p.stat().st_size:
        return p.read_bytes()
    head = git("rev-parse", "HEAD", cwd=wt).stdout.strip()
    if name == "tip":
        return f"{head} refs/heads/agent/auth\n".encode()
    if name == "journal":
        return (json.dumps({"time": 1.0, "kind": "update", "ref": "refs/heads/agent/auth",
                            "old": "0" * 40, "new": head}) + "\n").encode()
    if name == "last-finding":
        return json.dumps({"time": 1.0, "count": 1, "rule": "scope-outside-allow",
                           "message": "m", "hint": "h", "severity": "error", "path": "x",
                           "commit": None, "line": None, "policy": None}).encode()
    if name == "checked":
        return json.dumps({"diff": "0" * 40, "git": [1, 2], "time": 1.0}).encode()
    if name == "lock":
        return json.dumps({"pid": 1, "what": "x", "since": 1.0}).encode()
    return b"{}"


CORRUPTIONS: dict[str, Callable[[bytes], Optional[bytes]]] = {
    "truncated": lambda valid: valid[: max(1, len(valid) // 2)],
    "garbage": lambda valid: b"\xff\xfe\x00\x1b[31mgarbage\x1b[0m\n\x00",
    "deep": lambda valid: b"[" * 100_000 + b"]" * 100_000,
    "deep-object": lambda valid: b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "wrong-types": lambda valid: json.dumps({
        "version": 1, "branch": ["agent/auth"], "baseline": {"x": 1}, "started": "yesterday",
        "task": 7, "allow": "src/**", "clean": "yes", "dirty": [1], "kind": ["rollback"],
        "ref": 5, "lost": None, "gc.auto": ["a"], "maintenance.auto": {"b": 1},
        "time": "now", "rule": ["x"], "pid": "me", "since": 1e400, "diff": 3,
    }).encode() + b"\n",
    "nan": lambda valid: b'{"version": 1, "started": NaN, "time": Infinity, "since": -Infinity,'
                         b' "gc.auto": NaN}\n',
    "directory": lambda valid: None,
}


def corrupt(p: Path, how: str, valid: bytes) -> None:
    if p.is_dir():
        shutil.rmtree(p)
    elif p.exists():
        p.unlink()
    p.parent.mkdir(parents=True, exist_ok=True)
    data = CORRUPTIONS[how](valid)
    if data is None:
        p.mkdir()
        (p / "inside").write_text("x\n")
    else:
        p.write_bytes(data)


def _commands(repo: Path, wt: Path) -> list[tuple[Path, tuple[str, ...]]]:
    return [(repo, ("status",)), (repo, ("status", "--format", "json")), (wt, ("status",)),
            (repo, ("doctor",)), (wt, ("check", "--staged")), (wt, ("finish",))]


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
@pytest.mark.parametrize("name", sorted(STATE_FILES))
def test_broken_state_file(sess: tuple[Path, Path], name: str, how: str) -> None:
    """No command crashes over a broken state file; each says what is wrong and how to repair
    it; the repair works; nothing is lost; no wrong value reaches the config."""
    repo, wt = sess
    p = STATE_FILES[name](repo, wt)
    valid = _valid(name, repo, wt, p)
    corrupt(p, how, valid)
    common = common_dir(repo)
    said = ""
    for cwd, args in _commands(repo, wt):
        proc = gg(*args, cwd=cwd)
        sane(proc)
        said += proc.stdout + proc.stderr
        if proc.returncode == 2:
            assert "fix:" in proc.stderr, proc.stderr
        if args[0] == "status" and "--format" in args:
            json.loads(proc.stdout)  # still one JSON document
    # a commit in the session's worktree: through the real hooks
    install_plain_hooks(common)
    write(wt, "src/auth/new.py", "y = 1\n")
    git("add", "src/auth/new.py", cwd=wt)
    before_commit = Snapshot(wt, common)
    proc = subprocess.run(["git", "commit", "-q", "-m", "agent work"], cwd=wt,
                          capture_output=True, text=True, env={**os.environ, "CLAUDECODE": "1"})
    sane(proc, codes=(0, 1))
    if proc.returncode != 0:
        assert before_commit.lost(Snapshot(wt, common)) == []
    before = Snapshot(wt, common)
    # whatever was said about the file names a fix that repairs it
    repaired = False
    if name == "session":
        fix = "git guardrails finish --force"
        assert fix in said, said
        proc = run_fix(fix, wt)
        sane(proc, codes=(0,))
        repaired = True
    else:
        for fix in fixes(said):
            if str(p) in fix or shlex.quote(str(p)) in fix:
                proc = run_fix(fix, wt)
                assert proc.returncode == 0, (fix, proc.stderr)
                repaired = True
    after = Snapshot(wt, common)
    # the config never gets a value that git cannot read
    for key in ("gc.auto", "maintenance.auto"):
        v = git("config", "--get", key, cwd=repo, check=False).stdout.strip()
        assert re.fullmatch(r"|-?[0-9]+|true|false", v), (key, v)
    assert git("commit", "-q", "--allow-empty", "--no-verify", "-m", "still works",
               cwd=repo).returncode == 0
    # the fixes touch nothing but state (the maintenance fix: the two config keys)
    lost = [x for x in before.lost(after) if not (name in ("maintenance", "session") and
                                                  x.startswith("config"))]
    assert lost == [], lost
    if how in ("directory", "deep", "garbage") and name in ("session", "maintenance"):
        assert repaired, said
    # once repaired (or when the file is one guardrails may rewrite), status is clean of it
    if repaired:
        proc = gg("status", "--format", "json", cwd=repo)
        sane(proc, codes=(0,))
        rules = [f["rule"] for f in json.loads(proc.stdout)["findings"]]
        assert "state-invalid" not in rules and "session-unreadable" not in rules, rules


def test_broken_session_start_and_finish_name_the_repair(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    p = _session_path(repo, wt)
    p.write_bytes(b"[" * 100_000)
    for args in (("start", "--task", "auth"), ("finish",)):
        proc = gg(*args, cwd=wt)
        sane(proc, codes=(2,))
        assert "git guardrails finish --force" in proc.stderr, proc.stderr
    proc = gg("finish", "--force", cwd=wt)
    sane(proc, codes=(0,))
    assert not p.exists()
    proc = gg("start", "--task", "auth", cwd=wt)
    sane(proc, codes=(0,))


def test_session_directory_in_place_of_record(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    p = _session_path(repo, wt)
    p.unlink()
    p.mkdir()
    (p / "x").write_text("x")
    proc = gg("finish", cwd=wt)
    sane(proc, codes=(2,))
    assert "finish --force" in proc.stderr
    sane(gg("finish", "--force", cwd=wt), codes=(0,))
    assert not p.exists()
    sane(gg("start", "--task", "auth", cwd=wt), codes=(0,))


# --- values from state never reach git as options, nor the terminal raw --------------------------

INJECT = "--output=PWNED"


def _inject_session(wt: Path, **fields: object) -> None:
    p = _session_path(wt, wt)
    data = json.loads(p.read_text())
    data.update(fields)
    p.write_text(json.dumps(data))


@pytest.mark.parametrize("field", ["baseline", "base", "branch", "stash", "worktree"])
def test_session_values_are_not_options(sess: tuple[Path, Path], field: str) -> None:
    repo, wt = sess
    _inject_session(wt, **{field: INJECT})
    for cwd, args in (*_commands(repo, wt), (repo, ("review", "agent/auth")),
                      (repo, ("worktree", "remove", str(wt)))):
        proc = gg(*args, cwd=cwd)
        sane(proc)
        assert not (cwd / "PWNED").exists() and not (repo / "PWNED").exists(), args
    proc = gg("status", cwd=repo)
    assert "finish --force" in proc.stdout + proc.stderr


def test_base_from_env_and_config_is_not_an_option(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    for env in ({"GUARDRAILS_BASE": INJECT}, {"GUARDRAILS_BASE": "nonexistent"}):
        for cwd, args in _commands(repo, wt):
            proc = gg(*args, cwd=cwd, env=env)
            sane(proc)
            assert not (cwd / "PWNED").exists()
    proc = gg("check", "--staged", cwd=wt, env={"GUARDRAILS_BASE": "nonexistent"})
    assert "no .guardrails.toml" not in proc.stdout + proc.stderr


def test_tip_and_journal_values_are_not_options_nor_fixes(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    gd, common = git_dir(wt), common_dir(repo)
    (gd / "guardrails" / "tip").write_text(f"{INJECT} refs/heads/agent/auth\n")
    os.utime(gd / "guardrails" / "tip")
    evil = "rm -rf ~; \x1b]0;pwned\x07"
    entry = {"time": 2.0, "kind": "rollback", "ref": "refs/heads/agent/auth", "lost": INJECT,
             "worktree": str(wt), "restore": evil}
    entry2 = {**entry, "lost": "a" * 40, "ref": "--upload-pack=touch PWNED"}
    (common / "guardrails").mkdir(exist_ok=True)
    with open(common / "guardrails" / "journal.jsonl", "a") as f:
        f.write(json.dumps(entry) + "\n" + json.dumps(entry2) + "\n")
    for cwd, args in (*_commands(repo, wt), (repo, ("doctor", "--format", "json"))):
        proc = gg(*args, cwd=cwd)
        sane(proc)
        assert "rm -rf ~" not in proc.stdout + proc.stderr, args
        assert not (cwd / "PWNED").exists()


def test_status_escapes_control_characters(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    _inject_session(wt, task="auth\x1b[2J\x1b]0;owned\x07", agent="\x1b[31mred")
    lf = git_dir(wt) / "guardrails" / "last-finding.json"
    lf.write_text(json.dumps({"time": 1.0, "count": 1, "rule": "x\x1b[5m", "message": "\x1bm",
                              "hint": "h", "severity": "error"}))
    for fmt in ("text", "json"):
        proc = gg("status", "--format", fmt, cwd=repo)
        sane(proc)


# --- exit codes ---------------------------------------------------------------------------------

def test_full_disk_on_output_exits_2_with_a_fix(sess: tuple[Path, Path]) -> None:
    repo, _wt = sess
    with open("/dev/full", "w") as full:
        proc = subprocess.run(["git-guardrails", "status"], cwd=repo, stdout=full,
                              stderr=subprocess.PIPE, text=True, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "fix:" in proc.stderr
    proc = gg("ci", "--base", "main", "--output", "/dev/full", cwd=repo)
    sane(proc, codes=(2,))
    assert "fix:" in proc.stderr


def test_ci_output_to_missing_directory_or_empty(sess: tuple[Path, Path], tmp_path: Path) -> None:
    repo, _wt = sess
    for out in (str(tmp_path / "missing" / "out.json"), ""):
        proc = gg("ci", "--base", "main", "--output", out, cwd=repo)
        sane(proc, codes=(2,))
        assert "fix:" in proc.stderr or "Error" in proc.stderr


def test_internal_error_exits_3_with_one_line_and_traceback_only_under_debug(
        sess: tuple[Path, Path], tmp_path: Path) -> None:
    """An internal error is provoked for real: a module of the installed package that raises
    on import, put first on PYTHONPATH (a copy of the package with one broken file)."""
    repo, _wt = sess
    import guardrails

    pkg = Path(guardrails.__file__).parent
    shadow = tmp_path / "shadow"
    shutil.copytree(pkg, shadow / "guardrails")
    status = next((shadow / "guardrails").rglob("status.py"))
    status.write_text("raise ZeroDivisionError('boom')\n")
    env = {"PYTHONPATH": str(shadow)}
    proc = gg("status", cwd=repo, env=env)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "please report" in proc.stderr
    assert "ZeroDivisionError" in proc.stderr
    for extra in ({"GUARDRAILS_DEBUG": "1"}, {}):
        args = ("status",) if extra else ("--debug", "status")
        proc = gg(*args, cwd=repo, env={**env, **extra})
        assert proc.returncode == 3 and "Traceback" in proc.stderr, proc.stderr


def test_ctrl_c_exits_130(sess: tuple[Path, Path]) -> None:
    """SIGINT while `worktree add` waits for the guardrails lock another process holds."""
    import signal
    import time

    if shutil.which("flock") is None:
        pytest.skip("needs flock(1) to hold the lock from another process")
    repo, _wt = sess
    lock = common_dir(repo) / "guardrails" / "guardrails.lock"
    holder = subprocess.Popen(["flock", str(lock), "sleep", "60"])
    try:
        time.sleep(0.5)
        before = Snapshot(repo, common_dir(repo))
        p = subprocess.Popen(["git-guardrails", "worktree", "add", str(repo.parent / "w2"),
                              "agent/docs"], cwd=repo, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        _out, err = p.communicate(timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert p.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert before.lost(Snapshot(repo, common_dir(repo))) == []
    assert not (repo.parent / "w2").exists()


@pytest.mark.parametrize("env", [{"GUARDRAILS_LOCK_WAIT": "inf"}, {"GUARDRAILS_LOCK_WAIT": "nan"},
                                 {"GUARDRAILS_LOCK_WAIT": "-1"},
                                 {"GUARDRAILS_LOCK_WAIT": "1e309"}])
def test_bad_lock_wait_is_a_usage_error(sess: tuple[Path, Path], env: dict[str, str]) -> None:
    _repo, wt = sess
    write(wt, "src/auth/a.py", "a\n")
    git("add", "-A", cwd=wt)
    proc = subprocess.run(["guardrails-ref-store-guard"], cwd=wt, capture_output=True,
                          text=True, env={**os.environ, "CLAUDECODE": "1", **env}, timeout=60)
    sane(proc, codes=(2,))
    assert "GUARDRAILS_LOCK_WAIT" in proc.stderr


def test_negative_gc_timeout_is_a_usage_error(sess: tuple[Path, Path]) -> None:
    repo, _wt = sess
    for t in ("-1", "nan", "inf"):
        proc = gg("gc", "--wait", "--timeout", t, cwd=repo)
        sane(proc, codes=(2,))


def test_status_format_that_it_does_not_render_is_refused(sess: tuple[Path, Path]) -> None:
    repo, _wt = sess
    for fmt in ("sarif", "github", "markdown"):
        proc = gg("status", "--format", fmt, cwd=repo)
        sane(proc, codes=(2,))


def test_pre_commit_to_ref_is_one_revision(sess: tuple[Path, Path]) -> None:
    _repo, wt = sess
    write(wt, "src/auth/a.py", "a\n")
    commit_all(wt, "a")
    env = {**os.environ, "PRE_COMMIT_FROM_REF": "main", "PRE_COMMIT_TO_REF": "HEAD --output=PWNED"}
    proc = subprocess.run(["guardrails-check-scope"], cwd=wt, capture_output=True, text=True,
                          env=env)
    sane(proc, codes=(2,))
    assert "PRE_COMMIT_TO_REF" in proc.stderr and not (wt / "PWNED").exists()
    env["PRE_COMMIT_TO_REF"] = "HEAD"
    proc = subprocess.run(["guardrails-check-scope"], cwd=wt, capture_output=True, text=True,
                          env=env)
    sane(proc, codes=(0,))


# --- never lose work ----------------------------------------------------------------------------

def test_worktree_remove_refuses_local_changes_even_with_force(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    sane(gg("finish", cwd=wt), codes=(0,))
    write(wt, "src/auth/login.py", "edited\n")
    write(wt, "src/auth/untracked.py", "new\n")
    for args in (("worktree", "remove", str(wt)), ("worktree", "remove", "--force", str(wt))):
        proc = gg(*args, cwd=repo)
        sane(proc, codes=(2,))
        assert "src/auth/login.py" in proc.stderr and "src/auth/untracked.py" in proc.stderr
        assert "--discard-changes" in proc.stderr
        assert (wt / "src/auth/untracked.py").read_text() == "new\n"
    proc = gg("worktree", "remove", "--stash", str(wt), cwd=repo)
    sane(proc, codes=(0,))
    assert not wt.exists()
    oid = re.search(r"git stash apply ([0-9a-f]{40})", proc.stdout)
    assert oid, proc.stdout
    files = git("show", "--name-only", "--format=", f"{oid.group(1)}^3", cwd=repo).stdout
    assert "src/auth/untracked.py" in files
    assert "src/auth/login.py" in git("stash", "show", "--name-only", oid.group(1),
                                      cwd=repo).stdout


def test_worktree_remove_discard_changes(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    sane(gg("finish", cwd=wt), codes=(0,))
    write(wt, "src/auth/untracked.py", "new\n")
    proc = gg("worktree", "remove", "--discard-changes", str(wt), cwd=repo)
    sane(proc, codes=(0,))
    assert not wt.exists()


def test_start_stash_records_its_own_stash_under_a_race(tmp_path: Path) -> None:
    """Another worktree pushes a stash while `start --stash` runs: the session names the stash
    start made (found by content), never the one on top."""
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    git("worktree", "add", "-q", "-b", "agent/auth", str(wt), "main", cwd=repo)
    write(wt, "src/auth/login.py", "mine\n")
    write(wt, "src/auth/untracked.py", "mine too\n")
    other = tmp_path / "other"
    git("worktree", "add", "-q", "-b", "agent/docs", str(other), "main", cwd=repo)
    write(other, "docs/index.md", "theirs\n")
    # git runs the racer's `git stash push` just before start's own stash is stored: a git shim
    shim = tmp_path / "shim"
    shim.mkdir()
    real = shutil.which("git")
    (shim / "git").write_text(
        "#!/bin/sh\n"
        f'case " $* " in *" stash store "*) "{real}" -C "{other}" stash push -q -m racer ;; esac\n'
        f'exec "{real}" "$@"\n')
    (shim / "git").chmod(0o755)
    proc = gg("start", "--stash", cwd=wt, env={"PATH": f"{shim}:{os.environ['PATH']}"})
    sane(proc, codes=(0,))
    rec = json.loads(_session_path(wt, wt).read_text())
    shown = git("stash", "show", "-p", "--include-untracked", rec["stash"], cwd=repo).stdout
    assert "mine" in shown and "theirs" not in shown
    assert git("status", "--porcelain", cwd=wt).stdout == ""
    assert "racer" in git("stash", "list", cwd=repo).stdout


# --- kill -9 at each step -----------------------------------------------------------------------

def _killer(tmp: Path, n: int) -> dict[str, str]:
    """A git on PATH that, at its n-th call, SIGKILLs the process that started it (the
    git-guardrails command, or the hook) before running git."""
    shim = tmp / f"kill{n}"
    shim.mkdir(exist_ok=True)
    real = shutil.which("git")
    counter = shim / "count"
    counter.write_text("0")
    (shim / "git").write_text(
        "#!/bin/sh\n"
        f'c=$(cat "{counter}"); c=$((c + 1)); echo $c > "{counter}"\n'
        f'if [ "$c" -eq {n} ]; then kill -9 $PPID; exit 137; fi\n'
        f'exec "{real}" "$@"\n')
    (shim / "git").chmod(0o755)
    return {"PATH": f"{shim}:{os.environ['PATH']}"}


def _calls(tmp: Path, cwd: Path, args: tuple[str, ...]) -> int:
    """How many git processes a command starts (itself not killed)."""
    env = _killer(tmp, 10_000)
    proc = gg(*args, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    return int((Path(env["PATH"].split(":")[0]) / "count").read_text())


def _recover(repo: Path, wt: Optional[Path]) -> str:
    """What status and doctor say after a kill (none of it a traceback); runs every fix they
    name that concerns the leftover, and returns the text."""
    said = ""
    for args in (("status",), ("doctor",)):
        proc = gg(*args, cwd=repo)
        sane(proc)
        said += proc.stdout + proc.stderr
    return said


SCENARIOS = ["start", "start-stash", "worktree-add", "finish", "gc"]


def _setup(tmp: Path, scenario: str) -> tuple[Path, Path, tuple[str, ...], Path]:
    repo = make_repo(tmp / "repo")
    wt = tmp / "wt"
    if scenario in ("start", "start-stash", "finish"):
        git("worktree", "add", "-q", "-b", "agent/auth", str(wt), "main", cwd=repo)
    if scenario == "start":
        return repo, wt, ("start", "--task", "auth"), wt
    if scenario == "start-stash":
        write(wt, "src/auth/login.py", "work in progress\n")
        write(wt, "src/auth/new.py", "untracked work\n")
        return repo, wt, ("start", "--stash", "--task", "auth"), wt
    if scenario == "worktree-add":
        return repo, wt, ("worktree", "add", str(wt), "agent/auth", "--task", "auth"), repo
    if scenario == "finish":
        assert gg("start", "--task", "auth", cwd=wt).returncode == 0
        write(wt, "src/auth/a.py", "a\n")
        commit_all(wt, "a")
        return repo, wt, ("finish",), wt
    assert scenario == "gc"
    return repo, wt, ("gc",), repo


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_kill_9_at_each_step(tmp_path: Path, scenario: str) -> None:
    """SIGKILL before each git command the command runs: afterwards nothing is lost, status and
    doctor run without a traceback and name what was left half-done with a fix that works,
    and the command itself succeeds when run again (after that fix)."""
    probe = tmp_path / "probe"
    repo, wt, args, cwd = _setup(probe, scenario)
    total = _calls(probe, cwd, args)
    assert total > 0
    for n in range(1, total + 1):
        base = tmp_path / f"n{n}"
        repo, wt, args, cwd = _setup(base, scenario)
        common = common_dir(repo)
        before = Snapshot(wt if wt.exists() else repo, common)
        stash_text = git("stash", "show", "-p", "--include-untracked", "stash@{0}", cwd=repo,
                         check=False).stdout
        proc = gg(*args, cwd=cwd, env=_killer(base, n))
        assert proc.returncode in (-9, 137) or proc.returncode in (0, 2), proc
        said = _recover(repo, wt)
        # nothing lost: every ref still there; the work tree's content there or in a stash
        after = Snapshot(wt if wt.exists() else repo, common)
        lost = before.lost(after, allow_new_refs=True)
        if scenario == "start-stash" and "work tree" in lost:
            listed = git("stash", "list", "--format=%H", cwd=repo).stdout.split()
            assert listed, f"step {n}: the work tree's changes are gone and no stash has them"
            shown = git("stash", "show", "-p", "--include-untracked", listed[0],
                        cwd=repo).stdout
            assert "work in progress" in shown and "untracked work" in shown, shown
            assert listed[0] in said, f"step {n}: the stash is not reported:\n{said}"
            lost = [x for x in lost if x not in ("work tree", "index")]
        lost = [x for x in lost if not x.startswith("config")]  # gc.auto: checked below
        assert lost == [], (n, lost)
        del stash_text
        # the config is either what it was or suspended by a session that exists
        for key in ("gc.auto", "maintenance.auto"):
            v = git("config", "--get", key, cwd=repo, check=False).stdout.strip()
            assert v in ("", "0", "false"), (key, v)
        # every fix named for a leftover works; then the command runs to its end
        for fix in dict.fromkeys(fixes(said)):  # status and doctor name the same ones
            if fix.startswith(("git branch -D", "git worktree prune", "git guardrails finish",
                               "git -C", "rm ")):
                r = run_fix(fix, repo)
                assert r.returncode == 0, (n, fix, r.stderr)
        again = gg(*args, cwd=cwd)
        if scenario == "finish" and "no session is active" in again.stderr:
            continue  # finished before the kill
        if scenario.startswith("start") and "already active" in again.stderr:
            continue  # the session was saved before the kill
        if scenario == "worktree-add" and "already exists" in again.stderr:
            # the fix resumed it: the worktree has its session now
            assert (git_dir(wt) / "guardrails" / "session.json").is_file(), (n, said)
            continue
        sane(again, codes=(0,))


# --- a git dir the user cannot write ------------------------------------------------------------

def _as_nobody() -> Optional[list[str]]:
    if os.geteuid() != 0:
        return None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory every user can traverse (pytest's tmp_path is 0700)."""
    d = Path(tempfile.mkdtemp(prefix="guardrails-faults-"))
    d.chmod(0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_read_only_git_dir_for_a_non_root_user(shared_tmp: Path) -> None:
    prefix = _as_nobody()
    if prefix is None:
        pytest.skip("needs root and setpriv to run git-guardrails as another user")
    repo = make_repo(shared_tmp / "repo")
    wt = shared_tmp / "wt"
    git("worktree", "add", "-q", "-b", "agent/auth", str(wt), "main", cwd=repo)
    for root, dirs, files in os.walk(shared_tmp):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    home = shared_tmp / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    env = {**os.environ, "HOME": str(home), "GIT_CONFIG_COUNT": "1",
           "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*"}
    common = common_dir(repo)
    before = Snapshot(wt, common)

    def run(*args: str, cwd: Path = wt) -> subprocess.CompletedProcess[str]:
        exe = shutil.which("git-guardrails")
        assert exe is not None
        return subprocess.run([*prefix, exe, *args], cwd=cwd, env=env, capture_output=True,
                              text=True, check=False)

    proc = run("start", "--task", "auth")
    sane(proc, codes=(2,))
    assert ("fix:" in proc.stderr and "ls -ld" in proc.stderr) or "permission" in proc.stderr
    for args in (("status",), ("doctor",), ("status", "--format", "json")):
        sane(run(*args))
    assert before.lost(Snapshot(wt, common)) == []
    # as root (the owner) the same start works, and then the read-only user sees it
    assert gg("start", "--task", "auth", cwd=wt).returncode == 0
    proc = run("finish")
    sane(proc, codes=(2,))
    assert (git_dir(wt) / "guardrails" / "session.json").exists()


# --- a broken policy never locks a human out -----------------------------------------------------

def test_broken_policy_warns_humans_and_its_fix_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    common = common_dir(repo)
    write(repo, ".guardrails.toml", "[guardrails\nbase = 'main'\n")  # a TOML syntax error
    commit_all(repo, "broken policy")
    install_plain_hooks(common)
    # doctor: exit 1, with line and column
    proc = gg("doctor", cwd=repo)
    sane(proc, codes=(1,))
    assert "policy-invalid" in proc.stdout and "line 1" in proc.stdout and "column" in proc.stdout
    # a human's commit on a branch: a warning, and the commit is made (prepare-commit-msg too)
    git("switch", "-q", "-c", "human/work", cwd=repo)
    write(repo, "README.md", "human edit\n")
    git("add", "README.md", cwd=repo)
    proc = subprocess.run(["git", "commit", "-q", "-m", "human"], cwd=repo, capture_output=True,
                          text=True)
    sane(proc, codes=(0,))
    assert "policy-invalid" in proc.stdout + proc.stderr
    # an agent is stopped (exit 2 from the hook: the commit is not made)
    head = git("rev-parse", "HEAD", cwd=repo).stdout
    write(repo, "README.md", "agent edit\n")
    git("add", "README.md", cwd=repo)
    proc = subprocess.run(["git", "commit", "-q", "-m", "agent"], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, "CLAUDECODE": "1"})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert git("rev-parse", "HEAD", cwd=repo).stdout == head
    git("reset", "-q", "--hard", cwd=repo)
    # on main, a commit that stages another broken policy is refused; the one that fixes it passes
    git("switch", "-q", "main", cwd=repo)
    write(repo, ".guardrails.toml", "[guardrails]\nbase = 7\n")
    git("add", ".guardrails.toml", cwd=repo)
    proc = subprocess.run(["git", "commit", "-q", "-m", "still broken"], cwd=repo,
                          capture_output=True, text=True)
    sane(proc, codes=(1,))
    assert "the staged .guardrails.toml is not a valid policy" in proc.stdout + proc.stderr
    from tests.helpers import POLICY

    write(repo, ".guardrails.toml", POLICY)
    git("add", ".guardrails.toml", cwd=repo)
    proc = subprocess.run(["git", "commit", "-q", "-m", "fix the policy"], cwd=repo,
                          capture_output=True, text=True)
    sane(proc, codes=(0,))
    assert "policy-invalid" not in proc.stdout + proc.stderr
    sane(gg("doctor", cwd=repo), codes=(0, 1))
    assert "policy-invalid" not in gg("doctor", cwd=repo).stdout


# --- messages whose fix works --------------------------------------------------------------------

def test_bad_range_exits_2_with_a_fix(sess: tuple[Path, Path]) -> None:
    _repo, wt = sess
    # ("main.." is git's main..HEAD: a valid range, judged like it in test_check_range.py)
    for rng in ("", "..", "main..nope", "--output=PWNED", " ", "main.. "):
        proc = gg("check", "--range", rng, cwd=wt)
        sane(proc, codes=(2,))
        assert "usage:" not in proc.stderr.lower() and "fix:" in proc.stderr, proc.stderr
        assert not (wt / "PWNED").exists()
    fix = fixes(gg("check", "--range", "main..nope", cwd=wt).stderr)[0]
    sane(run_fix(fix, wt), codes=(0, 1))


def test_ci_and_review_work_on_a_bare_repository(sess: tuple[Path, Path], tmp_path: Path) -> None:
    repo, wt = sess
    write(wt, "src/auth/a.py", "a\n")
    commit_all(wt, "a")
    bare = tmp_path / "bare.git"
    git("clone", "-q", "--bare", str(repo), str(bare), cwd=tmp_path)
    proc = gg("ci", "--base", "main", "--head", "agent/auth", "--format", "json", cwd=bare)
    sane(proc, codes=(0, 1))
    assert json.loads(proc.stdout)["findings"] is not None
    proc = gg("review", "agent/auth", "--base", "main", cwd=bare)
    sane(proc, codes=(0, 1))
    assert "main..agent/auth" in proc.stdout


def test_locked_worktree_names_unlock_and_the_fix_works(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    sane(gg("finish", cwd=wt), codes=(0,))
    git("worktree", "lock", "--reason", "agent busy", str(wt), cwd=repo)
    proc = gg("worktree", "remove", str(wt), cwd=repo)
    sane(proc, codes=(2,))
    fix = fixes(proc.stderr)[0]
    assert fix.startswith("git worktree unlock")
    assert run_fix(fix, repo).returncode == 0
    sane(gg("worktree", "remove", str(wt), cwd=repo), codes=(0,))


def test_prunable_worktree_session_fix_is_worktree_prune(sess: tuple[Path, Path]) -> None:
    repo, wt = sess
    gd = git_dir(wt)
    (gd / "guardrails" / "session.json").write_text("{broken")
    shutil.rmtree(wt)
    proc = gg("status", cwd=repo)
    sane(proc)
    fx = [f for f in fixes(proc.stdout) if "prune" in f or "finish" in f]
    assert fx and not any(str(wt) in f and "-C" in f for f in fx), proc.stdout
    assert run_fix(fx[0], repo).returncode == 0
    after = json.loads(gg("status", "--format", "json", cwd=repo).stdout)
    assert [f for f in after["findings"] if f["rule"] == "session-unreadable"] == []


def test_doctor_reports_a_running_gc_and_its_fix_works(sess: tuple[Path, Path]) -> None:
    import socket

    repo, _wt = sess
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        (common_dir(repo) / "gc.pid").write_text(f"{sleeper.pid} {socket.gethostname()}")
        proc = gg("doctor", cwd=repo)
        sane(proc, codes=(1,))
        assert "refstore-gc-running" in proc.stdout and str(sleeper.pid) in proc.stdout
        fix = next(f for f in fixes(proc.stdout) if "kill" in f)
        kill = fix[fix.index("kill"):].split("   ")[0]
        assert run_fix(kill, repo).returncode == 0
        sleeper.wait(timeout=10)
        proc = gg("doctor", cwd=repo)  # now a stale gc.pid, with the rm that clears it
        sane(proc, codes=(1,))
        rm = next(f for f in fixes(proc.stdout) if "gc.pid" in f)
        assert run_fix(rm, repo).returncode == 0
        assert not (common_dir(repo) / "gc.pid").exists()
    finally:
        sleeper.kill()


def test_non_utf8_names_survive_json_and_github(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git("switch", "-q", "-c", "agent/auth", cwd=repo)
    write(repo, b"docs/caf\xe9.md", "x\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "stray", "--trailer",
        "Co-authored-by: Claude <noreply@anthropic.com>", cwd=repo)
    proc = gg("ci", "--base", "main", "--format", "json", cwd=repo)
    sane(proc, codes=(1,))
    data = json.loads(proc.stdout)
    hit = next(f for f in data["findings"] if f.get("path_bytes"))
    import base64

    from guardrails.git import unquote

    raw = base64.b64decode(hit["path_bytes"])
    assert raw == b"docs/caf\xe9.md" and unquote(hit["path"].encode()) == raw
    assert "\\udc" not in proc.stdout
    proc = gg("ci", "--base", "main", "--format", "github", cwd=repo)
    sane(proc, codes=(1,))
    line = next(ln for ln in proc.stdout.splitlines() if "caf" in ln)
    assert "file=" not in line and '"docs/caf\\351.md"' in line


# --- a full disk (ENOSPC) under each state write ------------------------------------------------
#
# A small tmpfs mounted on the guardrails state directory (the worktree's ``<git-dir>/guardrails``
# or the common ``<common-dir>/guardrails``), filled until a write fails with ENOSPC: git's own
# files (refs, objects, index, config) stay writable, so every failure is guardrails' own write.
# Each case asserts exit 2, a message that names ENOSPC and the file, a `df -h` fix that runs,
# no traceback, the previous state file byte for byte, no temp file left, and nothing lost.

PAGE = 4096


class FullDisk:
    """tmpfs mounts over state directories (their files copied in), filled up on demand."""

    def __init__(self) -> None:
        self.mounts: list[Path] = []

    def mount(self, d: Path) -> Path:
        saved = {p.relative_to(d): p.read_bytes() for p in d.rglob("*") if p.is_file()} \
            if d.is_dir() else {}
        d.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs",
                               str(d)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip("full-disk cases need a small tmpfs (root and mount permission): "
                        f"mount said: {proc.stderr.strip() or proc.returncode}")
        self.mounts.append(d)
        for rel, data in saved.items():
            (d / rel).parent.mkdir(parents=True, exist_ok=True)
            (d / rel).write_bytes(data)
        return d

    @staticmethod
    def fill(d: Path, leave_pages: int = 0) -> None:
        """Fill the file system of ``d``; then free ``leave_pages`` pages again."""
        import errno

        fd = os.open(d / ".filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            while True:
                try:
                    os.write(fd, b"\0" * PAGE)
                except OSError as e:
                    assert e.errno == errno.ENOSPC
                    break
            if leave_pages:
                os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave_pages * PAGE))
        finally:
            os.close(fd)
        if not leave_pages:
            with pytest.raises(OSError, match="No space left"):
                (d / ".probe").write_bytes(b"x")
            (d / ".probe").unlink()

    @staticmethod
    def free(d: Path) -> None:
        (d / ".filler").unlink()

    def close(self) -> None:
        for d in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(d)], capture_output=True, check=False)


@pytest.fixture
def full_disk() -> Iterator[FullDisk]:
    if os.geteuid() != 0:
        pytest.skip("full-disk cases mount a tmpfs: they need root")
    fd = FullDisk()
    try:
        yield fd
    finally:
        fd.close()


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and p.name != ".filler"}


def assert_enospc(proc: subprocess.CompletedProcess[str], where: Path, cwd: Path,
                  code: Optional[int] = 2) -> None:
    """Exit ``code`` (None: whatever git makes of a failed hook, but not 0), a message naming
    ENOSPC and a file in ``where``, and a fix (`df -h DIR`) that runs."""
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both and "internal error" not in both, both
    if code is None:
        assert proc.returncode != 0, both
    else:
        assert proc.returncode == code, (proc.returncode, both)
    assert "No space left on device (ENOSPC)" in both, both
    assert str(where) in both, both
    found = [f for f in fixes(both) if f.startswith("free space")]
    assert found, both
    df = re.search(r"\(df -h ([^)]+)\)", found[0])
    assert df is not None and str(where) in df.group(1), found
    assert run_fix(f"df -h {df.group(1)}", cwd).returncode == 0


def _no_temp_files(*dirs: Path) -> None:
    for d in dirs:
        left = [p.name for p in d.rglob(".tmp.*")]
        assert not left, (d, left)


@pytest.mark.parametrize("full", ["worktree", "common"])
def test_full_disk_at_start(tmp_path: Path, full_disk: FullDisk, full: str) -> None:
    """`start` on a full disk: exit 2, no session record, and gc/maintenance config as it was
    (the suspend is undone when the session record cannot be written)."""
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    git("worktree", "add", "-q", "-b", "agent/auth", str(wt), "main", cwd=repo)
    wdir, cdir = git_dir(wt) / "guardrails", common_dir(wt) / "guardrails"
    d = full_disk.mount(wdir if full == "worktree" else cdir)
    full_disk.fill(d)
    before = Snapshot(wt, common_dir(wt))
    proc = gg("start", "--task", "auth", cwd=wt)
    assert_enospc(proc, d, wt)
    assert before.lost(Snapshot(wt, common_dir(wt))) == []
    assert not (wdir / "session.json").exists()
    _no_temp_files(*(x for x in (wdir, cdir) if x.exists()))
    full_disk.free(d)  # the fix: free space; then the same command works
    proc = gg("start", "--task", "auth", cwd=wt)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_full_disk_at_maintenance_suspend(tmp_path: Path, full_disk: FullDisk) -> None:
    """One page left in the common state dir: the lock gets it, the maintenance record (what
    gc.auto was, written before gc is turned off) does not: exit 2, config untouched."""
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    git("worktree", "add", "-q", "-b", "agent/auth", str(wt), "main", cwd=repo)
    cdir = full_disk.mount(common_dir(wt) / "guardrails")
    full_disk.fill(cdir, leave_pages=1)
    before = Snapshot(wt, common_dir(wt))
    proc = gg("start", "--task", "auth", cwd=wt)
    assert_enospc(proc, cdir, wt)
    assert "maintenance" in proc.stderr, proc.stderr
    assert before.lost(Snapshot(wt, common_dir(wt))) == []
    assert not (cdir / "maintenance.json").exists()
    assert not (git_dir(wt) / "guardrails" / "session.json").exists()
    _no_temp_files(cdir)


def test_full_disk_at_finish(sess: tuple[Path, Path], full_disk: FullDisk) -> None:
    """`finish` on a full common state dir (its lock cannot be written): exit 2, the session
    record and the maintenance record intact, config unchanged; after freeing space it works."""
    _repo, wt = sess
    cdir = full_disk.mount(common_dir(wt) / "guardrails")
    full_disk.fill(cdir)
    session_file = git_dir(wt) / "guardrails" / "session.json"
    records = (session_file.read_bytes(), _files(cdir))
    before = Snapshot(wt, common_dir(wt))
    proc = gg("finish", cwd=wt)
    assert_enospc(proc, cdir, wt)
    assert (session_file.read_bytes(), _files(cdir)) == records
    assert before.lost(Snapshot(wt, common_dir(wt))) == []
    _no_temp_files(cdir, session_file.parent)
    full_disk.free(cdir)
    proc = gg("finish", cwd=wt)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not session_file.exists()


def test_full_disk_at_the_checked_record(sess: tuple[Path, Path], full_disk: FullDisk) -> None:
    """An agent commit whose pre-commit stage cannot write its record (checked.json, what
    require-checks and the native hooks compare): the hook exits 2 with the fix, git makes no
    commit, the index and the previous record are as they were."""
    _repo, wt = sess
    install_plain_hooks(common_dir(wt))
    write(wt, "src/auth/one.py", "one = 1\n")
    git("add", "-A", cwd=wt)
    ok = git("commit", "-q", "-m", "one", cwd=wt, env={"CLAUDECODE": "1"}, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wdir = full_disk.mount(git_dir(wt) / "guardrails")
    records = _files(wdir)
    assert "checked.json" in records
    full_disk.fill(wdir)
    write(wt, "src/auth/two.py", "two = 2\n")
    git("add", "-A", cwd=wt)
    before = Snapshot(wt, common_dir(wt))
    head = git("rev-parse", "HEAD", cwd=wt).stdout
    hook = subprocess.run(["guardrails-run"], cwd=wt, capture_output=True, text=True,
                          env={**os.environ, "CLAUDECODE": "1"}, check=False)
    assert_enospc(hook, wdir, wt)
    proc = git("commit", "-q", "-m", "two", cwd=wt, env={"CLAUDECODE": "1"}, check=False)
    assert_enospc(proc, wdir, wt, code=None)
    assert git("rev-parse", "HEAD", cwd=wt).stdout == head
    assert before.lost(Snapshot(wt, common_dir(wt))) == []
    assert _files(wdir) == records
    _no_temp_files(wdir)
    full_disk.free(wdir)
    proc = git("commit", "-q", "-m", "two", cwd=wt, env={"CLAUDECODE": "1"}, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_full_disk_at_a_journal_append(sess: tuple[Path, Path], full_disk: FullDisk) -> None:
    """The reference-transaction hook refuses a session's update of another branch and
    journals it; with no space for the journal line the update is refused all the same (git
    exits non-zero, the ref unchanged), the message names ENOSPC, and the journal holds no
    half line."""
    _repo, wt = sess
    assert gg("install", cwd=wt).returncode == 0
    cdir = full_disk.mount(common_dir(wt) / "guardrails")
    journal = cdir / "journal.jsonl"
    data = journal.read_bytes() if journal.exists() else b""
    # the journal's last page full, so the append needs a new one
    journal.write_bytes(data + b"\n" * (-len(data) % PAGE or PAGE))
    full_disk.fill(cdir)
    records = _files(cdir)
    before = Snapshot(wt, common_dir(wt))
    proc = git("update-ref", "refs/heads/main", "HEAD", cwd=wt, check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert "No space left on device (ENOSPC)" in proc.stderr, proc.stderr
    assert str(journal) in proc.stderr, proc.stderr
    assert before.lost(Snapshot(wt, common_dir(wt))) == []
    assert _files(cdir) == records
    _no_temp_files(cdir)


def test_full_disk_at_ci_output(sess: tuple[Path, Path], full_disk: FullDisk,
                                tmp_path: Path) -> None:
    """`ci --output FILE` on a full file system: exit 2 naming the file, the previous report
    intact, no temp file; after freeing space the same command writes it."""
    repo, _wt = sess
    out_dir = full_disk.mount(tmp_path / "reports")
    report = out_dir / "report.json"
    report.write_text('{"previous": true}\n')
    full_disk.fill(out_dir)
    proc = gg("ci", "--base", "main", "--format", "json", "--output", str(report), cwd=repo)
    assert_enospc(proc, out_dir, repo)
    assert report.read_text() == '{"previous": true}\n'
    _no_temp_files(out_dir)
    full_disk.free(out_dir)
    proc = gg("ci", "--base", "main", "--format", "json", "--output", str(report), cwd=repo)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert json.loads(report.read_text())
