"""Windsurf Cascade hooks (``.windsurf/hooks.json``): ``pre_run_command
{tool_info: {command_line, cwd}}``, ``pre_write_code {tool_info: {file_path, edits}}``; exit 2
blocks. ``post_setup_worktree`` runs in a worktree Windsurf just made: its session is recorded.

Source: docs.windsurf.com/windsurf/cascade/hooks (events, ``tool_info``, exit 2),
docs.windsurf.com/windsurf/cascade/worktrees (worktrees in ``~/.windsurf/worktrees/<repo>``).
"""
from __future__ import annotations

from guardrails.agents import common
from guardrails.agents.decide import EDIT, OTHER, Call, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional


def calls(payload: Any, env: Mapping[str, str]) -> list[Call]:
    p = common.obj(payload, "the hook input")
    action = common.text(p.get("agent_action_name"), "`agent_action_name`")
    info = common.obj(p.get("tool_info", {}), "`tool_info`")
    cwd = common.cwd_of(info, "cwd")
    if action == "pre_run_command":
        return common.shell_call(action, common.text(info.get("command_line"),
                                                     "`tool_info.command_line`"), cwd)
    if action == "pre_write_code":
        return [Call(action, EDIT, cwd,
                     paths=[common.text(info.get("file_path"), "`tool_info.file_path`")])]
    if action == "pre_mcp_tool_use":
        return [common.mcp_call(f"mcp__{info.get('mcp_server_name', 'windsurf')}__"
                                f"{info.get('mcp_tool_name', '')}",
                                info.get("mcp_tool_arguments"), cwd)]
    return [Call(action, OTHER, cwd)]


def answer(v: Optional[Verdict], payload: Any = None,
           env: Optional[Mapping[str, str]] = None) -> common.Answer:
    return common.exit2(v)


def event(payload: Any, env: Mapping[str, str]) -> Optional[common.Answer]:
    if not isinstance(payload, dict) or payload.get("agent_action_name") != \
            "post_setup_worktree":
        return None
    from guardrails.agents import worktrees

    info = common.obj(payload.get("tool_info", {}), "`tool_info`")
    path = info.get("worktree_path") or common.cwd_of(info, "cwd")
    return common.Answer(0, err=worktrees.ensure_session(common.text(path, "`worktree_path`"),
                                                         force=True))
