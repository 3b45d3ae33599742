from __future__ import annotations

from typing import Optional

import pytest

from guardrails.agents import markers as agents

ENV_CASES: list[tuple[dict[str, str], Optional[str]]] = [
    ({}, None),
    ({"CLAUDECODE": "1"}, "claude-code"),
    ({"CLAUDE_CODE_CHILD_SESSION": "1"}, "claude-code"),
    ({"CODEX_THREAD_ID": "0199a1b2-thread"}, "codex"),
    ({"CODEX_SANDBOX": "seatbelt"}, "codex"),
    ({"GEMINI_CLI": "1"}, "gemini-cli"),
    ({"CURSOR_AGENT": "1"}, "cursor"),
    ({"OPENCODE": "1"}, "opencode"),
    ({"AGENT": "amp"}, "amp"),
    ({"AGENT": "1"}, "agent"),
    ({"AI_AGENT": "claude-code_2-1-263_agent"}, "claude-code"),
    ({"AI_AGENT": "true"}, "agent"),
    ({"CLAUDECODE": "0"}, None),
    ({"CLAUDECODE": ""}, None),
    ({"GEMINI_CLI": "false"}, None),
    ({"GIT_AUTHOR_NAME": "Ann Dev (aider)"}, "aider"),
    ({"GIT_COMMITTER_NAME": "Ann Dev (aider)"}, "aider"),
    ({"GIT_AUTHOR_NAME": "Ann Dev"}, None),
    ({"HOME": "/home/x", "TERM": "xterm"}, None),
    ({"CODEX_CI": "1"}, "codex"),
    ({"COPILOT_CLI": "1"}, "copilot"),
    ({"COPILOT_AGENT": "true"}, "copilot"),
    ({"CLINE_ACTIVE": "true"}, "cline"),
    ({"CURSOR_EXTENSION_HOST_ROLE": "agent-exec"}, "cursor"),
    ({"CURSOR_EXTENSION_HOST_ROLE": "user"}, None),  # only the agent's own terminal counts
    ({"AI_AGENT": "claude-code@2.1.300"}, "claude-code"),
    ({"AI_AGENT": "cursor@1.7.4"}, "cursor"),
    ({"AI_AGENT": "github_copilot_vscode_agent"}, "copilot"),  # was read as "github"
    ({"AI_AGENT": "gemini"}, "gemini-cli"),
    # the first marker in table order wins
    ({"AGENT": "amp", "CLAUDECODE": "1"}, "claude-code"),
]


@pytest.mark.parametrize(("env", "expected"), ENV_CASES)
def test_from_env(env: dict[str, str], expected: Optional[str]) -> None:
    assert agents.from_env(env) == expected


def test_env_marker_names_the_variable() -> None:
    assert agents.env_marker({"CODEX_THREAD_ID": "t1"}) == ("CODEX_THREAD_ID=t1", "codex")
    assert agents.env_marker({}) is None


HUMAN = "Ann Dev <ann@example.com>"
COMMIT_CASES: list[tuple[str, str, str, Optional[str]]] = [
    (HUMAN, HUMAN, "fix a bug\n", None),
    (HUMAN, HUMAN, "feat\n\nCo-authored-by: aider (gpt-5) <aider@aider.chat>\n", "aider"),
    (HUMAN, HUMAN, "feat\n\nCo-authored-by: aider (x) <noreply@aider.chat>\n", "aider"),
    ("Ann Dev (aider) <ann@example.com>", HUMAN, "x\n", "aider"),
    (HUMAN, "Ann Dev (aider) <ann@example.com>", "x\n", "aider"),
    (HUMAN, HUMAN, "x\n\nCo-Authored-By: Claude Sonnet 5 <noreply@anthropic.com>\n",
     "claude-code"),
    (HUMAN, HUMAN, "x\n\nco-authored-by: Claude <NOREPLY@ANTHROPIC.COM>\n", "claude-code"),
    ("Cursor Agent <cursoragent@cursor.com>", HUMAN, "x\n", "cursor"),
    (HUMAN, HUMAN, "x\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\n", "cursor"),
    (HUMAN, HUMAN, "x\n\nAmp-Thread-ID: https://ampcode.com/threads/T-1\n"
     "Co-authored-by: Amp <amp@ampcode.com>\n", "amp"),
    ("copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>", HUMAN, "x\n",
     "copilot"),
    ("devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
     HUMAN, "x\n", "devin"),
    (HUMAN, HUMAN, "x\n\nClaude-Session: https://claude.ai/code/session_1\n", "claude-code"),
    ("google-labs-jules[bot] <161369871+google-labs-jules[bot]@users.noreply.github.com>",
     HUMAN, "x\n", "jules"),
    (HUMAN, HUMAN, "aider: add login\n", "aider"),
    # mentions in prose are not markers
    (HUMAN, HUMAN, "docs: explain how aider: prefixes work\n\nsee noreply@anthropic.com\n", None),
    (HUMAN, HUMAN, "x\n\nCo-authored-by: Bob <bob@example.com>\n", None),
]


@pytest.mark.parametrize(("author", "committer", "message", "expected"), COMMIT_CASES)
def test_from_commit(author: str, committer: str, message: str,
                     expected: Optional[str]) -> None:
    assert agents.from_commit(author, committer, message) == expected


def test_tables_and_docs_agree() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "agents.md").read_text()
    for m in agents.ENV_MARKERS:
        assert f"`{m.var}`" in doc, m.var
    for name in agents.known_agents():
        assert name in doc, name
