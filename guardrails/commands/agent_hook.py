"""git-guardrails agent-hook claude: a Claude Code ``PreToolUse`` hook.

Reads the hook's JSON on stdin. Blocks (exit 2, the reason on stderr, which Claude Code shows
the model) Bash commands that skip git hooks, and Edit/Write/MultiEdit/NotebookEdit of a path
outside the session's scope, inside ``locked``, inside git's own directory, or outside the
session's worktree (an absolute path into the main checkout or another worktree). Exit 0
allows the call. Wiring: examples/claude-settings.json.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Any, Optional

import click

EDIT_TOOLS = {"Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path",
              "NotebookEdit": "notebook_path"}


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def bash_reason(command: str) -> Optional[str]:
    from guardrails.skipped import shellcmd as skipcmd

    why = skipcmd.reasons(command)
    if not why:
        return None
    return ("this command skips git hooks: " + "; ".join(dict.fromkeys(why)) + ". Hooks are "
            "the floor agent commits must clear: run it without that (no --no-verify/-n, no "
            "SKIP=, no core.hooksPath) and fix what the hooks report.")


def edit_reason(file_path: str, cwd: str) -> Optional[str]:
    from guardrails import context, git
    from guardrails.errors import GuardrailsError
    from guardrails.git import worktrees
    from guardrails.scope.patterns import Matcher

    target = os.path.realpath(os.path.join(cwd, os.path.expanduser(file_path)))
    try:
        repo = git.discover(cwd)
    except GuardrailsError:
        return None  # not in a repository: nothing of ours to guard
    top = os.path.realpath(repo.toplevel)
    for d in (repo.common_dir, repo.git_dir):
        if _within(target, os.path.realpath(d)):
            return (f"{file_path} is inside git's own directory ({d}): hooks, config and the "
                    "session record are not the agent's to edit")
    tops = sorted((os.path.realpath(t) for t in worktrees.tops(repo)), key=len, reverse=True)
    owner = next((t for t in tops if _within(target, t)), None)
    if owner is not None and owner != top:
        return (f"{file_path} is in another worktree ({owner}), not this session's worktree "
                f"({top}): edit the file under {top} instead")
    from guardrails.sessions import session as sessions

    sess = sessions.current(repo)
    if owner is None:
        if sess is not None and not _within(target, os.path.realpath(tempfile.gettempdir())):
            return (f"{file_path} is outside this session's worktree ({top}): a session edits "
                    "only its own worktree")
        return None
    rel = os.path.relpath(target, top).replace(os.sep, "/")
    ctx = context.build(repo)
    if ctx.policy is not None and ctx.policy.locked and Matcher(ctx.policy.locked).match(rel):
        return (f"{rel} is locked by the policy ({ctx.policy.source}): no agent may change it "
                "(only a human, on the base branch)")
    if ctx.task is not None and not Matcher(ctx.task.allow).match(rel):
        label = "the ad-hoc session" if ctx.scope_source == "session (ad hoc)" else \
            f"task `{ctx.task.name}`"
        return (f"{rel} is outside the allow patterns of {label} "
                f"({', '.join(ctx.task.allow)}; {ctx.scope_source}): edit only files in scope")
    return None


def decide(payload: Any) -> Optional[str]:
    """The reason to block this tool call, or None to allow it."""
    if not isinstance(payload, dict):
        raise ValueError("the hook input is not a JSON object")
    tool = payload.get("tool_name")
    tool_input = payload.get("tool_input") or {}
    cwd = payload.get("cwd") or os.getcwd()
    if not isinstance(tool_input, dict) or not isinstance(cwd, str):
        raise ValueError("tool_input must be an object and cwd a string")
    if tool == "Bash":
        command = tool_input.get("command")
        return bash_reason(command) if isinstance(command, str) else None
    key = EDIT_TOOLS.get(str(tool))
    if key is not None:
        path = tool_input.get(key)
        if isinstance(path, str) and path:
            return edit_reason(path, cwd)
    return None


@click.command("agent-hook")
@click.argument("agent", type=click.Choice(["claude"]))
def command(agent: str) -> int:
    """A PreToolUse hook for Claude Code: reads the call on stdin; exit 2 blocks it."""
    raw = sys.stdin.read()
    try:
        reason = decide(json.loads(raw))
    except ValueError as e:
        sys.stderr.write(f"git-guardrails agent-hook: cannot read the {agent} hook input: {e}\n"
                         "  fix: wire it as a PreToolUse command hook "
                         "(see examples/claude-settings.json)\n")
        return 2
    if reason is None:
        return 0
    sys.stderr.write(f"git-guardrails: blocked: {reason}\n")
    return 2
