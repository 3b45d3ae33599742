"""Many commits at once, in a number of git processes that does not grow with their count.

- :func:`resolve`: names (``main``, an id from a state file …) to commit ids, one
  ``git cat-file --batch-check`` (the lookup ``git rev-parse NAME^{commit}`` does); a name that
  is not a commit gives None. Names go to git on stdin, never as arguments.
- :func:`counts`: ahead/behind of (base, tip) pairs of commit ids. git >= 2.41: one
  ``git for-each-ref`` over a ref that points at each base, with a ``%(ahead-behind:TIP)`` atom
  per tip (a tip's ahead is that ref's behind); older git, or a base no ref points at: one
  ``git merge-base --octopus`` and one ``git rev-list --topo-order --parents`` of what lies
  above the common ancestor, counted here; more than :data:`LIMIT` commits there: one
  ``git rev-list --left-right --count`` per pair.
- :func:`changed_paths`: the paths that differ between (old, new) pairs of commit ids, one
  ``git diff-tree --stdin``; a pair git cannot diff gets one ``git diff-tree`` of its own.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Optional

from guardrails import git

Pair = tuple[str, str]  # (base, tip) or (old, new): commit ids
Env = Optional[Mapping[str, Optional[str]]]
LIMIT = 50_000  # commits above the common ancestor counted in Python before asking per pair
_HEX = frozenset("0123456789abcdef")
_GLOB = frozenset("*?[\\\0\n")  # a pattern with these would match other refs


def is_oid(v: str) -> bool:
    return len(v) in (40, 64) and set(v) <= _HEX


def resolve(repo: git.Repo, names: Sequence[str], env: Env = None) -> dict[str, Optional[str]]:
    """name -> the commit id it names, or None."""
    wanted = sorted({n for n in names if n and "\n" not in n and "\0" not in n})
    found: dict[str, Optional[str]] = dict.fromkeys(names)
    if not wanted:
        return found
    data = b"".join(os.fsencode(n) + b"^{commit}\n" for n in wanted)
    proc = git.run("cat-file", "--batch-check=%(objectname)", cwd=repo.toplevel, input=data,
                   ok=(0, 128), env=env)
    lines = proc.stdout.decode("ascii", errors="replace").split("\n")
    if proc.returncode != 0 or len(lines) < len(wanted):
        return found
    for name, line in zip(wanted, lines):
        found[name] = line if is_oid(line) else None
    return found


def counts(repo: git.Repo, pairs: Sequence[Pair], names: Sequence[str] = (),
           env: Env = None) -> dict[Pair, tuple[int, int]]:
    """(base, tip) -> (ahead, behind): commits in tip and not in base, and the reverse. A pair
    left out could not be counted (an object missing …). ``names``: what the bases were
    resolved from (where to look for a ref that points at one of them)."""
    todo = sorted({(b, t) for b, t in pairs if is_oid(b) and is_oid(t)})
    result: dict[Pair, tuple[int, int]] = {(b, t): (0, 0) for b, t in todo if b == t}
    todo = [p for p in todo if p not in result]
    if todo:
        result.update(_for_each_ref(repo, todo, names, env))
        todo = [p for p in todo if p not in result]
    if todo:
        result.update(_graph(repo, todo, env))
        todo = [p for p in todo if p not in result]
    for b, t in todo:
        proc = git.run("rev-list", "--left-right", "--count", "--end-of-options", f"{b}...{t}",
                       "--", cwd=repo.toplevel, ok=(0, 128), env=env)
        parts = proc.stdout.split()
        if proc.returncode == 0 and len(parts) == 2:
            result[(b, t)] = (int(parts[1]), int(parts[0]))
    return result


def _ref_patterns(name: str) -> list[str]:
    """Where a ref named by ``name`` may live (the names ``git rev-parse`` tries)."""
    if name.startswith("refs/"):
        return [name]
    return [f"refs/{d}{name}" for d in ("heads/", "tags/", "remotes/", "")]


def _for_each_ref(repo: git.Repo, pairs: Sequence[Pair], names: Sequence[str],
                  env: Env) -> dict[Pair, tuple[int, int]]:
    bases = {b for b, _t in pairs}
    tips = sorted({t for _b, t in pairs})
    patterns = sorted({p for n in names if n and not set(n) & _GLOB for p in _ref_patterns(n)})
    if not patterns:
        return {}
    fmt = "%(objectname)%00%(*objectname)" + "".join(f"%00%(ahead-behind:{t})" for t in tips)
    proc = git.run("for-each-ref", f"--format={fmt}", *patterns, cwd=repo.toplevel,
                   ok=(0, 128, 129), env=env)
    if proc.returncode != 0:  # git < 2.41 has no ahead-behind atom
        return {}
    by_base: dict[str, list[str]] = {}
    for line in proc.stdout.decode("ascii", errors="replace").split("\n"):
        fields = line.split("\0")
        if len(fields) != 2 + len(tips):
            continue
        for oid in fields[:2]:
            if oid in bases:
                by_base[oid] = fields[2:]
    result: dict[Pair, tuple[int, int]] = {}
    index = {t: i for i, t in enumerate(tips)}
    for b, t in pairs:
        parts = by_base.get(b, [])[index[t]:index[t] + 1]
        nums = parts[0].split() if parts else []
        if len(nums) == 2 and all(n.isdigit() for n in nums):
            result[(b, t)] = (int(nums[1]), int(nums[0]))  # the ref is the base: swapped
    return result


def _graph(repo: git.Repo, pairs: Sequence[Pair], env: Env) -> dict[Pair, tuple[int, int]]:
    """Count in Python over the commits above the common ancestor of every base and tip:
    each commit gets a bit mask of the bases and tips it is reachable from."""
    starts = sorted({c for p in pairs for c in p})
    mb = git.run("merge-base", "--octopus", "--all", "--end-of-options", *starts,
                 cwd=repo.toplevel, ok=(0, 1, 128), env=env)
    if mb.returncode == 128:
        return {}
    below = [f"^{c}" for c in mb.stdout.decode("ascii", errors="replace").split() if is_oid(c)]
    proc = git.run("rev-list", "--topo-order", "--parents", f"--max-count={LIMIT + 1}",
                   "--end-of-options", *starts, *below, "--", cwd=repo.toplevel, ok=(0, 128),
                   env=env)
    lines = proc.stdout.split(b"\n")
    if proc.returncode != 0 or len(lines) > LIMIT + 1:
        return {}
    bit = {c.encode(): 1 << i for i, c in enumerate(starts)}
    masks: dict[bytes, int] = dict(bit)
    by_mask: dict[int, int] = {}
    for line in lines:
        ids = line.split()
        if not ids:
            continue
        m = masks.pop(ids[0], 0)  # every child came before it (--topo-order)
        by_mask[m] = by_mask.get(m, 0) + 1
        for p in ids[1:]:
            masks[p] = masks.get(p, 0) | m
    result: dict[Pair, tuple[int, int]] = {}
    for b, t in pairs:
        bb, tb = bit[b.encode()], bit[t.encode()]
        ahead = sum(n for m, n in by_mask.items() if m & tb and not m & bb)
        behind = sum(n for m, n in by_mask.items() if m & bb and not m & tb)
        result[(b, t)] = (ahead, behind)
    return result


def changed_paths(repo: git.Repo, pairs: Sequence[Pair], env: Env = None
                  ) -> dict[Pair, list[str]]:
    """(old, new) -> the paths whose content differs between the two commits (no rename
    detection). A pair left out could not be diffed."""
    todo = sorted({(a, b) for a, b in pairs if is_oid(a) and is_oid(b)})
    if not todo:
        return {}
    # "<new> <old>": new is diffed against old as if old were its parent. --format=%x00%H
    # starts each commit's block with an empty field (a path never is one) and its id
    proc = git.run("diff-tree", "--stdin", "-r", "--name-only", "-z", "--no-renames",
                   "--always", "--format=%x00%H", cwd=repo.toplevel, ok=(0, 1, 128),
                   input=b"".join(f"{b} {a}\n".encode() for a, b in todo), env=env)
    found = _parse_blocks(proc.stdout, [b for _a, b in todo]) if proc.returncode == 0 else None
    if found is not None:
        return dict(zip(todo, found))
    result: dict[Pair, list[str]] = {}
    for a, b in todo:  # one of them is missing or not a commit: each on its own
        one = git.run("diff-tree", "-r", "--name-only", "-z", "--no-renames",
                      "--end-of-options", a, b, "--", cwd=repo.toplevel, ok=(0, 128), env=env)
        if one.returncode == 0:
            result[(a, b)] = [git.decode_path(p) for p in git.zsplit(one.stdout)]
    return result


def _parse_blocks(data: bytes, heads: Sequence[str]) -> Optional[list[list[str]]]:
    """The blocks of ``diff-tree --stdin --format=%x00%H -z --name-only``: per commit
    ``\\0<id>\\0``, then (when it changed something) ``\\n`` and its paths, each ending in
    ``\\0``. None when the blocks are not the commits asked for, in that order."""
    fields = data.split(b"\0")
    blocks: list[list[str]] = []
    i, first = 0, False
    while i < len(fields) - 1:
        f = fields[i]
        if not f:  # a block starts
            if len(blocks) == len(heads) or fields[i + 1].decode("ascii", "replace") != \
                    heads[len(blocks)]:
                return None
            blocks.append([])
            i, first = i + 2, True
            continue
        if not blocks:
            return None
        if first:
            if not f.startswith(b"\n"):
                return None
            f, first = f[1:], False
        blocks[-1].append(git.decode_path(f))
        i += 1
    return blocks if len(blocks) == len(heads) and fields[-1] == b"" else None
