"""`git guardrails status`: every worktree, overlaps, stray changes; cheap and lock-free."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Optional

from tests.helpers import commit_all, counting_git, gg, git, git_calls, make_repo, write


def status(cwd: Path, env: Optional[dict[str, str]] = None) -> dict[str, Any]:
    proc = gg("status", "--format", "json", cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def add(repo: Path, path: Path, branch: str, *extra: str) -> Path:
    proc = gg("worktree", "add", str(path), branch, *extra, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return path


def test_rows_for_every_worktree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    a = add(repo, tmp_path / "a", "agent/auth", "--agent", "codex")
    write(a, "src/auth/one.py")
    commit_all(a, "one")
    write(a, "src/auth/two.py")
    commit_all(a, "two")
    write(a, "src/auth/wip.py")
    d = add(repo, tmp_path / "d", "agent/docs")
    write(repo, "README.md", "main moves\n")
    commit_all(repo, "main moves")
    plain = tmp_path / "plain"
    git("worktree", "add", "-q", "-b", "feature/x", str(plain), "main", cwd=repo)
    rows = {r["path"]: r for r in status(d)["worktrees"]}
    assert list(rows) == [str(repo), str(a), str(d), str(plain)]
    ra = rows[str(a)]
    assert (ra["branch"], ra["task"], ra["session"], ra["agent"]) == (
        "agent/auth", "auth", "active", "codex")
    assert (ra["ahead"], ra["behind"], ra["state"], ra["dirty"]) == (2, 1, "dirty", 1)
    assert ra["changed"] == ["src/auth/one.py", "src/auth/two.py", "src/auth/wip.py"]
    assert rows[str(d)]["state"] == "clean" and rows[str(d)]["behind"] == 1
    assert rows[str(repo)]["main"] is True and rows[str(repo)]["session"] == "none"
    assert rows[str(plain)]["session"] == "none" and rows[str(plain)]["task"] is None
    text = gg("status", cwd=repo)
    assert text.returncode == 0
    line = next(x for x in text.stdout.splitlines() if x.startswith(str(a)))
    assert "agent/auth" in line and "+2/-1" in line and "dirty(1)" in line and "active" in line


def test_worktree_deleted_by_hand_is_prunable(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    gone = add(repo, tmp_path / "gone", "agent/auth")
    add(repo, tmp_path / "d", "agent/docs")
    shutil.rmtree(gone)
    data = status(repo)
    rows = {r["path"]: r for r in data["worktrees"]}
    assert rows[str(gone)]["state"] == "prunable"
    assert rows[str(gone)]["session"] == "active"  # its record is still there, in .git
    assert rows[str(tmp_path / "d")]["state"] == "clean"
    assert "prunable" in gg("status", cwd=repo).stdout


def test_overlapping_tasks_reported(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    a = add(repo, tmp_path / "a", "fix/a", "--allow", "src/**")
    b = add(repo, tmp_path / "b", "fix/b", "--allow", "src/**")
    c = add(repo, tmp_path / "c", "agent/docs")
    write(a, "src/shared.py", "a\n")
    commit_all(a, "a")
    write(b, "src/shared.py", "b\n")  # uncommitted counts too
    write(c, "docs/other.md")
    data = status(repo)
    assert len(data["overlaps"]) == 1
    ov = data["overlaps"][0]
    assert {ov["a"]["path"], ov["b"]["path"]} == {str(a), str(b)}
    assert ov["paths"] == ["src/shared.py"]
    assert [f["rule"] for f in data["findings"]] == ["status-overlap"]


def test_main_checkout_dirtied_during_sessions(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    old = write(repo, "old-wip.txt")  # dirty before any session: not an alert
    past = time.time() - 3600
    os.utime(old, (past, past))
    assert [f["rule"] for f in status(repo)["findings"]] == []
    add(repo, tmp_path / "a", "agent/auth")
    assert [f["rule"] for f in status(repo)["findings"]] == []
    write(repo, "src/auth/login.py", "written into the main checkout by mistake\n")
    data = status(repo)
    assert [f["rule"] for f in data["findings"]] == ["status-stray-changes"]
    assert "main checkout" in data["findings"][0]["message"]
    assert "src/auth/login.py" in data["findings"][0]["message"]
    assert "old-wip.txt" not in data["findings"][0]["message"]


def test_status_takes_no_index_lock_and_bounded_git_calls(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    wts = [add(repo, tmp_path / f"w{i}", f"agent/docs-{i}") for i in range(4)]
    # make every index stale (same content, new mtime): a locking `git status` rewrites it
    for wt in [repo, *wts]:
        os.utime(wt / "README.md", None)
    indexes = [Path(git("rev-parse", "--path-format=absolute", "--git-path", "index",
                        cwd=wt).stdout.strip()) for wt in [repo, *wts]]
    before = [p.stat().st_mtime_ns for p in indexes]
    # count git processes with a PATH shim that logs and execs the real git
    shim_dir, log = counting_git(tmp_path / "shim")
    env = {"PATH": f"{shim_dir}{os.pathsep}{os.environ['PATH']}"}
    data = status(repo, env=env)
    assert len(data["worktrees"]) == 5
    calls = git_calls(log)
    assert sum(c[:2] == ["worktree", "list"] for c in calls) == 1
    # one `git status` per worktree and a fixed cost (see the test below)
    assert len(calls) <= 12 + 5, calls
    assert [p.stat().st_mtime_ns for p in indexes] == before
    # a plain `git status` does rewrite a stale index (so the check above can fail)
    git("status", "--porcelain", cwd=repo)
    assert indexes[0].stat().st_mtime_ns != before[0]


def _grow(repo: Path, root: Path, first: int, n: int) -> None:
    """n more of every kind of worktree: a session with commits and a dirty file, a clean
    session, one without a session, a detached HEAD."""
    for i in range(first, first + n):
        a = add(repo, root / f"s{i}", f"agent/docs-s{i}")
        write(a, f"docs/s{i}.md")
        commit_all(a, "work")
        write(a, "docs/wip.md")
        add(repo, root / f"c{i}", f"agent/docs-c{i}")
        git("worktree", "add", "-q", "-b", f"feature/{i}", str(root / f"p{i}"), "main", cwd=repo)
        git("worktree", "add", "-q", "--detach", str(root / f"d{i}"), "main~1", cwd=repo)


def test_git_processes_grow_by_one_per_worktree(tmp_path: Path) -> None:
    """One `git status` per worktree and a fixed number of git processes for everything else
    (ahead/behind, changed paths: batched), whatever the number of worktrees."""
    repo = make_repo(tmp_path / "repo")
    write(repo, "README.md", "main moves\n")
    commit_all(repo, "main moves")
    shim_dir, log = counting_git(tmp_path / "shim")
    env = {"PATH": f"{shim_dir}{os.pathsep}{os.environ['PATH']}"}
    seen: list[tuple[int, list[list[str]]]] = []
    for first, n in ((0, 1), (1, 3)):
        _grow(repo, tmp_path, first, n)
        status(repo)  # merge forecasts of new tips are cached (guardrails.review.conflicts)
        if log.exists():
            log.unlink()
        data = status(repo, env=env)
        seen.append((len(data["worktrees"]), git_calls(log)))
    (w1, c1), (w2, c2) = seen
    assert (w1, w2) == (5, 17)
    for wts, calls in seen:
        assert sum(c[0] == "status" for c in calls) == wts, calls
        # rev-parse, worktree list, policy (config + cat-file), resolve (cat-file),
        # for-each-ref (git < 2.41: + merge-base and rev-list), diff-tree, stash list,
        # the forecast cache (cat-file); reftable: + symbolic-ref
        assert len(calls) - wts <= 12, calls
    assert len(c2) - len(c1) == w2 - w1, (c1, c2)  # exactly one more per worktree


def test_one_broken_worktree_does_not_break_the_others(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    write(repo, "README.md", "main moves\n")
    commit_all(repo, "main moves")
    good = add(repo, tmp_path / "good", "agent/docs-good")
    write(good, "docs/good.md")
    commit_all(good, "good work")
    broken = [add(repo, tmp_path / f"b{i}", f"agent/docs-b{i}") for i in range(4)]
    for b in broken:
        write(b, f"docs/{b.name}.md")
        commit_all(b, "work")
    # b0: its index is garbage (git status fails there); b1: its session's baseline names a
    # commit that does not exist and its base a branch that does not; b2: an unreadable
    # session record
    index = Path(git("rev-parse", "--path-format=absolute", "--git-path", "index",
                     cwd=broken[0]).stdout.strip())
    index.write_bytes(b"DIRC garbage")
    rec = Path(git("rev-parse", "--path-format=absolute", "--git-path", "guardrails/session.json",
                   cwd=broken[1]).stdout.strip())
    data = json.loads(rec.read_text())
    data.update(baseline="0123456789abcdef0123456789abcdef01234567", base="no-such-branch")
    rec.write_text(json.dumps(data))
    Path(git("rev-parse", "--path-format=absolute", "--git-path", "guardrails/session.json",
             cwd=broken[2]).stdout.strip()).write_text("{not json")
    # b3: the commit its HEAD names is gone from the object store
    tip = git("rev-parse", "HEAD", cwd=broken[3]).stdout.strip()
    objects = Path(git("rev-parse", "--path-format=absolute", "--git-path", "objects",
                       cwd=repo).stdout.strip())
    (objects / tip[:2] / tip[2:]).unlink()
    shim_dir, log = counting_git(tmp_path / "shim")
    out = status(repo, env={"PATH": f"{shim_dir}{os.pathsep}{os.environ['PATH']}"})
    calls = git_calls(log)
    # nothing falls back to one git process per worktree for the others
    assert sum(c[0] in ("rev-list", "diff-tree") for c in calls) <= 2, calls
    rows = {r["path"]: r for r in out["worktrees"]}
    g = rows[str(good)]
    assert (g["state"], g["ahead"], g["behind"], g["changed"]) == (
        "clean", 1, 0, ["docs/good.md"])
    b0 = rows[str(broken[0])]
    assert b0["state"] == "error" and "git status" in b0["note"], b0
    assert (b0["ahead"], b0["behind"]) == (1, 0)  # its commits can still be read
    b1 = rows[str(broken[1])]
    assert (b1["state"], b1["base"], b1["ahead"], b1["behind"]) == (
        "clean", "no-such-branch", None, None)
    assert b1["changed"] == []  # nothing to diff against; uncommitted: nothing
    b2 = rows[str(broken[2])]
    assert b2["session"] == "unreadable" and (b2["ahead"], b2["behind"]) == (1, 0)
    assert "session-unreadable" in [f["rule"] for f in out["findings"]]
    b3 = rows[str(broken[3])]
    assert (b3["ahead"], b3["behind"], b3["changed"]) == (None, None, []), b3
    text = gg("status", cwd=repo)
    assert text.returncode == 0 and str(broken[0]) in text.stdout
