"""Progress on a terminal (issue 17, item 6): ci, review and check --range show one line on
stderr, redrawn and then erased, only when stderr is a real terminal (a pty here) and the report
is text; never when stderr is piped, never in a machine format, never on stdout."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from tests.helpers import add_worktree, commit_all, make_repo, write

CLAUDE = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
NOW = {"GUARDRAILS_PROGRESS_DELAY": "0"}  # show from the start: a test range is quick


def branch_repo(tmp: Path) -> Path:
    repo = make_repo(tmp / "repo")
    wt = add_worktree(repo, tmp / "wt", "agent/auth")
    for i in range(30):
        write(wt, f"src/auth/m{i}.py", f"x = {i}\n" * 50)
        commit_all(wt, f"auth: m{i}" + CLAUDE)
    write(wt, "docs/stray.md", "aside\n")
    commit_all(wt, "stray" + CLAUDE)
    return repo


def on_pty(cwd: Path, args: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run git-guardrails with stderr on a pty (120 columns) and stdout on a pipe:
    (exit code, stdout, what the terminal received)."""
    import tempfile

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    stdout = tempfile.TemporaryFile()  # (a pipe nobody reads while the pty is read fills up)
    proc = subprocess.Popen(["git-guardrails", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=slave,
                            env={**os.environ, "TERM": "xterm", **env})
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    rc = proc.wait()
    stdout.seek(0)
    out = stdout.read()
    stdout.close()
    return rc, out, seen


COMMANDS = [["ci", "--base", "main", "--head", "agent/auth"],
            ["review", "agent/auth"],
            ["check", "--range", "main..agent/auth"]]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_progress_on_a_terminal_only(tmp_path: Path, args: list[str]) -> None:
    repo = branch_repo(tmp_path)
    rc, out, seen = on_pty(repo, args, NOW)
    assert rc == 1, out + seen  # docs/stray.md is outside the task
    text = seen.decode()
    assert f"\rgit-guardrails {args[0]}: " in text
    assert "checking 31 commit(s)" in text
    assert text.endswith("\r\x1b[K")  # erased before the report
    assert all(len(line) < 120 for line in text.replace("\x1b[K", "").split("\r"))
    # the report on stdout has none of it
    assert b"\r" not in out and b"\x1b" not in out and b"checking 31" not in out
    assert b"docs/stray.md" in out
    # stderr piped: nothing of it
    proc = subprocess.run(["git-guardrails", *args], cwd=repo, capture_output=True,
                          env={**os.environ, **NOW})
    assert proc.returncode == 1 and proc.stderr == b""
    assert proc.stdout == out


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "markdown", "html"])
def test_no_progress_in_machine_formats(tmp_path: Path, fmt: str) -> None:
    repo = branch_repo(tmp_path)
    args = ["review", "agent/auth"] if fmt == "html" else \
        ["ci", "--base", "main", "--head", "agent/auth"]
    rc, _, seen = on_pty(repo, [*args, "--format", fmt], NOW)
    assert rc == 1
    assert seen == b""


def test_quick_run_shows_nothing_and_dumb_terminal_never(tmp_path: Path) -> None:
    repo = branch_repo(tmp_path)
    args = ["ci", "--base", "main", "--head", "agent/auth"]
    rc, _, seen = on_pty(repo, args, {"GUARDRAILS_PROGRESS_DELAY": "30"})
    assert (rc, seen) == (1, b"")
    rc, _, seen = on_pty(repo, args, {**NOW, "TERM": "dumb"})
    assert (rc, seen) == (1, b"")


def test_an_error_erases_the_line_first(tmp_path: Path) -> None:
    repo = branch_repo(tmp_path)
    rc, out, seen = on_pty(repo, ["ci", "--base", "no-such-base"], NOW)
    assert rc == 2 and out == b""
    text = seen.decode()
    assert "error: the base `no-such-base` is not a commit" in text
    before = text[:text.index("git-guardrails: error")]
    assert before == "" or before.endswith("\r\x1b[K")
