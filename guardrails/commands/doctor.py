"""git-guardrails doctor [--format text|json]: a health report of every worktree.

A framework: every module named in ``guardrails.checks.DOCTOR`` contributes its
``diagnose(repo) -> list[Finding]`` (hooks and bypass settings, the ref store …).
Exit 1 when any finding is an error.
"""
from __future__ import annotations

import importlib

import click

from guardrails import checks, git, report
from guardrails.findings import Finding, exit_code


def diagnose(repo: git.Repo) -> list[Finding]:
    found: list[Finding] = []
    for name in checks.DOCTOR:
        found += importlib.import_module(f"guardrails.checks.{name}").diagnose(repo)
    return found


@click.command("doctor")
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text")
def command(fmt: str) -> int:
    """Check every worktree: hooks installed, core.hooksPath, agent settings that skip hooks."""
    repo = git.discover()
    found = diagnose(repo)
    meta = {"repository": repo.common_dir, "checked": ", ".join(checks.DOCTOR)}
    out = report.render(found, fmt, meta)
    if fmt == "text" and not found:
        out = f"doctor: no problems found ({', '.join(checks.DOCTOR)})\n"
    report.write(out)
    return exit_code(found)
