"""The change model against real repositories: every kind of change git can record, from the
index, from one commit and from a range, and how many git processes each source starts."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import NoReturn

import pytest

from guardrails import git
from guardrails.scope import changes
from guardrails.scope.changes import Change
from tests.conftest import ref_format
from tests.helpers import commit_all, counting_git, git_subcommands, make_repo, write
from tests.helpers import git as run_git

FILES = {"src/a.py": "one\ntwo\nthree\n", "src/b.py": "b\n", "README.md": "readme\n"}
# reftable: HEAD is in the stack, not in the HEAD file: one `git symbolic-ref` to read it
REFTABLE_HEAD = ["symbolic-ref"] if ref_format() == "reftable" else []


def repo_at(root: Path) -> git.Repo:
    return git.discover(str(root))


def by_path(chs: list[Change]) -> dict[str, Change]:
    return {c.path: c for c in chs}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", policy=None, files=dict(FILES))


def test_added_modified_deleted_with_line_counts(repo: Path) -> None:
    write(repo, "src/new.py", "1\n2\n")
    write(repo, "src/a.py", "one\nTWO\nthree\nfour\n")
    (repo / "src/b.py").unlink()
    run_git("add", "-A", cwd=repo)
    got = by_path(changes.staged(repo_at(repo)))
    assert set(got) == {"src/new.py", "src/a.py", "src/b.py"}
    assert (got["src/new.py"].status, got["src/new.py"].added, got["src/new.py"].removed) == \
        ("A", 2, 0)
    assert (got["src/a.py"].status, got["src/a.py"].added, got["src/a.py"].removed) == ("M", 2, 1)
    assert (got["src/b.py"].status, got["src/b.py"].added, got["src/b.py"].removed) == ("D", 0, 1)
    assert got["src/b.py"].new_mode == changes.NULL_MODE
    assert got["src/new.py"].old_mode == changes.NULL_MODE
    assert all(c.old_path is None and c.paths == (c.path,) for c in got.values())
    assert got["src/a.py"].lines == 3


def test_rename_has_both_paths_and_its_line_counts(repo: Path) -> None:
    (repo / "lib").mkdir()
    run_git("mv", "src/a.py", "lib/a.py", cwd=repo)
    write(repo, "lib/a.py", "one\ntwo\nthree\nfour\n")
    run_git("add", "-A", cwd=repo)
    (ch,) = changes.staged(repo_at(repo))
    assert ch.status == "R"
    assert (ch.old_path, ch.path) == ("src/a.py", "lib/a.py")
    assert ch.paths == ("src/a.py", "lib/a.py")
    assert (ch.added, ch.removed) == (1, 0)
    assert ch.describe() == "renamed from src/a.py"


def test_copy_touches_only_its_new_path(repo: Path) -> None:
    # -C finds copies from files modified in the same change
    shutil.copy(repo / "src/a.py", repo / "src/c.py")
    write(repo, "src/a.py", "one\ntwo\nthree\nfour\n")
    run_git("add", "-A", cwd=repo)
    got = by_path(changes.staged(repo_at(repo)))
    assert got["src/c.py"].status == "C"
    assert got["src/c.py"].old_path == "src/a.py"
    assert got["src/c.py"].paths == ("src/c.py",)
    assert (got["src/c.py"].added, got["src/c.py"].removed) == (0, 0)
    assert got["src/a.py"].status == "M"


def test_mode_only_change(repo: Path) -> None:
    p = repo / "src/a.py"
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    run_git("add", "-A", cwd=repo)
    (ch,) = changes.staged(repo_at(repo))
    assert (ch.status, ch.kind, ch.old_mode, ch.new_mode) == ("M", "mode", "100644", "100755")
    assert ch.old_oid == ch.new_oid
    assert (ch.added, ch.removed) == (0, 0)
    assert "100644 -> 100755" in ch.describe()


def test_symlink_added_and_type_change(repo: Path) -> None:
    os.symlink("a.py", repo / "src/link")
    (repo / "src/b.py").unlink()
    os.symlink("a.py", repo / "src/b.py")
    run_git("add", "-A", cwd=repo)
    got = by_path(changes.staged(repo_at(repo)))
    assert (got["src/link"].status, got["src/link"].new_mode, got["src/link"].kind) == \
        ("A", changes.SYMLINK, "symlink")
    assert (got["src/b.py"].status, got["src/b.py"].old_mode, got["src/b.py"].new_mode) == \
        ("T", "100644", changes.SYMLINK)
    assert "type changed" in got["src/b.py"].describe()


def test_submodule_gitlink_added_and_moved(repo: Path, tmp_path: Path) -> None:
    write(repo, "second.txt")
    first = commit_all(repo, "second")  # any commit id will do as a gitlink target
    older = run_git("rev-parse", "HEAD~1", cwd=repo).stdout.strip()
    run_git("update-index", "--add", "--cacheinfo", f"160000,{older},vendor/lib", cwd=repo)
    (ch,) = changes.staged(repo_at(repo))
    assert (ch.status, ch.path, ch.new_mode, ch.new_oid, ch.kind) == \
        ("A", "vendor/lib", changes.GITLINK, older, "submodule")
    run_git("commit", "-q", "--no-verify", "-m", "gitlink", cwd=repo)
    run_git("update-index", "--cacheinfo", f"160000,{first},vendor/lib", cwd=repo)
    (ch,) = changes.staged(repo_at(repo))
    assert (ch.status, ch.old_oid, ch.new_oid, ch.kind) == ("M", older, first, "submodule")
    assert ch.describe() == "submodule modified"


def test_binary_file_has_no_line_counts(repo: Path) -> None:
    write(repo, "img.bin", b"\x00\x01\x02\xff" * 10)
    run_git("add", "-A", cwd=repo)
    (ch,) = changes.staged(repo_at(repo))
    assert (ch.status, ch.added, ch.removed, ch.lines) == ("A", None, None, 0)


def test_initial_commit_without_head(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    run_git("init", "-q", "-b", "main", str(root), cwd=tmp_path)
    write(root, "a.txt", "1\n")
    write(root, "d/b.txt", "1\n2\n")
    run_git("add", "-A", cwd=root)
    repo = repo_at(root)
    assert repo.branch == "main"
    got = by_path(changes.staged(repo))
    assert {p: (c.status, c.added) for p, c in got.items()} == \
        {"a.txt": ("A", 1), "d/b.txt": ("A", 2)}


def test_detached_head(repo: Path) -> None:
    run_git("checkout", "-q", "--detach", "HEAD", cwd=repo)
    write(repo, "src/a.py", "changed\n")
    run_git("add", "-A", cwd=repo)
    r = repo_at(repo)
    assert r.branch is None
    (ch,) = changes.staged(r)
    assert (ch.status, ch.path) == ("M", "src/a.py")


def test_sha256_repository(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "sha256", policy=None, files=dict(FILES), object_format="sha256")
    r = repo_at(root)
    assert r.object_format == "sha256"
    head = run_git("rev-parse", "HEAD", cwd=root).stdout.strip()
    initial = by_path(changes.between(r, r.empty_tree, head))
    assert set(initial) == set(FILES)
    assert all(len(c.new_oid) == 64 and c.status == "A" for c in initial.values())
    run_git("mv", "src/a.py", "src/z.py", cwd=root)
    run_git("add", "-A", cwd=root)
    (ch,) = changes.staged(r)
    assert (ch.status, ch.old_path, ch.path) == ("R", "src/a.py", "src/z.py")
    commit_all(root, "rename")
    (c,) = changes.commit_range(r, "HEAD~1..HEAD")
    assert len(c.oid) == 64
    assert [(x.status, x.paths) for x in c.changes] == [("R", ("src/a.py", "src/z.py"))]


ODD_NAMES: list[bytes] = [
    b"with space.txt",
    b"new\nline.txt",
    b'dq"uote.txt',
    b"sq'uote.txt",
    b"-leading-dash.txt",
    b"--rf",
    b"tab\there.txt",
    b":colon-like-a-raw-line",
    b"caf\xc3\xa9/\xe4\xb8\xad\xe6\x96\x87.txt",  # UTF-8 non-ASCII
    b"latin1-\xe9\xff.txt",  # not UTF-8
    b"back\\slash.txt",
]


def expected_name(raw: bytes) -> str:
    return os.fsdecode(raw)


def test_odd_file_names_from_index_commit_and_range(repo: Path) -> None:
    for i, name in enumerate(ODD_NAMES):
        write(repo, name, "x\n" * (i + 1))
    run_git("add", "-A", cwd=repo)
    r = repo_at(repo)
    want = {expected_name(n): i + 1 for i, n in enumerate(ODD_NAMES)}
    got = {c.path: c.added for c in changes.staged(r)}
    assert got == want
    sha = commit_all(repo, "odd names")
    assert {c.path: c.added for c in changes.between(r, f"{sha}~1", sha)} == want
    (c,) = changes.commit_range(r, sha)
    assert {x.path: x.added for x in c.changes} == want
    # renames of odd names keep both sides, and the numstat of the pair lands on the change
    for name in ODD_NAMES[:4]:
        run_git("mv", "--", os.fsdecode(name), os.fsdecode(b"moved " + name), cwd=repo)
    renamed = [c for c in changes.staged(r) if c.status == "R"]
    assert {(c.old_path, c.path, c.added) for c in renamed} == {
        (expected_name(n), expected_name(b"moved " + n), 0) for n in ODD_NAMES[:4]}


def test_commits_over_a_range_with_merge_and_empty_commits(repo: Path) -> None:
    base = run_git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    run_git("checkout", "-q", "-b", "side", cwd=repo)
    write(repo, "side.txt", "s\n")
    c_side = commit_all(repo, "side work\n\nwith a body\nof two lines")
    run_git("checkout", "-q", "main", cwd=repo)
    write(repo, "main.txt", "m\nm\n")
    c_main = commit_all(repo, "main work")
    run_git("commit", "-q", "--no-verify", "--allow-empty", "-m", "empty", cwd=repo)
    c_empty = run_git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    run_git("merge", "-q", "--no-ff", "--no-edit", "side", cwd=repo)
    c_merge = run_git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    run_git("commit", "-q", "--no-verify", "--allow-empty", "-m", "empty after merge", cwd=repo)
    c_last_empty = run_git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    write(repo, "src/a.py", "rewritten\n")
    c_tail = commit_all(repo, "tail")

    got = changes.commits(repo_at(repo), [f"{base}..HEAD"])
    oids = [c.oid for c in got]
    assert set(oids) == {c_side, c_main, c_empty, c_merge, c_last_empty, c_tail}
    assert len(oids) == 6
    assert oids[-1] == c_tail and oids.index(c_merge) > max(oids.index(c_side),
                                                             oids.index(c_empty))
    info = {c.oid: c for c in got}
    assert [(x.status, x.path, x.added) for x in info[c_side].changes] == [("A", "side.txt", 1)]
    assert info[c_side].message.startswith("side work\n\nwith a body\nof two lines")
    assert info[c_side].subject == "side work"
    assert [(x.status, x.path, x.added) for x in info[c_main].changes] == [("A", "main.txt", 2)]
    assert info[c_empty].changes == [] and info[c_last_empty].changes == []
    assert info[c_merge].is_merge and info[c_merge].changes == []
    assert info[c_merge].parents == [c_empty, c_side]
    assert [(x.status, x.path, x.added, x.removed) for x in info[c_tail].changes] == \
        [("M", "src/a.py", 1, 3)]
    assert (info[c_tail].author_name, info[c_tail].author_email) == \
        ("Test Human", "human@example.com")
    # one rev means that commit alone; A..B means the range
    assert [c.oid for c in changes.commit_range(repo_at(repo), c_main)] == [c_main]
    assert len(changes.commit_range(repo_at(repo), f"{c_merge}..HEAD")) == 2


# --- how many git processes each source starts ---------------------------------------------

@pytest.fixture
def git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a `git` first on PATH that logs its argv and execs the real git."""
    shim_dir, log = counting_git(tmp_path / "shim")
    monkeypatch.setenv("PATH", f"{shim_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def calls(log: Path) -> list[str]:
    """The subcommands git was started with (``git -C dir diff`` -> ``diff``)."""
    return git_subcommands(log)


def test_each_source_is_one_git_call(repo: Path, git_log: Path) -> None:
    for i in range(30):
        write(repo, f"many/{i}.txt", f"{i}\n")
    commit_all(repo, "many")
    r = repo_at(repo)
    write(repo, "src/a.py", "new\n")
    write(repo, "src/new.py", "new\n")
    run_git("add", "-A", cwd=repo)
    git_log.unlink()

    assert len(changes.staged(r)) == 2
    assert calls(git_log) == ["diff"]
    git_log.unlink()

    assert len(changes.between(r, "HEAD~1", "HEAD")) == 30
    assert calls(git_log) == ["diff-tree"]
    git_log.unlink()

    got = changes.commits(r, ["--all"])
    assert len(got) == 2 and sum(len(c.changes) for c in got) == 33
    assert calls(git_log) == ["log"]


def test_root_commit_changes_whatever_log_showroot_says(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", policy=None, files={"a.txt": "1\n", "b/c.txt": "2\n"})
    run_git("config", "log.showRoot", "false", cwd=root)
    (c,) = changes.commits(repo_at(root), ["HEAD"])
    assert c.parents == []
    assert sorted((x.status, x.path) for x in c.changes) == [("A", "a.txt"), ("A", "b/c.txt")]


def test_discover_reads_head_like_git(tmp_path: Path, git_log: Path) -> None:
    root = make_repo(tmp_path / "r", policy=None, files={"a": "1\n"})
    wt = tmp_path / "wt"
    run_git("worktree", "add", "-q", "-b", "agent/x.y-1", str(wt), cwd=root)
    assert git.discover(str(wt)).branch == "agent/x.y-1"
    assert git.discover(str(root)).branch == "main"
    run_git("checkout", "-q", "--detach", cwd=wt)
    assert git.discover(str(wt)).branch is None
    run_git("checkout", "-q", "--orphan", "unborn", cwd=root)
    assert git.discover(str(root)).branch == "unborn"
    git_log.unlink()
    git.discover(str(root))
    assert calls(git_log) == ["rev-parse", *REFTABLE_HEAD]


def agent_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A linked worktree of task auth's branch with an allowed change staged by an agent."""
    from tests.helpers import POLICY

    root = make_repo(tmp_path / "r", policy=POLICY)
    wt = tmp_path / "wt"
    run_git("worktree", "add", "-q", "-b", "agent/auth", str(wt), cwd=root)
    write(wt, "src/auth/x.py")
    run_git("add", "-A", cwd=wt)
    monkeypatch.setenv("CLAUDECODE", "1")
    return wt


def test_a_hook_run_starts_four_git_processes(tmp_path: Path, git_log: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """discover (rev-parse), the base from config, the policy (cat-file), the index (diff)."""
    from guardrails import checks, context

    wt = agent_change(tmp_path, monkeypatch)
    git_log.unlink()
    found = checks.run(context.build(git.discover(str(wt))), ["scope"])
    assert found == []
    assert calls(git_log) == ["rev-parse", *REFTABLE_HEAD, "config", "cat-file", "diff"]


def test_the_combined_hook_collects_every_git_command_it_starts_ahead(
        tmp_path: Path, git_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each prefetch (context's config, scope's raw diff, bypass's fingerprint and patch;
    with a session, the baseline's merge-base) is collected by the run of the same
    arguments: none is started twice, none is left running for nothing."""
    from guardrails import checks, context

    wt = agent_change(tmp_path, monkeypatch)
    git_log.unlink()
    monkeypatch.chdir(wt)
    r = git.hook_repo()
    context.prefetch(r)
    checks.prefetch(r, checks.PRE_COMMIT)
    context.prefetch_policy(r)
    ahead = sorted((git.command_args(["git", *args]) or ["?"])[0] for args, *_ in git._PREFETCHED)
    # the trusted policy's cat-file; config; the raw --numstat diff; the record's fingerprint;
    # the attestation's patch, which the tee into patch-id collects (the bypass scan reads it)
    assert ahead == ["cat-file", "config", "diff", "diff", "diff"]
    # the cat-file is for the default bases (no guardrails.base here)
    assert [i for args, _, i in git._PREFETCHED if args[0] == "cat-file"] == [
        git.batch_input(["refs/heads/main", "refs/heads/main:.guardrails.toml",
                         "refs/heads/master", "refs/heads/master:.guardrails.toml"])]
    checks.run(context.build(r), checks.PRE_COMMIT)
    assert git._PREFETCHED == {}
    assert sorted(calls(git_log)) == sorted(["cat-file", "config", "diff", "diff", "diff",
                                             "patch-id", *REFTABLE_HEAD])


def test_line_counts_from_the_patch_equal_numstat(repo: Path, tmp_path: Path,
                                                  git_log: Path) -> None:
    """commits(numstat=False) + count_lines gives what --numstat gives, for every kind of
    change; only a rename or copy with edits, or a mode-only change, needs diff-tree."""
    from guardrails.git.patchlog import PatchLog

    base = run_git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    write(repo, "src/a.py", "one\nTWO\nthree\nfour\n")
    write(repo, "bin.dat", b"\0\1\2binary")
    write(repo, "empty.txt", "")
    write(repo, "sp ace.txt", "1\n2\n")
    write(repo, "caf\u00e9.txt", "x\n")
    write(repo, b"odd\nname\xff.txt", "y\n")
    write(repo, "noeol.txt", "no newline")
    write(repo, "hunks.py", "".join(f"def f{i}():\n    return {i}\n" for i in range(8)))
    commit_all(repo, "kinds")
    run_git("mv", "src/b.py", "moved.py", cwd=repo)  # a pure rename: 0 0
    write(repo, "bin.dat", b"\0\3\4binary!")
    # three hunks, their headers with the function's name after the second @@
    write(repo, "hunks.py", "".join(f"def f{i}():\n    return {i * 10 if i in (1, 4) else i}\n"
                                    for i in range(8)) + "x = 1\ny = 2\n")
    (repo / "empty.txt").unlink()
    (repo / "sp ace.txt").unlink()
    os.symlink("src/a.py", repo / "sp ace.txt")  # a type change: the file's lines and the link's
    commit_all(repo, "rename, binary, delete, type change")
    run_git("mv", "src/a.py", "lib.py", cwd=repo)
    write(repo, "lib.py", "one\nTWO\nthree\nfour\nfive\n")  # a rename with an edit
    commit_all(repo, "rename with edit")
    p = repo / "noeol.txt"
    p.chmod(p.stat().st_mode | stat.S_IXUSR)  # mode only
    commit_all(repo, "mode")
    sub = make_repo(tmp_path / "sub", policy=None, files={"s": "s\n"})
    run_git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendor/lib",
            cwd=repo)
    commit_all(repo, "submodule")
    commit_all(repo, "empty", None, "--allow-empty")

    r = repo_at(repo)
    expected = changes.commits(r, [f"{base}..HEAD"])
    git_log.unlink()
    pending = PatchLog.start(r, [f"{base}..HEAD"], lines=True)
    got = changes.commits(r, [f"{base}..HEAD"], numstat=False)
    assert not any(c.counted for c in got)
    with pending:
        changes.count_lines(r, got, lambda oids: pending)
    assert [(c.oid, c.changes) for c in got] == [(c.oid, c.changes) for c in expected]
    assert all(c.counted for c in got)
    kinds = {ch.path: (ch.added, ch.removed) for c in got for ch in c.changes}
    assert kinds["bin.dat"] == (None, None) and kinds["moved.py"] == (0, 0)
    assert kinds["hunks.py"] == (4, 2)
    assert kinds["lib.py"] == (1, 0) and kinds["sp ace.txt"] == (1, 2)
    # one raw log, one patch log into patch-id, one diff-tree for the edited rename and the mode
    assert sorted(calls(git_log)) == ["diff-tree", "log", "log", "patch-id"]
    oids = [c.oid for c in got]
    again = pending.line_counts(oids)  # counted on the way = counted from the whole patch
    assert PatchLog.read(r, oids).line_counts(oids) == again
    assert PatchLog.read(r, oids, lines=True).line_counts(oids) == again


def test_count_lines_reads_no_patch_for_counted_commits(repo: Path) -> None:
    """Commits read with --numstat (a pre-push range) carry their counts: the range's patch
    log is not even asked for (it would start a git log -p)."""
    write(repo, "src/a.py", "one\ntwo\n")
    commit_all(repo, "counted")
    r = repo_at(repo)
    got = changes.commits(r, ["-1", "HEAD"])
    assert got and all(c.counted for c in got)

    def no_log(oids: object) -> NoReturn:
        raise AssertionError("patch log asked for")

    changes.count_lines(r, got, no_log)
