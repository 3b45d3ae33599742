"""Manual pages generated from the click commands: ``git-guardrails(1)`` and one
``git-guardrails-COMMAND(1)`` per subcommand, as git's own subcommands have (``git help
worktree`` opens ``git-worktree(1)``), so ``git guardrails --help`` — which git turns into
``man git-guardrails`` — finds a page.

The pages are committed under ``man/man1/`` and installed with the package into
``share/man/man1`` (pyproject.toml, ``[tool.setuptools.data-files]``); tests/test_manpage.py
fails when they differ from what this module generates. Regenerate them with::

    python -m guardrails.manpage man/man1
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Optional

import click

from guardrails import cli

DATE = "2026"  # no build date: the pages must be reproducible (tests compare them)
SOURCE = "git-guardrails"
MANUAL = "Git Guardrails Manual"

DESCRIPTION = """\
Pre-commit / git hooks that keep coding agents honest when several of them work on one
repository in parallel git worktrees: each agent commit must come from a clean baseline on its
own branch, touch only the paths its task allows, run the hooks it was given, and leave the
shared ref store intact. The hooks run under pre-commit and prek; this command starts and ends
sessions, reports on every worktree, and is the CI gate.

The policy is .guardrails.toml on the base branch (never the agent's work tree or branch).
Git runs this command as git guardrails; git guardrails --help opens this page, and
git guardrails help COMMAND the page of one command."""

EXIT_STATUS = [
    ("0", "no error findings"),
    ("1", "error findings (each with a rule id, documented in docs/rules.md)"),
    ("2", "a usage, configuration or environment error; the message says what is wrong and the "
          "command that fixes it"),
    ("3", "an internal error"),
    ("130", "interrupted"),
]

ENVIRONMENT = [
    ("GUARDRAILS_BASE", "the base branch, when not main or master (also git config "
                        "guardrails.base)"),
    ("PRE_COMMIT_HOME, PREK_HOME", "where pre-commit and prek keep the hook environments "
                                   "that doctor compares with this command"),
    ("MANPATH", "where man looks for this page; see FILES"),
    ("docs/environment.md", "every variable git-guardrails reads, in one table"),
]

FILES = [
    (".guardrails.toml", "the policy, read from the base branch"),
    ("$GIT_DIR/guardrails/", "a worktree's session record (git rev-parse --git-path "
                             "guardrails/)"),
    ("share/man/man1/git-guardrails*.1",
     "these pages, under the prefix the package was installed into. man finds them when that "
     "prefix's bin is on PATH (a virtualenv) and pipx links them into ~/.local/share/man; "
     "uv tool install does not: export MANPATH=\"$(uv tool dir)/git-guardrails/share/man:\" "
     "(the trailing colon keeps man's default path). git guardrails help opens them by path "
     "whatever MANPATH says."),
]


def roff(text: str) -> str:
    """Text as roff: backslashes escaped, hyphens as \\-, no line starting a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line if line.startswith((".", "'")) else line)
                     for line in text.splitlines())


def bold(text: str) -> str:
    return f"\\fB{roff(text)}\\fR"


def paragraphs(text: str) -> str:
    """Click's help text (paragraphs separated by blank lines, \\b for verbatim blocks)."""
    out = []
    for para in re.split(r"\n\s*\n", click.unstyle(text).strip()):
        if para.startswith("\b\n"):
            out.append(".nf\n" + roff(para[2:]) + "\n.fi")
        else:
            out.append(roff(" ".join(para.split())))
    return "\n.PP\n".join(out)


def _commands(group: click.Group, ctx: click.Context,
              prefix: Sequence[str] = ()) -> Iterator[tuple[list[str], click.Command]]:
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or cmd.hidden:
            continue
        path = [*prefix, name]
        yield path, cmd
        if isinstance(cmd, click.Group):
            sub = click.Context(cmd, info_name=name, parent=ctx)
            yield from _commands(cmd, sub, path)


def _context(path: Sequence[str]) -> click.Context:
    group = cli._group()
    ctx = click.Context(group, info_name="git guardrails", **group.context_settings)
    for name in path:
        parent = ctx.command
        assert isinstance(parent, click.Group)
        cmd = parent.get_command(ctx, name)
        assert cmd is not None
        ctx = click.Context(cmd, info_name=name, parent=ctx)
    return ctx


def _header(name: str, summary: str) -> list[str]:
    return [
        f'.TH "{name.upper()}" "1" "{DATE}" "{SOURCE}" "{MANUAL}"',
        ".SH NAME",
        f"{roff(name)} \\- {roff(summary)}",
    ]


def _options(cmd: click.Command, ctx: click.Context) -> list[str]:
    lines = []
    for param in cmd.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        opts, help_text = record
        lines += [".TP", bold(opts), roff(" ".join(help_text.split())) or "\\&"]
    return lines


def _arguments(cmd: click.Command, ctx: click.Context) -> str:
    return " ".join(cmd.collect_usage_pieces(ctx))


def command_page(path: Sequence[str]) -> str:
    ctx = _context(path)
    cmd = ctx.command
    name = "git-guardrails-" + "-".join(path)
    lines = _header(name, cmd.get_short_help_str(limit=200).rstrip("."))
    lines += [".SH SYNOPSIS", ".nf",
              f"{bold('git guardrails ' + ' '.join(path))} {roff(_arguments(cmd, ctx))}",
              ".fi", ".SH DESCRIPTION", paragraphs(cmd.help or "")]
    if isinstance(cmd, click.Group):
        lines += [".SH COMMANDS"]
        for sub, subcmd in _commands(cmd, ctx):
            full = [*path, *sub]
            lines += [".TP", bold(" ".join(sub)), roff(subcmd.get_short_help_str(limit=200)),
                      f"See {bold('git-guardrails-' + '-'.join(full))}(1)."]
    lines += [".SH OPTIONS", *_options(cmd, ctx)]
    lines += [".SH SEE ALSO", f"{bold('git-guardrails')}(1)"]
    return "\n".join(lines) + "\n"


def _table(rows: Sequence[tuple[str, str]]) -> list[str]:
    lines = []
    for key, value in rows:
        lines += [".TP", bold(key), roff(value)]
    return lines


def main_page() -> str:
    ctx = _context(())
    group = ctx.command
    assert isinstance(group, click.Group)
    lines = _header("git-guardrails", "keep coding agents honest in parallel git worktrees")
    lines += [".SH SYNOPSIS", ".nf",
              f"{bold('git guardrails')} [{bold('--version')}] [{bold('-h')}] "
              f"\\fICOMMAND\\fR [\\fIARGS\\fR]",
              f"{bold('git guardrails help')} [\\fICOMMAND\\fR]",
              ".fi", ".SH DESCRIPTION", paragraphs(DESCRIPTION), ".SH COMMANDS"]
    for path, cmd in _commands(group, ctx):
        sub = _context(path)
        lines += [".TP", f"{bold(' '.join(path))} {roff(_arguments(cmd, sub))}",
                  roff(cmd.get_short_help_str(limit=300)),
                  f"See {bold('git-guardrails-' + '-'.join(path))}(1)."]
    lines += [".SH OPTIONS", *_options(group, ctx)]
    lines += [".SH EXIT STATUS", *_table(EXIT_STATUS)]
    lines += [".SH ENVIRONMENT", *_table(ENVIRONMENT)]
    lines += [".SH FILES", *_table(FILES)]
    lines += [".SH SEE ALSO", ", ".join(f"{bold(n)}({s})" for n, s in (
        ("git", "1"), ("git-worktree", "1"), ("githooks", "5"), ("pre-commit", "1")))]
    lines += [".PP", roff("The README, docs/rules.md (every rule id) and docs/ci.md of the "
                          "git-guardrails repository.")]
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    """File name -> roff, for every page."""
    out = {"git-guardrails.1": main_page()}
    ctx = _context(())
    group = ctx.command
    assert isinstance(group, click.Group)
    for path, _cmd in _commands(group, ctx):
        out[f"git-guardrails-{'-'.join(path)}.1"] = command_page(path)
    return out


def installed(name: str) -> Optional[str]:
    """The installed page ``name`` (e.g. git-guardrails-check.1) of this environment, if any."""
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        path = os.path.join(prefix, "share", "man", "man1", name)
        if os.path.isfile(path):
            return path
    return None


def write(directory: str) -> list[str]:
    """Write every page into ``directory``, removing stale git-guardrails pages there."""
    os.makedirs(directory, exist_ok=True)
    want = pages()
    for old in os.listdir(directory):
        if old.startswith("git-guardrails") and old.endswith(".1") and old not in want:
            os.unlink(os.path.join(directory, old))
    for name, text in want.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return sorted(want)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m guardrails.manpage DIRECTORY   (the pages: man/man1)")
    for page in write(sys.argv[1]):
        print(os.path.join(sys.argv[1], page))
