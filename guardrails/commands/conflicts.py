"""git-guardrails conflicts [BRANCH…] [--base REF] [--format text|json|markdown] [--strict]

A merge forecast before anyone merges: every active session's branch (or the branches named)
merged into the base's current tip, and every pair of them merged with each other, each with
``git merge-tree`` (guardrails.review.conflicts); the conflicting paths and kinds, the clean
merges, and a suggested merge order. Conflicts are warnings (exit 0); ``--strict`` makes them
errors (exit 1).
"""
from __future__ import annotations

import sys
from typing import Optional

import click

from guardrails import git, report
from guardrails.findings import ERROR, WARNING, exit_code
from guardrails.review import conflicts as cf


@click.command("conflicts")
@click.argument("branches", nargs=-1, metavar="[BRANCH]...")
@click.option("--base", metavar="REF", help="Where the branches will merge (default: the "
              "trusted policy's base, else git config guardrails.base, main or master).")
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")),
              default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Conflicts are errors: exit 1 when any merge "
              "would conflict.")
def command(branches: tuple[str, ...], base: Optional[str], fmt: str, strict: bool) -> int:
    """Forecast which branches conflict with the base and with each other."""
    repo = git.discover()
    base_tip = cf.resolve(repo, [base or cf.default_base(repo)], "base")[0]
    notes: list[str] = []
    if branches:
        tips = cf.resolve(repo, list(dict.fromkeys(branches)))
    else:
        tips, notes = cf.session_tips(repo)
        if not tips:
            notes.append("no active session has a branch: name the branches to forecast "
                         "(git guardrails conflicts BRANCH…)")
    fc = cf.forecast(repo, base_tip, tips, cf.Cache(repo))
    found = cf.findings(fc, ERROR if strict else WARNING)
    if fmt == "json":
        out = report.as_json(found, {**fc.to_json(), "notes": notes})
    elif fmt == "markdown":
        out = cf.render_markdown(fc, notes)
    else:
        out = cf.render_text(fc, notes)
        if found:
            out += "\n" + report.text(found, {}, color=report.color_for(sys.stdout))
    report.write(out)
    return exit_code(found)
