"""A big staged file through the real commit hooks, in bounded memory (issue 15 item 7, issue
18 item 4). Not a timed test: it measures peak RSS.

A real ``git commit`` in a session runs the pre-commit stage (the combined ``guardrails``
hook) and prepare-commit-msg (``require-checks``) from ``.git/hooks``; each hook is a fresh
Python process that runs the hook's ``main`` and records ``getrusage(RUSAGE_SELF)`` (the hook
itself) and ``getrusage(RUSAGE_CHILDREN)`` (the largest git process it waited for). The hook's
own peak for a staged file of 48 MB may exceed its peak for a one-line change by far less
than the file's size: an implementation that holds the staged diff (or any file-sized piece of
it) in Python exceeds the bound, a streaming one stays well under it."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import add_worktree, git, make_repo, write

MB = 48
# the hook's own growth allowed for a 48 MB staged file: chunk buffers and a few lines, never
# the file (a whole-diff implementation adds >= 48 MB; one holding a text copy adds 100+)
BOUND_KB = 16 * 1024

POLICY = """\
[guardrails]
base = "main"
protected = ["main"]
locked = [".guardrails.toml"]

[tasks.big]
branch = "agent/big"
allow = ["data/**", "src/**"]
max-files = 40
max-lines = 100000000
"""

MEASURE = """\
import json, os, resource, sys
hook = sys.argv[1]
sys.argv = [hook, *sys.argv[2:]]
if hook == "pre-commit":
    from guardrails_hooks.combined import main
else:
    from guardrails_hooks.require_checks import main
rc = 1
try:
    rc = main()
finally:
    with open(os.environ["RSS_LOG"], "a") as f:
        f.write(json.dumps({"hook": hook, "rc": rc,
                            "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                            "git_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss})
                + "\\n")
sys.exit(rc)
"""


def _setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = make_repo(tmp_path / "repo", POLICY, files={"src/a.py": "a = 1\n"})
    measure = tmp_path / "measure.py"
    measure.write_text(MEASURE)
    for hook in ("pre-commit", "prepare-commit-msg"):
        p = repo / ".git" / "hooks" / hook
        p.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{measure}" {hook} "$@"\n')
        p.chmod(0o755)
    wt = add_worktree(repo, tmp_path / "wt", "agent/big")
    proc = subprocess.run(["git-guardrails", "start"], cwd=wt, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = {"CLAUDECODE": "1", "RSS_LOG": str(tmp_path / "rss.log")}
    return wt, env


def _commit(wt: Path, env: dict[str, str], rel: str) -> dict[str, dict[str, int]]:
    log = Path(env["RSS_LOG"])
    log.unlink(missing_ok=True)
    git("add", "--", rel, cwd=wt)
    proc = git("commit", "-q", "-m", f"add {rel}", cwd=wt, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    got = {r["hook"]: r for r in rows}
    assert set(got) == {"pre-commit", "prepare-commit-msg"}, rows
    return got


def _text(n: int, rnd: random.Random) -> bytes:
    """Lines of words; every 4,096th names a bypass literal (the scan looks closer at those,
    none is a finding)."""
    words = [b"alpha", b"beta", b"gamma", b"delta", b"commit", b"x" * 40]
    out = bytearray()
    i = 0
    while len(out) < n:
        extra = b" skip the core hookspath" if i % 4096 == 0 else b""
        out += b"line %d %s %s%s\n" % (i, rnd.choice(words), rnd.choice(words), extra)
        i += 1
    return bytes(out)


@pytest.mark.parametrize("kind", ["binary", "text"])
def test_a_big_staged_file_is_committed_in_bounded_memory(tmp_path: Path, kind: str) -> None:
    wt, env = _setup(tmp_path)
    write(wt, "src/small.py", "b = 2\n")
    small = _commit(wt, env, "src/small.py")
    rnd = random.Random(15)
    data = os.urandom(MB << 20) if kind == "binary" else _text(MB << 20, rnd)
    write(wt, "data/big.bin" if kind == "binary" else "data/big.txt", data)
    big = _commit(wt, env, "data/big.bin" if kind == "binary" else "data/big.txt")
    # the commit went through and carries its attestation
    msg = git("log", "-1", "--format=%B", cwd=wt).stdout
    assert "Guardrails-Checked:" in msg, msg
    report = {h: (small[h]["self_kb"], big[h]["self_kb"], big[h]["git_kb"]) for h in big}
    print(f"{kind}: hook -> (own peak KB one-line commit, own peak KB {MB} MB, largest git KB)",
          report)
    for hook, (before, after, _git) in report.items():
        assert after - before < BOUND_KB, (
            f"{hook}: the hook's own peak RSS grew by {(after - before) // 1024} MB for a "
            f"{MB} MB staged {kind} file (bound {BOUND_KB // 1024} MB): {report}")


# --- the streamed scan, piece by piece ----------------------------------------------------------

def _staged_repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "r", POLICY, files={"README.md": "readme\n", "f.sh": "x\n"})
    write(repo, ".gitattributes", "f.sh binary\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", "attributes", cwd=repo)
    write(repo, "a.sh", "echo hi\ngit commit --no-verify -m x\n")
    write(repo, "b.py", "x = 1\n")
    # binary content (NUL bytes): not line-scanned, its "+skip --no-verify" bytes included
    write(repo, "c.bin", bytes(range(256)) * 64 + b"+skip --no-verify\n")
    write(repo, "d.txt", "caf\u00e9\nuse core.Hoo\u212aSPath\n")  # a Kelvin sign folds to k
    write(repo, "e.txt", "nothing here\n")
    write(repo, "f.sh", "x\ny\nexport SKIP=guardrails\n")  # text, though "binary" by attribute
    write(repo, "README.md", "readme\nmore\nuse core.hooksPath here\n")
    git("add", "-A", cwd=repo)
    return repo


@pytest.mark.parametrize("size", [1, 11, 100, 1 << 16])
def test_staged_lines_streams_the_attestation_diff(tmp_path: Path, size: int) -> None:
    """Fed in pieces of any size, the scan finds exactly what the whole-diff scan (unidiff)
    finds in the text files, with their line numbers; a binary file is skipped whole."""
    from guardrails import git as gitmod
    from guardrails.checks import bypass
    from guardrails.skipped import attestation

    repo = _staged_repo(tmp_path)
    r = gitmod.discover(str(repo))
    diff = attestation.staged_diff(r)
    assert b"+skip --no-verify" in diff  # --text: the binary file's bytes are in the stream
    scan = bypass.StagedLines("main@x")
    for i in range(0, len(diff), size):
        scan.feed(diff[i:i + size])
    got = [(f.path, f.line, f.rule, f.severity) for f in scan.finish()]
    text_only = gitmod.out(*attestation.staged_args(), "--", ":(exclude)c.bin", cwd=str(repo))
    whole = [(f.path, f.line, f.rule, f.severity)
             for f in bypass.scan_diff(text_only, None, "main@x")]
    assert got == whole
    assert sorted((p, n) for p, n, _r, _s in got) == [
        ("README.md", 3), ("a.sh", 2), ("d.txt", 2), ("f.sh", 3)]
    assert scan.binary == ["c.bin"]
    found, pid = bypass.staged_findings(r, "main@x")
    assert [(f.path, f.line) for f in found] == [(p, n) for p, n, _r, _s in got]
    assert pid == attestation.patch_id_of(r, diff)


def test_staged_lines_long_lines_stay_bounded(tmp_path: Path) -> None:
    """A 5 MB line is scanned in LONG_LINE pieces with an overlap: a literal cut by a piece
    boundary is found, once, with its line number, and the scanner never holds the line."""
    from guardrails.checks import bypass

    head = b"diff --git a/x.sh b/x.sh\nnew file mode 100644\nindex 0000000..1111111\n" \
           b"--- /dev/null\n+++ b/x.sh\n@@ -0,0 +1,3 @@\n+first\n+"
    cut = bypass.LONG_LINE - len(head) - 3  # "--no-verify" straddles the first boundary
    line = b"a" * cut + b" git commit --no-verify " + b"b" * (5 << 20)
    data = head + line + b"\n+last\n"
    scan = bypass.StagedLines()
    peak = 0
    for i in range(0, len(data), 1 << 18):
        scan.feed(data[i:i + (1 << 18)])
        peak = max(peak, len(scan._carry))
    found = scan.finish()
    assert [(f.path, f.line, f.rule) for f in found] == [("x.sh", 2, "bypass-added-line")]
    assert peak <= bypass.LONG_LINE + (1 << 18)


def test_fingerprint_follows_the_index_not_its_size(tmp_path: Path) -> None:
    """The record's fingerprint is the staged raw diff's: equal for the same index, different
    once the index changes (a staged edit after the check), whatever the files' sizes."""
    from guardrails import git as gitmod
    from guardrails.skipped import attestation

    repo = _staged_repo(tmp_path)
    r = gitmod.discover(str(repo))
    one = attestation.staged_fingerprint(r)
    assert attestation.staged_fingerprint(r) == one
    write(repo, "b.py", "x = 2\n")
    git("add", "b.py", cwd=repo)
    assert attestation.staged_fingerprint(r) != one


def test_a_forged_recorded_patch_id_is_caught_by_the_range_check(tmp_path: Path) -> None:
    """require-checks puts the patch id the pre-commit stage recorded in the trailer. An agent
    that rewrites it (checked.json is in its reach) gets a trailer that the range check (CI)
    recomputes and refuses: the recorded id saves a diff, it cannot vouch for anything."""
    wt, env = _setup(tmp_path)
    write(wt, "src/ok.py", "ok = 1\n")
    _commit(wt, env, "src/ok.py")
    proc = subprocess.run(["git-guardrails", "check", "--range", "main..HEAD", "--format",
                           "json"], cwd=wt, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hook = wt.parent / "repo" / ".git" / "hooks" / "pre-commit"
    forge = (f'"{sys.executable}" -c "import json,sys; p=sys.argv[1]; d=json.load(open(p)); '
             "d['patch_id']='1'*40; json.dump(d, open(p, 'w'))\" "
             '"$(git rev-parse --git-dir)/guardrails/checked.json"')
    hook.write_text(hook.read_text().replace("exec ", "") + forge + "\n")
    write(wt, "src/forged.py", "forged = 1\n")
    _commit(wt, env, "src/forged.py")
    assert "Guardrails-Checked: " + "1" * 40 in git("log", "-1", "--format=%B", cwd=wt).stdout
    proc = subprocess.run(["git-guardrails", "check", "--range", "main..HEAD", "--format",
                           "json"], cwd=wt, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rules = {f["rule"] for f in json.loads(proc.stdout)["findings"]}
    assert any(r.startswith("attest") for r in rules), rules


@pytest.mark.parametrize("size", [1, 2, 5, 12, 13, 64, 4096])
def test_a_binary_section_is_skipped_as_bytes_up_to_the_next_file(size: int) -> None:
    """Once a section shows a NUL byte, the scan looks only for the next ``diff --git`` line
    (in bytes, whatever the piece size, a header cut in two included), and finds the next
    file's added lines with their line numbers."""
    from guardrails.checks import bypass

    binary = (b"diff --git a/b.bin b/b.bin\nnew file mode 100644\nindex 0000000..1111111\n"
              b"--- /dev/null\n+++ b/b.bin\n@@ -0,0 +1,40 @@\n+\x00\x01abc\n"
              b"+skip --no-verify x\n" + b"".join(b"+" + bytes(range(1, 200)) + b"\n"
                                                   for _ in range(38)))
    text = (b"diff --git a/t.sh b/t.sh\nnew file mode 100644\nindex 0000000..2222222\n"
            b"--- /dev/null\n+++ b/t.sh\n@@ -0,0 +1,2 @@\n+ok\n+git commit --no-verify -m x\n")
    data = binary + text
    scan = bypass.StagedLines()
    for i in range(0, len(data), size):
        scan.feed(data[i:i + size])
    assert [(f.path, f.line) for f in scan.finish()] == [("t.sh", 2)]
    assert scan.binary == ["b.bin"]
