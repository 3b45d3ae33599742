"""git-guardrails ci --base REF [--head REF] [--branch NAME] [--format …] [--output FILE]
[--against REF…] [--strict]

The CI gate: every commit of ``merge-base(base, head)..head`` judged with the policy committed
at the merge-base (never the branch's own), the task picked by the head branch's name.

A plain command line (the options below, each with a value) is read by :func:`fast` without
click, whose import is ~25 ms of a run that takes ~0.25 s for 1,000 commits; anything else
(``--help``, an unknown option, a bad value) goes to the click command, built on first use.
"""
from __future__ import annotations

import io
import os
import sys

from guardrails import git, report
from guardrails.errors import GuardrailsError
from guardrails.findings import exit_code
from guardrails.review import ahead

TYPE_CHECKING = False  # typing is not imported at run time; mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Optional

    import click

OPTIONS = ("--base", "--head", "--branch", "--format", "--output", "--against")


def _default_base() -> Optional[str]:
    """The pipeline's target branch, when the CI names one."""
    for var in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        value = os.environ.get(var)
        if value:
            return f"origin/{value}"
    return None


def run(base: Optional[str], head: str, branch: Optional[str], fmt: str,
        output: Optional[str], against: Sequence[str] = (), strict: bool = False) -> int:
    """Check every commit a branch adds, with the policy of its merge-base; with ``against``,
    forecast its merge with each of those refs (warnings; errors when ``strict``)."""
    base = base or _default_base()
    if not base:
        raise GuardrailsError("no base: which branch will this merge into?",
                              "git-guardrails ci --base origin/main")
    if output is not None:
        _check_output(output)
    # the range's git processes start first, its policy and check code are imported while
    # they run (guardrails.review.ahead)
    resolving = ahead.begin(base, head)
    try:
        repo = git.discover(bare_ok=True)
    except BaseException:
        if resolving is not None:
            resolving.drop()
        raise
    started = ahead.start(repo, resolving, head, branch, os.environ)
    show = None
    try:
        from guardrails.review import judge as rv

        if fmt == "text" and sys.stderr.isatty():  # (the module, and threading, only then)
            from guardrails import progress

            show = progress.Progress("git-guardrails ci") if progress.wanted(fmt) else None
    except BaseException:
        ahead.drop(repo, started)
        raise
    try:
        # strict: a detached head no CI variable names exits 2 rather than passing unchecked
        verdict = rv.judge(rv.gather(repo, base, head, branch, env=os.environ, strict=True,
                                     progress=show, ahead=started), progress=show)
        if against:
            from guardrails.review import conflicts as cf

            if show is not None:
                show.step("forecasting merges with " + ", ".join(against))
            r = verdict.rng
            verdict.findings.extend(cf.against(
                repo, cf.Tip(r.branch or head, r.head_oid), against, cf.Tip(base, r.base_oid),
                "error" if strict else "warning"))
        meta, rows = rv.meta(verdict), rv.commit_rows(verdict)
        if show is not None:
            show.step("writing the report")
        out = report.render(verdict.findings, fmt, meta,
                            stream=io.StringIO() if output is not None else None,
                            commits=rows)
    finally:
        if show is not None:
            show.done()
    if fmt == "github":
        report.append_step_summary(report.markdown(verdict.findings, meta, rows))
    if output is not None:
        _write_output(output, out.encode("utf-8", "backslashreplace"))
        report.echo_err(f"git-guardrails ci: report written to {output} "
                        f"({rv.summary(verdict)['errors']} error(s))")
    else:
        report.write(out, sys.stdout)
    return exit_code(verdict.findings)


def _write_output(output: str, data: bytes) -> None:
    """The report into ``output``: a regular file (or a new one) is replaced atomically (temp +
    rename, through a symlink to its target), so a full disk leaves the previous report whole
    and no half-written one; a device or pipe (/dev/stdout) is written as it is."""
    import stat

    from guardrails import state

    target = os.path.realpath(output)
    try:
        regular = stat.S_ISREG(os.stat(target).st_mode)
    except FileNotFoundError:
        regular = True
    if not regular:
        with open(output, "wb") as fh:
            fh.write(data)
        return
    state.write_bytes(target, data, durable=False)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(target, 0o666 & ~mask)  # as open() would have made it, not the temp file's 0600


def _check_output(output: str) -> None:
    """--output names a file that can be written, before any work (exit 2 otherwise)."""
    from guardrails.findings import printable, shell_path

    if not output:
        raise GuardrailsError("--output is empty", "--output FILE, e.g. --output report.sarif "
                              "(or leave it out to print the report)")
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        raise GuardrailsError(f"cannot write {printable(output)}: the directory "
                              f"{printable(parent)} does not exist",
                              f"mkdir -p -- {shell_path(parent)}")
    if os.path.isdir(output):
        raise GuardrailsError(f"cannot write {printable(output)}: it is a directory",
                              "--output FILE names a file")


def parse(args: Sequence[str]) -> Optional[dict[str, Any]]:
    """``run``'s arguments from a command line of OPTIONS with values (``--opt value`` or
    ``--opt=value``; the last one counts), exactly as the click command reads it; None for
    anything else, which the click command then reads (and reports)."""
    values: dict[str, Any] = {"base": None, "head": "HEAD", "branch": None, "fmt": "text",
                              "output": None, "against": [], "strict": False}
    i = 0
    while i < len(args):
        if args[i] == "--strict":
            values["strict"] = True
            i += 1
            continue
        name, eq, value = args[i].partition("=")
        if name not in OPTIONS:
            return None
        if not eq:
            if i + 1 == len(args):
                return None
            value = args[i + 1]
        i += 1 if eq else 2
        if value.startswith("-"):
            return None
        if name == "--against":
            values["against"].append(value)
            continue
        values["fmt" if name == "--format" else name[2:]] = value
    if values["fmt"] not in report.FORMATS:
        return None
    if values["output"] is not None and not _path_ok(values["output"]):
        return None
    return values


def _path_ok(path: str) -> bool:
    """What click.Path(dir_okay=False, writable=True) accepts."""
    import stat

    try:
        st = os.stat(path)
    except OSError:
        return True
    return not stat.S_ISDIR(st.st_mode) and os.access(path, os.R_OK) and \
        os.access(path, os.W_OK)


def fast(args: Sequence[str]) -> Optional[int]:
    """Run a plain command line without click; None: leave it to the click command."""
    values = parse(args)
    return None if values is None else run(**values)


def _command() -> click.Command:
    import click

    @click.command("ci")
    @click.option("--base", metavar="REF",
                  help="Where the branch will merge (origin/main, a tag, a SHA). Default in a "
                       "pull or merge request pipeline: origin/$GITHUB_BASE_REF or "
                       "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME.")
    @click.option("--head", default="HEAD", show_default=True, metavar="REF",
                  help="The tip of the branch under review.")
    @click.option("--branch", metavar="NAME",
                  help="The head branch's name, which picks the task (default: --head's "
                       "branch, $GITHUB_HEAD_REF, $CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, "
                       "$CI_COMMIT_BRANCH, $CI_COMMIT_REF_NAME, $GITHUB_REF_NAME, else HEAD's "
                       "branch).")
    @click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text",
                  show_default=True)
    @click.option("--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                  help="Write the report to FILE instead of stdout.")
    @click.option("--against", multiple=True, metavar="REF",
                  help="Forecast the head's merge with REF too (repeatable; e.g. the other "
                       "open pull requests' heads): conflicts are warnings.")
    @click.option("--strict", is_flag=True, help="--against conflicts are errors.")
    def command(base: Optional[str], head: str, branch: Optional[str], fmt: str,
                output: Optional[str], against: tuple[str, ...], strict: bool) -> int:
        """Check every commit a branch adds, with the policy of its merge-base."""
        return run(base, head, branch, fmt, output, against, strict)

    return command


_BUILT: list[click.Command] = []


def __getattr__(name: str) -> click.Command:
    """``command``, the click command (guardrails.cli), built when first asked for."""
    if name != "command":
        raise AttributeError(name)
    if not _BUILT:
        _BUILT.append(_command())
    return _BUILT[0]
