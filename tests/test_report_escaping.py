"""Text grouped by commit (the `ci` report) escapes what commits and file names carry, as the
plain text report does: no terminal escape codes, one line per finding."""
from __future__ import annotations

from guardrails import report
from guardrails.findings import Finding


def test_grouped_text_escapes_messages_hints_and_subjects() -> None:
    oid = "a" * 40
    f = Finding("scope-outside-allow", "x\x1b[2Jy\nz", "fix\x1b[31m", commit=oid)
    commits = [{"oid": oid, "subject": "s\x1b[31mubject", "agent": None}]
    out = report.grouped_text([f], {"policy": "main@1234567"}, commits)
    assert "\x1b" not in out
    assert "x\\x1b[2Jy\\nz" in out and "s\\x1b[31mubject" in out and "fix\\x1b[31m" in out
