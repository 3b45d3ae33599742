"""Cursor hooks (``.cursor/hooks.json``): ``beforeShellExecution {command, cwd}`` and the
generic ``preToolUse {tool_name, tool_input}``; a deny is
``{"permission": "deny", "user_message": …, "agent_message": …}``.

Sources: cursor.com/docs/agent/hooks (events ``beforeShellExecution``, ``preToolUse``; the
permission answer; ``failClosed``); the tool names of ``preToolUse`` (``Shell``, ``Write``,
``StrReplace``, ``Delete``, ``EditNotebook`` …) as configured in public hooks.json files (see
tests/fixtures/agents/SOURCES.md). Edit inputs are read from ``file_path``, ``path`` or
``target_file``: the per-tool field names are not in Cursor's reference.
"""
from __future__ import annotations

import json

from guardrails.agents import common
from guardrails.agents.decide import EDIT, OTHER, Call, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

SHELL_TOOLS = ("Shell", "Terminal", "run_terminal_cmd")
EDIT_TOOLS = ("Write", "StrReplace", "Edit", "MultiEdit", "Delete", "EditNotebook",
              "edit_file", "search_replace", "delete_file", "write")
PATH_KEYS = ("file_path", "path", "target_file", "target_notebook", "filePath")


def calls(payload: Any, env: Mapping[str, str]) -> list[Call]:
    p = common.obj(payload, "the hook input")
    cwd = common.cwd_of(p, "cwd", "workspace_roots")
    event = common.text(p.get("hook_event_name"), "`hook_event_name`")
    if event == "beforeShellExecution":
        return common.shell_call("Shell", common.text(p.get("command"), "`command`"), cwd)
    if event == "beforeMCPExecution":
        tool = p.get("tool_name")
        return [common.mcp_call(f"mcp__{p.get('server', 'cursor')}__{tool}",
                                p.get("tool_input"), cwd)] if isinstance(tool, str) else []
    if event != "preToolUse":
        return [Call(event, OTHER, cwd)]
    tool = common.text(p.get("tool_name"), "`tool_name`")
    ti = p.get("tool_input", {})
    if isinstance(ti, str):
        ti = json.loads(ti)
    ti = common.obj(ti, "`tool_input`")
    if tool in SHELL_TOOLS:
        return common.shell_call(tool, common.text(ti.get("command"), "`tool_input.command`"),
                                 common.cwd_of(ti, "cwd") if ti.get("cwd") else cwd)
    if tool in EDIT_TOOLS:
        found = [ti[k] for k in PATH_KEYS if isinstance(ti.get(k), str) and ti[k]]
        if not found:
            raise ValueError(f"`tool_input` of {tool} names no file ({', '.join(PATH_KEYS)})")
        return [Call(tool, EDIT, cwd, paths=found[:1])]
    if tool.startswith("mcp__") or tool.startswith("MCP:"):
        return [common.mcp_call(tool.replace("MCP:", "mcp__cursor__"), ti, cwd)]
    return [Call(tool, OTHER, cwd)]


def answer(v: Optional[Verdict], payload: Any = None,
           env: Optional[Mapping[str, str]] = None) -> common.Answer:
    """Allow: ``{}`` (Cursor's own approval settings decide; an explicit "allow" would skip
    them). Deny: the permission JSON, and exit 2, which Cursor also reads as a deny."""
    if v is None:
        return common.Answer(0, out="{}\n")
    out = json.dumps({"permission": "deny", "user_message": v.text(),
                      "agent_message": v.text()})
    return common.Answer(2, out=out + "\n", err=v.text() + "\n")
