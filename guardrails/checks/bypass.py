"""Skipped hooks: make skipping them fail, or at least show.

- ``check(ctx)`` (pre-commit stage, hook ``no-skipped-hooks`` and the combined ``guardrails``):
  ``SKIP``/``PREK_SKIP`` naming a guardrails hook, staged added lines that turn hooks or approvals
  off, hook types the guardrails need that are not installed for this worktree. When it passes
  it records the tree it checked, for ``require-checks``.
- ``check_commits(ctx, commits)``: the added lines of every agent commit of a range, read from
  the one ``git log -p`` the attestation check also uses.
- ``diagnose(repo)`` (``git-guardrails doctor``): every worktree's hooks, ``core.hooksPath``,
  ``GIT_CONFIG_*`` overrides, git aliases that skip hooks (``git config set alias.ci 'commit
  -n'``), and agent settings that turn hooks or approvals off.
"""
from __future__ import annotations

import functools
import json
import os
import re
import sys

from guardrails import git
from guardrails.findings import ERROR, WARNING, Finding, shell_path, show_path
from guardrails.git.patchlog import BIG
from guardrails.skipped.attestation import HOOK_IDS, skipped_ids

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any, Optional

    from guardrails.context import Context
    from guardrails.scope.changes import Commit

__all__ = ["HOOK_IDS", "check", "check_commits", "diagnose"]
# hook type -> (severity when missing, what needs it)
HOOK_TYPES = {
    "pre-commit": (ERROR, "the pre-commit-stage checks (guardrails, no-skipped-hooks)"),
    "prepare-commit-msg": (ERROR, "require-checks (refuses --no-verify, adds the attestation)"),
    "post-checkout": (WARNING, "record-baseline (records a session when a worktree is added; "
                               "git guardrails install provides it natively)"),
}
INSTALL_FIX = ("pre-commit install -t pre-commit -t prepare-commit-msg && git guardrails install"
               "   # or: prek install -t pre-commit -t prepare-commit-msg")
# Agent instruction files: a hook-skipping instruction there is an error, like in code.
AGENT_DOCS = ("AGENTS.md", "CLAUDE.md", "GEMINI.md", "CONVENTIONS.md", ".cursorrules",
              "copilot-instructions.md", ".windsurfrules", ".clinerules")
DOC_SUFFIXES = (".md", ".rst", ".txt", ".adoc")


class Pattern:
    """One compiled pattern and what its hit means (a plain class: typing.NamedTuple would
    import typing on every commit)."""

    __slots__ = ("rx", "what")

    def __init__(self, rx: re.Pattern[str], what: str) -> None:
        self.rx = rx
        self.what = what


_PATTERN_SOURCES: tuple[tuple[str, str], ...] = (
    (r"(?<![\w-])--no-verify\b", "`--no-verify` skips git hooks"),
    (r"\bcore\.hooksPath\b", "`core.hooksPath` moves or disables git hooks"),
    (r"(?<![\w-])HUSKY\s*[=:]\s*['\"]?0\b|\bHUSKY_SKIP_HOOKS\b", "`HUSKY=0` turns husky hooks off"),
    (r"(?-i:(?<![\w.-])(?:PREK_)?SKIP\s*=\s*['\"]?[\w-]|^\s*(?:PREK_)?SKIP\s*:\s*\S)",
     "`SKIP=` skips pre-commit/prek hooks"),
    (r"\bPRE_COMMIT_ALLOW_NO_CONFIG\b", "`PRE_COMMIT_ALLOW_NO_CONFIG` lets hooks pass without "
     "a config"),
    (r"--dangerously-skip-permissions\b|\bbypassPermissions\b",
     "Claude Code bypass mode turns approvals off"),
    (r"\bdisableAllHooks\b", "`disableAllHooks` turns Claude Code hooks off"),
    (r"(?<![\w-])--yolo\b|--approval-mode[= ]yolo\b|"
     r"--dangerously-bypass-approvals-and-sandbox\b",
     "yolo mode turns agent approvals off"),
    (r"\bapproval_policy\s*=\s*['\"]never['\"]|\bdanger-full-access\b",
     "Codex runs without approvals or sandbox"),
    (r"\bgit-commit-verify\s*:\s*(?:false|no|off)\b|--no-git-commit-verify\b|"
     r"\bAIDER_GIT_COMMIT_VERIFY\s*[=:]\s*['\"]?(?:false|0|no)\b",
     "Aider commits with `--no-verify`"),
)
# Cheap first pass over the added text (lower-cased): regexes are compiled only on a hit.
_LITERALS = ("--no-verify", "hookspath", "husky", "skip", "pre_commit_allow_no_config",
             "dangerously", "bypasspermissions", "disableallhooks", "yolo", "approval_policy",
             "danger-full-access", "commit-verify", "commit -")


@functools.lru_cache(maxsize=1)
def patterns() -> tuple[tuple[Pattern, ...], re.Pattern[str]]:
    """The compiled patterns, and the ``git … commit … -n`` shape read as shell."""
    return (tuple(Pattern(re.compile(rx, re.IGNORECASE), what) for rx, what in _PATTERN_SOURCES),
            re.compile(r"\bgit\b.*\bcommit\b.*\s-[A-Za-z]*n"))


def _is_agent_doc(path: str) -> bool:
    return os.path.basename(path) in AGENT_DOCS or "/.cursor/rules/" in f"/{path}" \
        or "/.claude/" in f"/{path}"


def line_reasons(line: str) -> list[str]:
    """Why one added line turns hooks or approvals off (empty: it does not). Lines shaped like
    ``git … commit … -n`` or a git alias definition (``git config [set] alias.x …``,
    ``git -c alias.x=…``) are read as shell by guardrails.skipped.shellcmd, so an alias that
    expands to ``commit -n`` is caught and a message that mentions ``-n`` is not."""
    pats, commit_n = patterns()
    found = [p.what for p in pats if p.rx.search(line)]
    if not found and (commit_n.search(line) or _shell_rx()[0].search(line)):
        from guardrails.skipped import shellcmd

        # the line itself, and from each `git` on (YAML `run: git …`, a Makefile recipe)
        starts = [0, *[m.start() for m in _shell_rx()[1].finditer(line)][:3]]
        for start in starts:
            found += [r.message for r in shellcmd.analyze(line[start:]).reasons
                      if r.rule == shellcmd.SKIPS_HOOKS]
    return list(dict.fromkeys(found))


@functools.lru_cache(maxsize=1)
def _shell_rx() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A git alias definition; a ``git`` word (compiled on first use, not on every commit)."""
    return (re.compile(r"\bgit\b.*\balias\.", re.IGNORECASE),
            re.compile(r"(?<![\w./-])git\b"))


def alias_findings(aliases: Mapping[str, str], where: str) -> list[Finding]:
    """``alias.NAME`` values (from git config or ``GIT_CONFIG_KEY_n``) that run git with hooks
    skipped (``commit --no-verify``, ``!git push --no-verify`` …), as shellcmd reads them."""
    from guardrails.skipped import shellcmd

    found = []
    for key, value in aliases.items():
        name = key.split(".", 1)[1] if "." in key else key
        whys = shellcmd.alias_reasons(value)
        if whys:
            found.append(Finding(
                "bypass-git-alias",
                f"{where}: the git alias `{name}` = {value!r} skips hooks: {whys[0]}",
                f"git config --unset alias.{name}   (git >= 2.46: git config unset "
                f"alias.{name}); commit and push without --no-verify",
            ))
    return found


def env_alias_findings(env: Mapping[str, str]) -> list[Finding]:
    """Aliases defined through ``GIT_CONFIG_COUNT/KEY/VALUE`` in an environment."""
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    except ValueError:
        count = 0
    aliases = {}
    for n in range(min(count, 1000)):
        key = env.get(f"GIT_CONFIG_KEY_{n}", "").strip()
        if key.lower().startswith("alias."):
            aliases[key] = env.get(f"GIT_CONFIG_VALUE_{n}", "")
    return alias_findings(aliases, "GIT_CONFIG_KEY/VALUE in this environment")


def _scan_patch(text: str, commit: Optional[str], policy: Optional[str]) -> list[Finding]:
    """Added lines of one diff (-U0) that turn hooks off, with file and line (unidiff)."""
    from unidiff import PatchSet  # type: ignore[attr-defined]
    from unidiff.errors import UnidiffParseError

    try:
        patch = PatchSet(text.splitlines(keepends=True))
    except UnidiffParseError:
        return _scan_plain(text, commit, policy)
    found: list[Finding] = []
    for pf in patch:
        path = pf.path
        for hunk in pf:
            for line in hunk:
                if not line.is_added:
                    continue
                found += _line_findings(path, line.target_line_no, line.value, commit, policy)
    return found


def _scan_plain(text: str, commit: Optional[str], policy: Optional[str]) -> list[Finding]:
    """Fallback for diffs unidiff cannot read: file names from ``+++`` lines, no line numbers."""
    found: list[Finding] = []
    path = "?"
    for line in text.splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else line[4:]
        elif line.startswith("+"):
            found += _line_findings(path, None, line[1:], commit, policy)
    return found


def diff_path(name: str) -> str:
    """The real path of a diff header's file name: git C-quotes names with control characters,
    quotes or non-ASCII bytes (``"b/caf\\303\\251.sh"``); undo that and the a/ b/ prefix."""
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = os.fsdecode(git.unquote(os.fsencode(name)))
        if name.startswith(("a/", "b/")):
            name = name[2:]
    return name


def _line_findings(path: str, lineno: Optional[int], value: str, commit: Optional[str],
                   policy: Optional[str]) -> list[Finding]:
    whys = line_reasons(value)
    if not whys:
        return []
    path = diff_path(path)
    doc = path.lower().endswith(DOC_SUFFIXES) and not _is_agent_doc(path)
    where = f"{show_path(path)}:{lineno}" if lineno else show_path(path)
    fix = (f"remove it from {where} (git restore --staged -p -- {shell_path(path)})"
           if commit is None else
           f"remove it in a new commit (git show {commit[:12]} -- {shell_path(path)})")
    return [Finding(
        "bypass-added-line",
        f"{where}: {'; '.join(dict.fromkeys(whys))}: {value.strip()[:120]}",
        fix + "; hooks are the floor agent commits must clear",
        severity=WARNING if doc else ERROR, path=path, line=lineno, commit=commit,
        policy=policy,
    )]


def scan_diff(data: bytes, commit: Optional[str] = None,
              policy: Optional[str] = None) -> list[Finding]:
    """Findings for the added lines of a ``-U0`` diff; unidiff is imported only on a hit."""
    if not data:
        return []
    text = data.decode("utf-8", errors="surrogateescape")
    added = "\n".join(ln[1:] for ln in text.splitlines()
                      if ln.startswith("+") and not ln.startswith("+++ "))
    low = added.lower()
    if not any(lit in low for lit in _LITERALS):
        return []
    return _scan_patch(text, commit, policy)


# --- SKIP / PREK_SKIP --------------------------------------------------------------------------

def skip_findings(env: Mapping[str, str], policy: Optional[str] = None) -> list[Finding]:
    found: list[Finding] = []
    for var, names in skipped_ids(env).items():
        ours = [n for n in names if n in HOOK_IDS]
        others = [n for n in names if n not in HOOK_IDS]
        if ours:
            found.append(Finding(
                "bypass-skip-env",
                f"{var}={env[var]} skips guardrails hook(s) {', '.join(ours)} in an agent commit",
                f"commit without it: unset {var}   (or: env -u {var} git commit …)",
                policy=policy,
            ))
        if others:
            found.append(Finding(
                "bypass-skip-env",
                f"{var} skips hook(s) {', '.join(others)}: hooks are the floor agent commits "
                "must clear",
                f"unset {var} and fix what those hooks report",
                severity=WARNING, policy=policy,
            ))
    return found


# --- hook types and core.hooksPath ------------------------------------------------------------

def hooks_dir(repo: git.Repo, worktree: Optional[str] = None,
              config: Optional[dict[str, str]] = None) -> tuple[str, Optional[str]]:
    """(resolved hooks directory, raw ``core.hooksPath`` or None) for a worktree, as git
    resolves it there: a relative value is relative to that worktree's top level. ``config``:
    values already read with git.config() in that worktree (saves a git process)."""
    top = worktree or repo.toplevel
    if config is None:
        config = git.config(top, r"^core\.hookspath$")
    raw = config.get("core.hookspath")
    if raw is None:
        return repo.common_path("hooks"), None
    return os.path.join(top, os.path.expanduser(raw)), raw


def missing_hook_types(directory: str) -> list[str]:
    return [t for t in HOOK_TYPES
            if not (os.path.isfile(os.path.join(directory, t))
                    and os.access(os.path.join(directory, t), os.X_OK))]


def hook_type_findings(directory: str, raw: Optional[str], where: str,
                       policy: Optional[str] = None) -> list[Finding]:
    found: list[Finding] = []
    missing = missing_hook_types(directory)
    if raw is not None and not os.path.isdir(directory):
        found.append(Finding(
            "bypass-hookspath",
            f"{where}: core.hooksPath = {raw!r} resolves to {directory}, which does not exist: "
            "git silently runs no hooks here"
            + (" (a relative core.hooksPath resolves in each worktree separately)"
               if not os.path.isabs(os.path.expanduser(raw)) else ""),
            "git config --unset-all core.hooksPath   # then install the hooks again: "
            + INSTALL_FIX,
            policy=policy,
        ))
        return found
    for t in missing:
        sev, why = HOOK_TYPES[t]
        found.append(Finding(
            "bypass-hook-missing",
            f"{where}: the {t} hook is not installed in {directory}: {why} cannot run",
            INSTALL_FIX, severity=sev, policy=policy,
        ))
    return found


def relative_hookspath_findings(repo: git.Repo, raw: str,
                                policy: Optional[str] = None) -> list[Finding]:
    """A relative core.hooksPath resolves in each worktree: warn for every other worktree where
    it does not exist (git silently runs no hook there; a git-ignored ``.husky/_`` is typical)."""
    found = []
    here = os.path.realpath(repo.toplevel)
    from guardrails.git import worktrees

    for top in [os.path.dirname(repo.common_dir.rstrip(os.sep)), *worktrees.linked_tops(repo)]:
        if os.path.realpath(top) == here or not os.path.isdir(top):
            continue
        if not os.path.isdir(os.path.join(top, raw)):
            found.append(Finding(
                "bypass-hookspath",
                f"worktree {top}: the relative core.hooksPath {raw!r} does not exist there, so "
                "git silently runs no hooks for commits made in it",
                "git config --unset-all core.hooksPath   # then: " + INSTALL_FIX,
                severity=WARNING, policy=policy,
            ))
    return found


def env_hookspath_findings(env: Mapping[str, str]) -> list[Finding]:
    """``GIT_CONFIG_COUNT/KEY/VALUE`` and ``GIT_CONFIG_PARAMETERS`` overriding core.hooksPath."""
    found: list[Finding] = []
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    except ValueError:
        count = 0
    for n in range(count):
        if env.get(f"GIT_CONFIG_KEY_{n}", "").strip().lower() == "core.hookspath":
            found.append(Finding(
                "bypass-env-hookspath",
                f"GIT_CONFIG_KEY_{n}=core.hooksPath with GIT_CONFIG_VALUE_{n}="
                f"{env.get(f'GIT_CONFIG_VALUE_{n}', '')!r} in this environment: git runs no "
                "repository hooks for these commands (Gemini CLI sets it for every command)",
                f"remove the override: unset GIT_CONFIG_COUNT GIT_CONFIG_KEY_{n} "
                f"GIT_CONFIG_VALUE_{n}; for Gemini CLI, run git outside it or wire "
                "git-guardrails agent-hook into its BeforeTool hooks",
            ))
    if "core.hookspath" in env.get("GIT_CONFIG_PARAMETERS", "").lower():
        found.append(Finding(
            "bypass-env-hookspath",
            "GIT_CONFIG_PARAMETERS sets core.hooksPath (git -c core.hooksPath=…) in this "
            "environment",
            "unset GIT_CONFIG_PARAMETERS",
        ))
    return found


# --- the pre-commit stage -----------------------------------------------------------------------

# A line longer than this is scanned in pieces (with an overlap, so a literal cut in two is
# still found): memory stays bounded by it whatever the file holds.
LONG_LINE = 1 << 20
_OVERLAP = 4096


def prefetch(repo: git.Repo) -> None:
    """Start the fingerprint's and the staged patch's git commands ahead (see git.prefetch;
    the patch waits in its pipe until the tee into ``git patch-id`` collects it)."""
    from guardrails.skipped import attestation

    git.prefetch(*attestation.fingerprint_args(), cwd=repo.toplevel)
    git.prefetch(*attestation.staged_args(), cwd=repo.toplevel)


class StagedLines:
    """The added lines of a ``-U0`` diff stream (the attestation's ``--text`` diff of the
    index) scanned as git writes them, in pieces of at most a chunk (plus one line, bounded by
    :data:`LONG_LINE`): the bypass findings with their file and line. Nothing is held but the
    current piece, so memory does not grow with the staged file's size. A file whose hunks
    hold a NUL byte is binary content (``--text`` shows its bytes as lines): the rest of its
    section is skipped, not line-scanned (``binary`` lists it). .gitattributes cannot hide a
    text file: ``-diff``/``binary`` change nothing under ``--text``.

    Hunks are found with ``str.find`` and ``+`` lines counted with ``str.count`` (C speed);
    only a line holding a literal (case folded as ``str.lower`` folds it, a Kelvin sign
    included) is looked at line by line (:func:`line_reasons`)."""

    def __init__(self, policy: Optional[str] = None) -> None:
        self.policy = policy
        self.found: list[Finding] = []
        self.binary: list[str] = []  # the sections skipped as binary content
        self._carry = b""
        self._section: Optional[str] = None  # the path of the current ``diff --git`` section
        self._path: Optional[str] = None  # its ``+++ b/`` name, once seen
        self._hunk = False  # inside a hunk (after its ``@@`` line)
        self._line = 0  # the new-side line number of the hunk's next ``+`` line
        self._cut: Optional[bool] = None  # a line cut at LONG_LINE: whether it is a + line
        self._cut_found = False  # that line has its finding already
        self._skip = False  # the current section is binary content: skipped to its end
        self._mid = False  # the carry is a skipped section's tail, not the start of a line

    def feed(self, chunk: bytes) -> None:
        if self._skip and self._cut is None:  # binary content: bytes, up to the next file
            # the carry starts a line (the rest of a block) unless it is a skipped tail
            data = (b"" if self._mid else b"\n") + self._carry + chunk
            at = data.find(b"\ndiff --git ")
            if at == -1:
                self._carry, self._mid = data[-12:], True  # a header cut in two: next time
                return
            self._carry, self._mid, chunk = b"", False, data[at + 1:]
            self._hunk = False
        cut = chunk.rfind(b"\n") + 1
        if not cut:
            self._carry += chunk
            if len(self._carry) > LONG_LINE:
                self._long()
            return
        block, self._carry = self._carry + chunk[:cut], chunk[cut:]
        self._block(block.decode("utf-8", "surrogateescape"))

    def finish(self) -> list[Finding]:
        if self._carry:
            self._block(self._carry.decode("utf-8", "surrogateescape") + "\n")
            self._carry = b""
        return self.found

    def _long(self) -> None:
        """A line longer than LONG_LINE so far: scan what came of it, keep an overlap (a
        literal cut in two is found in the next piece)."""
        if self._skip or (self._hunk and b"\0" in self._carry):  # binary content
            if not self._skip and self._section is not None:
                self.binary.append(self._section)
            self._skip, self._carry = True, b""
            return
        piece = self._carry.decode("utf-8", "surrogateescape")
        if self._cut is None:
            self._cut = self._hunk and piece.startswith("+")
            self._cut_found = False
        else:
            piece = "+" + piece
        if self._cut and not self._cut_found:
            self._cut_found = self._hits(piece, 0, len(piece))
        self._carry = self._carry[-_OVERLAP:]

    def _block(self, text: str) -> None:
        """Whole lines: headers one by one, each hunk's body in one piece."""
        pos, n = 0, len(text)
        if self._cut is not None:  # the rest of a cut line, up to its newline
            pos = text.find("\n") + 1
            if self._cut:
                if not self._cut_found:
                    self._hits("+" + text[:pos], 0, pos + 1)
                self._line += 1
            self._cut = None
        while pos < n:
            if self._skip and not text.startswith("diff --git ", pos):
                pos = _find(text, "\ndiff --git ", pos) + 1
                continue
            if not self._hunk or text.startswith(("@@ ", "diff --git "), pos):
                eol = text.find("\n", pos) + 1 or n
                self._header(text[pos:eol - 1])
                pos = eol
                continue
            stop = min(_find(text, "\n@@ ", pos), _find(text, "\ndiff --git ", pos)) + 1
            stop = min(stop, n)
            if text.find("\0", pos, stop) != -1:  # binary content: no line scan
                self._skip = True
                if self._section is not None:
                    self.binary.append(self._section)
                continue
            self._hits(text, pos, stop)
            self._line += text.count("\n+", pos, stop - 1) + (text[pos] == "+")
            pos = stop

    def _header(self, line: str) -> None:
        if line.startswith("diff --git "):
            from guardrails.git.patchlog import _header_path

            raw = line[11:].encode("utf-8", "surrogateescape")
            self._section = git.decode_path(_header_path(raw))
            self._path, self._hunk, self._skip = None, False, False
        elif line.startswith("@@ "):
            parts = line.split(" ", 3)
            new = parts[2] if len(parts) > 2 else "+0"
            self._line = int(new[1:].split(",", 1)[0] or 0)
            self._hunk = True
        elif line.startswith("+++ "):
            self._path = diff_path(line[4:]) if line[4:].startswith('"') else \
                (line[6:] if line.startswith("+++ b/") else line[4:])

    def _hits(self, text: str, start: int, stop: int) -> bool:
        """Findings for the ``+`` lines of ``text[start:stop]`` (one hunk's body, or a piece
        of one line) that hold a literal; whether there was one."""
        seg = text[start:stop]
        low = seg.lower()
        if len(low) != len(seg):  # a character whose lower case is longer: line by line
            hits, at = [], 0
            for ln in seg.split("\n"):
                if ln.startswith("+") and any(lit in ln.lower() for lit in _LITERALS):
                    hits.append(at)
                at += len(ln) + 1
        else:
            hits = sorted(_hit_starts(low))
        path = self._path or self._section or "?"
        before = len(self.found)
        for ls in hits:
            eol = seg.find("\n", ls)
            value = seg[ls + 1:eol if eol != -1 else len(seg)]
            lineno = self._line + seg.count("\n+", 0, ls) + (ls > 0 and seg[0] == "+")
            self.found += _line_findings(path, lineno, value, None, self.policy)
        return len(self.found) > before


def _find(text: str, needle: str, pos: int) -> int:
    i = text.find(needle, pos)
    return len(text) if i == -1 else i


def _hit_starts(low: str) -> set[int]:
    """Starts of the ``+`` lines of ``low`` (lower-cased hunk lines) that hold a literal."""
    starts: set[int] = set()
    for lit in _LITERALS:
        i = low.find(lit)
        while i != -1:
            ls = low.rfind("\n", 0, i) + 1
            if low.startswith("+", ls):
                starts.add(ls)
            nl = low.find("\n", i)
            i = -1 if nl == -1 else low.find(lit, nl)
    return starts


def staged_findings(repo: git.Repo, policy: Optional[str] = None) -> tuple[list[Finding], str]:
    """The bypass findings of the index's added lines and the patch id of its diff: the
    attestation's one ``--text`` diff of the index streamed into ``git patch-id`` and through
    :class:`StagedLines` on the way, never held (a 150 MB file is diffed once per commit)."""
    from guardrails.skipped import attestation

    scan = StagedLines(policy)
    pid = attestation.staged_patch_id(repo, on_chunk=scan.feed)
    return scan.finish(), pid


def check(ctx: Context) -> list[Finding]:
    if not ctx.enforced:
        return []
    from guardrails.skipped import attestation

    policy = ctx.scope_source or None
    found = skip_findings(os.environ, policy)
    found += env_hookspath_findings(os.environ)
    directory, raw = hooks_dir(ctx.repo, config=ctx.config)
    found += hook_type_findings(directory, raw, "this worktree", policy)
    if raw is not None and not os.path.isabs(os.path.expanduser(raw)):
        found += relative_hookspath_findings(ctx.repo, raw, policy)
    digest = attestation.staged_fingerprint(ctx.repo)  # the index as it is checked now
    hits, pid = staged_findings(ctx.repo, policy)  # streamed: a 150 MB file is never held
    found += hits
    if not any(f.severity == ERROR for f in found):
        attestation.record_digest(ctx.repo, digest, pid)
    return found


@functools.lru_cache(maxsize=1)
def _literal_rx() -> Any:
    """The literals as one case-insensitive RE2 alternation over Latin-1 bytes (ASCII letters
    fold only to each other, as ``bytes.lower`` folds them), or None without google-re2: one
    DFA pass instead of a ``find`` pass per literal (0.1 s instead of 0.8 s over the 80 MB
    patch of 10,000 commits)."""
    try:
        import re2
    except ImportError:
        return None
    opts = re2.Options()
    opts.encoding = re2.Options.Encoding.LATIN1
    opts.case_sensitive = False
    return re2.compile(b"|".join(re.escape(lit.encode()) for lit in _LITERALS), options=opts)


# Below this many bytes the per-literal ``find`` passes take well under a millisecond, less
# than importing google-re2 (a staged diff, a pull request of a few commits): the size at
# which the patch log calls a stream big.
RE2_ABOVE = BIG


def hit_lines(data: bytes, big: bool = False) -> list[int]:
    """Offsets of the added lines (``+`` lines) of a patch stream that contain one of the
    literals: C-speed search over the whole stream, no per-line Python loop. ``big``: ``data``
    is a piece of a larger stream (RE2 pays whatever this piece's size)."""
    rx = _literal_rx() if big or len(data) > RE2_ABOVE else None
    if rx is not None:
        found: list[int] = []
        m = rx.search(data)
        while m is not None:
            ls = data.rfind(b"\n", 0, m.start()) + 1
            if data.startswith(b"+", ls) and not data.startswith(b"+++ ", ls):
                found.append(ls)
            nl = data.find(b"\n", m.start())
            m = None if nl == -1 else rx.search(data, nl)
        return found
    low = data.lower()
    starts: set[int] = set()
    for lit in _LITERALS:
        needle = lit.encode()
        i = low.find(needle)
        while i != -1:
            ls = low.rfind(b"\n", 0, i) + 1
            if low.startswith(b"+", ls) and not low.startswith(b"+++ ", ls):
                starts.add(ls)
            nl = low.find(b"\n", i)
            i = -1 if nl == -1 else low.find(needle, nl)
    return sorted(starts)


def check_commits(ctx: Context, commits: list[Commit]) -> list[Finding]:
    """The added lines of every agent commit, from the range's patch log (ctx.patches: the
    ``git log -p`` the attestation check reads too, scanned with :func:`hit_lines` while git
    wrote it); only commits with a literal hit are parsed."""
    agent = {c.oid for c in commits if ctx.is_agent_commit(c)}
    if not agent:
        return []
    oids = [c.oid for c in commits]
    hits = ctx.patches(oids).hit_patches(oids, hit_lines)
    found: list[Finding] = []
    for c in commits:
        if c.oid in hits and c.oid in agent:
            found += scan_diff(hits[c.oid], c.oid, ctx.scope_source or None)
    return found


# --- doctor -------------------------------------------------------------------------------------

def _load_json(path: str) -> Optional[Any]:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return None


def _dig(data: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data


def agent_config_findings(dirs: Iterable[str], env: Mapping[str, str]) -> list[Finding]:
    """Agent settings in ``dirs`` (worktrees, home) that turn hooks or approvals off."""
    found: list[Finding] = []
    seen: set[str] = set()
    for d in dirs:
        # Aider: its default (git-commit-verify: false) commits with --no-verify
        p = os.path.join(d, ".aider.conf.yml")
        if os.path.isfile(p) and p not in seen:
            seen.add(p)
            with open(p, encoding="utf-8", errors="replace") as f:
                m = re.search(r"^\s*git-commit-verify\s*:\s*['\"]?(\w+)", f.read(), re.MULTILINE)
            if m is None or m.group(1).lower() not in ("true", "yes", "on"):
                found.append(Finding(
                    "bypass-agent-config",
                    f"{p}: " + ("no `git-commit-verify: true`: Aider's default commits with "
                                "--no-verify, skipping every hook" if m is None else
                                f"git-commit-verify: {m.group(1)} makes Aider commit with "
                                "--no-verify"),
                    f"set `git-commit-verify: true` in {p}",
                    path=p,
                ))
        for name in ("settings.json", "settings.local.json"):
            p = os.path.join(d, ".claude", name)
            data = _load_json(p) if p not in seen else None
            seen.add(p)
            if data is None:
                continue
            if _dig(data, "permissions", "defaultMode") == "bypassPermissions":
                found.append(Finding(
                    "bypass-agent-config",
                    f"{p}: permissions.defaultMode = \"bypassPermissions\": Claude Code runs "
                    "every command and edit without approval",
                    f"set \"defaultMode\": \"acceptEdits\" (or remove it) in {p}",
                    path=p,
                ))
            if _dig(data, "disableAllHooks") is True:
                found.append(Finding(
                    "bypass-agent-config",
                    f"{p}: disableAllHooks = true: Claude Code runs no hooks (agent-hook "
                    "included)",
                    f"remove \"disableAllHooks\" from {p}", path=p,
                ))
            senv = _dig(data, "env")
            if isinstance(senv, dict):
                for f_ in skip_findings({k: str(v) for k, v in senv.items()}) + \
                        env_hookspath_findings({k: str(v) for k, v in senv.items()}):
                    found.append(Finding("bypass-agent-config", f"{p}: env: {f_.message}",
                                         f"remove it from \"env\" in {p}", path=p))
        p = os.path.join(d, ".codex", "config.toml")
        if os.path.isfile(p) and p not in seen:
            seen.add(p)
            found += _codex_findings(p)
        p = os.path.join(d, ".gemini", "settings.json")
        data = _load_json(p) if p not in seen else None
        seen.add(p)
        if data is not None:
            mode = _dig(data, "general", "defaultApprovalMode") or _dig(data, "approvalMode")
            if mode == "yolo" or _dig(data, "yolo") is True:
                found.append(Finding(
                    "bypass-agent-config",
                    f"{p}: approval mode yolo: Gemini CLI runs every tool call without approval",
                    f"set \"general\": {{\"defaultApprovalMode\": \"default\"}} in {p}", path=p,
                ))
    v = env.get("AIDER_GIT_COMMIT_VERIFY")
    if v is not None and v.strip().lower() not in ("true", "1", "yes", "on"):
        found.append(Finding(
            "bypass-agent-config",
            f"AIDER_GIT_COMMIT_VERIFY={v} in this environment: Aider commits with --no-verify",
            "export AIDER_GIT_COMMIT_VERIFY=true",
        ))
    return found


def _codex_findings(path: str) -> list[Finding]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, ValueError) as e:
        return [Finding("bypass-agent-config", f"{path}: cannot be read: {e}",
                        f"fix the TOML syntax of {path}", severity=WARNING, path=path)]
    tables: list[tuple[str, Any]] = [("", data)]
    profiles = data.get("profiles")
    if isinstance(profiles, dict):
        tables += [(f"profiles.{k}.", v) for k, v in profiles.items()]
    found: list[Finding] = []
    for prefix, table in tables:
        if not isinstance(table, dict):
            continue
        if table.get("approval_policy") == "never":
            found.append(Finding(
                "bypass-agent-config",
                f"{path}: {prefix}approval_policy = \"never\": Codex runs commands without "
                "asking",
                f"set {prefix}approval_policy = \"on-request\" in {path}", path=path,
            ))
        if table.get("sandbox_mode") == "danger-full-access":
            found.append(Finding(
                "bypass-agent-config",
                f"{path}: {prefix}sandbox_mode = \"danger-full-access\": Codex can write .git "
                "(hooks, config) without a sandbox",
                f"set {prefix}sandbox_mode = \"workspace-write\" in {path}", path=path,
            ))
    return found


def diagnose(repo: git.Repo) -> list[Finding]:
    """Doctor: every worktree's hooks and ``core.hooksPath``, environment overrides, agent
    settings that turn hooks or approvals off."""
    found: list[Finding] = []
    from guardrails.git import worktrees

    tops = worktrees.tops(repo)
    for top in tops:
        directory, raw = hooks_dir(repo, top)
        found += hook_type_findings(directory, raw, f"worktree {top}")
        if raw is not None and os.path.isdir(directory) and \
                os.path.realpath(directory) != os.path.realpath(repo.common_path("hooks")):
            found.append(Finding(
                "bypass-hookspath",
                f"worktree {top}: core.hooksPath = {raw!r}: hooks run from {directory}, not "
                f"{repo.common_path('hooks')} (pre-commit refuses to install there; check "
                "that the guardrails hooks are what runs)",
                "git config --unset-all core.hooksPath && " + INSTALL_FIX.split("   #")[0],
                severity=WARNING,
            ))
    found += env_hookspath_findings(os.environ)
    found += alias_findings(git.config(repo.toplevel, r"^alias\."), "git config")
    found += env_alias_findings(os.environ)
    found += agent_config_findings([*tops, os.path.expanduser("~")], os.environ)
    cfg = os.path.join(repo.toplevel, ".pre-commit-config.yaml")
    if os.path.isfile(cfg):
        with open(cfg, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if not re.search(r"id:\s*['\"]?require-checks\b", text):
            found.append(Finding(
                "bypass-hook-missing",
                f"{cfg}: the require-checks hook is not configured: agent commits get no "
                "attestation and --no-verify goes unnoticed until CI",
                "add `- id: require-checks` under the git-guardrails repo's hooks",
                severity=WARNING, path=cfg,
            ))
    return found
