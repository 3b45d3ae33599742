"""Native git hooks: ``reference-transaction`` and ``pre-auto-gc``, which pre-commit and prek do
not manage, and ``post-checkout`` and ``post-commit``, which run on every checkout and commit
of humans too and so are cheapest as a shell script that starts Python only when there is work
(after.sh). ``install`` writes a small shell shim (shim.sh, after.sh: package data) into the hooks
directory git really uses (``git rev-parse --git-path hooks``, so ``core.hooksPath`` is honoured);
a hook of the same name that was there before is kept as ``<name>.legacy`` and runs first.
The shim starts Python (guardrails.refstore.native.reftx) only while some worktree has a session.
"""
from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from guardrails.errors import GuardrailsError

if TYPE_CHECKING:
    from guardrails import git

HOOKS = ("reference-transaction", "pre-auto-gc", "post-checkout", "post-commit")
# `install --pre-commit` only: ref-store-guard's shell fast path, for a repository whose
# pre-commit stage no hook runner (pre-commit, prek: the `guardrails` hook id) manages
OPTIONAL = ("pre-commit",)
# post-commit and pre-commit: commit.sh (verify-commit / ref-store-guard in shell for the common
# case); post-checkout: after.sh; others: shim.sh
TEMPLATES = {"post-checkout": "after.sh", "post-commit": "commit.sh", "pre-commit": "commit.sh"}
MARKER = "guardrails-shim-version:"
JOURNAL_MARKER = "guardrails-journal:"  # the journal definition a shim was written from
STATE = "install.json"


def hooks_dir(repo: git.Repo) -> str:
    from guardrails import git

    raw = git.out("rev-parse", "--path-format=absolute", "--git-path", "hooks",
                  cwd=repo.toplevel).decode(errors="surrogateescape").strip()
    return os.path.normpath(os.path.join(repo.toplevel, raw))


def render(hook: str, repo: git.Repo) -> str:
    from importlib import resources

    from guardrails.refstore import journal

    template = TEMPLATES.get(hook, "shim.sh")
    text = resources.files("guardrails.refstore.native").joinpath(template).read_text()
    for key, value in (("@HOOK@", hook), ("@PYTHON@", sys.executable),
                       ("@COMMON@", repo.common_dir)):
        text = text.replace(key, value.replace("'", "'\\''"))
    for key, value in journal.shell_constants().items():  # the journal's one definition
        text = text.replace(key, value)
    from guardrails.refstore.native import reftx

    run_python = resources.files("guardrails.refstore.native").joinpath("python.sh").read_text()
    return text.replace("@CHECKED_MAX@", str(reftx.CHECKED_MAX_BYTES)).replace(
        "@RUN_PYTHON@\n", run_python)


def is_ours(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return MARKER.encode() in f.read(2048)
    except OSError:
        return False


def _state_path(repo: git.Repo) -> str:
    return repo.common_path("guardrails", STATE)


def _load_state(repo: git.Repo) -> dict[str, Any]:
    try:
        with open(_state_path(repo)) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(path: str, text: str) -> None:
    tmp = f"{path}.guardrails-tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


def install(repo: git.Repo, pre_commit: bool = False) -> list[str]:
    """Install (or refresh) the shims; idempotent. Returns one line per hook for the user.
    ``pre_commit`` also installs the native pre-commit hook (ref-store-guard); one installed
    before is refreshed either way."""
    d = hooks_dir(repo)
    os.makedirs(d, exist_ok=True)
    state = _load_state(repo)
    recorded: dict[str, Any] = state.get("hooks", {}) if state.get("hooks_dir") == d else {}
    lines: list[str] = []
    extra = [n for n in OPTIONAL if pre_commit or is_ours(os.path.join(d, n))]
    for name in (*HOOKS, *extra):
        p = os.path.join(d, name)
        text = render(name, repo)
        legacy = p + ".legacy"
        chained = bool(recorded.get(name, {}).get("legacy"))
        if os.path.lexists(p) and not is_ours(p):
            if os.path.lexists(legacy):
                raise GuardrailsError(
                    f"cannot install {p}: a hook is already there and {legacy} exists too, so "
                    "there is no place to keep the existing hook",
                    f"merge {p} into {legacy} (or remove one of them), then: "
                    "git guardrails install")
            os.replace(p, legacy)
            chained = True
            lines.append(f"{name}: kept the existing hook as {legacy} (it runs first)")
        try:
            with open(p) as f:
                same = f.read() == text
        except OSError:
            same = False
        if same:
            lines.append(f"{name}: already installed at {p}")
        else:
            _write(p, text)
            lines.append(f"{name}: installed at {p}")
        recorded[name] = {"legacy": chained or os.path.lexists(legacy)}
    os.makedirs(os.path.dirname(_state_path(repo)), exist_ok=True)
    with open(_state_path(repo), "w") as f:
        json.dump({"hooks_dir": d, "hooks": recorded}, f, indent=1)
    return lines


def uninstall(repo: git.Repo) -> list[str]:
    """Remove the shims and put back the hooks they chained."""
    state = _load_state(repo)
    dirs = [hooks_dir(repo)]
    if isinstance(state.get("hooks_dir"), str) and state["hooks_dir"] not in dirs:
        dirs.append(state["hooks_dir"])
    lines: list[str] = []
    for d in dirs:
        for name in (*HOOKS, *OPTIONAL):
            p = os.path.join(d, name)
            if not is_ours(p):
                continue
            os.unlink(p)
            legacy = p + ".legacy"
            if os.path.lexists(legacy):
                os.replace(legacy, p)
                lines.append(f"{name}: removed; restored the previous hook at {p}")
            else:
                lines.append(f"{name}: removed from {d}")
    try:
        os.unlink(_state_path(repo))
    except FileNotFoundError:
        pass
    if not lines:
        lines.append("nothing to uninstall: no git-guardrails native hooks found")
    return lines


def installed(repo: git.Repo) -> bool:
    d = hooks_dir(repo)
    return all(is_ours(os.path.join(d, name)) for name in HOOKS)


def _version(text: str, marker: str = MARKER) -> str:
    i = text.find(marker)
    return text[i + len(marker):].split("\n", 1)[0].strip() if i >= 0 else ""


def outdated(repo: git.Repo) -> list[str]:
    """Installed shims older than this version's (``guardrails-shim-version``), or written
    from another definition of the journal than guardrails.refstore.journal's."""
    from importlib import resources

    from guardrails.refstore import journal

    files = resources.files("guardrails.refstore.native")
    journal_id = journal.shell_constants()["@JOURNAL_ID@"]
    old: list[str] = []
    for name in (*HOOKS, *OPTIONAL):
        template = files.joinpath(TEMPLATES.get(name, "shim.sh")).read_text()
        want = _version(template)
        p = os.path.join(hooks_dir(repo), name)
        try:
            with open(p) as f:
                head = f.read(4096)
        except OSError:
            continue
        have = _version(head)
        if have and (have != want or (JOURNAL_MARKER in template
                                      and _version(head, JOURNAL_MARKER) != journal_id)):
            old.append(p)
    return old
