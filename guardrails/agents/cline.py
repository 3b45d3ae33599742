"""Cline ``PreToolUse`` (an executable ``.clinerules/hooks/PreToolUse``): the payload is
``{hookName, workspaceRoots, preToolUse: {toolName, parameters}}`` (parameters as strings);
the answer is ``{"cancel": true, "errorMessage": …, "contextModification": …}`` on stdout.

Cline honours that JSON whatever the exit code and lets the call through when a hook fails
without it, so every answer of this adapter, errors included, is that JSON.

Sources: cline/cline@21cb8d25: .clinerules/hooks/README.md ("Input", "Output"),
apps/vscode/src/core/hooks/hook-factory.ts (JSON honoured regardless of exit code),
apps/vscode/src/sdk/hooks-adapter.ts (``parameters: toStringRecord(input)``),
apps/vscode/src/shared/tools.ts (tool ids).
"""
from __future__ import annotations

import json

from guardrails.agents import common
from guardrails.agents.decide import EDIT, OTHER, Call, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

EDIT_TOOLS = ("write_to_file", "replace_in_file", "new_rule")


def calls(payload: Any, env: Mapping[str, str]) -> list[Call]:
    p = common.obj(payload, "the hook input")
    cwd = common.cwd_of(p, "workspaceRoots", "cwd")
    if p.get("hookName", "PreToolUse") != "PreToolUse":
        return [Call(str(p.get("hookName")), OTHER, cwd)]
    pre = common.obj(p.get("preToolUse"), "`preToolUse`")
    tool = common.text(pre.get("toolName"), "`preToolUse.toolName`")
    params = common.obj(pre.get("parameters", {}), "`preToolUse.parameters`")
    if tool == "execute_command":
        return common.shell_call(tool, common.text(params.get("command"),
                                                   "`parameters.command`"), cwd)
    if tool in EDIT_TOOLS:
        return [Call(tool, EDIT, cwd, paths=[common.text(params.get("path"),
                                                          "`parameters.path`")])]
    if tool == "apply_patch":
        return [common.patch_call(tool, common.text(params.get("input", ""),
                                                    "`parameters.input`"), cwd)]
    if tool == "use_mcp_tool":
        return [common.mcp_call(f"mcp__{params.get('server_name', '')}__"
                                f"{params.get('tool_name', '')}", params.get("arguments"), cwd)]
    return [Call(tool, OTHER, cwd)]


def answer(v: Optional[Verdict], payload: Any = None,
           env: Optional[Mapping[str, str]] = None) -> common.Answer:
    if v is None:
        return common.Answer(0, out='{"cancel": false}\n')
    out = json.dumps({"cancel": True, "errorMessage": v.text(),
                      "contextModification": f"Blocked by git-guardrails: {v.message}. "
                                             f"Fix: {v.fix}"})
    return common.Answer(0, out=out + "\n", err=v.text() + "\n")
