"""Test helpers: real git repositories, real worktrees, real commits. No mocks of git."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

AGENT_VARS = (
    "CLAUDECODE", "CLAUDE_CODE_CHILD_SESSION", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_CODE_SESSION_ID",
    "CLAUDE_PROJECT_DIR", "CODEX_THREAD_ID", "CODEX_SANDBOX", "CODEX_SANDBOX_NETWORK_DISABLED",
    "GEMINI_CLI", "CURSOR_AGENT", "CURSOR_TRACE_ID", "OPENCODE", "OPENCODE_PID", "AI_AGENT",
    "AGENT", "AMP_CURRENT_THREAD_ID", "SKIP", "PREK_SKIP", "GUARDRAILS_BASE",
)
GIT_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX",
            "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "GIT_OBJECT_DIRECTORY")
# the variables by which `ci` reads a CI system's branches (tests that need none clear them)
CI_VARS = ("GITHUB_HEAD_REF", "GITHUB_BASE_REF", "GITHUB_REF_NAME", "GITHUB_REF_TYPE",
           "GITHUB_STEP_SUMMARY", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
           "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME")
PRE_COMMIT_VARS = ("PRE_COMMIT", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF",
                   "PRE_COMMIT_REMOTE_NAME", "PRE_COMMIT_REMOTE_BRANCH", "PRE_COMMIT_ORIGIN",
                   "PRE_COMMIT_SOURCE", "PREK_HOOK_STAGE")


def git(*args: str, cwd: PathLike, env: Optional[dict[str, str]] = None,
        check: bool = True, input: Optional[bytes] = None) -> subprocess.CompletedProcess[str]:
    """Run real git; return the completed process (text mode, surrogateescape)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True,
                          input=input.decode("utf-8", "surrogateescape") if input else None,
                          text=True, errors="surrogateescape", check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def gg(*args: str, cwd: PathLike, env: Optional[dict[str, str]] = None
       ) -> subprocess.CompletedProcess[str]:
    """Run the real `git-guardrails` command (from the venv on PATH)."""
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(["git-guardrails", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, check=False)


def write(root: PathLike, rel: Union[str, bytes], content: Union[str, bytes] = "x\n") -> Path:
    """Write a file (creating directories); ``rel`` may be bytes for non-UTF-8 names."""
    base = os.fsencode(os.fspath(root))
    relb = rel if isinstance(rel, bytes) else os.fsencode(rel)
    p = os.path.join(base, relb)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)
    return Path(os.fsdecode(p))


def commit_all(root: PathLike, message: str = "commit",
               env: Optional[dict[str, str]] = None, *extra: str) -> str:
    git("add", "-A", cwd=root)
    git("commit", "-q", "--no-verify", "-m", message, *extra, cwd=root, env=env)
    return git("rev-parse", "HEAD", cwd=root).stdout.strip()


POLICY = """\
[guardrails]
base = "main"
protected = ["main", "release/*"]
locked = [".guardrails.toml", ".pre-commit-config.yaml", ".github/**"]

[tasks.auth]
branch = "agent/auth"
allow = ["src/auth/**", "tests/auth/**", "!src/auth/vendored/**"]
max-files = 40
max-lines = 1500

[tasks.docs]
branch = ["agent/docs", "agent/docs-*"]
allow = ["docs/**", "*.md"]
"""


def make_repo(path: PathLike, policy: Optional[str] = POLICY,
              object_format: str = "sha1", files: Optional[dict[str, str]] = None) -> Path:
    """A repository on `main` with a committed policy and a few files."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "-b", "main", f"--object-format={object_format}", str(root), cwd=root)
    if policy is not None:
        write(root, ".guardrails.toml", policy)
    for rel, content in (files or {"src/auth/login.py": "def login(): pass\n",
                                   "docs/index.md": "# docs\n",
                                   "README.md": "readme\n"}).items():
        write(root, rel, content)
    commit_all(root, "initial")
    return root


def add_worktree(repo: PathLike, path: PathLike, branch: str, base: str = "main") -> Path:
    git("worktree", "add", "-q", "-b", branch, str(path), base, cwd=repo)
    return Path(path)


def counting_git(directory: Path) -> tuple[str, Path]:
    """A ``git`` that records each invocation's argv, then runs the real git: returns the
    directory to put first on PATH and the log to read with :func:`git_calls`."""
    import shutil

    real = shutil.which("git")
    assert real is not None
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "calls.log"
    shim = directory / "git"
    # argv NUL-separated, one record per call ending in \036: paths may hold spaces or newlines.
    # Hooks run git processes side by side: a lock on the log keeps each record in one piece.
    shim.write_text('#!/bin/sh\n'
                    '{ if command -v flock >/dev/null; then flock 9; fi\n'
                    '  printf "%s\\0" "$@"; printf "\\036"; } 9>>"$0.lock" >>'
                    f'"{log}"\n'
                    f'exec "{real}" "$@"\n')
    shim.chmod(0o755)
    return str(directory), log


def git_calls(log: Path) -> list[list[str]]:
    """Each git invocation :func:`counting_git` recorded, as its subcommand and arguments
    (global options such as ``-C dir`` and ``-c key=value`` left out, as git reads them)."""
    from guardrails.git import command_args

    if not log.exists():
        return []
    records = log.read_bytes().split(b"\x1e")[:-1]
    return [command_args(["git", *(os.fsdecode(a) for a in r.split(b"\0")[:-1])])
            for r in records]


def git_subcommands(log: Path) -> list[str]:
    """The subcommand of each recorded git invocation, in order."""
    return [c[0] if c else "" for c in git_calls(log)]


def session_worktree(base: PathLike) -> tuple[Path, Path, dict[str, list[str]]]:
    """(main worktree, a session worktree of task auth with a staged in-scope change, the
    arguments git gives the hooks that take some there: require-checks' message file and
    record-baseline's new-worktree checkout), for the start-up tests and bench.hook_startup."""
    root = make_repo(Path(base) / "repo")
    wt = root.parent / "wt-auth"
    proc = gg("worktree", "add", str(wt), "agent/auth", "--task", "auth", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(wt, "src/auth/login.py", "print('hi')\n")
    git("add", "src/auth/login.py", cwd=wt)
    (wt / "MSG").write_text("message\n")
    head = git("rev-parse", "HEAD", cwd=wt).stdout.strip()
    return root, wt, {"require_checks": [str(wt / "MSG")],
                      "record_baseline": ["0" * 40, head, "1"]}
