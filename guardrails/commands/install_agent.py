"""git-guardrails install-agent AGENT [--user] [--dry-run]: write AGENT's hook settings so it
runs ``git-guardrails agent-hook AGENT`` (by absolute path) before its shell and edit calls.

Merges with what the settings file holds and is idempotent (our entry is replaced in place);
``--dry-run`` prints the unified diff and writes nothing. Without ``--user`` it writes the
current worktree's project settings (docs/agents.md lists each agent's file).
"""
from __future__ import annotations

import difflib
import json
import os
import sys
from typing import Optional

import click

from guardrails import git, report
from guardrails.agents import settings as S
from guardrails.agents.hook import AGENTS
from guardrails.errors import GuardrailsError


def plan(agent: str, user: bool, top: str, env: dict[str, str],
         exe: Optional[list[str]] = None) -> tuple[str, str, str]:
    """(path, old text, new text) of the settings file install-agent writes."""
    path = S.user_file(agent, env) if user else S.project_file(agent, top)
    cmd = S.command(agent, exe)
    try:
        with open(path, encoding="utf-8") as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    except OSError as e:
        raise GuardrailsError(f"cannot read {path}: {e}",
                              f"check the permissions of {path}") from None
    if agent == "cline":
        if old and S.SCRIPT_MARK not in old:
            raise GuardrailsError(
                f"{path} exists and is not ours: Cline runs one PreToolUse file, so it is not "
                "overwritten",
                f"add this line to it (before it exits): {cmd} || exit 2   (or move it away "
                "and run install-agent again)")
        return path, old, S.script(cmd)
    data = S.read_json(path)
    merged = S.merge(agent, data if data is not None else {}, cmd)
    return path, old, json.dumps(merged, indent=2) + "\n"


def _write(path: str, text: str, executable: bool) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    mode = 0o755 if executable else None
    try:
        mode = os.stat(path).st_mode & 0o7777 | (0o111 if executable else 0)
    except FileNotFoundError:
        pass
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def install(agent: str, user: bool, dry_run: bool, cwd: Optional[str] = None) -> int:
    env = dict(os.environ)
    top = "" if user else git.discover(cwd).toplevel
    path, old, new = plan(agent, user, top, env)
    if dry_run:
        diff = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                    fromfile=path if old else "/dev/null", tofile=path)
        report.write("".join(diff) or f"{path}: already up to date\n")
        return 0
    if old == new:
        report.write(f"{path}: already up to date (runs {S.command(agent)})\n")
        return 0
    _write(path, new, executable=agent == "cline")
    report.write(f"{path}: {'updated' if old else 'written'}; {agent} now runs "
                 f"{S.command(agent)} before its shell and edit calls\n")
    notes = {
        "codex": "trust the hook once in Codex (/hooks): Codex skips new or changed hooks "
                 "until then",
        "gemini": "Gemini CLI asks before running a new or changed project hook",
        "cline": "enable hooks in Cline's settings (Feature Settings, Enable Hooks)",
        "copilot": "commit .github/hooks/ on the base branch for the cloud agent",
    }
    if agent in notes:
        report.write(f"  note: {notes[agent]}\n")
    report.write("  check it: git guardrails doctor\n")
    return 0


@click.command("install-agent")
@click.argument("agent", type=click.Choice(AGENTS))
@click.option("--user", is_flag=True, help="Write the user-level settings, not this worktree's.")
@click.option("--dry-run", is_flag=True, help="Print the diff; write nothing.")
def command(agent: str, user: bool, dry_run: bool) -> int:
    """Write AGENT's hook settings so it runs git-guardrails agent-hook AGENT."""
    return install(agent, user, dry_run)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(command())
