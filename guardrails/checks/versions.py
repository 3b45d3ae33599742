"""Doctor: is the ``git guardrails`` command the same git-guardrails as the hook environments
pre-commit and prek built for this repository?

They are installed apart: the command by pipx/uv/pip, the hooks by the runner from the
``rev:`` in ``.pre-commit-config.yaml``, so upgrading one leaves the other behind. The hook
environments are read where each runner keeps them (no runner is run, nothing is fetched):

- pre-commit: ``$PRE_COMMIT_HOME`` or ``$XDG_CACHE_HOME/pre-commit`` or ``~/.cache/pre-commit``;
  its ``db.db`` (SQLite) maps ``(repo, ref)`` to a clone whose ``py_env-*`` is the environment
  (pre-commit's store.py and languages/python.py);
- prek: ``$PREK_HOME`` or ``$XDG_CACHE_HOME/prek`` or ``~/.cache/prek``; each environment is
  ``hooks/python-*`` with a ``.prek-hook.json`` naming its repo and rev, each clone
  ``repos/*`` with a ``.prek-repo.json``.

The version is the environment's ``git_guardrails-*.dist-info``; the commit, the clone's HEAD.
The command's own is ``importlib.metadata`` plus, when pip recorded it (``direct_url.json``),
the commit it was installed from, or the HEAD of the clone it was installed from.
"""
from __future__ import annotations

import glob
import json
import os
import re
from typing import NamedTuple, Optional

from guardrails import git
from guardrails.findings import WARNING, Finding

DIST = "git-guardrails"


class Install(NamedTuple):
    """One git-guardrails: the command's own, or a hook environment a runner built."""
    version: Optional[str]
    commit: Optional[str]  # the full commit it was built from, when known
    where: str  # for the message: a path or a URL
    runner: Optional[str] = None  # "pre-commit" / "prek" for a hook environment
    repo: Optional[str] = None  # the `repo:` of the config entry
    rev: Optional[str] = None  # the `rev:` of the config entry


def _head(path: str) -> Optional[str]:
    if not os.path.isdir(path):
        return None
    try:
        proc = git.run("rev-parse", "--verify", "-q", "HEAD^{commit}", cwd=path, ok=(0, 1, 128),
                       env=git.OTHER_WORKTREE)
    except OSError:
        return None
    sha = proc.stdout.decode(errors="replace").strip()
    return sha if proc.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", sha) else None


def cli_install() -> Install:
    """The git-guardrails this process runs: its version and, where pip recorded it, its commit."""
    from importlib import metadata

    # a source tree's stray *.egg-info (setuptools' build) can come first on sys.path: prefer
    # the installed distribution, the one whose installer recorded where it came from
    dists = [d for d in metadata.distributions()
             if (d.metadata["Name"] or "").lower().replace("_", "-") == DIST]
    dists.sort(key=lambda d: d.read_text("direct_url.json") is None)
    dist = dists[0] if dists else None
    if dist is None:
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return Install(None, _head(here), f"source tree {here}")
    version = dist.version
    try:
        raw = dist.read_text("direct_url.json")
        direct = json.loads(raw) if raw else {}
    except (OSError, ValueError):
        direct = {}
    url = direct.get("url") if isinstance(direct, dict) else None
    vcs = direct.get("vcs_info") if isinstance(direct, dict) else None
    if isinstance(vcs, dict) and isinstance(vcs.get("commit_id"), str):
        return Install(version, vcs["commit_id"], f"{url} (pip's direct_url.json)")
    if isinstance(url, str) and url.startswith("file://"):
        from urllib.parse import unquote, urlparse

        path = unquote(urlparse(url).path)
        info = direct.get("dir_info") or {}
        kind = "editable install of" if isinstance(info, dict) and info.get("editable") else \
            "installed from"
        return Install(version, _head(path), f"{kind} {path}")
    return Install(version, None, f"{DIST} {version} from a package index")


def config_entries(toplevel: str) -> list[tuple[str, str]]:
    """``(repo, rev)`` of each remote repo of ``.pre-commit-config.yaml``: a light reading of
    the common layout (``- repo: URL`` with ``rev: REV`` in the same item), no YAML parser in
    the command's environment."""
    path = os.path.join(toplevel, ".pre-commit-config.yaml")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    out = []
    for block in re.split(r"(?m)^\s*-\s+(?=(?:repo|rev):)", text)[1:]:
        repo = re.search(r"(?m)^\s*repo:\s*['\"]?([^'\"\s#]+)", block)
        rev = re.search(r"(?m)^\s*rev:\s*['\"]?([^'\"\s#]+)", block)
        if repo and rev and repo.group(1) not in ("local", "meta"):
            out.append((repo.group(1), rev.group(1)))
    return out


def _cache_home(var: str, name: str) -> str:
    if os.environ.get(var):
        return os.environ[var]
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(xdg, name)


def _env_version(env: str) -> Optional[str]:
    """The git-guardrails version installed in a virtualenv, from its dist-info directory."""
    pattern = os.path.join(glob.escape(env), "lib*", "python*", "site-packages",
                           "git_guardrails-*.dist-info", "METADATA")
    for meta in sorted(glob.glob(pattern)):
        try:
            with open(meta, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
                    if not line.strip():
                        break
        except OSError:
            continue
    return None


def precommit_envs(entries: list[tuple[str, str]]) -> list[Install]:
    home = _cache_home("PRE_COMMIT_HOME", "pre-commit")
    db = os.path.join(home, "db.db")
    if not entries or not os.path.isfile(db):
        return []
    import sqlite3

    found = []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT repo, ref, path FROM repos").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    wanted = set(entries)
    for repo, ref, path in rows:
        if (repo, ref) not in wanted:
            continue
        for env in sorted(glob.glob(os.path.join(glob.escape(path), "py_env-*"))):
            version = _env_version(env)
            if version is not None:
                found.append(Install(version, _head(path), env, "pre-commit", repo, ref))
    return found


def _read_json(path: str) -> dict[str, object]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def prek_envs(entries: list[tuple[str, str]]) -> list[Install]:
    home = _cache_home("PREK_HOME", "prek")
    if not entries or not os.path.isdir(home):
        return []
    clones: dict[tuple[str, str], str] = {}
    for info in glob.glob(os.path.join(glob.escape(home), "repos", "*", ".prek-repo.json")):
        data = _read_json(info)
        if isinstance(data.get("repo"), str) and isinstance(data.get("rev"), str):
            clones[(str(data["repo"]), str(data["rev"]))] = os.path.dirname(info)
    wanted = set(entries)
    found = []
    for info in sorted(glob.glob(os.path.join(glob.escape(home), "hooks", "*",
                                              ".prek-hook.json"))):
        data = _read_json(info)
        src = data.get("repo")
        if not isinstance(src, dict):
            continue
        key = (str(src.get("url")), str(src.get("rev")))
        if key not in wanted:
            continue
        env = os.path.dirname(info)
        version = _env_version(env)
        if version is not None:
            clone = clones.get(key)
            found.append(Install(version, _head(clone) if clone else None, env, "prek", *key))
    return found


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0])[:4])


def _same(cli: Install, env: Install) -> bool:
    if cli.version != env.version:
        return False
    return cli.commit is None or env.commit is None or cli.commit == env.commit


def compare(cli: Install, envs: list[Install]) -> list[Finding]:
    found = []
    for env in envs:
        if _same(cli, env):
            continue
        assert env.runner and env.repo and env.rev
        mine = f"{DIST} {cli.version or '(not installed)'}" + \
            (f" at {cli.commit[:12]}" if cli.commit else "") + f" ({cli.where})"
        theirs = f"{DIST} {env.version}" + (f" at {env.commit[:12]}" if env.commit else "") + \
            f" (rev {env.rev} of {env.repo}; environment {env.where})"
        runner = env.runner
        update_hooks = (
            f"{runner} autoupdate --repo {env.repo}"
            + (f" (or set rev: {cli.commit})" if cli.commit else "")
            + f", then {runner} install-hooks"
        )
        source = env.repo if "://" in env.repo else f"file://{os.path.abspath(env.repo)}"
        update_cli = (f'pipx install --force "{DIST} @ git+{source}@{env.rev}"'
                      f' (or: uv tool install --force "{DIST} @ git+{source}@{env.rev}")')
        if cli.version and env.version and _key(cli.version) > _key(env.version):
            which, hint = "the hooks are older: update them", update_hooks
        elif cli.version and env.version and _key(cli.version) < _key(env.version):
            which, hint = "the command is older: update it", update_cli
        else:
            which = "they were built from different commits: pick one"
            hint = f"run the hooks' version: {update_cli}; or move the hooks: {update_hooks}"
        found.append(Finding(
            "doctor-version-mismatch",
            f"the command is {mine}, but {runner} runs the hooks from {theirs}; {which}",
            hint, severity=WARNING, path=".pre-commit-config.yaml",
        ))
    return found


def diagnose(repo: git.Repo, cli: Optional[Install] = None) -> list[Finding]:
    entries = config_entries(repo.toplevel)
    envs = precommit_envs(entries) + prek_envs(entries)
    if not envs:
        return []
    return compare(cli or cli_install(), envs)
