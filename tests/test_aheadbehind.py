"""guardrails.git.aheadbehind: ahead/behind and changed paths of many commits in a fixed number
of git processes, checked against one `git rev-list --left-right --count` / `git diff-tree`
per pair on real histories (merges, criss-cross merges, unrelated histories)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from guardrails import git as ggit
from guardrails.git import aheadbehind
from tests.helpers import commit_all, counting_git, git, git_calls, make_repo, write


def _oid(repo: Path, rev: str) -> str:
    return git("rev-parse", "--verify", f"{rev}^{{commit}}", cwd=repo).stdout.strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    """A repository whose branches fork, merge each other, merge criss-cross and start over
    (an orphan): (repo, base commits, tip commits)."""
    repo = make_repo(tmp_path / "repo")
    for i in range(3):
        write(repo, f"m{i}.txt", f"{i}\n")
        commit_all(repo, f"main {i}")
    git("branch", "a", "main~2", cwd=repo)
    git("branch", "b", "main~1", cwd=repo)
    for name in ("a", "b"):
        git("switch", "-q", name, cwd=repo)
        for i in range(2):
            write(repo, f"{name}{i}.txt")
            commit_all(repo, f"{name} {i}")
    git("switch", "-q", "a", cwd=repo)
    git("merge", "-q", "--no-edit", "--no-ff", "main", cwd=repo)  # a has main's commits too
    git("switch", "-q", "-c", "x", "b", cwd=repo)
    git("merge", "-q", "--no-edit", "--no-ff", "a", cwd=repo)
    git("switch", "-q", "-c", "y", "a", cwd=repo)
    git("merge", "-q", "--no-edit", "--no-ff", "b~0", cwd=repo)  # x and y: criss-cross
    git("switch", "-q", "--orphan", "lone", cwd=repo)
    write(repo, "lone.txt")
    commit_all(repo, "unrelated")
    git("switch", "-q", "-f", "main", cwd=repo)
    write(repo, "m9.txt")
    commit_all(repo, "main moves on")
    bases = [_oid(repo, r) for r in ("main", "main~2", "b")]
    tips = [_oid(repo, r) for r in ("a", "b", "x", "y", "lone", "main", "main~3", "x^2")]
    return repo, bases, tips


def _expected(repo: Path, b: str, t: str) -> tuple[int, int]:
    left, right = git("rev-list", "--left-right", "--count", f"{b}...{t}",
                      cwd=repo).stdout.split()
    return int(right), int(left)


def test_counts_agree_with_rev_list(history: tuple[Path, list[str], list[str]],
                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, bases, tips = history
    pairs = [(b, t) for b in bases for t in tips]
    want = {p: _expected(repo, *p) for p in pairs}
    assert len(set(want.values())) > 5  # the graph is not trivial
    r = ggit.discover(str(repo))
    shim, log = counting_git(tmp_path / "shim")
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    names = ["main", "main~2", "b"]
    assert aheadbehind.counts(r, pairs, names=names) == want
    calls = git_calls(log)
    assert len(calls) <= 3, calls  # for-each-ref; or (git < 2.41) merge-base + rev-list
    # every path on its own, whatever git this is
    assert aheadbehind._graph(r, pairs, None) == want
    by_ref = aheadbehind._for_each_ref(r, pairs, names, None)  # {} before git 2.41
    assert by_ref.items() <= want.items()
    assert not by_ref or set(by_ref) == {p for p in pairs if p[0] != bases[1]}  # main~2: no ref
    monkeypatch.setattr(aheadbehind, "LIMIT", 3)  # too many commits to count here
    assert aheadbehind._graph(r, pairs, None) == {}
    log.unlink()
    assert aheadbehind.counts(r, pairs[:4], names=[]) == {p: want[p] for p in pairs[:4]}
    assert sum(c[0] == "rev-list" for c in git_calls(log)) >= 3  # one per pair


def test_counts_skip_what_cannot_be_counted(history: tuple[Path, list[str], list[str]]
                                            ) -> None:
    repo, bases, tips = history
    r = ggit.discover(str(repo))
    missing = "0123456789abcdef0123456789abcdef01234567"
    tree = git("rev-parse", "main^{tree}", cwd=repo).stdout.strip()
    pairs = [(bases[0], tips[0]), (bases[0], missing), (missing, tips[1]), (bases[0], tree),
             ("--output=x", tips[0]), (bases[0], bases[0])]
    got = aheadbehind.counts(r, pairs, names=["main"])
    assert got == {(bases[0], tips[0]): _expected(repo, bases[0], tips[0]),
                   (bases[0], bases[0]): (0, 0)}
    assert not (repo / "x").exists()


def test_resolve(history: tuple[Path, list[str], list[str]]) -> None:
    repo, bases, _tips = history
    r = ggit.discover(str(repo))
    tag = "v1"
    git("tag", "-a", "-m", "annotated", tag, "main~2", cwd=repo)
    got = aheadbehind.resolve(r, ["main", "main~2", tag, "nope", "--output=y", "a\nb", "",
                                  "main:README.md"])
    assert got == {"main": bases[0], "main~2": bases[1], tag: bases[1], "nope": None,
                   "--output=y": None, "a\nb": None, "": None, "main:README.md": None}
    assert not (repo / "y").exists()


def test_changed_paths_agree_with_diff_tree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    start = _oid(repo, "HEAD")
    # names that look like what the parser looks for: an object id, a leading newline, an
    # empty-looking name, spaces, bytes that are not UTF-8
    write(repo, start, "named after a commit\n")
    write(repo, "\nnewline first", "x\n")
    write(repo, "with space/and\ttab", "x\n")
    write(repo, b"latin-\xe9.txt", "x\n")
    one = commit_all(repo, "odd names")
    write(repo, "src/auth/login.py", "changed\n")
    os.unlink(repo / "README.md")
    two = commit_all(repo, "more")
    missing = "0123456789abcdef0123456789abcdef01234567"
    pairs = [(start, one), (one, two), (start, two), (two, two), (two, start)]
    r = ggit.discover(str(repo))

    def expected(a: str, b: str) -> list[str]:
        out = ggit.run("diff-tree", "-r", "--name-only", "-z", "--no-renames", a, b,
                       "--", cwd=str(repo)).stdout
        return [ggit.decode_path(p) for p in ggit.zsplit(out)]

    want = {p: expected(*p) for p in pairs}
    assert start in want[(start, one)] and "\nnewline first" in want[(start, one)]
    assert aheadbehind.changed_paths(r, pairs) == want
    # a commit that is not there: the others still get theirs
    got = aheadbehind.changed_paths(r, [*pairs, (missing, two)])
    assert got == want
    assert aheadbehind._parse_blocks(b"\0" + one.encode() + b"\0", [two]) is None


def test_changed_paths_of_merges(history: tuple[Path, list[str], list[str]]) -> None:
    """A merge commit as the new side is diffed against the old one only, as diff-tree A B."""
    repo, bases, tips = history
    r = ggit.discover(str(repo))
    pairs = [(b, t) for b in bases for t in tips if b != t]

    def expected(a: str, b: str) -> list[str]:
        out = ggit.run("diff-tree", "-r", "--name-only", "-z", "--no-renames", a, b, "--",
                       cwd=str(repo)).stdout
        return [ggit.decode_path(p) for p in ggit.zsplit(out)]

    want = {p: expected(*p) for p in pairs}
    assert any(len(v) > 3 for v in want.values())
    assert aheadbehind.changed_paths(r, pairs) == want
