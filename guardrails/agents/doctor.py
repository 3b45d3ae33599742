"""``doctor``: for each agent configured in the repository, is our hook installed, does its
command resolve, and does any setting drop it without a word?

An agent counts as configured in a worktree when its settings directory is there (``.claude``,
``.codex``, ``.gemini``, ``.cursor``, ``.github/hooks`` or ``.github/copilot``, ``.windsurf``,
``.clinerules``). Rules: ``agent-hook-missing`` (warning), ``agent-hook-unresolved`` and
``agent-hook-dropped`` (errors; one warning: a Claude Code hook only in ``.claude/settings.json``).
"""
from __future__ import annotations

import os
import shlex
import sys
from typing import TYPE_CHECKING, Any, Optional

from guardrails.agents import settings as S
from guardrails.errors import GuardrailsError
from guardrails.findings import WARNING, Finding

if TYPE_CHECKING:
    from collections.abc import Mapping

    from guardrails import git

MARKERS = {"claude": (".claude",), "codex": (".codex",), "gemini": (".gemini",),
           "cursor": (".cursor",), "copilot": (".github/hooks", ".github/copilot"),
           "windsurf": (".windsurf",), "cline": (".clinerules",)}
CLAUDE_MANAGED = ("/etc/claude-code/managed-settings.json",
                  "/Library/Application Support/ClaudeCode/managed-settings.json")


def files(agent: str, top: str, env: Mapping[str, str]) -> list[str]:
    """Every settings file of ``agent`` that can hold our hook, for the worktree ``top``."""
    h = S.home(env)
    if agent == "claude":
        return [os.path.join(top, ".claude", "settings.json"),
                os.path.join(top, ".claude", "settings.local.json"),
                os.path.join(h, ".claude", "settings.json")]
    if agent == "copilot":
        found = []
        for d in (os.path.join(top, ".github", "hooks"),
                  os.path.dirname(S.user_file("copilot", env))):
            try:
                found += sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".json"))
            except OSError:
                pass
        return found
    if agent == "gemini":
        return [S.project_file(agent, top), S.user_file(agent, env),
                "/etc/gemini-cli/settings.json"]
    return [S.project_file(agent, top), S.user_file(agent, env)]


def _resolves(cmd: str) -> Optional[str]:
    """Why the hook command cannot start (None: it can)."""
    try:
        words = shlex.split(cmd)
    except ValueError as e:
        return f"cannot parse it ({e})"
    if not words:
        return "it is empty"
    exe = words[0]
    if os.sep in exe:
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            return f"{exe} does not exist or is not executable"
        return None
    import shutil

    if shutil.which(exe) is None:
        return f"`{exe}` is not on PATH (agents run hooks with their own, often smaller, PATH)"
    return None


def _json(path: str) -> tuple[Optional[Any], Optional[Finding]]:
    try:
        return S.read_json(path), None
    except GuardrailsError as e:
        return None, Finding("agent-hook-dropped", f"{path}: {e.message}: the agent ignores or "
                             "rejects it, and our hook with it", e.fix, path=path)


def diagnose(repo: git.Repo, env: Optional[Mapping[str, str]] = None) -> list[Finding]:
    from guardrails.git import worktrees

    env = os.environ if env is None else env
    found: list[Finding] = []
    seen: set[str] = set()
    for top in worktrees.tops(repo):
        for agent, marks in MARKERS.items():
            if not any(os.path.isdir(os.path.join(top, *m.split("/"))) for m in marks):
                continue
            found += _agent(agent, top, env, seen)
    return found


def _agent(agent: str, top: str, env: Mapping[str, str], seen: set[str]) -> list[Finding]:
    found: list[Finding] = []
    hooked: list[tuple[str, str, Any, list[tuple[str, str, int, int]]]] = []
    for path in files(agent, top, env):
        if agent == "cline":
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            if S.is_ours(text, agent):
                line = next((ln for ln in text.splitlines() if S.is_ours(ln, agent)), "")
                hooked.append((path, "PreToolUse", None,
                               [("PreToolUse", line.replace("exec ", "", 1), 0, 0)]))
                if not os.access(path, os.X_OK):
                    found.append(Finding("agent-hook-dropped", f"{path} is not executable: "
                                         "Cline does not run it", f"chmod +x {path}", path=path))
            continue
        data, bad = _json(path)
        if bad is not None and path not in seen:
            seen.add(path)
            found.append(bad)
        if data is None:
            continue
        cmds = S.commands_in(data, agent)
        if cmds:
            hooked.append((path, cmds[0][0], data, cmds))
    if not hooked:
        where = S.project_file(agent, top)
        key = f"missing:{agent}:{top}"
        if key not in seen:
            seen.add(key)
            found.append(Finding(
                "agent-hook-missing",
                f"worktree {top} is configured for {agent} but no {agent} settings run "
                f"git-guardrails agent-hook {agent}: its shell and edit calls are not checked "
                "before they happen", f"git guardrails install-agent {agent}   (writes {where})",
                severity=WARNING, path=where))
        return found
    for path, _event, data, cmds in hooked:
        if path in seen:
            continue
        seen.add(path)
        for cmd in dict.fromkeys(c[1] for c in cmds):
            why = _resolves(cmd)
            if why is not None:
                found.append(Finding(
                    "agent-hook-unresolved",
                    f"{path}: the hook command `{cmd}` cannot start: {why}; {agent} then runs "
                    "the call unchecked", f"git guardrails install-agent {agent}"
                    f"{' --user' if not path.startswith(top) else ''}   (an absolute path)",
                    path=path))
        found += _dropped(agent, top, path, data, cmds, env)
    found += _dropped_global(agent, top, hooked, env, seen)
    return found


def _dropped(agent: str, top: str, path: str, data: Any,
             cmds: list[tuple[str, str, int, int]], env: Mapping[str, str]) -> list[Finding]:
    found: list[Finding] = []
    if agent == "copilot" and isinstance(data, dict) and data.get("disableAllHooks") is True:
        found.append(Finding("agent-hook-dropped", f"{path}: disableAllHooks = true: Copilot "
                             "skips every hook in this file, ours too",
                             f"remove \"disableAllHooks\" from {path}", path=path))
    if agent == "codex":
        found += _codex_trust(top, path, cmds, env)
    return found


def _dropped_global(agent: str, top: str,
                    hooked: list[tuple[str, str, Any, list[tuple[str, str, int, int]]]],
                    env: Mapping[str, str], seen: set[str]) -> list[Finding]:
    found: list[Finding] = []

    def once(key: str, f: Finding) -> None:
        if key not in seen:
            seen.add(key)
            found.append(f)

    paths = [h[0] for h in hooked]
    if agent == "claude":
        for m in CLAUDE_MANAGED:
            data, _bad = _json(m)
            if isinstance(data, dict) and data.get("allowManagedHooksOnly") is True:
                once(f"managed:{m}", Finding(
                    "agent-hook-dropped", f"{m}: allowManagedHooksOnly = true: Claude Code runs "
                    "only managed hooks, so the user and project hook of git-guardrails never "
                    "runs", f"deploy the hook in managed settings ({m}), or ask the admin to "
                    "remove allowManagedHooksOnly", path=m))
        local = os.path.join(top, ".claude", "settings.local.json")
        user = os.path.join(S.home(env), ".claude", "settings.json")
        if paths and local not in paths and user not in paths:
            once(f"subdir:{top}", Finding(
                "agent-hook-dropped", f"the Claude Code hook is only in "
                f"{os.path.join(top, '.claude', 'settings.json')}, which Claude Code reads only "
                f"when started in {top} itself (started from a subdirectory, it is not read)",
                "git guardrails install-agent claude   (settings.local.json, read from the "
                "repository root) or --user", severity=WARNING))
    if agent == "gemini":
        for p in files("gemini", top, env):
            data, _bad = _json(p)
            cfg = data.get("hooksConfig") if isinstance(data, dict) else None
            if isinstance(cfg, dict) and cfg.get("enabled") is False:
                once(f"gemini:{p}", Finding(
                    "agent-hook-dropped", f"{p}: hooksConfig.enabled = false: Gemini CLI runs no "
                    "hook, ours included (and git hooks never run under Gemini)",
                    f"remove \"hooksConfig\": {{\"enabled\": false}} from {p}", path=p))
    if agent == "copilot":
        for name in ("settings.json", "settings.local.json"):
            p = os.path.join(top, ".github", "copilot", name)
            data, _bad = _json(p)
            if isinstance(data, dict) and data.get("disableAllHooks") is True:
                once(f"copilot:{p}", Finding(
                    "agent-hook-dropped", f"{p}: disableAllHooks = true: Copilot CLI skips every "
                    "hook in this repository", f"remove \"disableAllHooks\" from {p}", path=p))
    return found


def _codex_trust(top: str, path: str, cmds: list[tuple[str, str, int, int]],
                 env: Mapping[str, str]) -> list[Finding]:
    """Codex runs a non-managed hook only when the user trusted it (a ``trusted_hash`` under
    ``[hooks.state."<file>:pre_tool_use:<group>:<handler>"]`` in its config.toml) and, for a
    project file, only in a trusted project."""
    codex_home = env.get("CODEX_HOME") or os.path.join(S.home(env), ".codex")
    cfg_path = os.path.join(codex_home, "config.toml")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(cfg_path, "rb") as f:
            cfg: Any = tomllib.load(f)
    except FileNotFoundError:
        cfg = {}
    except (OSError, ValueError) as e:
        return [Finding("agent-hook-dropped", f"{cfg_path} cannot be read ({e}): Codex's hook "
                        "trust is unknown", f"fix the TOML syntax of {cfg_path}", path=cfg_path)]
    states = (cfg.get("hooks") or {}).get("state") if isinstance(cfg.get("hooks"), dict) else {}
    states = states if isinstance(states, dict) else {}
    found: list[Finding] = []
    for event, _cmd, g, h in cmds:
        if event != "PreToolUse":
            continue
        suffix = f"{path}:pre_tool_use:{g}:{h}"
        state = next((v for k, v in states.items() if isinstance(k, str) and
                      k.strip().endswith(suffix)), None)
        if isinstance(state, dict) and state.get("enabled") is False:
            found.append(Finding("agent-hook-dropped", f"{cfg_path}: the hook {suffix} is "
                                 "disabled (enabled = false): Codex does not run it",
                                 "enable it in Codex (/hooks)", path=cfg_path))
        elif not (isinstance(state, dict) and state.get("trusted_hash")):
            found.append(Finding("agent-hook-dropped", f"{path}: Codex has not trusted the "
                                 "git-guardrails hook (no trusted_hash for it in "
                                 f"{cfg_path}), and skips untrusted hooks without a word",
                                 "trust it in Codex: /hooks", path=path))
    if path.startswith(top.rstrip(os.sep) + os.sep):
        projects = cfg.get("projects") if isinstance(cfg.get("projects"), dict) else {}
        entry = next((v for k, v in projects.items()
                      if os.path.realpath(str(k)) == os.path.realpath(top)), None)
        if not (isinstance(entry, dict) and entry.get("trust_level") == "trusted"):
            found.append(Finding("agent-hook-dropped", f"{path}: the project {top} is not "
                                 f"trusted in {cfg_path}, so Codex does not load its "
                                 ".codex/hooks.json", "trust the project when Codex asks, or "
                                 "git guardrails install-agent codex --user", path=path))
    return found
