"""The stress benchmark, small (4 worktrees x 10 commits): real parallel agents and a real
maintenance loop. The guarded run must lose nothing, keep fsck clean and name every refusal."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench import parallel_agents as bench


def test_guarded_agents_lose_nothing_beside_prune_now(tmp_path: Path) -> None:
    r = bench.run_mode("guarded/prunenow", 4, 10, tmp_path)
    assert r.attempted == 40
    assert r.maint_runs > 0, "the maintenance loop never ran"
    assert r.lost == 0 and r.on_branch == r.ok
    assert r.fsck == 0
    assert r.locks == []
    assert r.failed == r.named, r.causes  # every refusal names its cause


def test_unguarded_baseline_is_measured(tmp_path: Path) -> None:
    r = bench.run_mode("plain/prunenow", 4, 10, tmp_path)
    assert r.attempted == 40 and r.maint_runs > 0
    # what plain git loses here varies run to run: only the table is checked
    text = bench.table([r])
    assert "| plain/prunenow | 40 |" in text


def test_main_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["-n", "2", "-k", "2", "--mode", "plain/none",
                       "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| plain/none | 4 | 4 | 4 | 0 (0 / 0) |" in out
