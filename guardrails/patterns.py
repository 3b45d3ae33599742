"""gitignore-syntax path patterns (the same as ``.gitignore`` and CODEOWNERS).

Matching is pathspec's ``GitIgnoreSpec``: ``!`` re-excludes, the last matching pattern wins,
patterns are relative to the repository root, and matching is case-sensitive. With the ``fast``
extra (google-re2) pathspec's re2 backend is used: it matches 100,000 paths against 200 patterns
about 20 times faster than the pure-Python backend, which is the fallback.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
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
    import pathspec

    for p in patterns:
        if not p.strip() or p.lstrip().startswith("#"):
            raise PatternError(p, "an empty pattern or a comment matches nothing")
        try:
            pathspec.GitIgnoreSpec.from_lines([p])
        except Exception as e:  # pathspec raises its own GitIgnorePatternError (a ValueError)
            raise PatternError(p, str(e)) from None
    spec = pathspec.GitIgnoreSpec.from_lines([_git_equivalent(_bytewise(p)) for p in patterns],
                                             backend=backend or _backend())
    inner = getattr(getattr(spec, "_backend", None), "_set", None)
    if inner is not None and hasattr(inner, "Match"):
        spec._backend._set = _InOrder(inner)  # type: ignore[attr-defined]
    return spec


class _InOrder:
    """pathspec's re2 backend resolves an ``RE2::Set`` match in the order RE2 returns the ids,
    which RE2 leaves undefined, and its priority rule depends on that order (``!**``,
    ``/[ab]/?``, ``!*/`` gave ``a/A/A/a`` True with re2 and False with git and the simple
    backend). Ids are added in pattern order, so sorting them restores pattern order."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def Match(self, text: str) -> Any:  # re2.Set's method name
        ids = self._inner.Match(text)
        return sorted(ids, reverse=True) if ids else ids


class Matcher:
    """A compiled list of gitignore patterns."""

    def __init__(self, patterns: Sequence[str], backend: Optional[str] = None) -> None:
        self.patterns = tuple(patterns)
        self._spec = _spec(self.patterns, backend) if self.patterns else None

    def match(self, path: str) -> bool:
        """True when the last pattern that matches ``path`` is not a ``!`` pattern."""
        if self._spec is None:
            return False
        return bool(self._spec.match_file(_bytewise(path)))

    def matching(self, paths: Iterable[str]) -> set[str]:
        """The subset of ``paths`` that match."""
        if self._spec is None:
            return set()
        names = {_bytewise(p): p for p in paths}
        return {names[p] for p in self._spec.match_files(names)}


def validate(patterns: Sequence[str]) -> None:
    """Raise PatternError for the first pattern that cannot compile."""
    _spec(patterns)
