"""The project's own promises about itself: one Python floor, and docs that name exactly the
environment variables the code reads."""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
OWN = re.compile(r"(?:GUARDRAILS|PRE_COMMIT|PREK)_[A-Z0-9_]+")


def test_one_python_floor() -> None:
    """pyproject's requires-python, ruff's target-version and mypy's python_version agree."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    floor = re.fullmatch(r">=\s*3\.(\d+)", cfg["project"]["requires-python"])
    assert floor, cfg["project"]["requires-python"]
    minor = floor.group(1)
    assert cfg["tool"]["ruff"]["target-version"] == f"py3{minor}"
    assert cfg["tool"]["mypy"]["python_version"] == f"3.{minor}"


def _code_names() -> set[str]:
    """Every GUARDRAILS_/PRE_COMMIT_/PREK_ name in a string constant of the package and hooks,
    and every such variable the native shim reads."""
    found: set[str] = set()
    for path in [*ROOT.joinpath("guardrails").rglob("*.py"), *ROOT.joinpath("hooks").rglob("*.py")]:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            # a name on its own ("GUARDRAILS_BASE") or as $NAME in a message; prose in
            # docstrings that merely mentions one is neither
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.update(m for m in OWN.findall(node.value)
                             if OWN.fullmatch(node.value) or "$" + m in node.value)
    for shim in ROOT.joinpath("guardrails").rglob("*.sh"):
        found.update(re.findall(r"\$\{?((?:GUARDRAILS|PRE_COMMIT|PREK)_[A-Z0-9_]+)",
                                shim.read_text()))
    return found


def _doc_names() -> set[str]:
    text = (ROOT / "docs" / "environment.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {n for row in rows for n in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_every_variable_read_is_documented_and_every_documented_one_is_read() -> None:
    code, docs = _code_names(), _doc_names()
    missing = code - docs
    assert not missing, f"read by the code, missing from docs/environment.md: {sorted(missing)}"
    own_docs = {n for n in docs if OWN.fullmatch(n)}
    stale = own_docs - code
    assert not stale, f"in docs/environment.md, read nowhere in the code: {sorted(stale)}"


def test_the_variable_scan_sees_a_read() -> None:
    """The scan can fail: the variables it must find are found."""
    code = _code_names()
    assert {"GUARDRAILS_BASE", "PRE_COMMIT_TO_REF", "GUARDRAILS_PYTHON"} <= code


def _commands() -> dict[str, set[str]]:
    """Every subcommand (``worktree add`` as "worktree add") -> its long options."""
    import importlib

    import click

    from guardrails.cli import COMMANDS

    out: dict[str, set[str]] = {}

    def walk(name: str, cmd: click.Command) -> None:
        if isinstance(cmd, click.Group):
            for sub, c in cmd.commands.items():
                walk(f"{name} {sub}", c)
        out[name] = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)
                     if o.startswith("--")} | {"--help"}

    for name, mod in COMMANDS.items():
        walk(name, importlib.import_module(f"guardrails.commands.{mod}").command)
    return out


def _doc_texts() -> str:
    return "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted(ROOT.glob("docs/*.md"))])


def test_every_option_named_in_the_docs_exists_and_every_option_is_documented() -> None:
    """`git guardrails CMD … --opt` in the README and docs/: CMD has --opt; and every option
    of every command is named somewhere in a `git guardrails CMD …` span."""
    commands = _commands()
    text = _doc_texts()
    spans = [part for span in re.findall(r"`(?:git guardrails|git-guardrails) ([^`]*)`", text)
             for part in span.split(" / ")]  # `… worktree add … / worktree remove …`
    # an option is spoken of with the command it belongs to; longest command name first
    names = sorted(commands, key=len, reverse=True)
    seen: dict[str, set[str]] = {n: set() for n in commands}
    wrong = []
    for span in spans:
        span = re.split(r"\s(?:&&|\|\||;|\||#)\s", span)[0]  # the first command of a line
        cmd = next((n for n in names if span == n or span.startswith(n + " ")), None)
        if cmd is None:
            continue
        for opt in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", span):
            if opt in commands[cmd]:
                seen[cmd].add(opt)
            else:
                wrong.append(f"`git guardrails {span}`: {cmd} has no {opt}")
    assert not wrong, "\n".join(wrong)
    missing = sorted(f"{cmd} {opt}" for cmd, opts in commands.items()
                     for opt in opts - seen[cmd] - {"--help"})
    assert not missing, f"options no doc names with their command: {missing}"
