"""Gemini CLI ``BeforeTool`` (``.gemini/settings.json``): ``run_shell_command {command,
dir_path}``, ``write_file {file_path}``, ``replace {file_path}``; exit 2 blocks with the reason
on stderr.

Gemini CLI runs every shell command with ``core.hooksPath`` set to empty (``GIT_CONFIG_KEY_n``)
and ``GIT_CONFIG_GLOBAL=/dev/null``, so no git hook runs for its commits: when a command
commits, this adapter runs the pre-commit checks itself and blocks on an error finding.

Sources: google-gemini/gemini-cli@5411f113: docs/hooks/reference.md ("Exit codes",
"BeforeTool"), packages/core/src/tools/definitions/base-declarations.ts and
dynamic-declaration-helpers.ts (tool and parameter names),
packages/core/src/services/shellExecutionService.ts (``core.hooksPath`` = ''),
packages/core/src/hooks/hookRunner.ts (``GEMINI_PROJECT_DIR``).
"""
from __future__ import annotations

import os

from guardrails.agents import common
from guardrails.agents.decide import COMMIT_CHECKS, EDIT, OTHER, Call, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

EDIT_TOOLS = ("write_file", "replace")
HOOK_INSTALL_RULES = ("bypass-hook-missing", "bypass-hookspath", "bypass-env-hookspath")


def calls(payload: Any, env: Mapping[str, str]) -> list[Call]:
    p = common.obj(payload, "the hook input")
    cwd = common.cwd_of(p, "cwd")
    tool = common.text(p.get("tool_name"), "`tool_name`")
    ti = common.obj(p.get("tool_input", {}), "`tool_input`")
    if tool == "run_shell_command":
        d = ti.get("dir_path")
        if d is not None:
            cwd = os.path.join(cwd, common.text(d, "`tool_input.dir_path`"))
        return common.shell_call(tool, common.text(ti.get("command"), "`tool_input.command`"),
                                 cwd)
    if tool in EDIT_TOOLS:
        return [Call(tool, EDIT, cwd,
                     paths=[common.text(ti.get("file_path"), "`tool_input.file_path`")])]
    if tool.startswith("mcp__"):
        return [common.mcp_call(tool, ti, cwd)]
    return [Call(tool, OTHER, cwd)]


def after(found: list[Call], env: Mapping[str, str]) -> Optional[Verdict]:
    """A command that commits: the pre-commit checks on what it would commit, since no git
    hook will run for it."""
    from guardrails.agents import decide
    from guardrails.findings import ERROR

    for c in found:
        if not decide.commits(c):
            continue
        os.environ.setdefault("GEMINI_CLI", "1")  # the checks apply: an agent commits
        # whether git hooks are installed does not matter here: they do not run under Gemini
        errors = [f for f in decide.commit_findings(c)
                  if f.severity == ERROR and f.rule not in HOOK_INSTALL_RULES]
        if errors:
            return Verdict(COMMIT_CHECKS, "this commit would fail the pre-commit checks (git "
                           "hooks do not run under Gemini CLI): "
                           + "; ".join(f"[{f.rule}] {f.message}" for f in errors[:5]),
                           "; ".join(dict.fromkeys(f.hint for f in errors[:3] if f.hint))
                           or "fix what the checks report, then commit")
    return None


def answer(v: Optional[Verdict], payload: Any = None,
           env: Optional[Mapping[str, str]] = None) -> common.Answer:
    return common.Answer(0, out="{}\n") if v is None else common.exit2(v)


def event(payload: Any, env: Mapping[str, str]) -> Optional[common.Answer]:
    """``SessionStart`` in a ``gemini --worktree`` worktree: record its session (Gemini creates
    it with hooks off, so ``record-baseline`` never ran)."""
    if not isinstance(payload, dict) or payload.get("hook_event_name") != "SessionStart":
        return None
    from guardrails.agents import worktrees

    note = worktrees.ensure_session(common.cwd_of(payload, "cwd"))
    return common.Answer(0, out="{}\n", err=note)
