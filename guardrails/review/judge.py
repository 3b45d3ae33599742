"""A branch under review: the range ``merge-base(base, head)..head``, judged with the policy
committed at the merge-base. Shared by ``git-guardrails ci`` (the gate) and ``review`` (the
ritual: ``git log --oneline base..branch`` and ``git diff base...branch`` on one screen).

Git is started a fixed number of times whatever the range's length: rev-parse of base and head,
merge-base, one ``cat-file --batch`` for the policy, one ``git log`` for every commit's changes
(changes.commits), and — only when needed — for-each-ref (merges) and diff-tree (review).
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

from guardrails import checks, context, git
from guardrails.checks.branch import HOOK_CONFIG
from guardrails.context import Context
from guardrails.errors import GuardrailsError
from guardrails.findings import ERROR, Finding, shell_path
from guardrails.git.patchlog import PatchLog
from guardrails.records import Record
from guardrails.review import ahead as ahead_mod
from guardrails.review.ahead import BRANCH_VARS, Started
from guardrails.scope import changes
from guardrails.scope import policy as policies
from guardrails.scope.changes import Change, Commit
from guardrails.scope.patterns import Matcher

SHALLOW_FIX = ("fetch the whole history: GitHub Actions `actions/checkout` with "
               "`fetch-depth: 0`; GitLab CI `variables: GIT_DEPTH: 0`; here: "
               "git fetch --unshallow")

TRAILER = re.compile(r"^Guardrails-Checked:[ \t]*(\S+)[ \t]*$", re.MULTILINE)


# Records rather than dataclasses: ``import dataclasses`` brings ``inspect`` (~6 ms of every
# ci run's start-up) and each class's generated methods.
class Range(Record):
    __slots__ = ("repo", "base", "head", "base_oid", "head_oid", "merge_base",  # noqa: RUF023
                 "branch", "branch_from", "policy", "commits", "log")
    repo: git.Repo
    base: str  # as given: "origin/main", a tag, a SHA
    head: str
    base_oid: str
    head_oid: str
    merge_base: str
    branch: Optional[str]  # the head branch, which picks the task
    branch_from: str  # where the branch name came from: "--branch", "GITHUB_HEAD_REF", "HEAD", …
    policy: Optional[policies.Policy]
    commits: list[Commit]
    log: Optional[PatchLog]  # the range's patch log, started by gather; judge's context owns it

    def __init__(self, repo: git.Repo, base: str, head: str, base_oid: str, head_oid: str,
                 merge_base: str, branch: Optional[str], branch_from: str,
                 policy: Optional[policies.Policy],
                 commits: Optional[list[Commit]] = None) -> None:
        self.repo = repo
        self.base = base
        self.head = head
        self.base_oid = base_oid
        self.head_oid = head_oid
        self.merge_base = merge_base
        self.branch = branch
        self.branch_from = branch_from
        self.policy = policy
        self.commits = [] if commits is None else commits
        self.log: Optional[PatchLog] = None

    @property
    def policy_source(self) -> str:
        return self.policy.source if self.policy else f"none (no {policies.FILENAME} at " \
            f"{self.base}@{self.merge_base[:7]})"


def _is_shallow(repo: git.Repo) -> bool:
    return git.out("rev-parse", "--is-shallow-repository",
                   cwd=repo.toplevel).strip() == b"true"


def _resolve(repo: git.Repo, rev: str, what: str) -> str:
    oid = git.rev_parse(repo, rev)
    if oid is not None:
        return oid
    if _is_shallow(repo):
        raise GuardrailsError(f"{what} `{rev}` is not in this shallow clone", SHALLOW_FIX)
    from guardrails.findings import printable

    listing = "pass an existing ref or SHA (git branch -a lists them)"
    if re.search(r"[~^@:{}\s\\]", rev):  # an expression, not a ref name: nothing to fetch
        raise GuardrailsError(f"{what} `{printable(rev)}` is not a commit in this repository",
                              f"{listing}; git log --oneline shows the commits")
    remote = rev.split("/", 1)
    fix = (f"git fetch {shlex.quote(remote[0])} {shlex.quote(remote[1])}" if len(remote) == 2
           else f"git fetch origin {shlex.quote(rev)}")
    raise GuardrailsError(f"{what} `{rev}` is not a commit in this repository",
                          f"{fix}, or {listing}")


def _resolve_both(repo: git.Repo, base: str, head: str) -> tuple[str, str]:
    """Both commits in one git process (``cat-file --batch-check`` reads the names on stdin, so
    no name is ever an option); anything but two commits goes through :func:`_resolve`, which
    says what is wrong."""
    if "\n" not in base + head and base.strip() == base and head.strip() == head:
        out = git.out("cat-file", "--batch-check=%(objectname) %(objecttype)",
                      cwd=repo.toplevel,
                      input=f"{base}^{{commit}}\n{head}^{{commit}}\n".encode(
                          "utf-8", "surrogateescape")).decode(errors="replace").split("\n")
        if len(out) == 3 and all(line.endswith(" commit") for line in out[:2]):
            return out[0].split(" ")[0], out[1].split(" ")[0]
    return _resolve(repo, base, "the base"), _resolve(repo, head, "the head")


def _branch_of(repo: git.Repo, head: str) -> Optional[str]:
    """The branch ``head`` names (``agent/auth``, ``origin/agent/auth`` -> ``agent/auth``)."""
    if head == "HEAD":
        return repo.branch
    if head.startswith("-"):
        return None
    # (rev-parse of git < 2.43 prints --end-of-options back instead of honouring it)
    proc = git.run("rev-parse", "--symbolic-full-name", head, cwd=repo.toplevel, ok=(0, 128))
    full = proc.stdout.decode(errors="surrogateescape").strip()
    if full.startswith("refs/heads/"):
        return full[len("refs/heads/"):]
    if full.startswith("refs/remotes/"):
        rest = full[len("refs/remotes/"):]
        return rest.split("/", 1)[1] if "/" in rest else None
    return None


def head_branch(repo: git.Repo, head: str, branch: Optional[str],
                env: Optional[Mapping[str, str]] = None) -> tuple[Optional[str], str]:
    """Which branch is under review, and where that was learnt: ``--branch``, a branch named by
    ``--head``, the CI's variables (only when ``env`` is given), else HEAD's branch."""
    if branch:
        return branch, "--branch"
    named = _branch_of(repo, head) if head != "HEAD" else None
    if named:
        return named, "--head"
    for var in BRANCH_VARS if env is not None else ():
        value = (env or {}).get(var, "")
        if value:
            return value, f"${var}"
    if env is not None and env.get("GITHUB_REF_TYPE") == "branch" and env.get("GITHUB_REF_NAME"):
        return env["GITHUB_REF_NAME"], "$GITHUB_REF_NAME"
    if head == "HEAD" and repo.branch:
        return repo.branch, "HEAD"
    return None, "unknown"


def gather(repo: git.Repo, base: str, head: str = "HEAD", branch: Optional[str] = None,
           env: Optional[Mapping[str, str]] = None, since: Optional[str] = None,
           single: bool = False, fix: str = "git-guardrails ci --base origin/main",
           strict: bool = False, progress: Optional[Callable[[str], None]] = None,
           ahead: Optional[Started] = None) -> Range:
    """Resolve the range and read its policy and commits (raises GuardrailsError: exit 2).

    The policy is the one committed at ``merge-base(base, head)``; the commits are those of
    ``merge-base..head`` (ci, review), of ``since..head`` when ``since`` is given, or ``head``
    alone when ``single`` (check --range: the range the user wrote, the trust of ci's). ``fix``:
    the command line to suggest when there is no merge-base. ``strict``: ci's rule on a head
    whose branch is unknown (require_branch), applied before any check starts. ``progress``:
    told each step (guardrails.progress). ``ahead``: what ci started before importing this
    module (guardrails.review.ahead; only for a ``since``-less, not ``single`` range): the
    range's ends, and its logs when they could start; gather owns it from here."""
    say = progress or _quiet
    say(f"resolving {base} and {head}")
    try:
        if ahead is not None:
            base_oid, head_oid, mb, since_oid = ahead.base_oid, ahead.head_oid, \
                ahead.merge_base, None
        else:
            base_oid, head_oid, mb, since_oid = _ends(repo, base, head, since, fix)
        name, source = head_branch(repo, head, branch, env)
    except BaseException:
        ahead_mod.drop(repo, ahead)
        raise
    label = base if not re.fullmatch(r"[0-9a-fA-F]{7,64}", base) else "merge-base"
    revs = ["-1", head_oid] if single else [f"{since_oid or mb}..{head_oid}"]
    some = single or (since_oid or mb) != head_oid
    # the range's two logs start before the policy is read (and its code imported), unless
    # ci must first see whether it may go on at all (require_branch, below)
    log = ahead.log if ahead is not None else None
    if log is None and some and not (strict and name is None):
        log = PatchLog.start(repo, revs, ready=False)
    try:
        if log is not None:
            git.prefetch(*changes.log_args(revs, numstat=False), cwd=repo.toplevel)
        say(f"reading the policy at {mb[:12]}")
        pol = policies.load_at(repo, mb, label)
        rng = Range(repo, base, head, base_oid, head_oid, mb, name, source, pol, [])
        if some:
            say(f"reading the commits of {(since_oid or mb)[:12]}..{head_oid[:12]}")
            rng.log = _read_commits(rng, revs, log, strict)
    except BaseException:
        if log is not None:
            log.close()
            # a raw log or policy read started and never collected: no stale output is
            # left for a later run in this process
            git.discard(*changes.log_args(revs, numstat=False), cwd=repo.toplevel)
        git.discard("cat-file", "--batch", cwd=repo.toplevel,
                    input=git.batch_input(policies.specs_at(mb)))
        raise
    return rng


def _ends(repo: git.Repo, base: str, head: str, since: Optional[str],
          fix: str) -> tuple[str, str, str, Optional[str]]:
    """(base oid, head oid, merge-base, since oid) of a range (GuardrailsError: exit 2)."""
    base_oid, head_oid = _resolve_both(repo, base, head)
    since_oid = _resolve(repo, since, "the start of the range") if since is not None else None
    proc = git.run("merge-base", base_oid, head_oid, cwd=repo.toplevel, ok=(0, 1))
    mb = proc.stdout.decode().strip()
    if proc.returncode != 0 or not mb:
        if _is_shallow(repo):
            raise GuardrailsError(
                f"no merge-base of `{base}` and `{head}` in this clone: it is shallow, so the "
                "commit where the branch started was not fetched", SHALLOW_FIX)
        raise GuardrailsError(
            f"`{base}` and `{head}` have no common ancestor (unrelated histories): there is no "
            "range to check and no trusted policy to check it with",
            f"pass the branch the work started from: {fix}")
    return base_oid, head_oid, mb, since_oid


def _read_commits(rng: Range, revs: list[str], log: Optional[PatchLog],
                  strict: bool) -> PatchLog:
    """The range's commits into ``rng``, and its patch log: the range checks' git log -p |
    git patch-id, running beside the raw log, scanned for the bypass check's literals as git
    writes it, and — for the scope check's max-lines budget — its lines counted (the raw log
    has no --numstat)."""
    from guardrails.checks.bypass import hit_lines

    task = rng.policy.task_for_branch(rng.branch) if rng.policy is not None else None
    lines = task is not None and task.max_lines is not None
    if log is None:
        if strict and rng.branch is None and rng.policy is not None:
            # read the commits to judge whether to go on, before starting the patch log
            rng.commits[:] = changes.commits(rng.repo, revs, numstat=False)
            require_branch(rng)
        log = PatchLog.start(rng.repo, revs, hit_lines, lines)
    else:
        log.configure(hit_lines, lines)
    try:
        if not rng.commits:  # the checks count lines if need be
            rng.commits[:] = changes.commits(rng.repo, revs, numstat=False)
    except BaseException:
        log.close()
        raise
    return log


# --- the range a user writes (check --range A..B) ----------------------------------------------

RANGE_FIX = "git-guardrails check --range main..BRANCH   (or A...B, or one commit: REV)"


def split_range(spec: str) -> tuple[Optional[str], str, bool]:
    """``A..B`` -> (A, B, False); ``A...B`` -> (A, B, True): the commits B adds since its
    merge-base with A, as ``git diff A...B`` reads it; ``REV`` -> (None, REV, False): that
    commit alone. An empty side is HEAD, as git reads it. Anything else: GuardrailsError."""
    def bad(why: str) -> GuardrailsError:
        from guardrails.findings import printable

        return GuardrailsError(f"--range {printable(spec)!r}: {why}", RANGE_FIX)

    if not spec.strip():
        raise bad("empty: name the commits to check")
    if not spec.isprintable() or spec != spec.strip():
        raise bad("a range is one revision range on one line, without surrounding spaces")
    dots = "..." if "..." in spec else ".." if ".." in spec else ""
    if not dots:
        sides = [spec]
    else:
        sides = spec.split(dots)
        if len(sides) != 2 or any(".." in side for side in sides):
            raise bad(f"more than one `{dots}`: write A..B or A...B")
        if not sides[0] and not sides[1]:
            raise bad(f"`{dots}` names no commit on either side")
    for side in sides:
        if side.startswith("-"):
            raise bad(f"`{side}` looks like an option, not a revision")
    if not dots:
        return None, spec, False
    return sides[0] or "HEAD", sides[1] or "HEAD", dots == "..."


def _quiet(label: str) -> None:
    pass


def gather_spec(repo: git.Repo, spec: str, base: Optional[str],
                branch: Optional[str] = None,
                progress: Optional[Callable[[str], None]] = None) -> Range:
    """``check --range SPEC``: the commits ``git log A..B`` lists (see split_range), judged as
    ``ci --base BASE --head B`` judges them: the policy committed at ``merge-base(BASE, B)``
    (BASE: the local base branch the trusted policy comes from), the task of B's branch."""
    start, head, symmetric = split_range(spec)
    if base is None:
        raise GuardrailsError(
            "no base branch to read the trusted policy from: neither main nor master exists "
            "here", "git config guardrails.base BRANCH   # the branch agent work merges into")
    since = start
    if symmetric and start is not None:
        a, b = _resolve(repo, start, "the start of the range"), _resolve(repo, head, "the head")
        proc = git.run("merge-base", a, b, cwd=repo.toplevel, ok=(0, 1))
        since = proc.stdout.decode().strip()
        if proc.returncode != 0 or not since:
            raise GuardrailsError(f"`{start}` and `{head}` have no common ancestor, so "
                                  f"`{spec}` has no merge-base to start from", RANGE_FIX)
    return gather(repo, base, head, branch, since=since, single=start is None,
                  fix=f"git config guardrails.base BRANCH, or {RANGE_FIX}", progress=progress)


def unchecked(ctx: Context, commits: Sequence[Commit]) -> list[Commit]:
    """The commits no check applies to: not merges, and not agent commits."""
    return [c for c in commits if not c.is_merge and not ctx.is_agent_commit(c)]


# GitHub's and GitLab's names for a pull or merge request's source branch
BRANCH_FIX = ('name the branch under review: --branch "$GITHUB_HEAD_REF" (GitHub Actions), '
              '--branch "$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME" (GitLab CI), or check it out '
              "(git switch BRANCH)")


def require_branch(rng: Range) -> None:
    """ci fails closed on a head whose branch it cannot tell (a detached checkout, no CI
    variable): no task would apply, so the commits whose metadata names no agent would pass
    unchecked. Unless every commit names its agent (or there is no policy, whose tasks a branch
    could pick): then they are all judged anyway, and the verdict says the branch is unknown."""
    if rng.branch is not None or rng.policy is None:
        return
    ctx = context.for_range(rng.repo, rng.policy, None)
    left = unchecked(ctx, rng.commits)
    if not left:
        return
    raise GuardrailsError(
        f"cannot tell which branch `{rng.head}` ({rng.head_oid[:12]}) is, so no task of "
        f"{rng.policy.source} applies and {len(left)} of {len(rng.commits)} commit(s) "
        f"(e.g. {left[0].oid[:12]} \"{left[0].subject[:50]}\") would go unchecked: "
        "their metadata names no agent",
        f"git-guardrails ci --base {shlex.quote(rng.base)} --branch BRANCH; in CI, "
        + BRANCH_FIX)


class Verdict(Record):
    __slots__ = ("rng", "ctx", "findings", "attestation", "attest_checked")  # noqa: RUF023
    rng: Range
    ctx: Context
    findings: list[Finding]
    attestation: dict[str, str]  # oid -> present / missing / mismatch / - (not required)
    attest_checked: bool  # whether guardrails.checks.attest verified the trailers

    def __init__(self, rng: Range, ctx: Context, findings: list[Finding],
                 attestation: dict[str, str], attest_checked: bool) -> None:
        self.rng = rng
        self.ctx = ctx
        self.findings = findings
        self.attestation = attestation
        self.attest_checked = attest_checked


def judge(rng: Range, name_it: str = "git-guardrails ci --branch BRANCH (in CI: "
          + BRANCH_FIX + ")", progress: Optional[Callable[[str], None]] = None) -> Verdict:
    """Every check of checks.RANGE over the commits, then the branch-level (CI-only) checks.
    ``name_it``: the fix to suggest when the head's branch is unknown; ``progress``: told
    each step."""
    ctx = context.for_range(rng.repo, rng.policy, rng.branch, rng.log)
    try:
        return _judge(rng, ctx, name_it, progress or _quiet)
    finally:
        ctx.close()  # no thread of the range's patch log outlives the verdict


def _judge(rng: Range, ctx: Context, name_it: str, say: Callable[[str], None]) -> Verdict:
    from guardrails.checks import branch

    n = f"{len(rng.commits):,} commit(s)"
    say(f"checking {n}: branch")
    if rng.policy is not None and rng.policy.human_commits == "signed":
        from guardrails.review import signers

        ctx.signed_humans = signers.verified(rng.repo, rng.policy, rng.merge_base,
                                             [c.oid for c in rng.commits])
    # Run first what needs nothing of the range's git log -p (still running in gather's
    # Prefetch): the branch checks, then the attest check (it waits for the patch ids only
    # when some commit carries a trailer), the rest last; findings in the usual order.
    by_branch = branch.check_range(ctx, rng.commits) + \
        branch.budgets(ctx, rng.merge_base, rng.head_oid)
    per_check: dict[str, list[Finding]] = {}
    for name in sorted(checks.RANGE, key=lambda n: n != "attest"):
        say(f"checking {n}: {name}")
        per_check[name] = checks.run_commits(ctx, [name], rng.commits) if rng.commits else []
    found = [f for name in checks.RANGE for f in per_check[name]]
    found += by_branch
    if rng.branch is None:
        left = unchecked(ctx, rng.commits)
        found.insert(0, Finding(
            "ci-unknown-branch",
            f"cannot tell which branch `{rng.head}` is, so no task applies: only commits whose "
            f"metadata marks an agent are checked; {len(left)} of {len(rng.commits)} commit(s) "
            "not checked",
            f"name it: {name_it}",
            severity="warning", policy=rng.policy.source if rng.policy else None))
    attest = per_check.get("attest", [])
    status = attestation_status(ctx, rng.commits, attest)
    return Verdict(rng, ctx, found, status, "attest" in per_check)


def attestation_status(ctx: Context, commits: Sequence[Commit],
                       attest_findings: Sequence[Finding]) -> dict[str, str]:
    """present / missing / mismatch per commit; ``-`` for a human commit without a trailer.

    Verification is the attest check's (guardrails.checks.attest); without it the status says
    only whether the trailer is there."""
    by_commit: dict[str, list[Finding]] = {}
    for f in attest_findings:
        if f.commit:
            by_commit.setdefault(f.commit, []).append(f)
    out: dict[str, str] = {}
    for c in commits:
        fs = by_commit.get(c.oid, [])
        if c.is_merge:
            out[c.oid] = "-"
        elif any(f.rule == "attest-mismatch" for f in fs):
            out[c.oid] = "mismatch"
        elif fs or (TRAILER.search(c.message) is None and ctx.is_agent_commit(c)):
            out[c.oid] = "missing"
        elif TRAILER.search(c.message):
            out[c.oid] = "present"
        else:
            out[c.oid] = "-"
    return out


def _agent_label(ctx: Context, c: Commit) -> Optional[str]:
    """The agent column: the agent the metadata names; on a branch no task covers, why the
    commit is an agent's all the same (its trailer, or no verified signature); None otherwise
    (the report says "agent (task branch)" or "human")."""
    from guardrails.agents.markers import ATTESTED

    named = changes.agent_of(c)
    if named == ATTESTED and ctx.task is not None:
        return None
    if named is None and ctx.task is None and ctx.unsigned(c):
        return "unsigned"
    return named


def commit_rows(v: Verdict) -> list[dict[str, Any]]:
    """One dict per commit for the reports (newest first, like ``git log``)."""
    rows = []
    for c in reversed(v.rng.commits):
        rows.append({
            "oid": c.oid,
            "subject": c.subject,
            "author": f"{c.author_name} <{c.author_email}>",
            "agent": _agent_label(v.ctx, c),
            "agent_commit": v.ctx.is_agent_commit(c),
            "merge": c.is_merge,
            "attestation": v.attestation.get(c.oid, "-"),
        })
    return rows


def meta(v: Verdict) -> dict[str, Any]:
    r = v.rng
    return {
        "policy": r.policy_source,
        "base": r.base,
        "merge_base": r.merge_base,
        "head": r.head_oid,
        "branch": r.branch,
        "branch_from": r.branch_from,
        "task": v.ctx.task.name if v.ctx.task else None,
        "attestation_verified": v.attest_checked,
    }


# --- review: what changed outside the area asked for -------------------------------------------

# Files agents touch "by the way", worth a look even inside the task's scope (gitignore syntax).
BY_THE_WAY: dict[str, tuple[str, ...]] = {
    "dependencies": (
        "requirements*.txt", "requirements/**", "constraints*.txt", "Pipfile", "Pipfile.lock",
        "poetry.lock", "uv.lock", "pdm.lock", "setup.py", "setup.cfg", "pyproject.toml",
        "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
        "pnpm-lock.yaml", "bun.lockb", "Cargo.toml", "Cargo.lock", "go.mod", "go.sum",
        "Gemfile", "Gemfile.lock", "*.gemspec", "composer.json", "composer.lock",
        "pom.xml", "build.gradle", "build.gradle.kts", "gradle.lockfile", "*.csproj",
        "packages.lock.json", "mix.exs", "mix.lock", "Package.swift", "Package.resolved",
    ),
    "CI config": (
        ".github/workflows/**", ".github/actions/**", ".gitlab-ci.yml", ".gitlab/ci/**",
        ".circleci/**", "Jenkinsfile", "azure-pipelines.yml", ".travis.yml", ".buildkite/**",
        ".drone.yml", "bitbucket-pipelines.yml", ".ci/**",
    ),
    "hook config": (".guardrails.toml", *HOOK_CONFIG),  # the one list the CI check uses
    "build config": (
        "Makefile", "GNUmakefile", "*.mk", "CMakeLists.txt", "meson.build", "Dockerfile",
        "Dockerfile.*", "docker-compose*.yml", "compose*.yaml", "tox.ini", "noxfile.py",
        "justfile", "BUILD", "BUILD.bazel", "WORKSPACE", "MODULE.bazel", ".bazelrc",
        "tsconfig*.json", "webpack.config.*", "vite.config.*", "rollup.config.*",
        "babel.config.*", ".babelrc", "build.rs", "Rakefile", "mypy.ini", "ruff.toml",
        ".ruff.toml", "pytest.ini", ".flake8", ".eslintrc*", "eslint.config.*",
    ),
}


def kind_of(paths: Sequence[str]) -> dict[str, str]:
    """path -> its by-the-way kind, for the paths that are one."""
    out: dict[str, str] = {}
    for kind, pats in BY_THE_WAY.items():
        for p in Matcher(pats).matching(paths):
            out.setdefault(p, kind)
    return out


def diff_command(base: str, branch: str, path: Optional[str] = None) -> str:
    cmd = f"git diff {shlex.quote(base + '...' + branch)}"
    return f"{cmd} -- {shell_path(path)}" if path is not None else cmd


class Review(Record):
    __slots__ = ("verdict", "label", "diff", "outside", "by_the_way")  # noqa: RUF023
    verdict: Verdict
    label: str  # the branch's name as the user wrote it (for commands)
    diff: list[Change]  # merge-base..head, net
    outside: list[str]  # paths outside the task's scope (or every path when no task)
    by_the_way: dict[str, str]  # path -> kind

    def __init__(self, verdict: Verdict, label: str, diff: list[Change], outside: list[str],
                 by_the_way: dict[str, str]) -> None:
        self.verdict = verdict
        self.label = label
        self.diff = diff
        self.outside = outside
        self.by_the_way = by_the_way


def review(v: Verdict, label: str, progress: Optional[Callable[[str], None]] = None) -> Review:
    r = v.rng
    (progress or _quiet)(f"reading the diff {r.merge_base[:12]}...{r.head_oid[:12]}")
    diff = changes.between(r.repo, r.merge_base, r.head_oid) if r.commits else []
    paths = sorted({p for ch in diff for p in ch.paths})
    task = v.ctx.task
    allowed = Matcher(task.allow).matching(paths) if task else set()
    outside = [p for p in paths if p not in allowed]  # no task: nothing was asked for
    return Review(v, label, diff, outside, kind_of(paths))


def review_dict(rv: Review) -> dict[str, Any]:
    v, r = rv.verdict, rv.verdict.rng
    return {
        **meta(v),
        "log_command": f"git log --oneline {shlex.quote(r.base + '..' + rv.label)}",
        "diff_command": diff_command(r.base, rv.label),
        "commits": commit_rows(v),
        "diffstat": [{"path": ch.path, "old_path": ch.old_path, "status": ch.status,
                      "added": ch.added, "removed": ch.removed} for ch in rv.diff],
        "outside_scope": [{"path": p, "command": diff_command(r.base, rv.label, p)}
                          for p in rv.outside],
        "by_the_way": [{"path": p, "kind": k, "command": diff_command(r.base, rv.label, p)}
                       for p, k in sorted(rv.by_the_way.items())],
        "findings": [f.to_dict() for f in v.findings],
        "summary": summary(v),
    }


def summary(v: Verdict) -> dict[str, int]:
    errors = sum(f.severity == ERROR for f in v.findings)
    return {"errors": errors, "warnings": len(v.findings) - errors, "commits": len(v.rng.commits)}
