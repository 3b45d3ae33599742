"""git.run / git.start: the one way guardrails starts git (posix_spawn and poll, no
subprocess). Real git, real pipes: large input and output at once, stderr, exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from guardrails import git
from guardrails.errors import GuardrailsError
from tests.helpers import commit_all, make_repo, write


def test_large_input_and_output_at_the_same_time(tmp_path: Path) -> None:
    """cat-file --batch answers while it reads: megabytes each way must not deadlock."""
    repo = make_repo(tmp_path / "r", policy=None)
    write(repo, "big.txt", "x" * 300_000 + "\n")
    commit_all(repo, "big")
    specs = b"HEAD:big.txt\n" * 40  # ~12 MB out for 0.5 KB in; then the reverse below
    proc = git.run("cat-file", "--batch", cwd=str(repo), input=specs)
    assert proc.returncode == 0
    assert len(proc.stdout) > 40 * 300_000
    blob = os.urandom(3_000_000)
    oid = git.run("hash-object", "--stdin", cwd=str(repo), input=blob).stdout.strip()
    expect = subprocess.run(["git", "hash-object", "--stdin"], input=blob, cwd=repo,
                            capture_output=True, check=True).stdout.strip()
    assert oid == expect


def test_exit_code_stderr_and_git_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", policy=None)
    proc = git.run("rev-parse", "--verify", "no-such-rev", cwd=str(repo), ok=(0, 128))
    assert proc.returncode == 128 and proc.stdout == b""
    assert b"no-such-rev" in proc.stderr or b"Needed a single revision" in proc.stderr
    with pytest.raises(git.GitError) as e:
        git.run("rev-parse", "--verify", "no-such-rev", cwd=str(repo))
    assert "exit 128" in str(e.value)


def test_cwd_with_odd_characters_and_empty_input(tmp_path: Path) -> None:
    odd = tmp_path / "dir with space -and 'quote'"
    repo = make_repo(odd, policy=None)
    top = git.out("rev-parse", "--show-toplevel", cwd=str(repo)).decode().strip()
    assert Path(top).resolve() == repo.resolve()
    # empty input: git sees end of file at once
    assert git.run("hash-object", "--stdin", cwd=str(repo), input=b"").stdout.strip() == \
        b"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # the empty blob


def test_start_runs_side_by_side(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", policy=None)
    a = git.start("rev-parse", "HEAD", cwd=str(repo))
    b = git.start("cat-file", "-t", "HEAD", cwd=str(repo))
    assert b.wait().stdout == b"commit\n"
    assert len(a.wait().stdout.strip()) == 40


def test_git_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git here
    with pytest.raises(GuardrailsError) as e:
        git.run("--version")
    assert "git is not installed" in str(e.value)


def test_closed_standard_streams(tmp_path: Path) -> None:
    """With our stdin and stdout closed, pipes land on fds 0/1: git still gets its own."""
    repo = make_repo(tmp_path / "r", policy=None)
    code = ("import os, sys; os.close(0); os.close(1)\n"
            "from guardrails import git\n"
            "out = git.out('rev-parse', 'HEAD', cwd=sys.argv[1])\n"
            "sys.stderr.write(out.decode())\n")
    proc = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stderr.strip()) == 40


def test_hook_modules_do_not_import_subprocess() -> None:
    """The point of the runner: a hook's git calls cost no `import subprocess`."""
    code = ("import sys\nfrom guardrails import git, context\n"
            "from guardrails.scope import changes, policy\n"
            "print('subprocess' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip() == "False"


def test_prefetch_is_collected_by_the_same_run(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import counting_git, git_subcommands

    repo = make_repo(tmp_path / "r", policy=None)
    shim_dir, log = counting_git(tmp_path / "shim")
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    git.prefetch("rev-parse", "HEAD", cwd=str(repo))
    git.prefetch("rev-parse", "HEAD", cwd=str(repo))  # once only
    head = git.out("rev-parse", "HEAD", cwd=str(repo))
    assert git.out("rev-parse", "HEAD", cwd=str(repo)) == head  # a second run starts git
    assert git_subcommands(log) == ["rev-parse", "rev-parse"]
    # a failing prefetched command raises in run(), as if run had started it
    git.prefetch("rev-parse", "--verify", "nope", cwd=str(repo))
    with pytest.raises(git.GitError):
        git.run("rev-parse", "--verify", "nope", cwd=str(repo))
    assert len(git_subcommands(log)) == 3


def test_tee_streams_megabytes_through_both_processes(tmp_path: Path) -> None:
    """git.tee: input to the first process, its output (megabytes, far beyond a pipe's buffer)
    into the second as it is produced and to on_chunk piece by piece; the same bytes as running
    the two one after the other. A failing second process raises with its own stderr."""
    repo = make_repo(tmp_path / "r", policy=None)
    write(repo, "big.txt", "y" * 200_000 + "\n")
    commit_all(repo, "big")
    specs = b"HEAD:big.txt\n" * 30  # ~6 MB out of cat-file
    seen: list[bytes] = []
    first, second = git.tee(["cat-file", "--batch"], ["hash-object", "--stdin"],
                            cwd=str(repo), input=specs, on_chunk=seen.append)
    assert first == git.out("cat-file", "--batch", cwd=str(repo), input=specs)
    assert b"".join(seen) == first and len(seen) > 1
    assert second == git.out("hash-object", "--stdin", cwd=str(repo), input=first)
    with pytest.raises(git.GitError) as e:
        git.tee(["cat-file", "--batch"], ["hash-object", "--no-such-option"], cwd=str(repo),
                input=specs)
    assert b"no-such-option" in e.value.stderr


def test_unquote_reads_names_as_git_quotes_them(tmp_path: Path) -> None:
    """git.unquote of `git ls-files` (C-quoted names) gives `git ls-files -z`'s bytes."""
    repo = make_repo(tmp_path / "r", policy=None)
    names = [b"plain.txt", "caf\u00e9.txt".encode(), b"tab\there", b"new\nline", b'q"uote',
             b"back\\slash", b"bad\xff.bin", b"bell\x07"]
    for n in names:
        (repo / os.fsdecode(n)).write_bytes(b"x\n")
    quoted = subprocess.run(["git", "-c", "core.quotePath=true", "ls-files", "-o"], cwd=repo,
                            capture_output=True, check=True).stdout.split(b"\n")[:-1]
    raw = subprocess.run(["git", "ls-files", "-o", "-z"], cwd=repo, capture_output=True,
                         check=True).stdout.split(b"\0")[:-1]
    assert len(quoted) == len(raw) >= len(names)
    assert [git.unquote(q) for q in quoted] == raw
    assert any(q.startswith(b'"') for q in quoted)
