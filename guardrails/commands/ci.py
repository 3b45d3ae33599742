"""git-guardrails ci --base REF [--head REF] [--branch NAME] [--format …] [--output FILE]

The CI gate: every commit of ``merge-base(base, head)..head`` judged with the policy committed
at the merge-base (never the branch's own), the task picked by the head branch's name.
"""
from __future__ import annotations

import io
import os
import sys
from typing import Optional

import click

from guardrails import git, report
from guardrails import review as rv
from guardrails.errors import GuardrailsError
from guardrails.findings import exit_code


def _default_base() -> Optional[str]:
    """The pipeline's target branch, when the CI names one."""
    for var in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        value = os.environ.get(var)
        if value:
            return f"origin/{value}"
    return None


@click.command("ci")
@click.option("--base", metavar="REF",
              help="Where the branch will merge (origin/main, a tag, a SHA). Default in a pull "
                   "or merge request pipeline: origin/$GITHUB_BASE_REF or "
                   "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME.")
@click.option("--head", default="HEAD", show_default=True, metavar="REF",
              help="The tip of the branch under review.")
@click.option("--branch", metavar="NAME",
              help="The head branch's name, which picks the task (default: --head's branch, "
                   "$GITHUB_HEAD_REF, $CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, $CI_COMMIT_BRANCH, "
                   "$CI_COMMIT_REF_NAME, $GITHUB_REF_NAME, else HEAD's branch).")
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write the report to FILE instead of stdout.")
def command(base: Optional[str], head: str, branch: Optional[str], fmt: str,
            output: Optional[str]) -> int:
    """Check every commit a branch adds, with the policy of its merge-base."""
    base = base or _default_base()
    if not base:
        raise GuardrailsError("no base: which branch will this merge into?",
                              "git-guardrails ci --base origin/main")
    repo = git.discover()
    verdict = rv.judge(rv.gather(repo, base, head, branch, env=os.environ))
    meta, rows = rv.meta(verdict), rv.commit_rows(verdict)
    out = report.render(verdict.findings, fmt, meta,
                        stream=io.StringIO() if output is not None else None,
                        commits=rows)
    if fmt == "github":
        report.append_step_summary(report.markdown(verdict.findings, meta, rows))
    if output is not None:
        with open(output, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(out)
        click.echo(f"git-guardrails ci: report written to {output} "
                   f"({rv.summary(verdict)['errors']} error(s))", err=True)
    else:
        report.write(out, sys.stdout)
    return exit_code(verdict.findings)
