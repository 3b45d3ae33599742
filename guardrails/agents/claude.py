"""Claude Code ``PreToolUse`` (and ``WorktreeCreate``): the payload is
``{session_id, cwd, hook_event_name, tool_name, tool_input, ...}``; exit 2 with the reason on
stderr blocks the call.

Source: code.claude.com/docs/en/hooks (mirror ericbuess/claude-code-docs@ec68a5b:
docs/hooks.md, "PreToolUse input", "Exit code 2"; docs/agent-sdk__typescript.md for
``MonitorInput``, ``NotebookEditInput``, ``EnterWorktreeInput``).
"""
from __future__ import annotations

from guardrails.agents import common
from guardrails.agents.decide import EDIT, ENTER, OTHER, Call, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

SHELL_TOOLS = ("Bash", "PowerShell", "Monitor")
EDIT_TOOLS = {"Edit": "file_path", "Write": "file_path", "MultiEdit": "file_path",
              "NotebookEdit": "notebook_path"}
# Copilot CLI also reads .claude/settings.json and sends its own tool names there (lowercase),
# answering only JSON on exit 0: such a payload is answered in Copilot's protocol.
COPILOT_TOOLS = ("bash", "powershell", "edit", "create", "view", "glob", "grep", "task",
                 "web_fetch", "ask_user")


def hosted_by_copilot(payload: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    return payload.get("tool_name") in COPILOT_TOOLS or bool(env.get("COPILOT_CLI"))


def calls(payload: Any, env: Mapping[str, str]) -> list[Call]:
    p = common.obj(payload, "the hook input")
    cwd = common.cwd_of(p, "cwd")
    tool = p.get("tool_name")
    if hosted_by_copilot(p, env):
        from guardrails.agents import copilot

        return copilot.calls(p, env)
    if not isinstance(tool, str):
        raise ValueError("`tool_name` is missing or not a string")
    ti = common.obj(p.get("tool_input", {}), "`tool_input`")
    if tool in SHELL_TOOLS:
        cmd = ti.get("command")
        if cmd is None and tool == "Monitor":
            return [Call(tool, OTHER, cwd)]  # a WebSocket watch runs no command
        return common.shell_call(tool, common.text(cmd, "`tool_input.command`"), cwd)
    if tool in EDIT_TOOLS:
        key = EDIT_TOOLS[tool]
        return [Call(tool, EDIT, cwd, paths=[common.text(ti.get(key), f"`tool_input.{key}`")])]
    if tool == "EnterWorktree":
        path = ti.get("path")
        return [Call(tool, ENTER, cwd, paths=[common.text(path, "`tool_input.path`")])] \
            if path is not None else [Call(tool, OTHER, cwd)]
    if tool.startswith("mcp__"):
        return [common.mcp_call(tool, ti, cwd)]
    return [Call(tool, OTHER, cwd)]


def answer(v: Optional[Verdict], payload: Any = None,
           env: Optional[Mapping[str, str]] = None) -> common.Answer:
    if isinstance(payload, dict) and hosted_by_copilot(payload, env or {}):
        from guardrails.agents import copilot

        return copilot.answer(v)
    return common.exit2(v)


def event(payload: Any, env: Mapping[str, str]) -> Optional[common.Answer]:
    """``WorktreeCreate`` (``claude --worktree``): create the worktree ourselves, with a
    session when a task covers its branch; print its path (Claude Code reads the last line)."""
    if not isinstance(payload, dict) or payload.get("hook_event_name") != "WorktreeCreate":
        return None
    from guardrails.agents import worktrees

    name = common.text(payload.get("name"), "`name`")
    path, note = worktrees.create(common.cwd_of(payload, "cwd"), name, ".claude")
    return common.Answer(0, out=path + "\n", err=note)
