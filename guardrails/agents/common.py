"""What several adapters share: reading a payload field strictly, the paths an ``apply_patch``
patch or an MCP tool call names, and the plain answers (exit 2 with the reason on stderr)."""
from __future__ import annotations

import os

from guardrails.agents.decide import EDIT, OTHER, SHELL, Call, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Optional

# apply_patch (Codex, Cline): the file headers of its envelope format
_PATCH_HEADER = r"^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+?)\s*$"
# MCP tools whose name says they change something; their path-like arguments are judged as
# edits. Tools that only read are left to the agent's own permissions.
_MCP_WRITES = ("write", "edit", "create", "move", "rename", "delete", "remove", "patch",
               "update", "append", "mkdir", "replace", "copy", "save", "put", "upload",
               "insert", "apply")
_PATH_KEYS = ("path", "file_path", "filePath", "filepath", "filename", "file", "target",
              "target_file", "destination", "dest", "source", "new_path", "old_path",
              "notebook_path", "directory", "dir_path")


class Answer:
    """What the hook process does: exit code, stdout, stderr."""

    __slots__ = ("code", "out", "err")  # noqa: RUF023

    def __init__(self, code: int, out: str = "", err: str = "") -> None:
        self.code = code
        self.out = out
        self.err = err


def obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object")
    return value


def text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string")
    return value


def cwd_of(payload: Mapping[str, Any], *keys: str) -> str:
    """The payload's working directory (the first of ``keys`` present), else the hook's."""
    for k in keys:
        v = payload.get(k)
        if isinstance(v, list) and v and isinstance(v[0], str):
            return v[0]
        if isinstance(v, str) and v:
            return v
        if v is not None and not isinstance(v, (str, list)):
            raise ValueError(f"`{k}` is not a string")
    return os.getcwd()


def patch_paths(patch: str) -> list[str]:
    """The files an ``apply_patch`` envelope adds, updates, deletes or moves to."""
    import re

    return [m.strip() for m in re.findall(_PATCH_HEADER, patch, re.MULTILINE)]


def patch_call(tool: str, patch: str, cwd: str) -> Call:
    found = patch_paths(patch)
    if not found and patch.strip():
        raise ValueError("the patch names no file (*** Add File: / *** Update File: / "
                         "*** Delete File: / *** Move to:), so what it edits cannot be judged")
    return Call(tool, EDIT, cwd, paths=found)


def shell_call(tool: str, command: str, cwd: str) -> list[Call]:
    """A shell call; a heredoc'd ``apply_patch`` inside it is judged as the edit it is."""
    calls = [Call(tool, SHELL, cwd, command=command)]
    if "*** Begin Patch" in command:
        calls.append(Call(tool, EDIT, cwd, paths=patch_paths(command)))
    return calls


def mcp_call(tool: str, args: Any, cwd: str) -> Call:
    """An MCP tool call: its path-like arguments are edits when its name says it writes."""
    if isinstance(args, str):
        import json

        try:
            args = json.loads(args)
        except ValueError:
            args = {}
    verb = tool.rsplit("__", 1)[-1].lower()
    if not isinstance(args, dict) or not any(w in verb for w in _MCP_WRITES):
        return Call(tool, OTHER, cwd)
    found: list[str] = []
    for k in _PATH_KEYS:
        v = args.get(k)
        if isinstance(v, str) and v:
            found.append(v[7:] if v.startswith("file://") else v)
    for k in ("paths", "files"):
        v = args.get(k)
        if isinstance(v, list):
            found += [p for p in v if isinstance(p, str) and p]
    return Call(tool, EDIT if found else OTHER, cwd, paths=found)


def exit2(v: Optional[Verdict]) -> Answer:
    """Claude Code, Codex, Gemini CLI, Windsurf: exit 2 blocks, the reason on stderr (Codex
    needs it non-empty)."""
    return Answer(0) if v is None else Answer(2, err=v.text() + "\n")
