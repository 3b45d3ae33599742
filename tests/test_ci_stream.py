"""The range's ``git log -p`` is scanned commit by commit as it arrives and not kept
(guardrails.git.patchlog.PatchLog): what it keeps must be what the whole output, read at once,
gives — whatever the sizes of the pieces git writes (a commit header split across two reads)."""
from __future__ import annotations

import bisect
import threading
from pathlib import Path

import pytest

from guardrails import git as gitmod
from guardrails.checks.bypass import hit_lines
from guardrails.git import patchlog
from guardrails.git.patchlog import PatchLog
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
        trailer = ["--trailer", f"Guardrails-Checked: {'ab' * 20}"] if i % 3 == 0 else []
        commit_all(repo, f"c{i}", None, *trailer)
    r = gitmod.discover(str(repo))
    oids = git("rev-list", "--reverse", f"{base}..HEAD", cwd=repo).stdout.split()
    return r, base, oids


def _expected(data: bytes) -> dict[str, bytes]:
    heads = patchlog.commit_heads(data)
    starts = [h[0] for h in heads]
    out: dict[str, bytes] = {}
    for off in hit_lines(data):
        k = bisect.bisect_right(starts, off) - 1
        end = heads[k + 1][0] if k + 1 < len(heads) else len(data)
        out[heads[k][2]] = data[heads[k][1]:end]
    return out


@pytest.mark.parametrize("size", [1, 5, 7, 8, 9, 64, 1000, 1 << 20])
def test_patch_log_keeps_what_the_whole_log_gives(tmp_path: Path, size: int) -> None:
    r, _base, oids = _history(tmp_path)
    data, _ids = patchlog.read(r.toplevel, oids)
    assert data.count(b"\ncommit ") == len(oids) - 1
    scanner = PatchLog(r, hit_lines, lines=True)
    fed = []
    for i in range(0, len(data), size):  # the pieces git's pipe might yield
        fed.append(scanner._feed(data[i:i + size]))
    fed.append(scanner._feed(b""))
    want = _expected(data)
    assert len(want) >= 3
    assert scanner.hit == want
    assert scanner.lines == patchlog.patch_lines(data)
    assert scanner.seen == set(oids)
    # only the commits with a trailer go to patch-id: whole, as they are in the log
    marked = [o for i, o in enumerate(oids) if i % 3 == 0]
    assert scanner.fed == set(marked)
    split = patchlog.split_patches(data)
    assert b"".join(fed) == b"".join(b"commit " + o.encode() + split[o] for o in marked)


def test_patch_log_in_ci_keeps_no_patch(tmp_path: Path) -> None:
    """The real thing: the background git log -p answers patch ids, hit patches and line
    counts; patch-id gets only the commits with a trailer, and an id asked for a commit
    without one is read then; the patch is read again only if someone asks for all of it."""
    r, base, oids = _history(tmp_path)
    data, ids = patchlog.read(r.toplevel, oids)
    every = patchlog.patch_ids(r, oids)
    assert set(every.values()) <= {line.split()[0] for line in ids.decode().splitlines()}
    with PatchLog.start(r, [f"{base}..HEAD"], hit_lines, lines=True) as log:
        assert isinstance(log.thread, threading.Thread)
        assert log.hit_patches(oids, hit_lines) == _expected(data)
        assert log.thread is None  # joined by the first question
        assert log.kept is None  # not kept
        assert log.line_counts(oids) == patchlog.patch_lines(data)
        assert len(log.fed) == 4 and log.fed < set(oids)
        assert log.patch_ids(oids) == every  # the others read now
        assert log.patches(oids) == data  # read again on demand
        # another scanner than the one it was started with: the patch is scanned again
        assert log.hit_patches(oids, lambda d, big: hit_lines(d, big)) == _expected(data)


def test_patch_log_error_is_raised_to_its_owner(tmp_path: Path) -> None:
    """A git failure in the thread reaches the caller (exit 2 with git's message), and the
    thread is over whatever happened."""
    r, _base, _oids = _history(tmp_path)
    log = PatchLog.start(r, ["no-such-rev"], hit_lines)
    with pytest.raises(gitmod.GitError):
        log.patch_ids([])
    log.close()
    assert log.thread is None


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


def _judged(repo: Path) -> dict[str, object]:
    """ci's verdict over main..agent/auth, in this process."""
    from guardrails.review import judge as rv

    r = gitmod.discover(str(repo))
    verdict = rv.judge(rv.gather(r, "main", "agent/auth", strict=True))
    return {"rules": [(f.rule, f.commit) for f in verdict.findings],
            "attestation": verdict.attestation}


def test_no_thread_outlives_the_verdict(tmp_path: Path) -> None:
    """The range's patch log runs in a thread its context owns and joins: none is left when
    judge returns, whether a check read the log or not (a range of human commits), so nothing
    of re2 runs while the interpreter exits (that aborted it: exit 134)."""
    repo = make_repo(tmp_path / "r")
    git("switch", "-q", "-c", "agent/auth", cwd=repo)
    write(repo, "src/auth/a.py", "x = 1\n" * 5000)
    commit_all(repo, "human, by its metadata; a task covers the branch")
    before = threading.active_count()
    _judged(repo)
    assert threading.active_count() == before
    git("switch", "-q", "-c", "feature/human", cwd=repo)
    write(repo, "src/auth/b.py", "y = 1\n" * 5000)
    commit_all(repo, "human")
    from guardrails.review import judge as rv

    r = gitmod.discover(str(repo))
    verdict = rv.judge(rv.gather(r, "main", "feature/human"))
    assert verdict.rng.log is not None and verdict.rng.log.thread is None
    assert threading.active_count() == before


def test_trailer_git_does_not_see_is_still_verified(tmp_path: Path) -> None:
    """patch-id gets only the commits whose trailer git sees in the log; a trailer the
    attestation reads but git's trailer parser does not (a paragraph that mixes it with
    prose) has its id read afterwards: a valid one is present, a wrong one a mismatch."""
    repo = make_repo(tmp_path / "r")
    git("switch", "-q", "-c", "agent/auth", cwd=repo)
    r = gitmod.discover(str(repo))
    oids = []
    for i, prose in enumerate(("", "some prose in the last paragraph\n")):
        write(repo, f"src/auth/f{i}.py", f"x = {i}\n")
        oid = commit_all(repo, f"c{i}")
        pid = patchlog.patch_ids(r, [oid])[oid]
        git("commit", "-q", "--amend", "--no-verify", "-m",
            f"c{i}\n\n{prose}Guardrails-Checked: {pid}", cwd=repo)
        oids.append(git("rev-parse", "HEAD", cwd=repo).stdout.strip())
    write(repo, "src/auth/f9.py", "x = 9\n")
    commit_all(repo, "c9")
    git("commit", "-q", "--amend", "--no-verify", "-m",
        f"c9\n\nwords\nGuardrails-Checked: {'0' * 39}1", cwd=repo)
    oids.append(git("rev-parse", "HEAD", cwd=repo).stdout.strip())
    got = _judged(repo)
    assert got["attestation"] == {oids[0]: "present", oids[1]: "present", oids[2]: "mismatch"}
    assert ("attest-mismatch", oids[2]) in got["rules"]  # type: ignore[operator]
    assert not any(rule == "attest-mismatch" and c != oids[2]
                   for rule, c in got["rules"])  # type: ignore[attr-defined]


def test_bypass_literal_in_a_range_is_caught(tmp_path: Path) -> None:
    """The bypass scan of the range's patch log on the way: an added `--no-verify` in one
    commit of a range is reported for that commit, in a range long and short alike (the
    stream passes the 256 KiB at which the scanner switches to re2)."""
    repo = make_repo(tmp_path / "r")
    git("switch", "-q", "-c", "agent/auth", cwd=repo)
    bad = []
    for i in range(6):
        write(repo, f"src/auth/f{i}.py", "".join(f"v{k} = {k}\n" for k in range(i * 20000)))
        if i in (2, 5):
            write(repo, f"src/auth/run{i}.sh", "git commit --no-verify -m wip\n")
        oid = commit_all(repo, f"c{i}")
        if i in (2, 5):
            bad.append(oid)
    got = _judged(repo)
    assert sorted(c for rule, c in got["rules"]  # type: ignore[attr-defined]
                  if rule == "bypass-added-line") == sorted(bad)


def test_patch_log_started_ahead_waits_for_its_orders(tmp_path: Path) -> None:
    """gather starts git before the policy is read (``ready=False``): the commits are handled
    as configure() says once it is called; a log never configured (the policy could not be
    read: exit 2) is drained and dropped by close(), never left hanging."""
    r, base, oids = _history(tmp_path)
    data, _ids = patchlog.read(r.toplevel, oids)
    log = PatchLog.start(r, [f"{base}..HEAD"], ready=False)
    with pytest.raises(AssertionError, match="configure"):
        log.line_counts(oids)
    log.configure(hit_lines, lines=True)
    assert log.line_counts(oids) == patchlog.patch_lines(data)
    assert log.hit_patches(oids, hit_lines) == _expected(data)
    dropped = PatchLog.start(r, [f"{base}..HEAD"], ready=False)
    dropped.close()
    assert dropped.thread is None and not dropped.hit and dropped.seen == set(oids)


def test_ci_with_a_broken_policy_at_the_merge_base_exits_2(tmp_path: Path) -> None:
    """The range's logs are already running when the policy turns out unreadable: ci still
    exits 2 with the policy error, promptly (the early log is closed, not waited on forever)."""
    from tests.helpers import gg

    repo = make_repo(tmp_path / "r", policy="[guardrails]\nbase = \n")
    git("switch", "-q", "-c", "agent/auth", cwd=repo)
    write(repo, "src/auth/a.py", "x = 1\n")
    commit_all(repo, "c")
    proc = gg("ci", "--base", "main", "--format", "json", cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
