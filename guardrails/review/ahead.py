"""What ``git-guardrails ci`` starts before it imports its policy and check code.

Most of a short range's run is fixed cost: Python's start, the imports of the policy (tomllib,
with typing and datetime) and of the checks, and four git processes one after the other
(rev-parse, cat-file, merge-base, then the range's logs). Here the two that resolve the range
run beside the third (:func:`begin`, before :func:`guardrails.git.discover`), and the range's
logs and its policy blob start as soon as the merge-base is known (:func:`start`), so git
works while Python imports the rest. Nothing here decides anything: what it learnt is handed
to :func:`guardrails.review.judge.gather`, which reads the range exactly as without it; a
name that does not resolve, or anything unusual, leaves everything to gather (and its
messages).

No typing here (``str | None`` in annotations only): typing's import is one of the costs the
logs should run beside.
"""
from __future__ import annotations

from collections.abc import Mapping

from guardrails import git
from guardrails.git.patchlog import PatchLog
from guardrails.scope import changes
from guardrails.scope import policy as policies

# Where CI systems say which branch a pipeline runs for, in the order they are trusted.
BRANCH_VARS = (
    "GITHUB_HEAD_REF",  # GitHub Actions, pull_request events: the PR's source branch
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",  # GitLab merge request pipelines
    "CI_COMMIT_BRANCH",  # GitLab branch pipelines (unset for tags)
    "CI_COMMIT_REF_NAME",  # GitLab: branch or tag
)
CHECK = "--batch-check=%(objectname) %(objecttype)"


def plain_names(base: str, head: str) -> bool:
    """Names that one ``cat-file --batch-check`` reads a line each (judge._resolve_both)."""
    return "\n" not in base + head and base.strip() == base and head.strip() == head


def check_input(base: str, head: str) -> bytes:
    return f"{base}^{{commit}}\n{head}^{{commit}}\n".encode("utf-8", "surrogateescape")


class Resolving:
    """``cat-file --batch-check`` of both names and their ``merge-base``, started at once in
    the current directory (the repository git finds there is the one discover finds)."""

    def __init__(self, base: str, head: str) -> None:
        self.check = ("cat-file", CHECK)
        self.input = check_input(base, head)
        # --end-of-options: a name is never an option (git >= 2.24 reads it in merge-base)
        self.mb = ("merge-base", "--end-of-options", f"{base}^{{commit}}", f"{head}^{{commit}}")
        git.prefetch(*self.check, input=self.input)
        git.prefetch(*self.mb)

    def collect(self) -> tuple[str, str, str] | None:
        """(base oid, head oid, merge-base), or None: leave it all to gather."""
        names = git.run(*self.check, input=self.input, ok=(0, 128))
        mb = git.run(*self.mb, ok=(0, 1, 128))
        lines = names.stdout.decode(errors="replace").split("\n")
        if names.returncode != 0 or len(lines) != 3 or \
                not all(line.endswith(" commit") for line in lines[:2]):
            return None
        merge_base = mb.stdout.decode(errors="replace").strip()
        if mb.returncode != 0 or not merge_base or "\n" in merge_base:
            return None
        return lines[0].split(" ")[0], lines[1].split(" ")[0], merge_base

    def drop(self) -> None:
        git.discard(*self.check, input=self.input)
        git.discard(*self.mb)


def begin(base: str, head: str) -> Resolving | None:
    return Resolving(base, head) if plain_names(base, head) else None


class Started:
    """The range's ends, and its logs when they could start (see :func:`start`)."""

    __slots__ = ("base_oid", "head_oid", "log", "merge_base")

    def __init__(self, base_oid: str, head_oid: str, merge_base: str,
                 log: PatchLog | None) -> None:
        self.base_oid = base_oid
        self.head_oid = head_oid
        self.merge_base = merge_base
        self.log = log


def named(repo: git.Repo, head: str, branch: str | None, env: Mapping[str, str]) -> bool:
    """Whether judge.head_branch names a branch without asking git (a subset of its cases):
    only then may the logs start before the policy is read (ci's require_branch otherwise)."""
    return bool(branch) or any(env.get(var) for var in BRANCH_VARS) or (
        env.get("GITHUB_REF_TYPE") == "branch" and bool(env.get("GITHUB_REF_NAME"))) or (
        head == "HEAD" and bool(repo.branch))


def start(repo: git.Repo, resolving: Resolving | None, head: str, branch: str | None,
          env: Mapping[str, str]) -> Started | None:
    """The range's ends from ``resolving``; then the range's raw log, its patch log and its
    policy blob started, as gather would start them (None: gather does it all)."""
    if resolving is None:
        return None
    ends = resolving.collect()
    if ends is None:
        return None
    base_oid, head_oid, mb = ends
    git.prefetch("cat-file", "--batch", cwd=repo.toplevel,
                 input=git.batch_input(policies.specs_at(mb)))
    if mb == head_oid or not named(repo, head, branch, env):
        return Started(base_oid, head_oid, mb, None)
    revs = [f"{mb}..{head_oid}"]
    git.prefetch(*changes.log_args(revs, numstat=False), cwd=repo.toplevel, widen=True)
    return Started(base_oid, head_oid, mb, PatchLog.start(repo, revs, ready=False))


def drop(repo: git.Repo, started: Started | None) -> None:
    """Undo :func:`start` for a caller that gives up before gather takes the range (gather
    drops what it does not collect itself): no git process or prefetched output is left."""
    if started is None:
        return
    git.discard("cat-file", "--batch", cwd=repo.toplevel,
                input=git.batch_input(policies.specs_at(started.merge_base)))
    if started.log is not None:
        started.log.close()
        revs = [f"{started.merge_base}..{started.head_oid}"]
        git.discard(*changes.log_args(revs, numstat=False), cwd=repo.toplevel)
