"""The journal: concurrent appends never interleave, rotation keeps every entry readable."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from guardrails.refstore import journal


def _writer(common: str, n: int, tag: int) -> None:
    for i in range(n):
        journal.append(common, [{"kind": "update", "ref": f"refs/heads/w{tag}", "i": i,
                                 "pad": "x" * 200}])


def test_parallel_appends_with_rotation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAILS_JOURNAL_MAX", "200000")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), 300, t)) for t in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    base = tmp_path / "guardrails"
    assert (base / "journal.1.jsonl").exists()
    assert (base / "journal.jsonl").stat().st_size <= 200000
    raw = (base / "journal.1.jsonl").read_text() + (base / "journal.jsonl").read_text()
    assert all(line.startswith("{") and line.endswith("}") for line in raw.splitlines())
    entries = list(journal.read(str(tmp_path)))
    # rotation drops what was in the previous journal.1; what is left is complete per writer
    for t in range(4):
        mine = [e["i"] for e in entries if e["ref"] == f"refs/heads/w{t}"]
        assert mine == sorted(mine) and mine[-1] == 299
        assert mine == list(range(mine[0], 300))


def test_read_skips_a_torn_line(tmp_path: Path) -> None:
    journal.append(str(tmp_path), [{"kind": "update", "ref": "refs/heads/a"}])
    with open(tmp_path / "guardrails" / "journal.jsonl", "a") as f:
        f.write('{"kind": "upd')
    journal.append(str(tmp_path), [{"kind": "update", "ref": "refs/heads/b"}])
    assert [e["ref"] for e in journal.read(str(tmp_path))] == ["refs/heads/a", "refs/heads/b"]
