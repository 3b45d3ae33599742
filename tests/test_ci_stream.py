"""The range's ``git log -p`` is scanned commit by commit as it arrives and not kept
(attestation.Prefetch): what it keeps must be what the whole output, read at once, gives —
whatever the sizes of the pieces git writes (a commit header split across two reads)."""
from __future__ import annotations

import bisect
import threading
from pathlib import Path

import pytest

from guardrails import git as gitmod
from guardrails.checks.bypass import hit_lines
from guardrails.skipped import attestation
from tests.conftest import ref_format
from tests.helpers import commit_all, git, make_repo, write


def _history(tmp_path: Path) -> tuple[gitmod.Repo, str, list[str]]:
    repo = make_repo(tmp_path / "r")
    base = git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    for i in range(12):
        body = "".join(f"line {k} of {i}\n" for k in range(i * 3 + 1))
        if i % 4 == 1:
            body += "run: git commit --no-verify -m x\n"  # a bypass literal in an added line
        if i % 5 == 2:
            body += "HUSKY=0 npm test\n"
        write(repo, f"src/f{i % 3}.py", body)
        if i == 6:
            write(repo, "bin.dat", bytes(range(256)) * 40)
        commit_all(repo, f"c{i}")
    r = gitmod.discover(str(repo))
    oids = git("rev-list", "--reverse", f"{base}..HEAD", cwd=repo).stdout.split()
    return r, base, oids


def _expected(data: bytes) -> dict[str, bytes]:
    heads = attestation.commit_heads(data)
    starts = [h[0] for h in heads]
    out: dict[str, bytes] = {}
    for off in hit_lines(data):
        k = bisect.bisect_right(starts, off) - 1
        end = heads[k + 1][0] if k + 1 < len(heads) else len(data)
        out[heads[k][2]] = data[heads[k][1]:end]
    return out


@pytest.mark.parametrize("size", [1, 5, 7, 8, 9, 64, 1000, 1 << 20])
def test_prefetch_keeps_what_the_whole_log_gives(tmp_path: Path, size: int) -> None:
    r, _base, oids = _history(tmp_path)
    data, _ids = attestation._read(r.toplevel, tuple(oids))
    assert data.count(b"\ncommit ") == len(oids) - 1
    scanner = attestation.Prefetch.__new__(attestation.Prefetch)
    scanner.toplevel, scanner.hit, scanner._parts, scanner._tail = r.toplevel, {}, [], b""
    scanner._seen = 0
    scanner.lines = {}
    for i in range(0, len(data), size):  # the pieces git's pipe might yield
        scanner._scan(data[i:i + size])
    scanner._scan(b"", last=True)
    want = _expected(data)
    assert len(want) >= 3
    assert scanner.hit == want
    assert scanner.lines == attestation.patch_lines(data)


def test_prefetch_in_ci_keeps_no_patch(tmp_path: Path) -> None:
    """The real thing: the background git log -p, bound to the range, answers patch ids, hit
    patches and line counts; the patch is read again only if someone asks for all of it."""
    r, base, oids = _history(tmp_path)
    attestation._log.cache_clear()
    data, ids = attestation._read(r.toplevel, tuple(oids))
    pending = attestation.Prefetch(r, [f"{base}..HEAD"], lines=True)
    pending.bind(oids)
    assert isinstance(pending.thread, threading.Thread)
    assert attestation.hit_patches(r, oids) == _expected(data)
    assert attestation._log(r.toplevel, tuple(oids))[0] is None  # not kept
    assert attestation.line_counts(r, oids) == attestation.patch_lines(data)
    got = attestation.patch_ids(r, oids)
    assert {v for v in got.values()} and all(pid in ids.decode() for pid in got.values())
    assert attestation.patches(r, oids) == data  # read again on demand


def test_ci_start_up_git_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ci over a range starts exactly these gits: the repository, base and head in one
    cat-file --batch-check, the merge-base, the policy, the raw log, the patch log into
    patch-id — and nothing per commit."""
    import json
    import os
    import subprocess
    import sys

    from tests.helpers import counting_git, git_subcommands

    repo = make_repo(tmp_path / "r")
    git("checkout", "-q", "-b", "agent/auth", cwd=repo)
    for i in range(5):
        write(repo, f"src/auth/f{i}.py", f"x = {i}\n")
        commit_all(repo, f"c{i}")
    shim_dir, log = counting_git(tmp_path / "shim")
    env = dict(os.environ, PATH=f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "guardrails.cli", "ci", "--base", "main",
                           "--head", "agent/auth", "--format", "json"], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)
    assert len(json.loads(proc.stdout)["commits"]) == 5, proc.stderr
    calls = git_subcommands(log)
    # rev-parse: the repository, and the branch --head names (--symbolic-full-name)
    # reftable: HEAD is no file, so the branch comes from one `git symbolic-ref`
    extra = ["symbolic-ref"] if ref_format() == "reftable" else []
    assert sorted(calls) == sorted(["rev-parse", "rev-parse", "cat-file", "merge-base",
                                    "cat-file", "log", "log", "patch-id", *extra]), calls
    assert calls.count("rev-parse") <= 2 and "for-each-ref" not in calls, calls
