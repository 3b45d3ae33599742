"""``git guardrails agent-hook AGENT``: read the agent's payload, decide, answer in its
protocol. Fails closed: malformed input, a missing git, a cwd that is gone, an inherited
``GIT_DIR`` that points elsewhere, or any exception blocks the call with a message that names
the fix, in the protocol's own way of blocking.
"""
from __future__ import annotations

import importlib
import json
import os

from guardrails.agents.common import Answer
from guardrails.agents.decide import HOOK_ERROR, Verdict

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any, Optional

AGENTS = ("claude", "codex", "gemini", "cursor", "copilot", "windsurf", "cline")
# Variables that tie git to one worktree: checked (GIT_DIR must be the cwd's), then dropped so
# that no git the hook starts acts on another repository.
GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX")
INSTALL_FIX = "git guardrails install-agent {agent}   (see docs/agents.md)"


def _last_resort(agent: str, v: Verdict) -> Answer:
    """Every protocol's deny at once, for when the adapter itself failed."""
    out = json.dumps({"permission": "deny", "permissionDecision": "deny",
                      "permissionDecisionReason": v.text(), "cancel": True,
                      "errorMessage": v.text(), "decision": "deny", "reason": v.text()})
    code = 0 if agent in ("copilot", "cline") else 2
    return Answer(code, out=out + "\n", err=v.text() + "\n")


def handle(agent: str, raw: bytes, env: MutableMapping[str, str]) -> Answer:
    """The answer to one payload. Never raises."""
    try:
        mod: Any = importlib.import_module(f"guardrails.agents.{agent}")
    except Exception as e:  # an unknown agent is refused before this; still: fail closed
        return _last_resort(agent, Verdict(HOOK_ERROR, f"no adapter for {agent!r}: {e}",
                                           INSTALL_FIX.format(agent=agent)))
    payload: Any = None
    try:
        try:
            payload = json.loads(raw)
        except ValueError as e:
            raise ValueError(f"the input is not JSON ({e})") from None
        v = _decide(mod, agent, payload, env)
        if isinstance(v, Answer):
            return v
        return mod.answer(v, payload, env)  # type: ignore[no-any-return]
    except BaseException as e:  # fail closed, on an interrupt too: any other exit lets it through
        from guardrails.errors import GuardrailsError

        if isinstance(e, GuardrailsError):
            v = Verdict(HOOK_ERROR, e.message, e.fix or INSTALL_FIX.format(agent=agent))
        elif isinstance(e, (ValueError, TypeError, KeyError)):
            v = Verdict(HOOK_ERROR, f"cannot read the {agent} hook input: {e}",
                        "wire it as that agent's pre-tool command hook: "
                        + INSTALL_FIX.format(agent=agent))
        else:
            v = Verdict(HOOK_ERROR, f"the hook failed ({type(e).__name__}: {e}), so the call "
                        "is blocked rather than let through",
                        "run `git guardrails doctor`; set GUARDRAILS_DEBUG=1 for details")
            if env.get("GUARDRAILS_DEBUG"):
                import traceback

                traceback.print_exc()
        try:
            return mod.answer(v, payload, env)  # type: ignore[no-any-return]
        except Exception:
            return _last_resort(agent, v)


def _decide(mod: Any, agent: str, payload: Any, env: MutableMapping[str, str]
            ) -> Optional[Verdict] | Answer:
    from guardrails.agents import decide

    if hasattr(mod, "event"):
        ans = mod.event(payload, env)
        if ans is not None:
            return ans  # type: ignore[no-any-return]
    calls = mod.calls(payload, env)
    for c in calls:
        v = decide.check_env(c.cwd, env)
        if v is not None:
            return v
    for k in GIT_ENV:
        env.pop(k, None)
    if calls:
        from guardrails.agents import worktrees

        worktrees.ensure_session(calls[0].cwd)
    v = decide.run(calls, env)
    if v is None and hasattr(mod, "after"):
        v = mod.after(calls, env)
    return v


def main(agent: str, raw: bytes) -> int:
    """Run the hook for ``agent`` on ``raw`` (stdin), print its answer; the exit code."""
    import sys

    ans = handle(agent, raw, os.environ)
    if ans.out:
        sys.stdout.write(ans.out)
        sys.stdout.flush()
    if ans.err:
        sys.stderr.write(ans.err)
        sys.stderr.flush()
    return ans.code
