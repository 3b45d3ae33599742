"""GitHub Copilot CLI and cloud agent ``preToolUse`` (``.github/hooks/*.json``): camelCase
``{cwd, toolName, toolArgs}`` with ``toolArgs`` a JSON string, or, configured as
``PreToolUse``, the VS Code-compatible ``{hook_event_name, cwd, tool_name, tool_input}``.

A deny is ``{"permissionDecision": "deny", "permissionDecisionReason": …}`` on stdout with
exit 0: exit 2 is only a warning for ``preToolUse`` and any other failure lets the call
through, so every answer of this adapter, errors included, is that JSON.

Sources: github/docs@2199f62d:content/copilot/reference/hooks-reference.md ("preToolUse /
PreToolUse", "preToolUse decision control", "Tool names for hook matching", "Exit codes for
command hooks"); github/docs@257fa9af:content/copilot/reference/hooks-configuration.md
(``toolArgs`` is a JSON string; ``edit`` takes ``path``).
"""
from __future__ import annotations

import json

from guardrails.agents import common
from guardrails.agents.decide import EDIT, OTHER, Call, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

SHELL_TOOLS = ("bash", "powershell", "Bash", "PowerShell")
EDIT_TOOLS = ("edit", "create", "Edit", "Write", "MultiEdit", "str_replace_editor")
PATH_KEYS = ("path", "file_path", "filePath")


def calls(payload: Any, env: Mapping[str, str]) -> list[Call]:
    p = common.obj(payload, "the hook input")
    cwd = common.cwd_of(p, "cwd")
    if "toolName" in p:
        tool = common.text(p.get("toolName"), "`toolName`")
        args = p.get("toolArgs")
        if isinstance(args, str):
            args = json.loads(args) if args.strip() else {}
    else:
        tool = common.text(p.get("tool_name"), "`tool_name`")
        args = p.get("tool_input", {})
        if isinstance(args, str):
            args = json.loads(args)
    args = common.obj(args if args is not None else {}, "the tool arguments")
    if tool in SHELL_TOOLS:
        return common.shell_call(tool, common.text(args.get("command"), "`command`"), cwd)
    if tool in EDIT_TOOLS:
        found = [args[k] for k in PATH_KEYS if isinstance(args.get(k), str) and args[k]]
        if not found:
            raise ValueError(f"the {tool} arguments name no file (`path`)")
        return [Call(tool, EDIT, cwd, paths=found[:1])]
    if tool.startswith("mcp__"):
        return [common.mcp_call(tool, args, cwd)]
    return [Call(tool, OTHER, cwd)]


def answer(v: Optional[Verdict], payload: Any = None,
           env: Optional[Mapping[str, str]] = None) -> common.Answer:
    if v is None:
        return common.Answer(0)
    out = json.dumps({"permissionDecision": "deny", "permissionDecisionReason": v.text()})
    return common.Answer(0, out=out + "\n", err=v.text() + "\n")
