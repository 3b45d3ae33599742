"""git-guardrails finish [--force]"""
from __future__ import annotations

import sys
from typing import Optional

import click

from guardrails import git, report
from guardrails.errors import GuardrailsError
from guardrails.sessions import lifecycle, session


def _review(repo: git.Repo) -> Optional[str]:
    """The review of this session's branch (what `git guardrails review` prints), or None when
    there is no readable session or no base to review against."""
    from guardrails.review import judge as rv

    try:
        sess = session.current(repo)
        if sess is None or not sess.branch:
            return None
        base = sess.base or lifecycle.default_base(repo, None)
        verdict = rv.judge(rv.gather(repo, base, "HEAD", branch=sess.branch))
        data = rv.review_dict(rv.review(verdict, sess.branch))
        return report.review_text(data, verdict.findings, color=report.color_for(sys.stdout))
    except GuardrailsError:
        return None


@click.command("finish")
@click.option("--force", is_flag=True,
              help="End the session even when its record cannot be read.")
def command(force: bool) -> int:
    """End this worktree's session and print the review of its branch (the log with each
    commit's agent and attestation, the diffstat, every finding)."""
    repo = git.discover()
    review = _review(repo)
    lines = lifecycle.finish(repo, force=force, with_summary=review is None)
    report.write("\n".join(lines) + "\n" + (f"\n{review}" if review else ""))
    return 0
