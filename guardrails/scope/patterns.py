"""gitignore-syntax path patterns (the same as ``.gitignore`` and CODEOWNERS).

Matching is pathspec's ``GitIgnoreSpec`` (1.1.1), reproduced here without importing pathspec
(its import alone took ~23 ms of a ~40 ms hook): ``!`` re-excludes, the last matching pattern
wins, patterns are relative to the repository root, and matching is case-sensitive.
tests/test_patterns.py checks this module against pathspec itself and against git.

Each pattern becomes one regular expression for "matches the path itself" and/or one for
"matches one of its directories"; the last pattern that matches the path itself wins, failing
that the last one that matches a directory of it. Two backends: ``simple`` (Python ``re``: one
alternation per kind, last pattern first, so the first alternative that matches is the winner)
and ``re2`` (google-re2's ``RE2::Set``, ids resolved here). Measured on the 2-CPU dev host,
Python 3.11, bench patterns, import + compile + match, best of 3: 10 patterns x 5 paths 0.95
ms with re, 3.0 ms with re2 (its import alone ~2 ms); 64 x 5 3.1 / 3.4 ms; 100 x 5 4.3 / 4.0;
10 x 4,000 10.1 / 7.8; 30 x 1,300 7.6 / 7.4; 64 x 600 6.7 / 7.6; 200 x 100,000 ~2 s / 0.12 s.
So ``backend=None`` uses re2 (when installed) above RE2_ABOVE patterns or RE2_WORK
(pattern, path) pairs in one ``matching`` call, and re otherwise.

Two places follow git where pathspec's regexes did not (tests/test_patterns.py shows both): a
newline in a path is an ordinary character (pathspec's ``.`` skipped it, its ``$`` matched
before it), and trailing white space is stripped as ASCII only (see ``_strip``). A pattern
that git and pathspec would drop as matching nothing (an unclosed ``[``, ``/``) is refused
rather than ignored (see ``_translate``). Paths are
normalized as pathspec does (one leading ``/`` or ``./`` dropped).
"""
from __future__ import annotations

import os
import re
import sys

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, Optional

    Translated = tuple[bool, int, str]  # include, kind, regex

# Python's re is faster overall than importing and compiling re2 up to this many patterns, and
# up to this many (pattern, path) pairs to match (see the module docstring).
RE2_ABOVE = 64
RE2_WORK = 40_000
# Above this many patterns neither one alternation (re compiles 20,000 alternatives in ~5 s) nor
# an RE2::Set (over its memory budget) is the way: ``indexed`` files each pattern under its
# literal leading directories and compiles only the patterns a path could match.
INDEXED_ABOVE = 2_000

# How a pattern matches, from pathspec's regex shapes (its ``ps_d`` group marks a directory
# match, which loses to any match of the path itself):
ANY = 0  # "**", "*": every path
SLASH = 1  # "*/**": every path in a directory
DIR_SLASH = 2  # "**/", "*/": every path in a directory, as a directory match
BODY = 3  # "a/b*": the path itself, or one of its directories
BODY_DIR = 4  # "a/": one of its directories (a directory match)
BODY_TREE = 5  # "a/**": everything below a (a match of the path itself)

_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.rstrip strips, ASCII only (see _strip)
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class PatternError(ValueError):
    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"{pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


class _Refused(Exception):
    pass


NOTHING = "this pattern can match nothing: "


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


def _lit(c: str) -> str:
    return c if c in _PLAIN else f"\\x{ord(c):02x}"


def _bracket(seg: str, i: int, end: int, bad: list[str]) -> Optional[tuple[str, int]]:
    """The ``[...]`` starting after ``seg[i - 1]``: its regex and the index past it, or None
    when it does not close (git and pathspec then drop the whole pattern; we refuse it).

    pathspec finds the closing ``]`` (one right after the opening ``[``, ``[!`` or ``[^`` is
    literal), turns a leading ``!`` into ``^``, doubles backslashes and hands the rest to
    Python's ``re``; the items are parsed here as ``re`` parses a set, and written out
    character by character so that re and RE2 read them alike (RE2 would read ``[[:alpha:]]``
    as a POSIX class, ``re`` reads the characters)."""
    j = i
    if j < end and seg[j] in "!^":
        j += 1
    if j < end and seg[j] == "]":
        j += 1
    while j < end and seg[j] != "]":
        j += 1
    if j >= end:
        return None
    negate = seg[i] in "!^"
    body = seg[i + negate:j + 1]  # up to and including the closing "]"
    items: list[str] = []
    k, n = 0, len(body)
    while True:
        c = body[k]
        k += 1
        if c == "]" and items:
            break
        if body[k] == "-":  # a range, unless "-" is last
            k += 1
            d = body[k]
            k += 1
            if d == "]":
                items += (_lit(c), _lit("-"))
                break
            if d < c:  # re refuses it when it compiles the regex: after the whole pattern
                bad.append(f"bad character range {c}-{d}")
            items.append(f"{_lit(c)}-{_lit(d)}")
        else:
            items.append(_lit(c))
        assert k < n
    return "[" + "^" * negate + "".join(items) + "]", j + 1


# _lit of every ASCII character, for str.translate
_LIT_TABLE = {i: _lit(chr(i)) for i in range(128) if _lit(chr(i)) != chr(i)}


def _glob(seg: str, bad: list[str]) -> str:
    """One path segment's glob as a regex (pathspec's ``_translate_segment_glob``)."""
    if seg.isascii() and "\\" not in seg and "?" not in seg and "[" not in seg:
        # literal text and stars only (most patterns: src, *.py, docs): the loop below, in C
        return "[^/]*".join(part.translate(_LIT_TABLE) for part in seg.split("*"))
    out: list[str] = []
    i, end = 0, len(seg)
    while i < end:
        c = seg[i]
        i += 1
        if c == "\\":
            if i == end:
                raise _Refused("a backslash at the end of a segment escapes nothing")
            out.append(_lit(seg[i]))
            i += 1
        elif c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            found = _bracket(seg, i, end, bad)
            if found is None:
                raise _Refused(NOTHING + "a '[' that does not close (git and pathspec drop such "
                               "a pattern; a literal [ is written \\[)")
            rx, i = found
            out.append(rx)
        else:
            out.append(_lit(c))
    return "".join(out)


def _strip(line: str) -> str:
    """pathspec strips trailing white space unless the line ends in an escaped space. It strips
    what ``str.rstrip`` strips; this strips the ASCII of it only: on the one-character-per-byte
    text pathspec's ``rstrip`` also took the last byte of ``à`` (``\\xa0``) or ``Å``
    (``\\x85``), so ``voilà`` never matched ``voilà``. git strips spaces only."""
    return line if line.endswith("\\ ") else line.rstrip(_SPACE)


def _segments(line: str) -> Optional[tuple[bool, bool, list[str]]]:
    """(include, is_dir, segments) of one pattern line as pathspec normalizes them: a pattern
    without a slash matches at any depth (a leading ``**``), a trailing slash means everything
    below, runs of ``**`` collapse. None for a blank line or a comment."""
    line = _strip(line)
    if not line or line[0] == "#":
        return None
    if line == "/":
        raise _Refused(NOTHING + "'/' alone")
    include = line[0] != "!"
    if not include:
        line = line[1:]
    segs = line.split("/")
    is_dir = not segs[-1]
    if not segs[0]:
        del segs[0]  # "/a": anchored at the root
    elif len(segs) == 1 or (len(segs) == 2 and not segs[1]):
        if segs[0] != "**":
            segs.insert(0, "**")  # "a", "a/": at any depth
    if not segs:
        raise _Refused("nothing after the '!'")
    if not segs[-1]:
        segs[-1] = "**"  # "a/": everything below a
    for i in range(len(segs) - 1, 0, -1):
        if segs[i - 1] == "**" and segs[i] == "**":
            del segs[i]
    return include, is_dir, segs


def _special(segs: list[str], is_dir: bool) -> Optional[int]:
    """The kind of the patterns that match by shape alone (``**``, ``**/*``, ``**/*/**``)."""
    n = len(segs)
    if n == 1 and segs[0] == "**":
        return DIR_SLASH if is_dir else ANY
    if n == 2 and segs[0] == "**" and segs[1] == "*":
        return ANY
    if n == 3 and segs[0] == "**" and segs[1] == "*" and segs[2] == "**":
        return DIR_SLASH if is_dir else SLASH
    return None


def _body(segs: list[str], is_dir: bool) -> tuple[int, str]:
    """(kind, regex) of the segments: each ``**`` as any number of directories, every other
    segment a glob of one path component."""
    out: list[str] = []
    kind = BODY
    need_slash = False
    bad: list[str] = []
    last = len(segs) - 1
    for i, seg in enumerate(segs):
        if seg == "**":
            if i == 0:
                out.append("(?:.+/)?")
            elif i < last:
                out.append("(?:/.+)?")
                need_slash = True
            else:
                kind = BODY_DIR if is_dir else BODY_TREE
        else:
            if need_slash:
                out.append("/")
            out.append("[^/]+" if seg == "*" else _glob(seg, bad))
            need_slash = True
    if bad:
        raise _Refused(bad[0])
    return kind, "".join(out)


def _translate(line: str) -> Optional[Translated]:
    """One pattern line (already bytewise) as (include, kind, regex), pathspec's
    ``GitIgnoreSpecPattern.pattern_to_regex``; None for a blank line or a comment. A pattern
    that pathspec (and git) would silently drop as matching nothing (``/``, an unclosed ``[``)
    is refused: in ``locked`` such a typo would protect nothing. The regex is anchored at the
    start of the path and has no end: ``BODY`` adds ``$`` for the path itself and ``/`` for a
    directory of it, the other body kinds add ``/``."""
    parts = _segments(line)
    if parts is None:
        return None
    include, is_dir, segs = parts
    special = _special(segs, is_dir)
    if special is not None:
        return include, special, ""
    kind, body = _body(segs, is_dir)
    return include, kind, body


def _regexes(t: Translated, end: str) -> tuple[Optional[str], Optional[str]]:
    """(for the path itself, for one of its directories), anchored at the start; ``end`` is
    the end-of-text assertion of the engine."""
    _include, kind, body = t
    if kind == ANY:
        return ".", None
    if kind == SLASH:
        return ".*/", None
    if kind == DIR_SLASH:
        return None, ".*/"
    if kind == BODY:
        return body + end, body + "/"
    if kind == BODY_DIR:
        return None, body + "/"
    return body + "/", None


def translate(patterns: Sequence[str]) -> list[Translated]:
    """Every pattern as (include, kind, regex); PatternError for the first that pathspec
    refuses or would drop as matching nothing."""
    out: list[Translated] = []
    for p in patterns:
        if not p.strip() or p.lstrip().startswith("#"):
            raise PatternError(p, "an empty pattern or a comment matches nothing")
        try:
            t = _translate(_git_equivalent(_bytewise(p)))
        except (_Refused, UnicodeError) as e:
            raise PatternError(p, str(e)) from None
        if t is not None:
            out.append(t)
    return out


def _normal(path: str) -> str:
    """pathspec's ``normalize_file``: one leading ``/`` or ``./`` is dropped."""
    if path.startswith("/"):
        return path[1:]
    if path.startswith("./"):
        return path[2:]
    return path


def _simple(rules: list[Translated]) -> Callable[[str], bool]:
    """Python ``re``: per kind one alternation with the last pattern first, each alternative
    its own group; ``lastindex`` names the winner."""
    files: list[str] = []
    dirs: list[str] = []
    file_include = [False]
    dir_include = [False]
    for t in reversed(rules):
        f, d = _regexes(t, r"\Z")
        if f is not None:
            files.append(f"({f})")
            file_include.append(t[0])
        if d is not None:
            dirs.append(f"({d})")
            dir_include.append(t[0])
    never = re.compile(r"(?!)").match
    file_match = re.compile("|".join(files), re.S).match if files else never
    dir_match = re.compile("|".join(dirs), re.S).match if dirs else never

    def resolve(path: str) -> bool:
        m = file_match(path)
        if m is not None:
            return file_include[m.lastindex or 0]
        m = dir_match(path)
        return m is not None and dir_include[m.lastindex or 0]

    return resolve


def _re2(rules: list[Translated]) -> Callable[[str], bool]:
    """google-re2's ``RE2::Set`` on the bytes of the path (Latin-1: ``?`` is one byte), used
    directly: the ids RE2 returns, in no defined order, are resolved here."""
    import re2

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.dot_nl = True
    options.never_capture = True
    options.log_errors = False
    regex_set = re2.Set.MatchSet(options)
    include: list[bool] = []
    is_dir: list[bool] = []
    for t in rules:
        for rx, dir_ in zip(_regexes(t, "$"), (False, True)):
            if rx is not None:
                regex_set.Add(rx.encode("ascii"))
                include.append(t[0])
                is_dir.append(dir_)
    if not include:
        return lambda path: False
    regex_set.Compile()
    raw = getattr(regex_set, "_set", None)  # the extension object: skips a wrapper
    set_match: Callable[[bytes], Optional[list[int]]] = (
        raw.Match if raw is not None and hasattr(raw, "Match") else regex_set.Match)
    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()

    def resolve(path: str) -> bool:
        ids = set_match(path.encode(encoding, errors))
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


_LITERAL: list[re.Pattern[str]] = []  # compiled on first use (long lists only)


def _literal_dir(rx: str) -> str:
    """The directories every match of ``rx`` (anchored at the path's start) begins with:
    its leading literal text (``_lit``'s plain characters and ``\\xNN`` escapes) up to the
    last ``/`` in it, decoded ("" when it starts with anything else)."""
    if not _LITERAL:
        _LITERAL.append(re.compile(r"(?:[A-Za-z0-9_/]|\\x[0-9a-f]{2})*"))
    m = _LITERAL[0].match(rx)
    assert m is not None
    text = re.sub(r"\\x([0-9a-f]{2})", lambda h: chr(int(h.group(1), 16)), m.group(0))
    cut = text.rfind("/")
    return text[:cut + 1] if cut >= 0 else ""


def _safe(p: str) -> bool:
    """Whether translating ``p`` cannot fail: ASCII, no ``[`` (a bracket that may not close or
    hold a bad range), no backslash (one that may escape nothing), not blank, not a comment,
    not ``/`` or ``!`` alone. Such a pattern's translation can wait until a path needs it
    (tests/test_patterns.py checks this against translate)."""
    if not p.isascii() or "[" in p or "\\" in p:
        return False
    if p[:1] not in _SPACE and p[:1] != "#" and p[-1:] not in _SPACE:  # the usual pattern
        return p not in ("/", "!")
    s = _strip(p)
    return bool(s) and s[0] != "#" and s not in ("/", "!") and bool(p.strip()) \
        and not p.lstrip().startswith("#")


def _check(patterns: Sequence[str]) -> frozenset[int]:
    """PatternError for the first pattern translate refuses, translating only those that could
    be refused (:func:`_safe`): the same verdict as ``translate`` at a fraction of its cost.
    Returns the indices of the patterns that are not safe."""
    unsafe = []
    for i, p in enumerate(patterns):
        if not _safe(p):
            translate([p])
            unsafe.append(i)
    return frozenset(unsafe)


def _key(line: str) -> str:
    """The literal directories every path matched by ``line`` (bytewise, git-equivalent,
    safe) begins with: the leading segments without a glob character, up to (not including)
    the last name ("" for a pattern that matches at any depth); for a literal path (no glob at
    all) ``=`` and the path: it matches that path and what is below it."""
    if line[-1:] in _SPACE:  # trailing white space: the general rules
        parts = _segments(line)
        if parts is None:
            return ""
        segs = parts[2]
    else:  # _segments' steps that decide the key, without its copies
        segs = (line[1:] if line[0] == "!" else line).split("/")
        if not segs[0]:
            del segs[0]  # "/a": anchored at the root
        elif len(segs) == 1 or (len(segs) == 2 and not segs[1]):
            return ""  # "a", "a/": at any depth
        if not segs or not segs[-1]:
            segs = [*segs[:-1], "**"] if segs else ["**"]
    if segs[-1] != "**" and not any(c in seg for seg in segs for c in "*?"):
        return "=" + "/".join(segs)  # a literal path: that path, or a directory of the path
    segs = segs[:-1]  # a trailing "**", or the last name: the path itself may end there
    out = []
    for seg in segs:
        if seg == "**" or "*" in seg or "?" in seg:
            break
        out.append(seg)
    return "/".join(out) + "/" if out else ""


def _indexed_lazy(patterns: tuple[str, ...],
                  unsafe: frozenset[int] = frozenset()) -> Callable[[str], bool]:
    """Python ``re`` per pattern, filed under the literal directories every match of it
    begins with (:func:`_key` of its text), translated and compiled only when a path's own
    leading directories make it a candidate: a task of 10,000 patterns pays for the few a
    commit's paths can match. Patterns that are not :func:`_safe` are translated (and filed
    under their regex's literal directories) up front. Same verdicts as ``_simple``: the last
    pattern that matches the path itself wins, failing that the last that matches a directory
    of it."""
    buckets: dict[str, list[int]] = {}
    lines: list[str] = []
    rules: dict[int, Translated] = {}
    for i, p in enumerate(patterns):
        line = _git_equivalent(_bytewise(p))
        lines.append(line)
        if i not in unsafe:
            key = _key(line)
        else:
            t = _translate(line)
            assert t is not None  # translate() refused blanks and comments already
            rules[i] = t
            f, d = _regexes(t, r"\Z")
            prefixes = {_literal_dir(rx) for rx in (f, d) if rx is not None}
            key = min(prefixes, key=len) if prefixes else ""
        buckets.setdefault(key, []).append(i)
    compiled: dict[tuple[int, int], Callable[[str], Any]] = {}

    def rule(i: int) -> Translated:
        t = rules.get(i)
        if t is None:
            t = _translate(lines[i])
            assert t is not None
            rules[i] = t
        return t

    def matches(i: int, which: int, path: str) -> bool:
        fn = compiled.get((i, which))
        if fn is None:
            rx = _regexes(rule(i), r"\Z")[which]
            fn = re.compile(rx, re.S).match if rx is not None else (lambda _p: None)
            compiled[(i, which)] = fn
        return fn(path) is not None

    def resolve(path: str) -> bool:
        candidates = [*buckets.get("", ()), *buckets.get("=" + path, ())]
        for k, c in enumerate(path):
            if c == "/":
                candidates += buckets.get(path[:k + 1], ())
                candidates += buckets.get("=" + path[:k], ())
        candidates.sort(reverse=True)
        for i in candidates:
            if matches(i, 0, path):
                return rule(i)[0]
        for i in candidates:
            if matches(i, 1, path):
                return rule(i)[0]
        return False

    return resolve


# A short list of patterns made of literal text, ``*`` and ``**`` (most policies, the hook
# configuration list) is matched component by component with str methods rather than compiled
# into regexes (~1 ms a hook run): up to this many (pattern, path) pairs in one call.
STR_WORK = 4_000


def _glob_ok(seg: str, comp: str) -> bool:
    """Whether one path component matches one segment of literal text and ``*`` (``[^/]*``;
    ``*`` alone is ``[^/]+``, and components are never empty here)."""
    if "*" not in seg:
        return comp == seg
    parts = seg.split("*")
    first, last = parts[0], parts[-1]
    if len(comp) < len(first) + len(last) or not comp.startswith(first) or \
            not comp.endswith(last):
        return False
    pos, stop = len(first), len(comp) - len(last)
    for part in parts[1:-1]:
        i = comp.find(part, pos, stop)
        if i < 0:
            return False
        pos = i + len(part)
    return True


def _ends(segs: Sequence[str], comps: list[str]) -> set[int]:
    """How many leading components of the path ``segs`` can match as a whole: ``**`` any
    number of components (``(?:.+/)?`` first, ``(?:/.+)?`` inside), any other segment one."""
    n = len(comps)
    pos = {0}
    for seg in segs:
        if seg == "**":
            pos = set(range(min(pos), n + 1))
        else:
            pos = {p + 1 for p in pos if p < n and _glob_ok(seg, comps[p])}
        if not pos:
            break
    return pos


StrRule = tuple[bool, int, tuple[str, ...]]  # include, kind, segments


def _str_rules(patterns: tuple[str, ...]) -> Optional[list[StrRule]]:
    """The rules of :func:`translate` as segments for :func:`_by_str`, or None when a pattern
    has ``?``, ``[`` or a backslash (a regex then)."""
    out: list[StrRule] = []
    for p in patterns:
        line = _git_equivalent(_bytewise(p))
        parts = _segments(line)
        t = _translate(line)
        if parts is None or t is None:
            continue
        include, _is_dir, segs = parts
        if any(c in seg for seg in segs for c in "?[\\"):
            return None
        if t[1] in (BODY_TREE, BODY_DIR):
            segs = segs[:-1]  # the trailing "**": what follows the directory
        out.append((include, t[1], tuple(segs)))
    return out


def _by_str(rules: list[StrRule], fallback: Callable[[], Callable[[str], bool]]
            ) -> Callable[[str], bool]:
    """:func:`_simple`'s verdicts with str methods on the path's components: the last rule
    that matches the path itself wins, failing that the last that matches a directory of it.
    A path with an empty component (``a//b``, a trailing ``/``) goes to ``fallback``'s regexes,
    where ``.+/`` can end inside such a run."""

    def resolve(path: str) -> bool:
        if not path or path[0] == "/" or path[-1] == "/" or "//" in path:
            return fallback()(path)
        comps = path.split("/")
        n = len(comps)
        by_dir: Optional[bool] = None
        for include, kind, segs in reversed(rules):
            if kind == ANY:
                return include
            if kind == SLASH or kind == DIR_SLASH:
                if n > 1:
                    if kind == SLASH:
                        return include
                    if by_dir is None:
                        by_dir = include
                continue
            ends = _ends(segs, comps)
            if kind == BODY and n in ends:
                return include
            if any(k < n for k in ends):
                if kind == BODY_TREE:
                    return include
                if by_dir is None:
                    by_dir = include
        return bool(by_dir)

    return resolve


_RULES: dict[tuple[str, ...], list[Translated]] = {}
_CHECKED: dict[tuple[str, ...], frozenset[int]] = {}  # checked lists: their unsafe patterns


def _unsafe(patterns: tuple[str, ...]) -> frozenset[int]:
    return frozenset(i for i, p in enumerate(patterns) if not _safe(p))
_RESOLVERS: dict[tuple[tuple[str, ...], str], Callable[[str], bool]] = {}


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= 32:
        del cache[next(iter(cache))]
    cache[key] = value


def _rules(patterns: tuple[str, ...]) -> list[Translated]:
    """The translation, once per pattern list in a process (the policy's validation and the
    scope check share it); PatternError names a refused pattern."""
    rules = _RULES.get(patterns)
    if rules is None:
        rules = translate(patterns)
        _remember(_RULES, patterns, rules)
    return rules


def _resolver(patterns: tuple[str, ...], backend: str) -> Callable[[str], bool]:
    """The compiled matcher, once per pattern list and backend in a process."""
    resolve = _RESOLVERS.get((patterns, backend))
    if resolve is None:
        if backend == "indexed":
            _checked(patterns)
            resolve = _indexed_lazy(patterns, _CHECKED[patterns] if patterns in _CHECKED
                                   else _unsafe(patterns))
        elif backend == "simple":
            resolve = _simple(_rules(patterns))
        elif backend == "str":
            rules = _str_rules(patterns)
            resolve = _by_str(rules, lambda: _resolver(patterns, "simple")) \
                if rules is not None else _resolver(patterns, "simple")
        elif backend == "re2":
            resolve = _re2(_rules(patterns))
        else:
            raise ValueError(f"unknown pattern backend {backend!r} (re2, simple, str or "
                             "indexed)")
        _remember(_RESOLVERS, (patterns, backend), resolve)
    return resolve


def _checked(patterns: tuple[str, ...]) -> int:
    """The number of rules of a validated list: a long list (the ``indexed`` backend's) is
    checked with :func:`_check` and not translated; a short one is translated once."""
    if len(patterns) <= INDEXED_ABOVE or patterns in _RULES:
        return len(_rules(patterns))
    if patterns not in _CHECKED:
        _remember(_CHECKED, patterns, _check(patterns))
    return len(patterns)  # every validated pattern is one rule (no blanks, no comments)


_HAVE_RE2: Optional[bool] = None


def pick_backend(patterns: int, paths: int) -> str:
    """re2 where it pays for its import and compile (see the module docstring), when installed."""
    global _HAVE_RE2
    if patterns > INDEXED_ABOVE:
        return "indexed"
    if patterns <= RE2_ABOVE and patterns * paths <= RE2_WORK:
        return "simple"
    if _HAVE_RE2 is None:
        try:
            import re2  # noqa: F401
        except ImportError:
            _HAVE_RE2 = False
        else:
            _HAVE_RE2 = True
    return "re2" if _HAVE_RE2 else "simple"


class Matcher:
    """A compiled list of gitignore patterns. ``backend``: "re2", "simple", "str" (str
    methods where the patterns allow, else "simple"), "indexed" or None (chosen by the number
    of patterns and of the paths of each ``matching`` call)."""

    def __init__(self, patterns: Sequence[str], backend: Optional[str] = None) -> None:
        if backend not in (None, "re2", "simple", "str", "indexed"):
            raise ValueError(f"unknown pattern backend {backend!r} (re2, simple, str or "
                             "indexed)")
        self.patterns = tuple(patterns)
        self.backend = backend
        self._count = _checked(self.patterns) if self.patterns else 0
        if backend is not None and self._count:
            _resolver(self.patterns, backend)  # compile now: errors and timing here

    def _resolve(self, paths: int) -> tuple[Callable[[str], bool], bool]:
        """(resolve, whether it takes the path as is rather than one character per byte)."""
        backend = self.backend or pick_backend(self._count, paths)
        if backend == "simple" and self.backend is None and self._count * paths <= STR_WORK:
            backend = "str"
        if backend == "re2" and self.backend is None:
            try:
                return _resolver(self.patterns, backend), True
            except Exception:  # re2.error: more than RE2's memory budget; re can
                backend = "simple"
        return _resolver(self.patterns, backend), backend == "re2"

    def match(self, path: str) -> bool:
        """True when the last pattern that matches ``path`` is not a ``!`` pattern."""
        if not self._count:
            return False
        resolve, as_is = self._resolve(1)
        return resolve(_normal(path) if as_is else _bytewise(_normal(path)))

    def matching(self, paths: Iterable[str]) -> set[str]:
        """The subset of ``paths`` that match."""
        if not self._count:
            return set()
        if not isinstance(paths, (list, tuple, set, frozenset, dict)):
            paths = list(paths)
        resolve, as_is = self._resolve(len(paths))
        if as_is:
            return {p for p in paths if resolve(_normal(p) if p[:1] in ("/", ".") else p)}
        return {p for p in paths
                if resolve(_bytewise(_normal(p)) if not p.isascii() or p[:1] in ("/", ".")
                           else p)}


def validate(patterns: Sequence[str]) -> None:
    """Raise PatternError for the first pattern that pathspec would refuse."""
    _checked(tuple(patterns))
