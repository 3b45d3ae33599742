"""Where a path lives, found with file reads only (no git): its worktree, that worktree's git
directories and session record, the real temporary directory, and the agent configuration
files no agent may write whatever its task allows.

The agent hook runs on every tool call, so it walks up from the path looking for ``.git`` (a
directory in the main checkout, a ``gitdir:`` file in a linked worktree) instead of starting
``git rev-parse`` for each path.
"""
from __future__ import annotations

import os

from guardrails.records import Frozen

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from typing import Optional

# Agent configuration: an agent with a broad scope could otherwise write `disableAllHooks`
# or remove our hook from a git-ignored settings file. Gitignore syntax, matched on the path
# relative to the worktree's top level (any depth: Claude Code reads .claude/settings.json in
# whatever folder it starts in, so a nested one counts too).
PROTECTED = (
    "**/.claude/settings*.json",
    "**/.claude/hooks/**",
    "**/.codex/**",
    "**/.gemini/settings.json",
    "**/.gemini/hooks/**",
    "**/.cursor/hooks.json",
    "**/.cursor/hooks/**",
    "**/.github/hooks/**",
    "**/.github/copilot/settings*.json",
    "**/.windsurf/hooks.json",
    "**/.clinerules/hooks/**",
)
# The same agents' user-level and managed configuration (relative to $HOME, or absolute).
PROTECTED_HOME = (
    ".claude/settings.json", ".claude/settings.local.json", ".claude/hooks", ".codex",
    ".gemini/settings.json", ".cursor/hooks.json", ".copilot/hooks", ".copilot/settings.json",
    ".codeium/windsurf/hooks.json", "Documents/Cline/Hooks", ".config/git", ".gitconfig",
)
PROTECTED_SYSTEM = (
    "/etc/claude-code", "/Library/Application Support/ClaudeCode", "/etc/codex",
    "/etc/gemini-cli", "/etc/windsurf/hooks.json", "/Library/Application Support/Windsurf",
    "/etc/gitconfig",
)

_COMPILED: list[object] = []
_DIRS = ("/.claude/", "/.codex/", "/.gemini/", "/.cursor/", "/.github/", "/.windsurf/",
         "/.clinerules/")


def within(path: str, root: str) -> bool:
    """``path`` is ``root`` or below it (both absolute, already resolved)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve(path: str, cwd: str) -> str:
    """The absolute, symlink-resolved path an agent names (``~`` and relative paths too)."""
    return os.path.realpath(os.path.join(cwd, os.path.expanduser(path)))


def real_tmp() -> str:
    """The real temporary directory (``tempfile.gettempdir()``, resolved); never a path that
    merely contains "tmp"."""
    import tempfile

    return os.path.realpath(tempfile.gettempdir())


class Tree(Frozen):
    """A worktree found around a path: its top level, private git dir and common git dir."""

    __slots__ = ("top", "git_dir", "common_dir")  # noqa: RUF023
    top: str
    git_dir: str
    common_dir: str

    def __init__(self, top: str, git_dir: str, common_dir: str) -> None:
        super().__init__(top, git_dir, common_dir)

    @property
    def main_top(self) -> str:
        """The main checkout's top level (the common dir's parent for a non-bare repo)."""
        return os.path.dirname(self.common_dir.rstrip(os.sep))


def tree_of(path: str) -> Optional[Tree]:
    """The worktree that contains ``path`` (absolute, resolved), by walking up to the nearest
    ``.git``; None outside any repository. A path inside a git directory belongs to the
    worktree whose ``.git`` that is."""
    d = path
    while True:
        dotgit = os.path.join(d, ".git")
        if os.path.isdir(dotgit):
            return Tree(d, dotgit, dotgit)
        if os.path.isfile(dotgit):
            try:
                with open(dotgit, "rb") as f:
                    pointer = f.read(4096)
            except OSError:
                pointer = b""
            if pointer.startswith(b"gitdir: "):
                git_dir = os.path.realpath(os.path.join(
                    d, os.fsdecode(pointer[8:].strip())))
                try:
                    with open(os.path.join(git_dir, "commondir"), "rb") as f:
                        common = os.path.realpath(os.path.join(
                            git_dir, os.fsdecode(f.read().strip())))
                except OSError:
                    common = git_dir
                return Tree(d, git_dir, common)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def in_git_dir(path: str, tree: Optional[Tree]) -> bool:
    """``path`` is inside a git directory: a ``.git`` component anywhere (the main checkout's
    directory, a linked worktree's ``.git`` pointer file), or the tree's git dirs."""
    if ".git" in path.split(os.sep):
        return True
    return tree is not None and (within(path, tree.git_dir) or within(path, tree.common_dir))


def _matcher() -> object:
    if not _COMPILED:
        from guardrails.scope.patterns import Matcher

        _COMPILED.append(Matcher(list(PROTECTED)))
    return _COMPILED[0]


def protected(path: str, tree: Optional[Tree]) -> Optional[str]:
    """Why ``path`` (absolute, resolved) is agent configuration no agent may write, or None."""
    if tree is not None and within(path, tree.top):
        rel = os.path.relpath(path, tree.top).replace(os.sep, "/")
        # cheap first: every protected pattern names one of these directories
        if any(d in f"/{rel}" for d in _DIRS) and _matcher().match(rel):  # type: ignore[attr-defined]
            return f"{rel} is agent or hook configuration"
    home = os.path.realpath(os.path.expanduser("~"))
    for rel in PROTECTED_HOME:
        if within(path, os.path.join(home, rel)):
            return f"~/{rel} is user-level agent or git configuration"
    for root in PROTECTED_SYSTEM:
        if within(path, root):
            return f"{root} is managed agent or git configuration"
    return None
