"""`git guardrails conflicts`: merge forecasts with real git merge-tree on real repositories,
worktrees and sessions; and where they show: status, review, ci --against."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

import pytest

from guardrails import git as g
from guardrails.review import conflicts as cf
from tests.helpers import commit_all, counting_git, gg, git, git_calls, make_repo, write

DOC = "# docs\n\nline one\nline two\nline three\n"


def repo_with_docs(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", files={"docs/index.md": DOC, "docs/other.md": "o\n",
                                               "README.md": "readme\n",
                                               "src/auth/login.py": "x = 1\n"})


def session(repo: Path, path: Path, branch: str) -> Path:
    proc = gg("worktree", "add", str(path), branch, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return path


def edit_line(root: Path, rel: str, old: str, new: str, message: str) -> str:
    p = root / rel
    p.write_text(p.read_text().replace(old, new))
    return commit_all(root, message)


def same_line_sessions(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two docs sessions (one task, docs/** allowed to both) that edit line two of one file."""
    repo = repo_with_docs(tmp_path)
    a = session(repo, tmp_path / "a", "agent/docs-a")
    b = session(repo, tmp_path / "b", "agent/docs-b")
    edit_line(a, "docs/index.md", "line two", "line two, as a says", "a")
    edit_line(b, "docs/index.md", "line two", "line two, as b says", "b")
    return repo, a, b


def forecast(cwd: Path, *args: str, code: int = 0) -> dict[str, Any]:
    proc = gg("conflicts", "--format", "json", *args, cwd=cwd)
    assert proc.returncode == code, proc.stdout + proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def by_pair(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m["ours"], m["theirs"]): m for m in data["against_base"] + data["between"]}


def test_two_docs_sessions_edit_the_same_line(tmp_path: Path) -> None:
    repo, a, _ = same_line_sessions(tmp_path)
    data = forecast(repo)
    pairs = by_pair(data)
    assert pairs[("main", "agent/docs-a")]["status"] == "mergeable"
    assert pairs[("main", "agent/docs-b")]["status"] == "mergeable"
    between = pairs[("agent/docs-a", "agent/docs-b")]
    assert between["status"] == "conflict"
    assert between["conflicts"] == [{"path": "docs/index.md", "kinds": ["content"]}]
    [f] = data["findings"]
    assert (f["rule"], f["severity"], f["path"]) == (
        "conflict-between-sessions", "warning", "docs/index.md")
    assert "agent/docs-a" in f["message"] and "agent/docs-b" in f["message"]
    assert f"git -C {tmp_path / 'b'} rebase main" in f["hint"]
    # greedy order: one merges, the other rebases after it
    assert data["order"] == ["agent/docs-a"]
    assert data["rebase"] == [{"branch": "agent/docs-b", "onto": "main", "after": "agent/docs-a",
                               "base_conflict": False, "conflicts_with": ["agent/docs-a"],
                               "advice": "rebase onto main once agent/docs-a has merged (it "
                                         "conflicts with agent/docs-a)"}]
    text = gg("conflicts", cwd=a)
    assert text.returncode == 0, text.stderr
    line = next(x for x in text.stdout.splitlines() if "agent/docs-a + agent/docs-b" in x)
    assert "CONFLICT" in line and "docs/index.md (content)" in line
    assert "greedy" in text.stdout
    # --strict: the same findings as errors, exit 1; nothing was written to refs or trees
    refs = git("for-each-ref", cwd=repo).stdout
    assert forecast(repo, "--strict", code=1)["findings"][0]["severity"] == "error"
    assert git("for-each-ref", cwd=repo).stdout == refs
    assert git("status", "--porcelain", cwd=a).stdout == ""
    # review of one lists the other active branch it conflicts with
    rv = json.loads(gg("review", "agent/docs-b", "--format", "json", cwd=repo).stdout)
    [rf] = [x for x in rv["findings"] if x["rule"] == "conflict-between-sessions"]
    assert "agent/docs-a" in rf["message"] and rf["path"] == "docs/index.md"
    assert [(m["ours"], m["theirs"]) for m in rv["conflicts"]["between"]] == [
        ("agent/docs-b", "agent/docs-a")]
    md = gg("conflicts", "--format", "markdown", cwd=repo)
    assert "| `agent/docs-b` into `agent/docs-a` | ❌ conflict | `docs/index.md` (content) |" \
        in md.stdout


def test_human_commit_on_the_base_touching_the_agents_line(tmp_path: Path) -> None:
    repo = repo_with_docs(tmp_path)
    a = session(repo, tmp_path / "a", "agent/docs-a")
    edit_line(a, "docs/index.md", "line one", "line one by the agent", "agent edits")
    human = edit_line(repo, "docs/index.md", "line one", "line one by a human", "human edits")
    data = forecast(repo)
    base = by_pair(data)[("main", "agent/docs-a")]
    assert base["status"] == "conflict"
    assert base["conflicts"] == [{"path": "docs/index.md", "kinds": ["content"]}]
    [f] = data["findings"]
    assert f["rule"] == "conflict-with-base" and f["path"] == "docs/index.md"
    assert f"git -C {a} rebase main" in f["hint"]
    assert data["order"] == [] and data["rebase"][0]["base_conflict"] is True
    before = forecast(repo, "--base", "main~1")  # the base before the human's commit
    assert by_pair(before)[("main~1", "agent/docs-a")]["status"] == "mergeable"
    # review names the base's commit that the branch conflicts with
    rv = gg("review", "agent/docs-a", "--format", "json", cwd=repo)
    assert rv.returncode in (0, 1), rv.stderr  # 1: the commit has no attestation trailer
    review = json.loads(rv.stdout)
    [rf] = [x for x in review["findings"] if x["rule"] == "conflict-with-base"]
    assert human[:12] in rf["message"] and "human edits" in rf["message"]
    assert review["conflicts"]["against_base"]["status"] == "conflict"
    assert "conflict-with-base" in gg("review", "agent/docs-a", cwd=repo).stdout


def test_disjoint_edits_are_mergeable(tmp_path: Path) -> None:
    repo = repo_with_docs(tmp_path)
    a = session(repo, tmp_path / "a", "agent/docs-a")
    b = session(repo, tmp_path / "b", "agent/docs-b")
    edit_line(a, "docs/index.md", "line one", "line one (a)", "a")
    edit_line(b, "docs/index.md", "line three", "line three (b)", "b")  # same file, apart
    write(b, "docs/new.md", "new\n")
    commit_all(b, "b adds a page")
    edit_line(repo, "README.md", "readme", "readme, moved on", "the base moves elsewhere")
    data = forecast(repo)
    assert {m["status"] for m in by_pair(data).values()} == {"mergeable"}
    assert data["findings"] == [] and data["rebase"] == []
    assert sorted(data["order"]) == ["agent/docs-a", "agent/docs-b"]


def test_renames_and_deletions_on_one_side(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", files={f"docs/{n}.md": f"{n}\n1\n2\n3\n"
                                               for n in ("moved", "gone", "both", "kept")})
    base_before = git("rev-parse", "main", cwd=repo).stdout.strip()
    branches = {}
    for name in ("ren", "del", "edit"):
        git("branch", f"agent/docs-{name}", base_before, cwd=repo)
        branches[name] = tmp_path / name
        git("worktree", "add", "-q", str(branches[name]), f"agent/docs-{name}", cwd=repo)
    ren, dele, edit = branches["ren"], branches["del"], branches["edit"]
    git("mv", "docs/moved.md", "docs/renamed.md", cwd=ren)
    git("mv", "docs/both.md", "docs/both-ren.md", cwd=ren)
    commit_all(ren, "rename")
    git("rm", "-q", "docs/gone.md", "docs/both.md", cwd=dele)
    commit_all(dele, "delete")
    for n in ("moved", "gone", "kept"):
        edit_line(edit, f"docs/{n}.md", "2", "two", f"edit {n}")
    git("rm", "-q", "docs/kept.md", cwd=repo)  # and a deletion on the base's side
    commit_all(repo, "the base deletes kept.md")
    data = forecast(repo, "agent/docs-ren", "agent/docs-del", "agent/docs-edit")
    pairs = by_pair(data)
    # a rename on one side, an edit on the other: git follows it, no conflict
    assert pairs[("agent/docs-ren", "agent/docs-edit")]["status"] == "mergeable"
    assert pairs[("agent/docs-del", "agent/docs-edit")]["conflicts"] == [
        {"path": "docs/gone.md", "kinds": ["modify/delete"]}]
    rd = pairs[("agent/docs-ren", "agent/docs-del")]
    assert rd["conflicts"] == [{"path": "docs/both-ren.md", "kinds": ["rename/delete"]}]
    [msg] = rd["messages"]
    assert msg["paths"] == ["docs/both-ren.md", "docs/both.md"]
    assert "agent/docs-ren" in msg["message"] and "agent/docs-del" in msg["message"]
    assert all(pairs[("main", f"agent/docs-{n}")]["status"] == "mergeable"
               for n in ("ren", "del"))
    assert pairs[("main", "agent/docs-edit")]["conflicts"] == [
        {"path": "docs/kept.md", "kinds": ["modify/delete"]}]
    assert [f["rule"] for f in data["findings"] if f["path"] == "docs/kept.md"] == [
        "conflict-with-base"]


def test_a_branch_with_no_commits_yet(tmp_path: Path) -> None:
    repo = repo_with_docs(tmp_path)
    session(repo, tmp_path / "a", "agent/docs-a")  # no commits
    b = session(repo, tmp_path / "b", "agent/docs-b")
    edit_line(b, "docs/index.md", "line one", "line one (b)", "b")
    edit_line(repo, "README.md", "readme", "readme 2", "main moves")  # a is now behind too
    data = forecast(repo)
    pairs = by_pair(data)
    assert pairs[("main", "agent/docs-a")]["status"] == "nothing to merge"
    assert pairs[("main", "agent/docs-b")]["status"] == "mergeable"
    assert data["between"] == []  # nothing to merge: no pair to forecast
    assert data["order"] == ["agent/docs-b"]
    assert "nothing to merge" in gg("conflicts", cwd=repo).stdout
    broken = session(repo, tmp_path / "c", "agent/auth")
    record = git("rev-parse", "--git-path", "guardrails/session.json", cwd=broken).stdout
    (broken / record.strip()).write_text("{not json")
    notes = forecast(repo)["notes"]
    assert [n for n in notes if "cannot be read" in n and str(broken) in n]
    # an unborn tip (a session recorded before any commit) is listed, never merged
    repo_obj = g.discover(str(repo))
    fc = cf.forecast(repo_obj, cf.resolve(repo_obj, ["main"])[0],
                     [cf.Tip("agent/unborn", None)])
    assert [m.status for m in fc.against_base] == ["no commits yet"]


ODD = [b"with space.md", b"new\nline.md", b"caf\xe9-latin1.md", b"-leading-dash.md"]


def test_odd_file_names_are_reported_losslessly(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", files={"README.md": "r\n"})
    for name in ODD:
        write(repo, b"docs/" + name, "one\ntwo\n")
    commit_all(repo, "odd names")
    for side in ("a", "b"):
        git("branch", f"agent/docs-{side}", "main", cwd=repo)
        wt = tmp_path / side
        git("worktree", "add", "-q", str(wt), f"agent/docs-{side}", cwd=repo)
        for name in ODD:
            write(wt, b"docs/" + name, f"one\ntwo by {side}\n")
        commit_all(wt, side)
    data = forecast(repo, "agent/docs-a", "agent/docs-b")
    between = by_pair(data)[("agent/docs-a", "agent/docs-b")]
    got = sorted(os.fsencode(c["path"]) for c in between["conflicts"])
    assert got == sorted(b"docs/" + n for n in ODD)
    # a finding's path is C-quoted as git quotes it where it is not UTF-8, its bytes in
    # path_bytes (base64): lossless either way
    import base64

    assert sorted(base64.b64decode(f["path_bytes"]) if "path_bytes" in f
                  else os.fsencode(f["path"]) for f in data["findings"]) == got
    text = gg("conflicts", "agent/docs-a", "agent/docs-b", cwd=repo).stdout
    assert '"docs/new\\nline.md"' in text and '"docs/caf\\xe9-latin1.md"' in text
    assert "docs/with space.md" in text and "docs/-leading-dash.md" in text


def test_a_branch_name_that_looks_like_an_option_is_never_passed_as_one(
        tmp_path: Path) -> None:
    repo = repo_with_docs(tmp_path)
    wt = tmp_path / "odd"
    git("worktree", "add", "-q", "--detach", str(wt), "main", cwd=repo)
    edit_line(wt, "docs/index.md", "line two", "line two (odd)", "odd")
    name = "--output=pwned"
    git("update-ref", f"refs/heads/{name}", "HEAD", cwd=wt)
    edit_line(repo, "docs/index.md", "line two", "line two (main)", "main")
    trace = tmp_path / "trace.log"
    proc = gg("conflicts", "--format", "json", "--", name, cwd=repo,
              env={"GIT_TRACE": str(trace)})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert by_pair(data)[("main", name)]["status"] == "conflict"
    assert not (repo / "pwned").exists() and not (tmp_path / "pwned").exists()
    argv = [line for line in trace.read_text().splitlines() if "trace: " in line]
    assert any("merge-tree" in line for line in argv)
    assert not [line for line in argv if name in line]
    # the hint names the commit, never the option-looking name
    [f] = data["findings"]
    assert name not in f["hint"].split("see it:")[1]
    bad = gg("conflicts", "--", "-no-such", cwd=repo)
    assert bad.returncode == 2 and "not a branch or commit" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_merge_order_is_greedy(tmp_path: Path) -> None:
    """wide conflicts with narrow-1 and narrow-2, which do not conflict: merging both narrow
    ones first merges two branches without a conflict, where taking wide first merges one."""
    repo = make_repo(tmp_path / "repo", files={"docs/x.md": "1\n2\n3\n4\n5\n6\n7\n",
                                               "docs/y.md": "1\n2\n3\n4\n5\n6\n7\n"})
    edits = {"wide": [("docs/x.md", "2"), ("docs/y.md", "6")], "narrow-1": [("docs/x.md", "2")],
             "narrow-2": [("docs/y.md", "6")]}
    for name, changes in edits.items():
        git("branch", f"agent/docs-{name}", "main", cwd=repo)
        wt = tmp_path / name
        git("worktree", "add", "-q", str(wt), f"agent/docs-{name}", cwd=repo)
        for rel, line in changes:
            edit_line(wt, rel, f"{line}\n", f"{line} by {name}\n", name)
    data = forecast(repo, "agent/docs-wide", "agent/docs-narrow-1", "agent/docs-narrow-2")
    assert data["order"] == ["agent/docs-narrow-1", "agent/docs-narrow-2"]
    assert data["order_method"] == "greedy"
    [r] = data["rebase"]
    assert (r["branch"], r["after"], r["conflicts_with"]) == (
        "agent/docs-wide", "agent/docs-narrow-2", ["agent/docs-narrow-1", "agent/docs-narrow-2"])


def cache_file(repo: Path) -> Path:
    return repo / ".git" / "guardrails" / "conflicts-cache.json"


def status_rows(cwd: Path, env: Optional[dict[str, str]] = None) -> dict[str, dict[str, Any]]:
    proc = gg("status", "--format", "json", cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    return {r["branch"]: r for r in json.loads(proc.stdout)["worktrees"]}


def test_status_column_is_cached_by_the_pair_of_tips(tmp_path: Path) -> None:
    repo, a, b = same_line_sessions(tmp_path)
    session(repo, tmp_path / "c", "agent/auth")
    edit_line(repo, "docs/index.md", "line two", "line two (main)", "main")
    shim, log = counting_git(tmp_path / "shim")
    env = {"PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    rows = status_rows(repo, env)
    assert rows["agent/docs-a"]["conflicts"] == {"base": 1, "branches": {"agent/docs-b": 1}}
    assert rows["agent/docs-b"]["conflicts"] == {"base": 1, "branches": {"agent/docs-a": 1}}
    assert rows["agent/auth"]["conflicts"] == {"base": 0, "branches": {}}
    assert rows["main"]["conflicts"] is None
    first = [c for c in git_calls(log) if c[:1] == ["merge-tree"]]
    assert len(first) == 4  # a, b and auth into main; a with b (auth has nothing to merge)
    log.unlink()
    assert status_rows(repo, env) == rows
    assert [c for c in git_calls(log) if c[:1] == ["merge-tree"]] == []  # all from the cache
    line = next(x for x in gg("status", cwd=repo).stdout.splitlines() if x.startswith(str(a)))
    assert " base+1 " in line
    # a new commit on b: only b's merges run again
    edit_line(b, "docs/other.md", "o", "o2", "b again")
    log.unlink()
    status_rows(repo, env)
    assert len([c for c in git_calls(log) if c[:1] == ["merge-tree"]]) == 2


@pytest.mark.parametrize("damage", [
    b"not json", b"[]", b'{"version": 99, "entries": {}}',
    b'{"version": 1, "entries": {"x y": [0, ""]}}',
    "bad base64", "unparsable output", "exit code 7", "short key",
])
def test_a_bad_cache_is_recomputed(tmp_path: Path, damage: object) -> None:
    repo, _, _ = same_line_sessions(tmp_path)
    want = forecast(repo)
    path = cache_file(repo)
    doc = json.loads(path.read_text())
    keys = list(doc["entries"])
    if isinstance(damage, bytes):
        path.write_bytes(damage)
    else:
        for k in keys:
            if damage == "bad base64":
                doc["entries"][k][1] = "!!!"
            elif damage == "unparsable output":
                doc["entries"][k] = [1, "bm90IGEgbWVyZ2UtdHJlZSBvdXRwdXQ="]
            elif damage == "exit code 7":
                doc["entries"][k][0] = 7
            else:
                doc["entries"][k[:20] + k[40:]] = doc["entries"].pop(k)
        path.write_text(json.dumps(doc))
    assert forecast(repo) == want
    assert json.loads(path.read_text())["version"] == 1  # written again, whole


def test_ci_against_other_pull_requests(tmp_path: Path) -> None:
    repo = repo_with_docs(tmp_path)
    a, b, c = (tmp_path / n for n in "abc")
    for n, wt in zip("abc", (a, b, c)):  # people's pull requests: no findings of their own
        git("worktree", "add", "-q", "-b", f"feature/{n}", str(wt), "main", cwd=repo)
    edit_line(a, "docs/index.md", "line two", "line two (a)", "a")
    edit_line(b, "docs/index.md", "line two", "line two (b)", "b")
    edit_line(c, "docs/other.md", "o", "o (c)", "c")
    args = ("ci", "--base", "main", "--head", "feature/a", "--format", "json",
            "--against", "feature/b", "--against", "feature/c")
    proc = gg(*args, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"].startswith("conflict")]
    assert [(f["rule"], f["severity"], f["path"]) for f in found] == [
        ("conflict-between-sessions", "warning", "docs/index.md")]
    assert "feature/b" in found[0]["message"]
    strict = gg(*args, "--strict", cwd=repo)
    assert strict.returncode == 1
    assert any(f["rule"] == "conflict-between-sessions" and f["severity"] == "error"
               for f in json.loads(strict.stdout)["findings"])
    # the click path (an option the fast path does not read) says the same
    slow = gg(*args, "--strict", "--output", str(tmp_path / "out.json"), cwd=repo)
    assert slow.returncode == 1
    assert json.loads((tmp_path / "out.json").read_text())["findings"] == \
        json.loads(strict.stdout)["findings"]
    missing = gg("ci", "--base", "main", "--head", "feature/a", "--against", "nope",
                 cwd=repo)
    assert missing.returncode == 2 and "not a branch or commit" in missing.stderr


def test_parse_reads_git_merge_tree_output(tmp_path: Path) -> None:
    """The parser against git's own output of every section, and what it refuses."""
    repo = make_repo(tmp_path / "repo", files={"f": "1\n2\n3\n", "g": "g\n"})
    for side, text in (("a", "A"), ("b", "B")):
        git("checkout", "-q", "-b", side, "main", cwd=repo)
        write(repo, "f", f"1\n{text}\n3\n")
        if side == "a":
            git("rm", "-q", "g", cwd=repo)
        else:
            write(repo, "g", "g2\n")
        commit_all(repo, side)
    proc = git("merge-tree", "--write-tree", "--name-only", "-z", "a", "b", cwd=repo,
               check=False)
    assert proc.returncode == 1
    out = cf.parse(proc.stdout.encode("utf-8", "surrogateescape"), 1)
    assert out.paths == ("f", "g")
    assert [(c.kind, c.type, c.paths) for c in out.conflicts] == [
        ("content", "CONFLICT (contents)", ("f",)),
        ("modify/delete", "CONFLICT (modify/delete)", ("g",))]
    bare = cf.parse(b"0" * 40 + b"\0", 1)  # exit 1 with nothing to say where: still a conflict
    assert cf.kinds_by_path(bare) == {"": ["conflict"]}
    for bad, code in ((b"", 1), (b"nonsense\0", 1), (b"0" * 40 + b"\0f\0\0x\0", 1),
                      (b"0" * 40 + b"\0extra\0", 0), (b"0" * 40, 0), (b"x", 128)):
        with pytest.raises(ValueError):
            cf.parse(bad, code)


def test_merges_run_side_by_side_within_the_cpu_count(tmp_path: Path) -> None:
    """One merge-tree per merge, as many at once as the CPUs the command may use, never
    more: a git shim logs when each merge-tree starts and ends (and holds it briefly)."""
    import shutil

    repo = repo_with_docs(tmp_path)
    names = [f"agent/docs-{n}" for n in range(4)]
    for n, name in enumerate(names):
        git("branch", name, "main", cwd=repo)
        wt = tmp_path / f"w{n}"
        git("worktree", "add", "-q", str(wt), name, cwd=repo)
        edit_line(wt, "docs/other.md", "o", f"o {n}", name)
    real = shutil.which("git")
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "spans.log"
    (shim / "git").write_text(
        "#!/bin/sh\n"
        'case " $* " in *" merge-tree "*)\n'
        f'  echo "+" >> "{log}"; sleep 0.3; "{real}" "$@"; rc=$?; echo "-" >> "{log}"\n'
        "  exit $rc;;\n"
        "esac\n"
        f'exec "{real}" "$@"\n')
    (shim / "git").chmod(0o755)
    proc = gg("conflicts", "--format", "json", *names, cwd=repo,
              env={"PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["between"]) == 6  # every pair conflicts, none skipped
    running = most = 0
    events = log.read_text().split()
    for e in events:
        running += 1 if e == "+" else -1
        most = max(most, running)
    assert events.count("+") == 4 + 6  # one merge-tree per merge
    assert most <= cf.workers()
    if cf.workers() >= 2:
        assert most >= 2
