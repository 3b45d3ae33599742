"""The manual pages: committed pages match the click commands, they parse, and a real
(non-editable) install puts them where `git guardrails --help` — git's `man git-guardrails` —
finds them, with no MANPATH set."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from guardrails import manpage
from tests.conftest import PROJECT, _project_files

PAGES = PROJECT / "man" / "man1"
REGENERATE = "regenerate them: make man (python -m guardrails.manpage man/man1) and commit"


def test_committed_pages_are_current() -> None:
    want = manpage.pages()
    have = {p.name: p.read_text() for p in PAGES.glob("*.1")}
    assert sorted(have) == sorted(want), REGENERATE
    stale = [name for name in want if have[name] != want[name]]
    assert not stale, f"{stale} differ from the click commands; {REGENERATE}"


def test_every_command_has_a_page() -> None:
    from guardrails import cli

    names = set(manpage.pages())
    for cmd in cli.COMMANDS:
        assert f"git-guardrails-{cmd}.1" in names
    assert "git-guardrails-worktree-add.1" in names  # subcommands of a group too


def test_roff_escapes() -> None:
    assert manpage.roff(".start\n'quote\nback\\slash --x") == \
        "\\&.start\n\\&'quote\nback\\eslash \\-\\-x"


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
@pytest.mark.parametrize("name", sorted(manpage.pages()))
def test_page_parses_without_warnings(name: str) -> None:
    proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(PAGES / name)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


@pytest.fixture(scope="module")
def prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout (as files, like the hook repository) installed without -e into a prefix,
    the way pip, pipx and uv install the package: data files included."""
    base = tmp_path_factory.mktemp("manpage-install")
    src = base / "src"
    for rel in _project_files():
        if (PROJECT / rel).is_file() and not rel.startswith(("tests/", "bench/", ".demo/")):
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / rel, src / rel)
    dest = base / "prefix"
    # -I: without it pip uninstalls the git-guardrails of the running venv (--prefix does not
    # isolate from the environment pip runs in)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-I", "--no-deps",
                           "--prefix", str(dest), str(src)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dest


def installed_env(prefix: Path) -> dict[str, str]:
    purelib = sysconfig.get_path("purelib", vars={"base": str(prefix)})
    env = {k: v for k, v in os.environ.items() if k not in ("MANPATH", "PAGER", "GIT_PAGER")}
    env.update(PATH=f"{prefix / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
               PYTHONPATH=purelib, MANPAGER="cat", MANWIDTH="80")
    return env


def test_install_puts_pages_under_share_man(prefix: Path) -> None:
    pages = sorted(p.name for p in (prefix / "share" / "man" / "man1").glob("*.1"))
    assert pages == sorted(manpage.pages())
    assert shutil.which("git-guardrails", path=str(Path(sys.executable).parent))  # still there


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_git_guardrails_help_opens_the_man_page(prefix: Path, tmp_path: Path) -> None:
    env = installed_env(prefix)
    proc = subprocess.run(["git", "guardrails", "--help"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "GIT-GUARDRAILS(1)" in proc.stdout and "git guardrails help [COMMAND]" in proc.stdout
    assert "worktree add [OPTIONS] PATH BRANCH" in proc.stdout
    # `git guardrails help COMMAND` opens that command's page
    proc = subprocess.run(["git", "guardrails", "help", "ci"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "GIT-GUARDRAILS-CI(1)" in proc.stdout and "--format" in proc.stdout
    proc = subprocess.run(["git", "guardrails", "help", "worktree", "add"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=False)
    assert "GIT-GUARDRAILS-WORKTREE-ADD(1)" in proc.stdout, proc.stderr


def test_help_of_an_unknown_command(prefix: Path, tmp_path: Path) -> None:
    proc = subprocess.run(["git", "guardrails", "help", "nope"], cwd=tmp_path,
                          env=installed_env(prefix), capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "no such command: nope" in proc.stderr
    assert "git guardrails help COMMAND, with one of:" in proc.stderr and "ci" in proc.stderr


def test_help_without_man_prints_the_help_text(prefix: Path, tmp_path: Path) -> None:
    env = installed_env(prefix)
    bindir = tmp_path / "bin"  # git and python, but no man
    bindir.mkdir()
    for tool in ("git",):
        found = shutil.which(tool)
        assert found
        (bindir / tool).symlink_to(found)
    env["PATH"] = f"{prefix / 'bin'}{os.pathsep}{bindir}"
    proc = subprocess.run([str(prefix / "bin" / "git-guardrails"), "help", "check"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: git-guardrails check [OPTIONS]")
    assert "no man on PATH" in proc.stderr
