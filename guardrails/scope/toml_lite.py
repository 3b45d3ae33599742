"""The policy's usual TOML, read with str methods: ``tomllib`` costs ~5 ms of every commit
(with the ``typing``, ``datetime`` and ``string`` it imports and the regexes it compiles),
more than the rest of the policy code.

:func:`loads` accepts a strict subset of TOML 1.0 and returns exactly the ``dict`` that
``tomllib.loads`` returns for it; for anything else it returns None and the caller parses
with ``tomllib`` (which then also gives the error messages). The subset, line by line:

- blank lines and ``#`` comments; spaces and tabs as white space; ``\\n`` line ends (a
  ``\\r`` or any other control character but tab anywhere: None);
- table headers ``[a]`` / ``[a.b]`` of bare keys (``A-Za-z0-9_-``), no white space inside the
  brackets, each naming a table not defined before (super-tables created on the way);
- ``key = value`` with a bare key not yet in the table, the value one of: a basic string
  without backslashes (``"src/**"``), a literal string (``'src/**'``), ``true`` / ``false``,
  a decimal integer without sign, underscores or leading zeros, or an array (over any number
  of lines, comments and a trailing comma allowed) of such strings;
- after a header or a value: white space and an optional comment, then the line's end.

Nothing here decides what a policy means: ``scope.policy.parse`` validates the dict either
way. tests/test_toml_lite.py compares it with ``tomllib`` on every policy in the repository
and on generated near-misses.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from typing import Any, Optional

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_DIGITS = frozenset("0123456789")
# what TOML refuses in comments and strings: ASCII control characters but tab (and \r: the
# subset has \n line ends only)
_CONTROL = frozenset(chr(c) for c in (*range(0, 9), *range(10, 32), 127)) - {"\n"}


class _NotLite(Exception):
    """Outside the subset: tomllib decides."""


def loads(text: str) -> Optional[dict[str, Any]]:
    """``tomllib.loads(text)`` for a document of the subset, else None."""
    if not text.replace("\n", "").replace("\t", "").isprintable() and \
            any(c in _CONTROL for c in text):
        return None
    try:
        return _Reader(text).document()
    except _NotLite:
        return None


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.n = len(text)

    def document(self) -> dict[str, Any]:
        root: dict[str, Any] = {}
        table = root
        text, n = self.text, self.n
        while True:
            self._blank()
            if self.pos >= n:
                return root
            if text[self.pos] == "[":
                table = self._header(root)
            else:
                key = self._key()
                if key in table:
                    raise _NotLite
                table[key] = self._value()
            self._line_end()

    def _blank(self) -> None:
        """Past white space, comments and line ends."""
        text, n = self.text, self.n
        pos = self.pos
        while pos < n:
            c = text[pos]
            if c in " \t\n":
                pos += 1
            elif c == "#":
                end = text.find("\n", pos)
                pos = n if end < 0 else end
            else:
                break
        self.pos = pos

    def _space(self) -> None:
        text, n = self.text, self.n
        while self.pos < n and text[self.pos] in " \t":
            self.pos += 1

    def _line_end(self) -> None:
        """White space, an optional comment, then the end of the line (or of the text)."""
        self._space()
        text = self.text
        if self.pos < self.n and text[self.pos] == "#":
            end = text.find("\n", self.pos)
            self.pos = self.n if end < 0 else end
        if self.pos < self.n:
            if text[self.pos] != "\n":
                raise _NotLite
            self.pos += 1

    def _header(self, root: dict[str, Any]) -> dict[str, Any]:
        text = self.text
        end = text.find("]", self.pos)
        if end < 0 or text.startswith("[[", self.pos):
            raise _NotLite
        names = text[self.pos + 1:end].split(".")
        if not all(names) or not all(_BARE.issuperset(k) for k in names):
            raise _NotLite
        t = root
        for k in names[:-1]:
            v = t.get(k)
            if v is None:
                v = t[k] = {}
            elif not isinstance(v, dict):
                raise _NotLite
            t = v
        if names[-1] in t:
            raise _NotLite
        new: dict[str, Any] = {}
        t[names[-1]] = new
        self.pos = end + 1
        return new

    def _key(self) -> str:
        text, n = self.text, self.n
        start = pos = self.pos
        while pos < n and text[pos] in _BARE:
            pos += 1
        if pos == start:
            raise _NotLite
        key = text[start:pos]
        self.pos = pos
        self._space()
        if self.pos >= n or text[self.pos] != "=":
            raise _NotLite
        self.pos += 1
        self._space()
        return key

    def _value(self) -> Any:
        text = self.text
        if self.pos >= self.n:
            raise _NotLite
        c = text[self.pos]
        if c in "\"'":
            return self._string()
        if c == "[":
            return self._array()
        if c in _DIGITS:
            start = self.pos
            while self.pos < self.n and text[self.pos] in _DIGITS:
                self.pos += 1
            digits = text[start:self.pos]
            if len(digits) > 1 and digits[0] == "0":
                raise _NotLite
            return int(digits)
        for word, value in (("true", True), ("false", False)):
            if text.startswith(word, self.pos):
                self.pos += len(word)
                return value
        raise _NotLite

    def _string(self) -> str:
        text = self.text
        quote = text[self.pos]
        if text.startswith(quote * 3, self.pos):
            raise _NotLite
        end = text.find(quote, self.pos + 1)
        if end < 0:
            raise _NotLite
        value = text[self.pos + 1:end]
        if "\n" in value or (quote == '"' and "\\" in value):
            raise _NotLite
        self.pos = end + 1
        return value

    def _array(self) -> list[str]:
        text = self.text
        self.pos += 1
        out: list[str] = []
        while True:
            self._blank()
            if self.pos >= self.n:
                raise _NotLite
            if text[self.pos] == "]":
                self.pos += 1
                return out
            if text[self.pos] not in "\"'":
                raise _NotLite
            out.append(self._string())
            self._blank()
            if self.pos >= self.n:
                raise _NotLite
            if text[self.pos] == ",":
                self.pos += 1
            elif text[self.pos] != "]":
                raise _NotLite
