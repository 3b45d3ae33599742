"""All 8 hooks in one shape: each entry point is ``hookrun.main("<hook-id>", argv)``, the table
in guardrails.hookrun names every hook id of .pre-commit-hooks.yaml, and --help, a bad
--format and an unknown option are answered the same way by all of them (real processes)."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from guardrails import hookrun

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
# bin/guardrails-hook NAME: the sh entry in front of a Python hook (its `NAME) entry=SCRIPT ;;`)
SH_ENTRIES = dict(re.findall(r"^([a-z-]+)\) entry=([a-z-]+) ;;$",
                             (ROOT / "bin" / "guardrails-hook").read_text(), re.M))


def _python_script(entry: str) -> str:
    words = entry.split()
    return SH_ENTRIES[words[1]] if words[0] == "guardrails-hook" else words[0]


# hook id -> (the manifest's entry, hooks/ module of the Python hook it runs)
ENTRIES = {h["id"]: (h["entry"], SCRIPTS[_python_script(h["entry"])].split(":")[0]
                     .split(".")[-1]) for h in MANIFEST}


def test_the_table_names_every_hook_of_the_manifest() -> None:
    assert sorted(hookrun.HOOKS) == sorted(ENTRIES)
    assert len(ENTRIES) == 8


@pytest.mark.parametrize("hook_id", sorted(ENTRIES))
def test_each_entry_point_is_one_call_of_hookrun_main(hook_id: str) -> None:
    """hooks/<module>.py has one function, main, whose body is
    ``from guardrails import hookrun`` and ``return hookrun.main("<its id>", argv)``."""
    tree = ast.parse((ROOT / "hooks" / f"{ENTRIES[hook_id][1]}.py").read_text())
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [f.name for f in funcs] == ["main"]
    body = funcs[0].body
    assert ast.unparse(body[-1]) == f"return hookrun.main({hook_id!r}, argv)"
    assert [ast.unparse(s) for s in body[:-1]] == ["from guardrails import hookrun"]


def _run(entry: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The manifest's entry as the runners run it: its first word from the environment's bin."""
    exe, *rest = entry.split()
    return subprocess.run([str(Path(sys.executable).parent / exe), *rest, *args],
                          capture_output=True, text=True, check=False, cwd=ROOT)


@pytest.mark.parametrize("hook_id", sorted(ENTRIES))
def test_help_and_bad_options_answered_alike(hook_id: str) -> None:
    script = ENTRIES[hook_id][0]
    proc = _run(script, "--help")
    assert proc.returncode == 0 and proc.stdout.startswith(f"usage: {hook_id} [-h] [--format")
    assert f"git-guardrails {hook_id}: " in proc.stdout
    proc = _run(script, "--no-such-option")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"usage: {hook_id} ")
    assert f"{hook_id}: error: unrecognized arguments: --no-such-option" in proc.stderr
    proc = _run(script, "--format", "xml")
    assert proc.returncode == 2 and "invalid choice: 'xml'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_never_fail_is_said_in_the_table_and_the_help() -> None:
    """post-checkout and post-commit must not fail git: the table says what did not happen."""
    never = {h for h, spec in hookrun.HOOKS.items() if spec[2]}
    assert never == {"record-baseline", "verify-commit"}
    stages = {h["id"]: h["stages"] for h in MANIFEST}
    assert all(stages[h] in (["post-checkout"], ["post-commit"]) for h in never)
    assert "Never fails the git operation." in _run(ENTRIES["verify-commit"][0], "--help").stdout
