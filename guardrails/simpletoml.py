"""The TOML a policy is usually written in, read without importing tomllib.

``tomllib`` costs ~4.5 ms to import (its parser, its regular expressions, datetime, string),
about a tenth of ``git guardrails ci`` over a short range. Policies use a small part of TOML:
``[table]`` and ``[table.sub]`` headers with bare keys, ``key = value`` with bare keys, and
values that are basic or literal strings without escapes, decimal integers, booleans and
arrays of those (over several lines, with comments and a trailing comma). :func:`loads` reads
exactly that and returns what ``tomllib.loads`` returns for it; for anything else — an escape,
a quoted or dotted key, an inline table, a float, a date, a multi-line string, a table or key
defined twice, a control character, a CR — it returns None, and the caller asks tomllib, which
decides (and words the error of invalid TOML). tests/test_simpletoml.py compares the two on
generated documents, valid and not.
"""
from __future__ import annotations

_BARE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_DIGITS = frozenset("0123456789")
_END = frozenset(" \t\n#,]")  # what may follow a number or a boolean


class _Beyond(Exception):
    """Not in the subset: tomllib decides."""


def _plain(s: str) -> bool:
    """No control character but tab (TOML allows none in strings and comments)."""
    return all(c == "\t" or ("\x1f" < c != "\x7f") for c in s)


class _Reader:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)

    def peek(self) -> str:
        return self.s[self.i] if self.i < self.n else ""

    def blank(self) -> None:
        """Spaces and tabs."""
        while self.i < self.n and self.s[self.i] in " \t":
            self.i += 1

    def comment(self) -> None:
        """A comment, if one starts here, up to (not including) its newline."""
        if self.peek() != "#":
            return
        end = self.s.find("\n", self.i)
        end = self.n if end == -1 else end
        if not _plain(self.s[self.i + 1:end]):
            raise _Beyond
        self.i = end

    def line_end(self) -> None:
        """Blanks, a comment, then a newline or the end."""
        self.blank()
        self.comment()
        if self.i < self.n:
            if self.s[self.i] != "\n":
                raise _Beyond
            self.i += 1

    def gaps(self) -> None:
        """Blanks, comments and newlines (inside an array)."""
        while True:
            self.blank()
            self.comment()
            if self.peek() != "\n":
                return
            self.i += 1

    def key(self) -> str:
        start = self.i
        while self.i < self.n and self.s[self.i] in _BARE:
            self.i += 1
        if self.i == start:
            raise _Beyond
        return self.s[start:self.i]

    def string(self, quote: str) -> str:
        if self.s.startswith(quote * 3, self.i):
            raise _Beyond  # a multi-line string
        end = self.s.find(quote, self.i + 1)
        nl = self.s.find("\n", self.i + 1)
        if end == -1 or (nl != -1 and nl < end):
            raise _Beyond
        body = self.s[self.i + 1:end]
        if (quote == '"' and "\\" in body) or not _plain(body):
            raise _Beyond
        self.i = end + 1
        return body

    def word(self) -> str:
        start = self.i
        while self.i < self.n and self.s[self.i] not in _END:
            self.i += 1
        return self.s[start:self.i]

    def value(self, nested: bool = False) -> object:
        c = self.peek()
        if c in "\"'":
            return self.string(c)
        if c == "[" and not nested:
            return self.array()
        word = self.word()
        if word == "true":
            return True
        if word == "false":
            return False
        digits = word[1:] if word.startswith("-") else word
        if digits and set(digits) <= _DIGITS and (digits == "0" or digits[0] != "0"):
            return int(word)
        raise _Beyond

    def array(self) -> list[object]:
        self.i += 1  # "["
        out: list[object] = []
        while True:
            self.gaps()
            if self.peek() == "]":
                self.i += 1
                return out
            out.append(self.value(nested=True))
            self.gaps()
            c = self.peek()
            if c == ",":
                self.i += 1
            elif c != "]":
                raise _Beyond


def _table(root: dict[str, object], path: list[str], seen: set[tuple[str, ...]]) -> dict[str,
                                                                                          object]:
    """The table a ``[a.b]`` header opens; a header seen before, or one whose name is a value
    already, is beyond the subset (tomllib says whether it is valid)."""
    if tuple(path) in seen:
        raise _Beyond
    table = root
    for k in range(len(path)):
        seen.add(tuple(path[:k + 1]))
        sub = table.setdefault(path[k], {})
        if not isinstance(sub, dict):
            raise _Beyond
        table = sub
    return table


def loads(text: str) -> dict[str, object] | None:
    """``tomllib.loads(text)`` for a document of the subset (see the module); None otherwise."""
    if "\r" in text or "\ufeff" in text:
        return None
    r = _Reader(text)
    root: dict[str, object] = {}
    table = root
    seen: set[tuple[str, ...]] = set()
    keys: set[tuple[tuple[str, ...], str]] = set()
    where: tuple[str, ...] = ()
    try:
        while True:
            r.blank()
            c = r.peek()
            if not c:
                return root
            if c in "#\n":
                r.line_end()
                continue
            if c == "[":
                r.i += 1
                path = [r.key()]
                while r.peek() == ".":
                    r.i += 1
                    path.append(r.key())
                if r.peek() != "]":
                    raise _Beyond
                r.i += 1
                table = _table(root, path, seen)
                where = tuple(path)
            else:
                name = r.key()
                r.blank()
                if r.peek() != "=":
                    raise _Beyond
                r.i += 1
                r.blank()
                value = r.value()
                if name in table or (where, name) in keys:
                    raise _Beyond
                keys.add((where, name))
                table[name] = value
            r.line_end()
    except _Beyond:
        return None
