"""bin/guardrails-hook, the sh entry of the `guardrails` and `require-checks` hook ids: a
human's commit outside any session starts no Python; every other case goes to the Python hook,
and the answer is the Python hook's own. Real repositories, the real script; the Python hooks it
hands over to are wrapped only to log that they started, then run for real."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Optional

import pytest

from guardrails.agents import markers
from guardrails.scope import policy
from tests.helpers import POLICY, add_worktree, commit_all, git, make_repo, session_worktree, write

SCRIPT = Path(__file__).resolve().parents[1] / "bin" / "guardrails-hook"
ENTRIES = {"run": "guardrails-run", "require-checks": "guardrails-require-checks"}


def _constant(name: str) -> str:
    m = re.search(rf"^{name}='?([^'\n]*)'?$", SCRIPT.read_text(), re.M)
    assert m, name
    return m.group(1)


def test_constants_are_the_python_tables() -> None:
    assert _constant("MARKERS").split() == [m.var for m in markers.ENV_MARKERS]
    assert _constant("POLICY_FILE") == policy.FILENAME
    assert tuple(_constant("DEFAULT_BASES").split()) == policy.DEFAULT_BASES
    assert _constant("VALID_CACHE") == policy.VALID_CACHE
    # the base branches the script compares HEAD with are the same defaults
    for b in policy.DEFAULT_BASES:
        assert f"'ref: refs/heads/{b}'" in SCRIPT.read_text()


def test_installed_executable_beside_the_python_hooks() -> None:
    """pip (editable here; pre-commit and prek install the same way) puts the script in the
    environment's bin, executable, next to the console scripts it hands over to."""
    bin_dir = Path(sys.executable).parent
    assert os.access(bin_dir / "guardrails-hook", os.X_OK)
    assert (bin_dir / "guardrails-hook").read_bytes() == SCRIPT.read_bytes()
    manifest = (SCRIPT.parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert "entry: guardrails-hook run\n" in manifest
    assert "entry: guardrails-hook require-checks\n" in manifest


@pytest.fixture
def hook_bin(tmp_path: Path) -> tuple[Path, Path]:
    """A bin directory holding the script and, under the Python hooks' names, wrappers that log
    each start and exec the real hooks."""
    d = tmp_path / "hook-bin"
    d.mkdir()
    shutil.copy(SCRIPT, d / "guardrails-hook")
    log = tmp_path / "python-hook-starts.log"
    for entry in ENTRIES.values():
        real = Path(sys.executable).parent / entry
        w = d / entry
        w.write_text(f'#!/bin/sh\necho {entry} >> "{log}"\nexec "{real}" "$@"\n')
        w.chmod(0o755)
    return d, log


def _run(hook_bin: tuple[Path, Path], hook: str, cwd: Path, env: Optional[dict[str, str]] = None,
         args: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str], bool]:
    """(the script's result, whether it started the Python hook)."""
    d, log = hook_bin
    if log.exists():
        log.unlink()
    if hook == "require-checks" and not args:
        msg = cwd / ".git-msg-for-test"
        msg.write_text("subject\n")
        args = (str(msg),)
    full = {**os.environ, **(env or {})}
    proc = subprocess.run([str(d / "guardrails-hook"), hook, *args], cwd=cwd, env=full,
                          capture_output=True, text=True, check=False)
    return proc, log.exists()


def _python(hook: str, cwd: Path, env: Optional[dict[str, str]] = None,
            args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    if hook == "require-checks" and not args:
        msg = cwd / ".git-msg-for-test"
        msg.write_text("subject\n")
        args = (str(msg),)
    return subprocess.run([str(Path(sys.executable).parent / ENTRIES[hook]), *args], cwd=cwd,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          check=False)


def _same(a: subprocess.CompletedProcess[str], b: subprocess.CompletedProcess[str]) -> None:
    assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)


def _human(tmp_path: Path, text: Optional[str] = POLICY) -> tuple[Path, Path]:
    repo = make_repo(tmp_path / "repo", policy=text)
    wt = add_worktree(repo, tmp_path / "human", "human/topic")
    write(wt, "notes.txt", "human work\n")
    git("add", "notes.txt", cwd=wt)
    return repo, wt


@pytest.mark.parametrize("hook", sorted(ENTRIES))
def test_a_human_outside_any_session_starts_no_python(tmp_path: Path, hook: str,
                                                      hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    _python("run", wt)  # the Python hook records the policy as seen to parse
    proc, started = _run(hook_bin, hook, wt)
    assert (proc.returncode, proc.stdout, proc.stderr, started) == (0, "", "", False)
    _same(proc, _python(hook, wt))


def test_a_policy_never_seen_to_parse_goes_to_python_once(tmp_path: Path,
                                                          hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    proc, started = _run(hook_bin, "run", wt)
    assert started and proc.returncode == 0
    proc, started = _run(hook_bin, "run", wt)
    assert not started and proc.returncode == 0


def test_a_broken_policy_warns_the_human_every_time(tmp_path: Path,
                                                    hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path, POLICY + "\n[tasks.broken\n")
    for _ in range(2):
        proc, started = _run(hook_bin, "run", wt)
        assert started
        _same(proc, _python("run", wt))
        assert proc.returncode == 0 and "policy" in (proc.stdout + proc.stderr)


# the policy texts whose enforce value the script cannot rule out: Python decides
ALWAYS = POLICY.replace("[guardrails]\n", '[guardrails]\nenforce = "always"\n')
UNSURE = {
    "always": ALWAYS,
    "escaped": POLICY.replace("[guardrails]\n", '[guardrails]\nenforce = "\\u0061lways"\n'),
    "another base": POLICY.replace('base = "main"', 'base = "develop"'),
    "two base lines": POLICY + '\n[tasks.base]\nbranch = "agent/base"\nallow = ["x"]\n',
    "base twice on a line": POLICY.replace('base = "main"', 'base = "main"  # base'),
}


@pytest.mark.parametrize("case", sorted(UNSURE))
@pytest.mark.parametrize("hook", sorted(ENTRIES))
def test_a_policy_that_may_say_always_goes_to_python(tmp_path: Path, case: str, hook: str,
                                                     hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path, UNSURE[case])
    _python("run", wt)
    proc, started = _run(hook_bin, hook, wt)
    assert started, case
    _same(proc, _python(hook, wt))


SURE = {
    "single quotes and a comment": POLICY.replace('base = "main"', "  base='main'   # trusted"),
    "no base line": POLICY.replace('base = "main"\n', ""),
    "CRLF": POLICY.replace("\n", "\r\n"),
}


@pytest.mark.parametrize("case", sorted(SURE))
def test_policies_that_cannot_say_always_need_no_python(tmp_path: Path, case: str,
                                                        hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path, SURE[case])
    _python("run", wt)
    for hook in ENTRIES:
        proc, started = _run(hook_bin, hook, wt)
        assert not started and proc.returncode == 0, (case, hook, proc.stderr)


def test_enforce_always_checks_the_human_for_real(tmp_path: Path,
                                                  hook_bin: tuple[Path, Path]) -> None:
    repo, _wt = _human(tmp_path, ALWAYS)
    # a human commit under enforce = "always" that the pre-commit stage did not check
    proc, started = _run(hook_bin, "require-checks", repo)
    assert started and proc.returncode == 1 and "require-checks" in proc.stderr
    _same(proc, _python("require-checks", repo))


def test_no_policy_or_no_base_needs_no_python(tmp_path: Path,
                                              hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path, None)
    for hook in ENTRIES:
        proc, started = _run(hook_bin, hook, wt)
        assert (proc.returncode, started) == (0, False), hook
        _same(proc, _python(hook, wt))
    bare = tmp_path / "nobase"
    git("init", "-q", "-b", "trunk", str(bare), cwd=tmp_path)
    write(bare, "a.txt")
    commit_all(bare)
    proc, started = _run(hook_bin, "run", bare)
    assert (proc.returncode, started) == (0, False)


AGENT_ENVS = {
    "claude": {"CLAUDECODE": "1"},
    "generic": {"AGENT": "amp"},
    "cursor": {"CURSOR_EXTENSION_HOST_ROLE": "agent-exec"},
    "aider": {"GIT_AUTHOR_NAME": "Jo (aider)"},
    "base": {"GUARDRAILS_BASE": "main"},
    "range": {"PRE_COMMIT_FROM_REF": "HEAD~1", "PRE_COMMIT_TO_REF": "HEAD"},
}


@pytest.mark.parametrize("case", sorted(AGENT_ENVS))
def test_agent_markers_and_other_inputs_go_to_python(tmp_path: Path, case: str,
                                                     hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    _python("run", wt)
    hooks = ["run"] if case == "range" else sorted(ENTRIES)
    for hook in hooks:
        proc, started = _run(hook_bin, hook, wt, AGENT_ENVS[case])
        assert started, (case, hook)
        _same(proc, _python(hook, wt, AGENT_ENVS[case]))


def test_markers_turned_off_are_a_human(tmp_path: Path, hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    _python("run", wt)
    for value in ("0", "false", "No", ""):
        proc, started = _run(hook_bin, "run", wt, {"CLAUDECODE": value, "AGENT": value})
        assert (proc.returncode, started) == (0, False), value


def test_a_session_worktree_goes_to_python(tmp_path: Path, hook_bin: tuple[Path, Path]) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = add_worktree(repo, tmp_path / "auth", "agent/auth")
    proc = subprocess.run(["git-guardrails", "start"], cwd=wt, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    write(wt, "README.md", "out of the task's scope\n")
    git("add", "README.md", cwd=wt)
    proc, started = _run(hook_bin, "run", wt)
    assert started and proc.returncode == 1 and "scope-outside-allow" in proc.stdout
    _same(proc, _python("run", wt))


def test_options_and_a_missing_message_file_go_to_python(tmp_path: Path,
                                                         hook_bin: tuple[Path, Path]) -> None:
    _repo, wt = _human(tmp_path)
    _python("run", wt)
    proc, started = _run(hook_bin, "run", wt, args=("--format", "json"))
    assert started and proc.returncode == 0 and proc.stdout.startswith("{")
    d, _log = hook_bin
    proc = subprocess.run([str(d / "guardrails-hook"), "require-checks"], cwd=wt,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "no commit message file" in proc.stderr


def test_a_policy_change_staged_on_the_base_goes_to_python(tmp_path: Path,
                                                           hook_bin: tuple[Path, Path]) -> None:
    repo = make_repo(tmp_path / "repo")
    _python("run", repo)
    proc, started = _run(hook_bin, "run", repo)
    assert not started  # a human's commit on main that leaves the policy alone
    write(repo, ".guardrails.toml", POLICY + "\n[tasks.broken\n")
    git("add", ".guardrails.toml", cwd=repo)
    proc, started = _run(hook_bin, "run", repo)
    assert started
    _same(proc, _python("run", repo))


def test_a_configured_base(tmp_path: Path, hook_bin: tuple[Path, Path]) -> None:
    repo, wt = _human(tmp_path, POLICY.replace('base = "main"', 'base = "trunk"'))
    git("branch", "trunk", "main", cwd=repo)
    git("config", "guardrails.base", "trunk", cwd=repo)
    _python("run", wt)
    proc, started = _run(hook_bin, "run", wt)
    assert (proc.returncode, started) == (0, False)
    git("config", "guardrails.base", "gone", cwd=repo)
    proc, started = _run(hook_bin, "run", wt)
    assert started and proc.returncode == 2  # the Python hook names the missing base
    _same(proc, _python("run", wt))


def test_unknown_hook_name_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run([str(SCRIPT), "nope"], cwd=tmp_path, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2 and "unknown hook 'nope'" in proc.stderr


# --- require-checks for an agent in a session: the plain commit its pre-commit stage checked ---

def test_attestation_constants_are_the_python_tables() -> None:
    from guardrails import git as gitmod
    from guardrails.skipped import attestation

    assert _constant("RECORD") == attestation.RECORD
    assert _constant("TRAILER") == attestation.TRAILER
    assert tuple(_constant("GLOBAL_OPTS_WITH_VALUE").split()) == gitmod.GLOBAL_OPTS_WITH_VALUE
    assert tuple(_constant("FINGERPRINT_ARGS").split()) == attestation.fingerprint_args()


def _agent_hooks(repo: Path, entry: Path, python: bool) -> None:
    """pre-commit and prepare-commit-msg as git runs them (no runner): the sh entry from
    ``entry``'s directory, or (``python``) the Python hooks themselves."""
    hooks = Path(git("rev-parse", "--git-common-dir", cwd=repo).stdout.strip())
    hooks = (repo / hooks if not hooks.is_absolute() else hooks) / "hooks"
    hooks.mkdir(exist_ok=True)
    d = entry.parent
    run = f'"{d}/guardrails-run"' if python else f'"{d}/guardrails-hook" run'
    rc = f'"{d}/guardrails-require-checks"' if python else f'"{d}/guardrails-hook" require-checks'
    (hooks / "pre-commit").write_text(f"#!/bin/sh\nexec {run}\n")
    (hooks / "prepare-commit-msg").write_text(f'#!/bin/sh\nexec {rc} "$@"\n')
    for h in ("pre-commit", "prepare-commit-msg"):
        (hooks / h).chmod(0o755)


def _agent_commit(tmp_path: Path, hook_bin: tuple[Path, Path], name: str, python: bool,
                  args: tuple[str, ...], setup: Optional[Callable[[Path], None]] = None,
                  env: Optional[dict[str, str]] = None
                  ) -> tuple[int, str, str, list[str]]:
    """A commit in a fresh session worktree with an in-scope change staged: (exit status,
    the commit's message or "" when none was made, stderr, the Python hooks started)."""
    root, wt, _ = session_worktree(tmp_path / name)
    git("commit", "-q", "--no-verify", "-m", "first", cwd=wt)  # a HEAD to amend
    write(wt, "src/auth/login.py", "print('again')\n")
    git("add", "src/auth/login.py", cwd=wt)
    d, log = hook_bin
    _agent_hooks(root, d / "guardrails-hook", python)
    if setup is not None:
        setup(wt)
    if log.exists():
        log.unlink()
    before = git("rev-parse", "HEAD", cwd=wt).stdout
    full = {**os.environ, "CLAUDECODE": "1", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
            "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", **(env or {})}
    proc = subprocess.run(["git", *args], cwd=wt, env=full, capture_output=True, text=True,
                          check=False)
    after = git("rev-parse", "HEAD", cwd=wt).stdout
    msg = git("log", "-1", "--format=%B", cwd=wt).stdout if after != before else ""
    started = log.read_text().split() if log.exists() else []
    err = re.sub(r"@[0-9a-f]{7,}", "@<id>", proc.stderr.replace(str(tmp_path / name), "<tmp>"))
    return proc.returncode, msg, err, started


def _both(tmp_path: Path, hook_bin: tuple[Path, Path], args: tuple[str, ...],
          setup: Optional[Callable[[Path], None]] = None,
          env: Optional[dict[str, str]] = None) -> tuple[tuple[int, str, str], list[str]]:
    """The same commit through the sh entry and through the Python hooks: the same outcome;
    returns it and the Python hooks the sh entry started."""
    rc, msg, err, started = _agent_commit(tmp_path, hook_bin, "sh", False, args, setup, env)
    prc, pmsg, perr, _ = _agent_commit(tmp_path, hook_bin, "py", True, args, setup, env)
    assert (rc, msg, err) == (prc, pmsg, perr), args
    return (rc, msg, err), started


def test_an_agents_plain_commit_gets_its_trailer_without_python(tmp_path: Path,
                                                                 hook_bin: tuple[Path, Path]
                                                                 ) -> None:
    (rc, msg, _err), started = _both(tmp_path, hook_bin, ("commit", "-q", "-m", "edit"))
    assert rc == 0 and "\n\nGuardrails-Checked: " in msg
    assert started == ["guardrails-run"]  # require-checks: the sh entry alone
    # global options before `commit`, -F and a template are the same plain commit
    (rc, msg, _err), started = _both(
        tmp_path / "opts", hook_bin,
        ("-c", "user.name=Agent", "-C", ".", "--no-pager", "commit", "-q", "-F", "MSG"))
    assert rc == 0 and msg.startswith("message\n\nGuardrails-Checked: ")
    assert started == ["guardrails-run"]


# case -> (git arguments, environment, the Python hooks the sh entries start)
RUN, RC = "guardrails-run", "guardrails-require-checks"
AGENT_CASES: dict[str, tuple[tuple[str, ...], dict[str, str], list[str]]] = {
    "amend": (("commit", "-q", "--amend", "-m", "amended"), {}, [RUN, RC]),
    "amend-abbreviated": (("commit", "-q", "--amen", "-m", "amended"), {}, [RUN, RC]),
    "reuse": (("commit", "-q", "-C", "HEAD"), {}, [RUN, RC]),
    "no-verify": (("commit", "-q", "--no-verify", "-m", "skipped"), {}, [RC]),  # refused
    "skip-ours": (("commit", "-q", "-m", "x"), {"SKIP": "check-scope"}, [RUN]),  # refused
    "skip-other": (("commit", "-q", "-m", "x"), {"SKIP": "flake8"}, [RUN, RC]),
    "trailer-in-message": (("commit", "-q", "-m", "x\n\nGuardrails-Checked: " + "0" * 40), {},
                           [RUN, RC]),
    "trailer-like-text": (("commit", "-q", "-m", "see guardrails-checked docs"), {}, [RUN, RC]),
    "reflog-action": (("commit", "-q", "-m", "x"), {"GIT_REFLOG_ACTION": "rebase"}, [RUN, RC]),
    "no-final-newline": (("commit", "-q", "--cleanup=verbatim", "-F", "NONL"), {}, [RUN, RC]),
    "trailing-blank-lines": (("commit", "-q", "--cleanup=verbatim", "-F", "BLANKS"), {},
                             [RUN, RC]),
    # the fast path: a message whose second line reads like an option is one argument
    "newline-in-argument": (("commit", "-q", "-m", "x\n--amend"), {}, [RUN]),
    "verbatim": (("commit", "-q", "--cleanup=verbatim", "-m", "x"), {}, [RUN]),
}


def _messages(wt: Path) -> None:
    (wt / "NONL").write_bytes(b"no final newline")
    (wt / "BLANKS").write_bytes(b"blank lines after\n\n\n")


@pytest.mark.parametrize("case", sorted(AGENT_CASES))
def test_every_other_agent_commit_goes_to_python(tmp_path: Path, case: str,
                                                 hook_bin: tuple[Path, Path]) -> None:
    args, env, python = AGENT_CASES[case]
    _outcome, started = _both(tmp_path, hook_bin, args, _messages, env)
    assert started == python, case


def _stage_more(wt: Path) -> None:
    """A pre-commit hook after the checks that stages one more file (the index changes after
    the pre-commit stage recorded it)."""
    hooks = Path(git("rev-parse", "--git-common-dir", cwd=wt).stdout.strip()) / "hooks"
    pc = hooks / "pre-commit"
    pc.write_text(pc.read_text().replace("exec ", "") + "rc=$?\necho late >> src/auth/late.py\n"
                  "git add src/auth/late.py\nexit $rc\n")


def _forge(content: str) -> Callable[[Path], None]:
    def setup(wt: Path) -> None:
        hooks = Path(git("rev-parse", "--git-common-dir", cwd=wt).stdout.strip()) / "hooks"
        pc = hooks / "pre-commit"
        rec = Path(git("rev-parse", "--git-dir", cwd=wt).stdout.strip()) / "guardrails" / \
            "checked.json"
        # after the real pre-commit stage: the record rewritten (json: the real one with edits)
        pc.write_text(pc.read_text().replace("exec ", "") +
                      f"rc=$?\n{sys.executable} - <<'PY'\n"
                      f"import json\np = {str(rec)!r}\nd = json.load(open(p))\n{content}\n"
                      "PY\nexit $rc\n")
    return setup


FORGED = {
    "extra-key": "d['x'] = 1\nopen(p, 'w').write(json.dumps(d))",
    "other-process": "d['git'] = '1:2'\nopen(p, 'w').write(json.dumps(d))",
    "no-patch-id": "del d['patch_id']\nopen(p, 'w').write(json.dumps(d))",
    "short-patch-id": "d['patch_id'] = 'abc'\nopen(p, 'w').write(json.dumps(d))",
    "spaced": "open(p, 'w').write(json.dumps(d, indent=1))",
    "not-json": "open(p, 'w').write('{')",
    "other-diff": "d['diff'] = '0' * 64\nopen(p, 'w').write(json.dumps(d))",
    "session-rewritten": "import os, time\ns = p.replace('checked.json', 'session.json')\n"
                         "t = time.time() + 5\nos.utime(s, (t, t))",
}


@pytest.mark.parametrize("case", ["index-changed", *sorted(FORGED)])
def test_a_record_not_exactly_this_commits_goes_to_python(tmp_path: Path, case: str,
                                                          hook_bin: tuple[Path, Path]) -> None:
    setup = _stage_more if case == "index-changed" else _forge(FORGED[case])
    (rc, _msg, err), started = _both(tmp_path, hook_bin, ("commit", "-q", "-m", "x"), setup)
    assert "guardrails-require-checks" in started, case
    if case in ("index-changed", "other-process", "not-json", "other-diff"):
        assert rc == 1 and "attest-unchecked" in err, (case, err)
