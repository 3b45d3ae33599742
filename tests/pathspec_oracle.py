"""The pathspec-based guardrails.scope.patterns as it was before guardrails matched patterns itself
(moved here unchanged below this paragraph): the reference for tests/test_patterns.py's
differential test of guardrails.scope.patterns against pathspec 1.1.1.

gitignore-syntax path patterns (the same as ``.gitignore`` and CODEOWNERS).

Matching is pathspec's ``GitIgnoreSpec``: ``!`` re-excludes, the last matching pattern wins,
patterns are relative to the repository root, and matching is case-sensitive. With the ``fast``
extra (google-re2) pathspec's re2 backend is used: it matches 100,000 paths against 200 patterns
about 20 times faster than the pure-Python backend, which is the fallback.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    import pathspec

_BACKEND: Optional[str] = None


def _backend() -> str:
    global _BACKEND
    if _BACKEND is None:
        try:
            import re2  # noqa: F401
        except ImportError:
            _BACKEND = "simple"
        else:
            _BACKEND = "re2"
    return _BACKEND


class PatternError(ValueError):
    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"{pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


def _bytewise(s: str) -> str:
    """One character per byte of the name, as git's wildmatch sees it: ``?`` and ``[…]``
    match one byte, so ``?`` does not match the two-byte ``é``. Undecodable names (surrogate
    escapes) keep their bytes."""
    return s if s.isascii() else os.fsencode(s).decode("latin-1")


def _git_equivalent(pattern: str) -> str:
    """Rewrite what pathspec reads differently from git into git's meaning for file paths.

    ``X/**/`` (directories anywhere inside X): git matches no file directly in X, pathspec
    matches them all. ``X/*/`` selects the same files (those inside a directory inside X).
    """
    while pattern.endswith("/**/") or pattern in ("**/", "!**/"):
        pattern = pattern[:-3] + "*/"
    return pattern


def _spec(patterns: Sequence[str], backend: Optional[str] = None) -> pathspec.GitIgnoreSpec:
    return _compiled(tuple(patterns), backend or _backend())


@functools.lru_cache(maxsize=32)
def _compiled(patterns: tuple[str, ...], backend: str) -> pathspec.GitIgnoreSpec:
    """One compile per pattern list and backend in a process (the policy's validation and the
    scope check share it); a pattern that cannot compile raises PatternError naming it."""
    import pathspec

    for p in patterns:
        if not p.strip() or p.lstrip().startswith("#"):
            raise PatternError(p, "an empty pattern or a comment matches nothing")
    lines = [_git_equivalent(_bytewise(p)) for p in patterns]
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines, backend=backend)
    except Exception:  # pathspec raises its own GitIgnorePatternError (a ValueError)
        for p, line in zip(patterns, lines):
            for candidate in (p, line):
                try:
                    pathspec.GitIgnoreSpec.from_lines([candidate], backend="simple")
                except Exception as e:
                    raise PatternError(p, str(e)) from None
        raise


def _re2_resolver(spec: pathspec.GitIgnoreSpec) -> Optional[Callable[[str], bool]]:
    """Match with pathspec's compiled ``RE2::Set`` directly, resolving its ids here.

    pathspec's re2 backend resolves the ids in the order RE2 returns them, which RE2 leaves
    undefined, and its priority rule depends on that order (``!**``, ``/[ab]/?``, ``!*/`` gave
    ``a/A/A/a`` True with re2 and False with git and the simple backend); its per-path Python
    work is also most of the time for 100,000 paths. The rule, as the simple backend applies
    it: the last pattern that matches the path itself wins; failing that, the last pattern
    that matches one of its directories. None when pathspec's internals are not as expected
    (then pathspec matches, in its own way)."""
    backend = getattr(spec, "_backend", None)
    regex_set = getattr(backend, "_set", None)
    data = getattr(backend, "_regex_data", None)
    if regex_set is None or not isinstance(data, list) or not all(
            hasattr(d, "include") and hasattr(d, "is_dir_pattern") for d in data):
        return None
    include = [bool(d.include) for d in data]
    is_dir = [bool(d.is_dir_pattern) for d in data]
    raw = getattr(regex_set, "_set", None)  # google-re2's extension object: skips a wrapper
    set_match: Callable[[Any], Any] = regex_set.Match
    encode = False
    if raw is not None and hasattr(raw, "Match"):
        set_match, encode = raw.Match, True

    def resolve(path: str) -> bool:
        ids: list[int] = set_match(path.encode("utf-8", "surrogateescape") if encode else path)
        if not ids:
            return False
        if len(ids) == 1:
            return include[ids[0]]
        by_dir: Optional[bool] = None
        for i in sorted(ids, reverse=True):
            if not is_dir[i]:
                return include[i]
            if by_dir is None:
                by_dir = include[i]
        return bool(by_dir)

    return resolve


class Matcher:
    """A compiled list of gitignore patterns."""

    def __init__(self, patterns: Sequence[str], backend: Optional[str] = None) -> None:
        self.patterns = tuple(patterns)
        self._spec = _spec(self.patterns, backend) if self.patterns else None
        self._resolve = _re2_resolver(self._spec) if self._spec is not None else None

    def match(self, path: str) -> bool:
        """True when the last pattern that matches ``path`` is not a ``!`` pattern."""
        if self._spec is None:
            return False
        if self._resolve is not None:
            return self._resolve(_bytewise(path))
        return bool(self._spec.match_file(_bytewise(path)))

    def matching(self, paths: Iterable[str]) -> set[str]:
        """The subset of ``paths`` that match."""
        if self._spec is None:
            return set()
        resolve = self._resolve
        if resolve is not None:
            return {p for p in paths if resolve(p if p.isascii() else _bytewise(p))}
        names = {_bytewise(p): p for p in paths}
        return {names[p] for p in self._spec.match_files(names)}


def validate(patterns: Sequence[str]) -> None:
    """Raise PatternError for the first pattern that cannot compile."""
    _spec(patterns)
