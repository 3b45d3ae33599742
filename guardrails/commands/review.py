"""git-guardrails review [BRANCH] [--base REF] [--format text|markdown|json|html]

The review ritual on one screen: ``git log --oneline base..branch`` with each commit's agent and
attestation, the diffstat, every finding, and what changed outside the area asked for — each
with the command that shows its diff.
"""
from __future__ import annotations

import sys
from typing import Optional

import click

from guardrails import git, progress, report
from guardrails.errors import GuardrailsError
from guardrails.findings import exit_code
from guardrails.review import conflicts
from guardrails.review import judge as rv
from guardrails.scope import policy as policies


def _default_base(repo: git.Repo) -> str:
    base = policies.local_base(repo)
    if base is None:
        raise GuardrailsError("no base branch: neither main nor master exists here",
                              "git-guardrails review BRANCH --base BASE_BRANCH")
    return base


@click.command("review")
@click.argument("branch", required=False)
@click.option("--base", metavar="REF", help="The branch the work will merge into "
              "(default: git config guardrails.base, else main or master).")
@click.option("--format", "fmt", type=click.Choice(("text", "markdown", "json", "html")),
              default="text", show_default=True,
              help="html: one self-contained page (no external resource), e.g. "
                   "> review.html")
def command(branch: Optional[str], base: Optional[str], fmt: str) -> int:
    """Everything to read before merging an agent's branch."""
    repo = git.discover(bare_ok=True)
    base = base or _default_base(repo)
    head = branch or "HEAD"
    show = None
    if progress.wanted(fmt):
        show = progress.Progress("git-guardrails review")
    try:
        verdict = rv.judge(rv.gather(repo, base, head, progress=show), progress=show)
        label = branch or repo.branch or verdict.rng.head_oid[:12]
        try:  # the other active branches and the base changes it would conflict with
            if show is not None:
                show.step("forecasting merges with the other active branches")
            found, forecast = conflicts.review_findings(
                repo, base, conflicts.Tip(verdict.rng.branch or label, verdict.rng.head_oid))
            verdict.findings.extend(found)
        except GuardrailsError as e:
            forecast = {"error": str(e)}
        data = {**rv.review_dict(rv.review(verdict, label, progress=show)),
                "conflicts": forecast}
    finally:
        if show is not None:
            show.done()
    if fmt == "json":
        out = report.as_json(verdict.findings, {k: v for k, v in data.items()
                                                 if k not in ("findings", "summary")})
    elif fmt == "html":
        from guardrails.review.html import review_html

        out = review_html(data, verdict.findings)
    elif fmt == "markdown":
        out = report.review_markdown(data, verdict.findings)
    else:
        out = report.review_text(data, verdict.findings, color=report.color_for(sys.stdout))
    report.write(out, sys.stdout)
    return exit_code(verdict.findings)
