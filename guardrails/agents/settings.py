"""Each agent's hook settings: where they live, what our entries look like, how they merge
with what a file already holds. ``install-agent`` writes them; ``doctor`` reads them.

Formats (sources in docs/agents.md): Claude Code and Codex ``{"hooks": {EVENT: [{"matcher",
"hooks": [{"type": "command", "command", "timeout"}]}]}}``; Gemini CLI the same shape with
``timeout`` in milliseconds; Cursor ``{"version": 1, "hooks": {EVENT: [{"command", "matcher",
"failClosed"}]}}``; Copilot ``{"version": 1, "hooks": {EVENT: [{"type": "command", "bash",
"timeoutSec"}]}}``; Windsurf ``{"hooks": {EVENT: [{"command", "show_output"}]}}``; Cline one
executable file per event.
"""
from __future__ import annotations

import json
import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, Optional

from guardrails.errors import GuardrailsError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

CLAUDE_MATCHER = ("^(Bash|PowerShell|Monitor|Edit|Write|MultiEdit|NotebookEdit|EnterWorktree|"
                  "mcp__.*)$")
CODEX_MATCHER = "^(Bash|apply_patch|mcp__.*)$"
GEMINI_MATCHER = "run_shell_command|write_file|replace|mcp__.*"
CURSOR_EDITS = "Write|StrReplace|Edit|MultiEdit|Delete|EditNotebook"
TIMEOUT_S = 30
# agent -> (event, matcher or None) of the entries install-agent writes
EVENTS: dict[str, tuple[tuple[str, Optional[str]], ...]] = {
    "claude": (("PreToolUse", CLAUDE_MATCHER), ("WorktreeCreate", None)),
    "codex": (("PreToolUse", CODEX_MATCHER),),
    "gemini": (("BeforeTool", GEMINI_MATCHER), ("SessionStart", None)),
    "cursor": (("beforeShellExecution", None), ("preToolUse", CURSOR_EDITS)),
    "copilot": (("preToolUse", None),),
    "windsurf": (("pre_run_command", None), ("pre_write_code", None),
                 ("pre_mcp_tool_use", None), ("post_setup_worktree", None)),
    "cline": (("PreToolUse", None),),
}
NESTED = ("claude", "codex", "gemini")  # matcher groups holding handler lists
SCRIPT_MARK = "# git-guardrails agent-hook"


def home(env: Mapping[str, str]) -> str:
    return os.path.expanduser(env.get("HOME") or "~")


def project_file(agent: str, top: str) -> str:
    rel = {"claude": ".claude/settings.local.json", "codex": ".codex/hooks.json",
           "gemini": ".gemini/settings.json", "cursor": ".cursor/hooks.json",
           "copilot": ".github/hooks/git-guardrails.json",
           "windsurf": ".windsurf/hooks.json", "cline": ".clinerules/hooks/PreToolUse"}[agent]
    return os.path.join(top, *rel.split("/"))


def user_file(agent: str, env: Mapping[str, str]) -> str:
    h = home(env)
    return {
        "claude": os.path.join(h, ".claude", "settings.json"),
        "codex": os.path.join(env.get("CODEX_HOME") or os.path.join(h, ".codex"),
                              "hooks.json"),
        "gemini": os.path.join(h, ".gemini", "settings.json"),
        "cursor": os.path.join(h, ".cursor", "hooks.json"),
        "copilot": os.path.join(env.get("COPILOT_HOME") or os.path.join(h, ".copilot"),
                                "hooks", "git-guardrails.json"),
        "windsurf": os.path.join(h, ".codeium", "windsurf", "hooks.json"),
        "cline": os.path.join(h, "Documents", "Cline", "Hooks", "PreToolUse"),
    }[agent]


def executable() -> list[str]:
    """This git-guardrails, by absolute path: agents run hooks with a small PATH, and most let
    a call through when its hook cannot start."""
    import shutil

    beside = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "git-guardrails")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return [beside]
    found = shutil.which("git-guardrails")
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "guardrails.cli"]


def command(agent: str, exe: Optional[list[str]] = None) -> str:
    return shlex.join([*(exe or executable()), "agent-hook", agent])


def is_ours(text: Any, agent: str) -> bool:
    return isinstance(text, str) and f"agent-hook {agent}" in text


def _entry(agent: str, matcher: Optional[str], cmd: str) -> dict[str, Any]:
    if agent in NESTED:
        handler: dict[str, Any] = {"type": "command", "command": cmd}
        if agent == "gemini":
            handler.update(name="git-guardrails", timeout=TIMEOUT_S * 1000)
        else:
            handler["timeout"] = TIMEOUT_S
        group: dict[str, Any] = {"matcher": matcher} if matcher else {}
        group["hooks"] = [handler]
        return group
    if agent == "cursor":
        e: dict[str, Any] = {"command": cmd}
        if matcher:
            e["matcher"] = matcher
        e.update(failClosed=True, timeout=TIMEOUT_S)
        return e
    if agent == "copilot":
        return {"type": "command", "bash": cmd, "timeoutSec": TIMEOUT_S}
    return {"command": cmd, "show_output": True}  # windsurf


def _handler_cmds(entry: Any) -> Iterator[Any]:
    if isinstance(entry, dict):
        for k in ("command", "bash", "powershell"):
            if k in entry:
                yield entry[k]


def merge(agent: str, data: Any, cmd: str) -> dict[str, Any]:
    """``data`` (a settings file's JSON) with our entries written in: an entry of ours already
    there is replaced in place, everything else is kept."""
    if not isinstance(data, dict):
        raise GuardrailsError("the settings file does not hold a JSON object",
                              "fix or remove the file, then run install-agent again")
    out = json.loads(json.dumps(data))  # a copy
    if agent in ("cursor", "copilot"):
        out.setdefault("version", 1)
    hooks = out.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise GuardrailsError("`hooks` in the settings file is not an object",
                              "fix the file's `hooks`, then run install-agent again")
    for event, matcher in EVENTS[agent]:
        entries = hooks.get(event, [])
        if not isinstance(entries, list):
            raise GuardrailsError(f"`hooks.{event}` in the settings file is not a list",
                                  f"fix the file's `hooks.{event}`, then run install-agent again")
        new = _entry(agent, matcher, cmd)
        at: Optional[int] = None
        kept: list[Any] = []
        for e in entries:
            if agent in NESTED and isinstance(e, dict) and isinstance(e.get("hooks"), list):
                rest = [h for h in e["hooks"]
                        if not any(is_ours(c, agent) for c in _handler_cmds(h))]
                if len(rest) != len(e["hooks"]):
                    at = len(kept) if at is None else at
                    if not rest:
                        continue
                    e = {**e, "hooks": rest}
            elif any(is_ours(c, agent) for c in _handler_cmds(e)):
                at = len(kept) if at is None else at
                continue
            kept.append(e)
        kept.insert(len(kept) if at is None else at, new)
        hooks[event] = kept
    return out  # type: ignore[no-any-return]


def script(cmd: str) -> str:
    """Cline's hook file: an executable that runs our hook."""
    return f"#!/bin/sh\n{SCRIPT_MARK} (written by git guardrails install-agent)\nexec {cmd}\n"


def commands_in(data: Any, agent: str) -> list[tuple[str, str, int, int]]:
    """(event, command, group index, handler index) of every entry running our hook."""
    found: list[tuple[str, str, int, int]] = []
    hooks = data.get("hooks") if isinstance(data, dict) else None
    if not isinstance(hooks, dict):
        return found
    for event, entries in hooks.items():
        if not isinstance(entries, list):
            continue
        for g, e in enumerate(entries):
            handlers = e.get("hooks") if isinstance(e, dict) and agent in NESTED else [e]
            if not isinstance(handlers, list):
                continue
            for h, handler in enumerate(handlers):
                for c in _handler_cmds(handler):
                    if is_ours(c, agent):
                        found.append((event, c, g, h))
    return found


def read_json(path: str) -> Optional[Any]:
    """The file's JSON; None when it does not exist. Raises on bad JSON, naming the file."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise GuardrailsError(f"cannot read {path}: {e}",
                              f"check the permissions of {path}") from None
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as e:
        raise GuardrailsError(f"{path} is not valid JSON: {e}",
                              f"fix the JSON syntax of {path} (or remove it)") from None
