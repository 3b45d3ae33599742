"""Codex CLI ``PreToolUse`` (``.codex/hooks.json``, Claude Code's payload shape): shell calls
are ``Bash {command}``, edits are ``apply_patch {command: <patch>}``; exit 2 blocks only with
a non-empty reason on stderr.

Sources: openai/codex@0082977c:codex-rs/hooks/src/events/pre_tool_use.rs (exit 2 needs
stderr; JSON ``permissionDecision: "deny"``), openai/codex@05d99c83:
codex-rs/core/src/tools/hook_names.rs (``Bash``; ``apply_patch`` with matcher aliases
``Write``/``Edit``), codex-rs/core/src/tools/handlers/apply_patch_tests.rs
(``pre_tool_use_payload_uses_freeform_patch_input``: ``tool_input = {"command": patch}``).
"""
from __future__ import annotations

from guardrails.agents import common
from guardrails.agents.decide import OTHER, Call, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional


def calls(payload: Any, env: Mapping[str, str]) -> list[Call]:
    p = common.obj(payload, "the hook input")
    cwd = common.cwd_of(p, "cwd")
    tool = common.text(p.get("tool_name"), "`tool_name`")
    ti = common.obj(p.get("tool_input", {}), "`tool_input`")
    if tool in ("Bash", "shell", "local_shell", "exec_command", "shell_command"):
        cmd = ti.get("command")
        if isinstance(cmd, list) and all(isinstance(w, str) for w in cmd):
            import shlex

            cmd = shlex.join(cmd)
        return common.shell_call(tool, common.text(cmd, "`tool_input.command`"), cwd)
    if tool == "apply_patch":
        return [common.patch_call(tool, common.text(ti.get("command"), "`tool_input.command`"),
                                  cwd)]
    if tool.startswith("mcp__"):
        return [common.mcp_call(tool, ti, cwd)]
    return [Call(tool, OTHER, cwd)]


def answer(v: Optional[Verdict], payload: Any = None,
           env: Optional[Mapping[str, str]] = None) -> common.Answer:
    return common.exit2(v)
