"""One definition of the ref journal: the shim's fast path (native/shim.sh, no Python) and
guardrails.refstore.journal write the same lines, under the same flock, and rotate at the same
size. Real repositories, the installed shim, real concurrent git commits and Python writers."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from guardrails import git as ggit
from guardrails.refstore import journal as gjournal
from guardrails.refstore import native
from tests.helpers import git, write
from tests.refstore_helpers import agents, commit_file, head

pytestmark = pytest.mark.skipif(
    not any(os.access(os.path.join(d, "flock"), os.X_OK)
            for d in os.environ.get("PATH", "").split(os.pathsep)),
    reason="no flock(1): the shim hands every journal write to Python")


def _no_python(repo: Path) -> None:
    """The installed shim can start no Python: anything but its fast path says so."""
    shim = repo / ".git" / "hooks" / "reference-transaction"
    text = shim.read_text().replace("GUARDRAILS_PYTHON='", "GUARDRAILS_PYTHON='/nonexistent")
    shim.write_text(text.replace("command -v python3", "command -v no-such-python"))


def _files(repo: Path) -> tuple[Path, Path]:
    d = repo / ".git" / gjournal.DIRNAME
    return d / gjournal.NAME, d / gjournal.ROTATED


def _raw_lines(p: Path) -> list[bytes]:
    return [ln for ln in p.read_bytes().split(b"\n") if ln] if p.exists() else []


def _parsed(p: Path) -> list[dict[str, object]]:
    """What the journal's own reader takes from one file (guardrails.state.read_lines)."""
    from guardrails import state

    return list(state.read_lines(str(p), gjournal.ENTRY))


def test_installed_shim_carries_the_journal_definition(tmp_path: Path) -> None:
    repo, _a, _b = agents(tmp_path)
    text = (repo / ".git" / "hooks" / "reference-transaction").read_text()
    consts = gjournal.shell_constants()
    assert "@JOURNAL" not in text
    assert f"journal_file='{consts['@JOURNAL@']}'" in text
    assert f"journal_max=${{GUARDRAILS_JOURNAL_MAX:-{gjournal.DEFAULT_MAX}}}" in text
    assert f'out="$out{gjournal.shell_line()}\n"' in text
    assert f"# guardrails-journal: {consts['@JOURNAL_ID@']}" in text
    assert "1000000" not in text  # the old hard-coded rotation size
    # the checked-commits record's trim size is reftx's too, and no placeholder is left
    from guardrails.refstore.native import reftx

    assert f'-gt {reftx.CHECKED_MAX_BYTES} ]; then' in text
    assert not re.search(r"@[A-Z_]+@", text)
    r = ggit.discover(str(repo))
    assert native.outdated(r) == []
    # a shim written from another definition of the journal is outdated (doctor says so)
    shim = repo / ".git" / "hooks" / "reference-transaction"
    shim.write_text(text.replace(consts["@JOURNAL_ID@"], "0" * 16))
    assert native.outdated(r) == [str(shim)]


def test_shim_line_is_the_line_python_writes(tmp_path: Path) -> None:
    """The fast path's entry has exactly the fields, order and spacing of journal.append's."""
    repo, a, _ = agents(tmp_path)
    _no_python(repo)
    before = head(a)
    proc = commit_file(a, "src/auth/x.py", "x = 1\n")
    assert proc.returncode == 0 and "no Python found" not in proc.stderr, proc.stderr
    (line,) = _raw_lines(_files(repo)[0])
    entry = json.loads(line)
    assert entry == {"cmd": "commit", "kind": "update", "new": head(a), "old": before,
                     "ref": "refs/heads/agent/auth", "task": "auth", "time": entry["time"],
                     "worktree": str(a)}
    assert isinstance(entry["time"], int)
    # the same entry appended by Python: the same bytes but for the time
    gjournal.append(str(repo / ".git"), [{k: v for k, v in entry.items() if k != "time"}])
    py_line = _raw_lines(_files(repo)[0])[1]
    assert json.loads(py_line) == {**entry, "time": json.loads(py_line)["time"]}
    assert line.split(b'"time": ')[0] == py_line.split(b'"time": ')[0]
    assert line.split(b", ", 7)[-1] == py_line.split(b", ", 7)[-1]


@pytest.mark.parametrize("awk", ["as installed", "splits nothing", "fails"])
def test_the_command_and_time_come_from_awk_or_else_tr_and_date(tmp_path: Path,
                                                                 awk: str) -> None:
    """One awk reads the git command line and the time; an awk that does not split at NULs
    (or fails) leaves the shim to tr and date: the same entry either way."""
    import time

    repo, a, _ = agents(tmp_path)
    _no_python(repo)
    env = None
    if awk != "as installed":
        fake = tmp_path / "fake-bin"
        fake.mkdir()
        # "splits nothing": the time, then the command line as one record (NULs kept), as an
        # awk without NUL record separators would print them
        body = 'date +%s; cat "$4"; echo' if awk == "splits nothing" else "exit 2"
        (fake / "awk").write_text(f"#!/bin/sh\n{body}\n")
        (fake / "awk").chmod(0o755)
        env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    before = head(a)
    t0 = int(time.time())
    proc = commit_file(a, "src/auth/x.py", "x = 1\n", env=env)
    t1 = int(time.time()) + 1
    assert proc.returncode == 0 and "no Python found" not in proc.stderr, proc.stderr
    (line,) = _raw_lines(_files(repo)[0])
    entry = json.loads(line)
    assert entry == {"cmd": "commit", "kind": "update", "new": head(a), "old": before,
                     "ref": "refs/heads/agent/auth", "task": "auth", "time": entry["time"],
                     "worktree": str(a)}
    assert isinstance(entry["time"], int) and t0 <= entry["time"] <= t1


def _shim_line_len(wt: Path, old: str) -> int:
    """The length of the line the shim writes for the next commit in ``wt`` (the new commit
    id and the time are not known yet, but their lengths are)."""
    entry = {"cmd": "commit", "kind": "update", "new": "f" * len(old), "old": old,
             "ref": "refs/heads/agent/auth", "task": "auth", "time": 1_700_000_000,
             "worktree": str(wt)}
    return len(json.dumps(entry, sort_keys=True)) + 1


def _fill(p: Path, size: int) -> None:
    """Make ``p`` exactly ``size`` bytes of valid journal lines."""
    p.parent.mkdir(parents=True, exist_ok=True)
    base = len(json.dumps({"kind": "filler", "pad": "", "time": 1}, sort_keys=True)) + 1
    lines, left = [], size
    while left > 0:
        n = min(left, 2000)
        if left - n and left - n < base:
            n = left - base  # leave room for one more whole line
        lines.append(json.dumps({"kind": "filler", "pad": "x" * (n - base), "time": 1},
                                sort_keys=True) + "\n")
        left -= n
    p.write_text("".join(lines))
    assert p.stat().st_size == size


@pytest.mark.parametrize("limit", [gjournal.MIN_MAX, 6000])
def test_shim_and_python_rotate_at_the_one_size(tmp_path: Path, limit: int,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A line that brings the journal to exactly GUARDRAILS_JOURNAL_MAX is appended (by the
    shim, no Python); one more byte and the journal is rotated first (by Python, under the
    lock the shim takes). Python's own appends rotate at the same size."""
    monkeypatch.setenv("GUARDRAILS_JOURNAL_MAX", str(limit))
    repo, a, _ = agents(tmp_path)
    current, rotated = _files(repo)
    _fill(current, limit - _shim_line_len(a, head(a)))
    _no_python(repo)
    proc = commit_file(a, "src/auth/x.py", "x = 1\n")
    assert proc.returncode == 0 and "no Python found" not in proc.stderr, proc.stderr
    assert current.stat().st_size == limit and not rotated.exists()
    # one byte over: the shim does not append, it hands over to Python (here: none, it says so)
    _fill(current, limit - _shim_line_len(a, head(a)) + 1)
    proc = commit_file(a, "src/auth/y.py", "y = 1\n")
    assert "no Python found" in proc.stderr
    assert current.stat().st_size == limit - _shim_line_len(a, head(a)) + 1  # nothing written
    # with Python: rotated once, at that size, and the new line starts the new journal
    from guardrails.refstore.native import render

    shim = repo / ".git" / "hooks" / "reference-transaction"
    shim.write_text(render("reference-transaction", ggit.discover(str(repo))))
    old = head(a)
    _fill(current, limit - _shim_line_len(a, old) + 1)
    proc = commit_file(a, "src/auth/z.py", "z = 1\n")
    assert proc.returncode == 0, proc.stderr
    assert rotated.stat().st_size == limit - _shim_line_len(a, old) + 1
    assert [(e["old"], e["new"]) for e in _parsed(current)] == [(old, head(a))]
    # Python's append: the same boundary (a time whose JSON length is known)
    monkeypatch.setattr("guardrails.refstore.journal.time.time", lambda: 1700000000.125)
    for extra, rotates in ((0, False), (1, True)):
        entry = {"kind": "probe", "ref": "refs/heads/agent/auth", "old": old, "new": old}
        n = len(json.dumps({**entry, "time": 1700000000.125}, sort_keys=True)) + 1
        _fill(current, limit - n + extra)
        rotated.unlink(missing_ok=True)
        gjournal.append(str(repo / ".git"), [entry])
        assert rotated.exists() == rotates, (extra, current.stat().st_size)
        assert current.stat().st_size == (n if rotates else limit)


def _python_writer(common: str, n: int, env: dict[str, str], stop: Path,
                   cap: int) -> subprocess.Popen[bytes]:
    """A Python process appending ``n`` entries, then more until ``stop`` exists (at most
    ``cap``)."""
    code = ("import os, sys\nfrom guardrails.refstore import journal\n"
            "i = 0\n"
            "while i < int(sys.argv[4]) and (i < int(sys.argv[2])\n"
            "                                or not os.path.exists(sys.argv[3])):\n"
            "    journal.append(sys.argv[1], [{'kind': 'py-writer', 'seq': i}])\n"
            "    i += 1\n")
    return subprocess.Popen([sys.executable, "-c", code, common, str(n), str(stop), str(cap)],
                            env=env)


def _commit_loop(wt: Path, n: int, env: dict[str, str], errors: list[str]) -> None:
    for i in range(n):
        write(wt, f"src/{wt.name}/f{i}.txt", f"{i}\n")
        git("add", "-A", cwd=wt, env=env)
        proc = git("commit", "-q", "-m", f"c{i}", cwd=wt, env=env, check=False)
        if proc.returncode != 0 or proc.stderr.strip():
            errors.append(proc.stderr)


def _concurrent(repo: Path, a: Path, b: Path, commits: int, py: int,
                env: dict[str, str], cap: int) -> list[str]:
    errors: list[str] = []
    stop = repo.parent / "stop-writer"
    writer = _python_writer(str(repo / ".git"), py, env, stop, cap)
    threads = [threading.Thread(target=_commit_loop, args=(wt, commits, env, errors))
               for wt in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.write_text("")
    assert writer.wait(timeout=300) == 0
    return errors


def test_concurrent_shim_and_python_writes_parse_fully(tmp_path: Path) -> None:
    """Two worktrees committing (the shim's fast path, no Python can start) while a Python
    process appends: every line of the journal parses, none is lost or torn."""
    repo, a, b = agents(tmp_path)
    git("config", "--local", "gc.auto", "0", cwd=repo)
    _no_python(repo)
    env = {**os.environ, "GUARDRAILS_JOURNAL_MAX": str(1 << 20)}
    commits, py = 25, 300
    errors = _concurrent(repo, a, b, commits, py, env, cap=5000)  # < 1 MiB: no rotation
    assert errors == []
    current, rotated = _files(repo)
    assert not rotated.exists()
    raw = _raw_lines(current)
    entries = _parsed(current)
    assert len(entries) == len(raw)
    assert len([e for e in entries if e["kind"] == "update"]) == 2 * commits
    shim = [e for e in entries if e["kind"] == "update"]
    assert sorted(str(e["worktree"]) for e in shim) == sorted([str(a)] * commits +
                                                              [str(b)] * commits)
    seqs = [int(str(e["seq"])) for e in entries if e["kind"] == "py-writer"]
    assert seqs == list(range(len(seqs))) and len(seqs) >= py


def test_concurrent_writes_rotate_at_the_one_size(tmp_path: Path) -> None:
    """The same with a small GUARDRAILS_JOURNAL_MAX, so that both writers hit rotation many
    times: neither file is ever over the size, and every line of both parses."""
    repo, a, b = agents(tmp_path)
    git("config", "--local", "gc.auto", "0", cwd=repo)
    limit = gjournal.MIN_MAX
    env = {**os.environ, "GUARDRAILS_JOURNAL_MAX": str(limit)}
    errors = _concurrent(repo, a, b, 15, 200, env, cap=1 << 30)
    assert errors == []
    current, rotated = _files(repo)
    assert rotated.exists()
    for p in (current, rotated):
        assert p.stat().st_size <= limit, p
        assert len(_parsed(p)) == len(_raw_lines(p)), p
    kinds = {e["kind"] for p in (current, rotated) for e in _parsed(p)}
    assert "py-writer" in kinds


def test_shim_waits_for_the_journal_lock_python_holds(tmp_path: Path) -> None:
    """The shim's append takes the flock guardrails.state.append_line takes: while a Python
    process holds it, the commit's journal line waits, and lands after that process's line."""
    import time

    repo, a, _ = agents(tmp_path)
    _no_python(repo)
    current, _rotated = _files(repo)
    current.parent.mkdir(parents=True, exist_ok=True)
    current.touch()
    code = ("import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_APPEND)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(1.5)\n"
            "os.write(fd, b'{\"kind\": \"held\", \"time\": 1}\\n')\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(current)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    t0 = time.monotonic()
    proc = commit_file(a, "src/auth/x.py", "x = 1\n")
    waited = time.monotonic() - t0
    assert holder.wait(timeout=30) == 0
    assert proc.returncode == 0 and "no Python found" not in proc.stderr, proc.stderr
    assert waited >= 1.0, waited
    assert [e["kind"] for e in _parsed(current)] == ["held", "update"]
