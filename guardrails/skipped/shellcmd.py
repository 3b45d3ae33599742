"""Shell-command analysis: does a command skip git hooks, switch the guard off, commit, or
write files? One decision core for every agent's pre-tool hook (``guardrails.agents``).

API (stable; the agent adapters call only this)::

    from guardrails.skipped import shellcmd

    a = shellcmd.analyze(command, cwd=None)         # never raises, for any str
    a.reasons     # list[Reason]: why to block; empty means allow
                  #   Reason.rule:    a rule id of guardrails/rules.py (docs/rules.md):
                  #                   "agent-skips-hooks", "agent-disables-guard",
                  #                   "agent-unresolved-command"
                  #   Reason.message: one line naming the construct and why
    a.blocked     # bool: any reason
    a.commits     # bool: the command (may) run `git commit` (not --dry-run), through any
                  #   wrapper, alias, `sh -c`, script file, `rebase -x` …
    a.commit_dirs # list[str]: the directory each such commit runs in (cwd, `cd`, `git -C`),
                  #   absolute when cwd was given; "" where it cannot be told (`cd "$d"`)
    a.commits_beyond_index  # bool: a commit takes content the index does not hold yet
                  #   (-a, --include/--only, pathspecs, --patch): checking the index alone
                  #   does not see all of it
    a.stages      # bool: the command changes the index before a commit could run (git add,
                  #   stage, rm, mv, apply --cached/--index, update-index, restore --staged,
                  #   reset, read-tree, or commit -a and friends)
    a.writes      # list[str]: paths the command would create, change, delete or chmod
                  #   (`>`/`>>`/`&>`, tee, cp/mv/install/ln targets, mv sources, rm, sed -i,
                  #   perl -i, truncate, touch, chmod, dd of=, curl -o …), absolute when cwd
                  #   was given; /dev/null and friends left out
    a.unresolved_writes  # list[str]: write targets that are not static (``> "$out"``, globs,
                  #   ``xargs rm``), as written: the edit-scope check cannot judge them

    shellcmd.reasons(command) -> list[str]   # the messages only (older callers)
    shellcmd.simple_commands(command)        # each top-level simple command's words (older
                                             #   callers; ValueError when it cannot be parsed)
    shellcmd.git_reasons(args) -> list[str]  # words after `git` (guardrails.checks.bypass)
    shellcmd.alias_reasons(value) -> list[str]  # a git alias's value (doctor)

``cwd`` is where the command starts: relative paths, ``cd``, the repository's git directory
(hooks, ``core.hooksPath``, config, aliases, the session record) and script files
(``bash ./x.sh``, ``source f``) are resolved from it, with file reads only (no git process).
Without it, paths stay relative and the git directory is taken to be ``.git``.

How: a lexer for POSIX sh and bash (quotes, ``$'…'``, ``\\``-newline, ``$(…)`` and backticks
with their own commands, ``<(…)``, here-documents, redirections, brace expansion), a walker
that finds every simple command (``;`` ``&&`` ``||`` ``|`` ``&``, ``if``/``for``/``while``/
``case``, subshells, ``{ …; }``, functions), variables assigned earlier in the command, then
per command: wrappers (``env``, ``sudo``, ``timeout -s SIG N``, ``xargs``, ``find -exec``,
``nice`` …), shells (``sh -c``, scripts by pipe, heredoc, here-string or file), ``eval``,
interpreters' ``-c``/``-e`` code, and git itself (global options, inline and configured
aliases, every subcommand that runs hooks, ``git config`` in both syntaxes). See
docs/skipped-hooks.md#shell-commands for what is decided and why.
"""
from __future__ import annotations

import os
import re

from guardrails.records import Frozen, Record

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import Optional, Union

    Token = Union["Word", "Redir", str]

SKIPS_HOOKS = "agent-skips-hooks"
DISABLES_GUARD = "agent-disables-guard"
UNRESOLVED = "agent-unresolved-command"

MAX_DEPTH = 8  # sh -c / eval / alias / script nesting; deeper is refused as unresolved
MAX_SCRIPT = 1 << 20  # script files larger than this are not read


class Reason(Frozen):
    """Why a command is blocked: a rule id of guardrails/rules.py and a one-line message."""

    __slots__ = ("rule", "message")  # noqa: RUF023 - Frozen's fields, in order
    rule: str
    message: str

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)


class Analysis(Record):
    """What :func:`analyze` found in one command line (see the top of this module)."""

    __slots__ = ("commit_dirs", "commits", "commits_beyond_index", "reasons", "stages",
                 "unresolved_writes", "writes")

    def __init__(self, reasons: Optional[list[Reason]] = None, commits: bool = False,
                 commit_dirs: Optional[list[str]] = None, commits_beyond_index: bool = False,
                 writes: Optional[list[str]] = None,
                 unresolved_writes: Optional[list[str]] = None, stages: bool = False) -> None:
        self.reasons: list[Reason] = reasons or []
        self.commits = commits
        self.commit_dirs: list[str] = commit_dirs or []
        self.commits_beyond_index = commits_beyond_index
        self.writes: list[str] = writes or []
        self.unresolved_writes: list[str] = unresolved_writes or []
        self.stages = stages

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)


# ----------------------------------------------------------------------------------------------
# Lexer: source text -> tokens (Word, Redir, or an operator string)
# ----------------------------------------------------------------------------------------------

LIT, VAR, CMD, ARITH = 0, 1, 2, 3
OPERATORS = ("&&", "||", ";;&", ";;", ";&", "|&", "|", "&", ";", "(", ")")
REDIR_OPS = ("&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", "<", ">>", ">|", ">&", ">")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_SPECIAL_PARAMS = frozenset("@*#?-$!0123456789")
_WORD_END = frozenset(" \t\r\n;&|()<>")
_ANSI = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
         "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


class Word:
    """One shell word: parts ``(kind, data, quoted)``. LIT data is text; VAR data is the
    parameter's name or ``${…}`` body; CMD data is the token list of a ``$(…)``, backtick or
    process substitution; ARITH data is the ``$((…))`` text."""

    __slots__ = ("parts", "raw")

    def __init__(self) -> None:
        self.parts: list[tuple[int, object, bool]] = []
        self.raw = ""

    def lit(self, text: str, quoted: bool) -> None:
        if text:
            self.parts.append((LIT, text, quoted))

    def static(self) -> Optional[str]:
        """The word's value when it has no expansion (quotes removed)."""
        out = []
        for kind, data, _ in self.parts:
            if kind != LIT:
                return None
            out.append(str(data))
        return "".join(out)

    def plain(self) -> Optional[str]:
        """The value when the word is unquoted literal text (reserved words, ``NAME=``)."""
        if len(self.parts) == 1 and self.parts[0][0] == LIT and not self.parts[0][2]:
            return str(self.parts[0][1])
        return None


class Redir:
    __slots__ = ("body", "delim", "expand", "fd", "op", "strip", "target")

    def __init__(self, op: str, fd: Optional[str], target: Word) -> None:
        self.op = op
        self.fd = fd
        self.target = target
        self.body: Optional[str] = None  # here-document text
        self.expand = False  # unquoted delimiter: $(…) in the body runs
        self.delim = ""
        self.strip = False


class _Lexer:
    def __init__(self, src: str, depth: int = 0) -> None:
        self.s = src
        self.i = 0
        self.n = len(src)
        self.depth = depth
        self.pending: list[Redir] = []
        self.error: Optional[str] = None

    # -- top level ---------------------------------------------------------------------------
    def tokens(self, stop_paren: bool = False) -> list[Token]:
        out: list[Token] = []
        s, paren, case = self.s, 0, 0
        cmd_pos = True
        while self.i < self.n:
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
                continue
            if c in "\\#" and self._skip_comment(c):
                continue
            if c == "\n":
                out.append(self._newline())
                cmd_pos = True
                continue
            if c in "<>" and s.startswith("(", self.i + 1):
                out.append(self.word())  # process substitution <(…) >(…)
                cmd_pos = False
                continue
            if c in "<>" or (c == "&" and s.startswith(">", self.i + 1)):
                out.append(self.redir(None))
                continue
            if c in ";&|()":
                if c == "(" and s.startswith("((", self.i) and cmd_pos:
                    out.append(self.arith_command())
                    cmd_pos = False
                    continue
                op = self.operator()
                if op == "(":
                    paren += 1
                elif op == ")":
                    if paren:
                        paren -= 1
                    elif stop_paren and not case:  # not a case pattern's closing parenthesis
                        return out
                out.append(op)
                cmd_pos = op != ")"
                continue
            w = self.word()
            if self.i < self.n and s[self.i] in "<>" and w.raw.isdigit():  # 2>err: the fd
                out.append(self.redir(w.raw))
                continue
            v = w.plain()
            case = _case_nesting(case, v, cmd_pos)
            cmd_pos = v in RESERVED_START or (cmd_pos and _is_assignment(w))
            out.append(w)
        if stop_paren:
            self.error = "unterminated $("
        return out

    def _skip_comment(self, c: str) -> bool:
        """Step over a ``\\``-newline or a comment at the cursor (``c``); False when there is
        none (a backslash that starts a word)."""
        if c == "\\" and self.s.startswith("\n", self.i + 1):
            self.i += 2
        elif c == "#":
            nl = self.s.find("\n", self.i)
            self.i = self.n if nl < 0 else nl
        else:
            return False
        return True

    def _newline(self) -> str:
        """A newline ends the command; the bodies of its here-documents follow it."""
        self.i += 1
        self._heredocs()
        return "\n"

    def operator(self) -> str:
        op = next(o for o in OPERATORS if self.s.startswith(o, self.i))
        self.i += len(op)
        return op

    def arith_command(self) -> Word:
        """``(( … ))`` as one word (arithmetic, not a subshell)."""
        start = self.i
        end = self.balanced(self.i + 1, "(", ")")
        w = Word()
        w.parts.append((ARITH, self.s[start + 2:max(start + 2, end - 1)], False))
        self.i = min(self.n, end + 1)
        w.raw = self.s[start:self.i]
        return w

    def redir(self, fd: Optional[str]) -> Redir:
        s = self.s
        op = next(o for o in REDIR_OPS if s.startswith(o, self.i))
        self.i += len(op)
        while self.i < self.n and (s[self.i] in " \t" or s.startswith("\\\n", self.i)):
            self.i += 2 if s[self.i] == "\\" else 1
        target = self.word() if self.i < self.n and s[self.i] not in _WORD_END else Word()
        r = Redir(op, fd, target)
        if op in ("<<", "<<-"):
            r.delim = target.static() or "".join(str(p[1]) for p in target.parts)
            r.expand = not any(ch in target.raw for ch in "'\"\\")
            r.strip = op == "<<-"
            self.pending.append(r)
        return r

    def _heredocs(self) -> None:
        s = self.s
        for r in self.pending:
            lines = []
            while self.i < self.n:
                nl = s.find("\n", self.i)
                end = self.n if nl < 0 else nl
                line = s[self.i:end]
                self.i = end + 1 if nl >= 0 else self.n
                if (line.lstrip("\t") if r.strip else line) == r.delim:
                    break
                lines.append(line + "\n")
            r.body = "".join(lines)
        self.pending = []

    # -- words -------------------------------------------------------------------------------
    def word(self) -> Word:
        s, w, start = self.s, Word(), self.i
        buf: list[str] = []

        def flush() -> None:
            if buf:
                w.lit("".join(buf), False)
                buf.clear()

        while self.i < self.n:
            c = s[self.i]
            if c in _WORD_END:
                if c in "<>" and s.startswith("(", self.i + 1):
                    flush()
                    self.i += 2
                    w.parts.append((CMD, self.sub_tokens(), False))
                    continue
                if c == "(" and (buf or w.parts) and self._array_start(buf, w):
                    end = self.balanced(self.i, "(", ")")
                    buf.append(s[self.i:end + 1])
                    self.i = min(self.n, end + 1)
                    continue
                break
            if c == "'":
                flush()
                end = s.find("'", self.i + 1)
                if end < 0:
                    self.error = "unterminated '"
                    end = self.n
                w.lit(s[self.i + 1:end], True)
                self.i = end + 1
            elif c == '"':
                flush()
                self.i += 1
                self.dquote(w, '"')
            elif c == "\\":
                if s.startswith("\n", self.i + 1):
                    self.i += 2
                    continue
                flush()
                w.lit(s[self.i + 1:self.i + 2] or "\\", True)
                self.i += 2
            elif c == "$":
                flush()
                self.dollar(w, False)
            elif c == "`":
                flush()
                self.backtick(w, False)
            else:
                buf.append(c)
                self.i += 1
        flush()
        w.raw = s[start:self.i]
        return w

    def _array_start(self, buf: list[str], w: Word) -> bool:
        text = "".join(buf) if not w.parts else ""
        return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\+?=", text))

    def dquote(self, w: Word, term: Optional[str]) -> None:
        """Inside double quotes (``term='"'``) or a here-document body (``term=None``)."""
        s, buf = self.s, []
        while self.i < self.n:
            c = s[self.i]
            if term is not None and c == term:
                self.i += 1
                break
            if c == "\\" and self.i + 1 < self.n:
                nxt = s[self.i + 1]
                if nxt == "\n":
                    self.i += 2
                    continue
                if nxt in '$`"\\':
                    buf.append(nxt)
                    self.i += 2
                    continue
            if c == "$" and self.i + 1 < self.n and (s[self.i + 1] in "({" or
                                                      s[self.i + 1] in _NAME_CHARS or
                                                      s[self.i + 1] in _SPECIAL_PARAMS):
                w.lit("".join(buf), True)
                buf = []
                self.dollar(w, True)
                continue
            if c == "`":
                w.lit("".join(buf), True)
                buf = []
                self.backtick(w, True)
                continue
            buf.append(c)
            self.i += 1
        else:
            if term is not None:
                self.error = "unterminated \""
        w.lit("".join(buf), True)

    def dollar(self, w: Word, quoted: bool) -> None:
        s, i = self.s, self.i
        nxt = s[i + 1:i + 2]
        if nxt == "'" and not quoted:
            self.i = i + 2
            w.lit(self.ansi_c(), True)
        elif nxt == '"' and not quoted:
            self.i = i + 2
            self.dquote(w, '"')
        elif s.startswith("((", i + 1):
            end = self.balanced(i + 1, "(", ")")
            w.parts.append((ARITH, s[i + 3:max(i + 3, end - 1)], quoted))
            self.i = min(self.n, end + 1)
        elif nxt == "(":
            self.i = i + 2
            w.parts.append((CMD, self.sub_tokens(), quoted))
        elif nxt == "{":
            end = self.balanced(i + 1, "{", "}")
            w.parts.append((VAR, s[i + 2:end], quoted))
            self.i = min(self.n, end + 1)
        elif nxt and nxt in _SPECIAL_PARAMS:
            w.parts.append((VAR, nxt, quoted))
            self.i = i + 2
        elif nxt and nxt in _NAME_START:
            j = i + 1
            while j < self.n and s[j] in _NAME_CHARS:
                j += 1
            w.parts.append((VAR, s[i + 1:j], quoted))
            self.i = j
        else:
            w.lit("$", quoted)
            self.i = i + 1

    def sub_tokens(self) -> list[Token]:
        """The tokens of a ``$(…)`` or ``<(…)`` whose ``(`` was just read."""
        if self.depth > 40:
            self.error = "nested too deep"
            end = self.balanced(self.i - 1, "(", ")")
            self.i = min(self.n, end + 1)
            return []
        self.depth += 1
        saved = self.pending
        self.pending = []
        toks = self.tokens(stop_paren=True)
        self.pending = saved + self.pending
        self.depth -= 1
        return toks

    def backtick(self, w: Word, quoted: bool) -> None:
        s, j, buf = self.s, self.i + 1, []
        while j < self.n and s[j] != "`":
            if s[j] == "\\" and j + 1 < self.n and s[j + 1] in "`$\\":
                buf.append(s[j + 1])
                j += 2
                continue
            buf.append(s[j])
            j += 1
        if j >= self.n:
            self.error = "unterminated `"
        self.i = j + 1
        inner = _Lexer("".join(buf), self.depth + 1)
        toks = inner.tokens() if self.depth < 40 else []
        if inner.error:
            self.error = inner.error
        w.parts.append((CMD, toks, quoted))

    def ansi_c(self) -> str:
        """The body of ``$'…'`` (opening quote read), decoded."""
        s, out = self.s, []  # type: str, list[str]
        while self.i < self.n:
            c = s[self.i]
            if c == "'":
                self.i += 1
                return "".join(out)
            if c == "\\" and self.i + 1 < self.n:
                e = s[self.i + 1]
                self.i += 2
                if e in _ANSI:
                    out.append(_ANSI[e])
                elif e in "xuU":
                    size = {"x": 2, "u": 4, "U": 8}[e]
                    m = re.match(f"[0-9A-Fa-f]{{1,{size}}}", s[self.i:])
                    if m:
                        self.i += m.end()
                        out.append(chr(min(int(m.group(), 16), 0x10FFFF)))
                    else:
                        out.append("\\" + e)
                elif e in "01234567":
                    m = re.match(r"[0-7]{0,2}", s[self.i:])
                    digits = e + (m.group() if m else "")
                    self.i += len(digits) - 1
                    out.append(chr(int(digits, 8) & 0xFF))
                elif e == "c" and self.i < self.n:
                    out.append(chr(ord(s[self.i]) & 0x1F))
                    self.i += 1
                else:
                    out.append("\\" + e)
                continue
            out.append(c)
            self.i += 1
        self.error = "unterminated $'"
        return "".join(out)

    def balanced(self, i: int, open_: str, close: str) -> int:
        """Index of the ``close`` matching the ``open_`` at ``i`` (quotes skipped)."""
        s, depth = self.s, 0
        while i < self.n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c in "'\"":
                end = s.find(c, i + 1)
                if end < 0:
                    self.error = f"unterminated {c}"
                    return self.n
                i = end + 1
                continue
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        self.error = f"unterminated {open_}"
        return self.n


def _case_nesting(depth: int, v: Optional[str], cmd_pos: bool) -> int:
    """How many ``case … esac`` are open after the word ``v``: inside one, a ``)`` closes a
    pattern, not a ``$(…)``."""
    if cmd_pos and v == "case":
        return depth + 1
    if v == "esac" and depth:
        return depth - 1
    return depth


def _body_word(body: str, depth: int) -> Word:
    """An unquoted here-document body as a word (its ``$(…)`` run when the shell reads it)."""
    lx = _Lexer(body, depth + 1)
    w = Word()
    lx.dquote(w, None)
    w.raw = body
    return w


def _is_assignment(w: Word) -> bool:
    if not w.parts or w.parts[0][0] != LIT or w.parts[0][2]:
        return False
    return bool(_ASSIGN.match(str(w.parts[0][1])))


_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=")
RESERVED_START = frozenset(("if", "then", "else", "elif", "do", "while", "until", "!", "{",
                            "time", "fi", "done", "}", "coproc", "exec_reserved"))


# ----------------------------------------------------------------------------------------------
# Structure: tokens -> the simple commands, in order
# ----------------------------------------------------------------------------------------------

class Cmd:
    __slots__ = ("kind", "piped", "redirs", "words")

    def __init__(self, words: list[Word], redirs: list[Redir], piped: bool,
                 kind: str = "simple") -> None:
        self.words = words
        self.redirs = redirs
        self.piped = piped  # stdin is the previous command's output (a pipe)
        self.kind = kind  # "simple", "subs" (only expand the words), "loopvar", "push", "pop"


def structure(toks: list[Token]) -> list[Cmd]:
    """The commands of a token list, in order: each simple command (its words, redirections,
    and whether it reads a pipe), the words that are only expanded (``for``'s list, ``case``'s
    subject and patterns, ``[[ … ]]``), and subshells as a push and a pop of the shell."""
    items: list[Cmd] = []
    words: list[Word] = []
    redirs: list[Redir] = []
    piped = False
    stack: list[str] = []  # "case-pat", "case-body"
    n, i = len(toks), 0

    def flush(next_piped: bool) -> None:
        nonlocal words, redirs, piped
        if words or redirs:
            items.append(Cmd(words, redirs, piped))
        words, redirs, piped = [], [], next_piped

    while i < n:
        t = toks[i]
        if stack and stack[-1] == "case-pat":
            _case_pattern(t, stack, items)
            i += 1
            continue
        if isinstance(t, Redir):
            redirs.append(t)
            i += 1
            continue
        if isinstance(t, str):
            if t == "(" and len(words) == 1 and i + 1 < n and toks[i + 1] == ")":
                words, redirs = [], []  # name ( ) — a function definition
                i += 2
                continue
            flush(t in ("|", "|&"))
            _after_operator(t, stack, items)
            i += 1
            continue
        v = t.plain()
        if not words and v is not None:
            after = _reserved(toks, i, v, stack, items)
            if after is not None:
                i = after
                continue
        words.append(t)
        i += 1
    flush(False)
    return items


def _case_pattern(t: Token, stack: list[str], items: list[Cmd]) -> None:
    """A token of a ``case`` pattern (``a|b)``): its words are expanded, ``)`` starts the body."""
    if isinstance(t, Word) and t.plain() == "esac":
        stack.pop()
    elif t == ")":
        stack[-1] = "case-body"
    elif isinstance(t, Word):
        items.append(Cmd([t], [], False, "subs"))


def _after_operator(t: str, stack: list[str], items: list[Cmd]) -> None:
    """After the command before an operator is flushed: ``;;`` starts the next ``case``
    pattern, ``(`` and ``)`` open and close a subshell."""
    if t in (";;", ";&", ";;&"):
        if stack:
            stack[-1] = "case-pat"
    elif t == "(":
        items.append(Cmd([], [], False, "push"))
    elif t == ")":
        items.append(Cmd([], [], False, "pop"))


def _word_at(toks: list[Token], j: int) -> Optional[Word]:
    t = toks[j] if j < len(toks) else None
    return t if isinstance(t, Word) else None


def _plain_at(toks: list[Token], j: int) -> Optional[str]:
    w = _word_at(toks, j)
    return w.plain() if w is not None else None


def _skip_newlines(toks: list[Token], i: int) -> int:
    while i < len(toks) and toks[i] == "\n":
        i += 1
    return i


def _reserved(toks: list[Token], i: int, v: str, stack: list[str],
              items: list[Cmd]) -> Optional[int]:
    """A reserved word at the start of a command (``v``, at ``toks[i]``): the items its
    header adds and the index after it; None when it is an ordinary command word."""
    if v in RESERVED_START:
        i += 1
        if v == "time" and _plain_at(toks, i) == "-p":
            i += 1
        return i
    if v == "esac" and stack:
        stack.pop()
        return i + 1
    if v in ("for", "select"):
        return _for_header(toks, i, items)
    if v == "case":
        i = _case_header(toks, i, items)
        stack.append("case-pat")
        return i
    if v == "function":
        i += 2
        if i + 1 < len(toks) and toks[i] == "(" and toks[i + 1] == ")":
            i += 2
        return i
    if v == "[[":
        return _test_clause(toks, i, items)
    return None


def _for_header(toks: list[Token], i: int, items: list[Cmd]) -> int:
    """``for NAME [in WORDS…]``: the loop variable (not known) and the words (expanded)."""
    name = _word_at(toks, i + 1)
    i = _skip_newlines(toks, i + 2)
    if name is not None:
        items.append(Cmd([name], [], False, "loopvar"))
    if _plain_at(toks, i) == "in":
        i += 1
        while i < len(toks) and isinstance(toks[i], Word):
            items.append(Cmd([toks[i]], [], False, "subs"))  # type: ignore[list-item]
            i += 1
    return i


def _case_header(toks: list[Token], i: int, items: list[Cmd]) -> int:
    """``case WORD in``: the subject is expanded."""
    subject = _word_at(toks, i + 1)
    if subject is not None:
        items.append(Cmd([subject], [], False, "subs"))
    i = _skip_newlines(toks, i + 2)
    if _plain_at(toks, i) == "in":
        i += 1
    return i


def _test_clause(toks: list[Token], i: int, items: list[Cmd]) -> int:
    """``[[ … ]]``: every word (and redirection-looking operand) is expanded, nothing runs."""
    i += 1
    while i < len(toks) and _plain_at(toks, i) != "]]":
        t = toks[i]
        if isinstance(t, Word):
            items.append(Cmd([t], [], False, "subs"))
        elif isinstance(t, Redir):
            items.append(Cmd([t.target], [], False, "subs"))
        i += 1
    return i + 1


# ----------------------------------------------------------------------------------------------
# Expansion: a Word -> the words the shell would pass (as far as they can be known)
# ----------------------------------------------------------------------------------------------

class EWord:
    """An expanded word. ``value`` is None when it cannot be known before the command runs;
    ``prefix`` is its static beginning; ``safe`` marks a dynamic word that cannot start with
    ``-`` (a ref name from ``git rev-parse``, an xargs/find file name under a root)."""

    __slots__ = ("cmdname", "glob", "prefix", "raw", "safe", "value")

    def __init__(self, value: Optional[str], raw: str, prefix: str = "", safe: bool = False,
                 glob: bool = False, cmdname: Optional[str] = None) -> None:
        self.value = value
        self.raw = raw
        self.prefix = value if value is not None else prefix
        self.safe = safe or (value is None and bool(prefix) and not prefix.startswith("-"))
        self.glob = glob
        self.cmdname = cmdname  # $(which git) -> "git"

    def __repr__(self) -> str:
        return f"EWord({self.value!r}, raw={self.raw!r})"


def _ew(value: str) -> EWord:
    return EWord(value, value)


_SAFE = "\0safe"  # a substitution whose output cannot start with "-"


def _brace(chars: list[tuple[str, bool]], limit: int = 64) -> list[list[tuple[str, bool]]]:
    """Bash brace expansion over (char, quoted) pairs: ``--no-{verify,edit}``."""
    depth, start = 0, -1
    for k, (ch, q) in enumerate(chars):
        if q:
            continue
        if ch == "{":
            if depth == 0:
                start = k
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                alts = _brace_alternatives(chars[start + 1:k], limit)
                if alts is None:
                    continue  # not a brace expression: `{x}` stays as written
                head, tail = chars[:start], chars[k + 1:]
                out: list[list[tuple[str, bool]]] = []
                for alt in alts:
                    out += _brace(head + alt + tail, limit)
                    if len(out) >= limit:
                        break
                return out[:limit]
    return [chars]


def _brace_alternatives(inner: list[tuple[str, bool]],
                        limit: int) -> Optional[list[list[tuple[str, bool]]]]:
    """What ``{inner}`` stands for: its comma-separated parts (``a,b``), or a sequence
    (``1..3``, ``a..e``); None when it is neither."""
    alts: list[list[tuple[str, bool]]] = []
    cur: list[tuple[str, bool]] = []
    d = 0
    for c2 in inner:
        if not c2[1] and c2[0] == "{":
            d += 1
        elif not c2[1] and c2[0] == "}":
            d -= 1
        if not c2[1] and c2[0] == "," and d == 0:
            alts.append(cur)
            cur = []
        else:
            cur.append(c2)
    alts.append(cur)
    if len(alts) >= 2:
        return alts
    return _brace_sequence("".join(c for c, _ in inner), limit)


def _brace_sequence(text: str, limit: int) -> Optional[list[list[tuple[str, bool]]]]:
    """``{1..3}`` or ``{a..e}`` (numbers or letters, either direction); None otherwise."""
    m = re.fullmatch(r"(-?\d+)\.\.(-?\d+)|([a-zA-Z])\.\.([a-zA-Z])", text)
    if not m:
        return None
    if m.group(1) is not None:
        a, b = int(m.group(1)), int(m.group(2))
        rng = range(a, b + (1 if b >= a else -1), 1 if b >= a else -1)
        return [[(c, True) for c in str(x)] for x in list(rng)[:limit]]
    a2, b2 = ord(m.group(3)), ord(m.group(4))
    step = 1 if b2 >= a2 else -1
    return [[(chr(x), True)] for x in range(a2, b2 + step, step)][:limit]


def _brace_word(chars: list[tuple[str, bool]], raw: str) -> EWord:
    """One result of brace expansion as a word (a glob where ``*?[`` is unquoted)."""
    text = "".join(c for c, _ in chars)
    return EWord(text, raw, glob=any(c in "*?[" and not q for c, q in chars))


class _Fields:
    """The words one shell word expands to, built part by part: the current field's text
    (``cur``), whether it holds a value not known before the command runs (``dynamic``;
    ``safe`` when that value cannot start with ``-``), an unquoted glob, and its
    (char, quoted) pairs while it is all known (for brace expansion at the end)."""

    __slots__ = ("chars", "cur", "dynamic", "glob", "have", "raw", "safe", "words")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.words: list[EWord] = []
        self.cur: list[str] = []
        self.dynamic = self.safe = self.glob = self.have = False
        self.chars: list[tuple[str, bool]] = []

    def literal(self, text: str, quoted: bool) -> None:
        if not quoted and _has_glob(text):
            self.glob = True
        if not self.dynamic:
            self.chars += [(c, quoted) for c in text]
        self.cur.append(text)
        self.have = True

    def unknown(self, safe: bool) -> None:
        """A value not known before the command runs (``safe``: it cannot start with -)."""
        if safe and not self.dynamic and not self.cur:
            self.safe = True
        self.dynamic = True
        self.have = True

    def known(self, value: str) -> None:
        """A known value, not split (quoted, or an assignment's right-hand side)."""
        self.cur.append(value)
        if not self.dynamic:
            self.chars += [(c, True) for c in value]
        self.have = True

    def split(self, value: str) -> None:
        """A known unquoted value: field splitting at blanks, which may end the field."""
        pieces = value.split()
        if not pieces:
            return
        if value[:1].isspace() and (self.cur or self.have):
            self.end_field()
        for j, piece in enumerate(pieces):
            if j:
                self.end_field()
            self.known(piece)
        if value[-1:].isspace():
            self.end_field()

    def end_field(self) -> None:
        self.words.append(self._field())
        self.cur, self.chars = [], []
        self.dynamic = self.safe = self.glob = self.have = False

    def _field(self, cmdname: Optional[str] = None) -> EWord:
        text = "".join(self.cur)
        if self.dynamic:
            return EWord(None, self.raw, prefix=text, safe=self.safe, glob=self.glob,
                         cmdname=cmdname)
        return EWord(text, self.raw, glob=self.glob)

    def done(self, split: bool, cmdname: Optional[str]) -> list[EWord]:
        """The words: the last field, brace-expanded when it is all known."""
        if self.cur or self.have:
            if not self.dynamic and split and any(c == "{" and not q for c, q in self.chars):
                return self.words + [_brace_word(c2, self.raw) for c2 in _brace(self.chars)]
            self.words.append(self._field(cmdname))
        return self.words


class Shell:
    """What the analysis knows of the shell running the command: variables assigned earlier
    (None: not known), the working directory (None: not known), the pushd stack."""

    __slots__ = ("cwd", "dirs", "exported", "vars")

    def __init__(self, cwd: Optional[str], vars_: Optional[dict[str, Optional[str]]] = None,
                 dirs: Optional[list[Optional[str]]] = None,
                 exported: Optional[dict[str, Optional[str]]] = None) -> None:
        self.cwd = cwd
        self.vars: dict[str, Optional[str]] = vars_ if vars_ is not None else {}
        self.dirs: list[Optional[str]] = dirs if dirs is not None else []
        self.exported: dict[str, Optional[str]] = exported if exported is not None else {}

    def copy(self) -> Shell:
        return Shell(self.cwd, dict(self.vars), list(self.dirs), dict(self.exported))


def _param_name(body: str) -> Optional[str]:
    """``NAME`` or a special parameter (``$1``, ``$@`` …); None for ``${x:-y}``, ``${#x}`` …"""
    if (body.isascii() and body.isidentifier()) or (len(body) == 1 and body in _SPECIAL_PARAMS):
        return body
    return None


def _has_glob(text: str) -> bool:
    return "*" in text or "?" in text or "[" in text


# ----------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------

SHELLS = frozenset(("sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "yash",
                    "busybox"))
INTERPRETERS = ("python", "node", "perl", "ruby", "deno", "bun", "php", "lua", "osascript",
                "pwsh", "powershell", "tclsh", "Rscript")
# wrapper -> (options taking a value, flags-only marker): the rest is the command it runs
WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset(("-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T",
                       "--user", "--group", "--chdir", "--host", "--prompt", "--role",
                       "--type", "--other-user", "--command-timeout", "--close-from")),
    "doas": frozenset(("-u", "-C")),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset(("-a",)),
    "nohup": frozenset(),
    "setsid": frozenset(),
    "chronic": frozenset(),
    "unbuffer": frozenset(),
    "caffeinate": frozenset(("-t", "-w")),
    "time": frozenset(("-f", "-o", "--format", "--output")),
    "nice": frozenset(("-n", "--adjustment")),
    "ionice": frozenset(("-c", "-n", "-p", "-P", "-u", "--class", "--classdata")),
    "stdbuf": frozenset(("-i", "-o", "-e", "--input", "--output", "--error")),
    "timeout": frozenset(("-s", "-k", "--signal", "--kill-after")),
    "env": frozenset(("-u", "-C", "--unset", "--chdir", "-S", "--split-string", "-P")),
    "taskset": frozenset(),
    "chrt": frozenset(),
    "flock": frozenset(("-w", "-E", "--timeout", "--conflict-exit-code", "-c", "--command")),
    "catchsegv": frozenset(),
    "strace": frozenset(("-o", "-e", "-p", "-s", "-u", "-E")),
    "ltrace": frozenset(("-o", "-e", "-p", "-s", "-u")),
    "xvfb-run": frozenset(("-n", "-s", "-f", "-e", "-p", "-w")),
    "dbus-run-session": frozenset(),
    "with-contenv": frozenset(),
    "proxychains": frozenset(("-f",)),
    "proxychains4": frozenset(("-f",)),
    "torsocks": frozenset(),
    "faketime": frozenset(("-f",)),
    "firejail": frozenset(),
}
# package runners: `<runner> [sub] [options] PROG args` runs PROG
RUNNERS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "uv": (("run", "tool run"), frozenset(("--with", "--python", "-p", "--project",
                                           "--directory", "--package", "--extra", "--group",
                                           "--env-file", "--from", "--index"))),
    "uvx": ((), frozenset(("--with", "--python", "-p", "--from", "--index"))),
    "pipx": (("run",), frozenset(("--spec", "--python", "--pip-args"))),
    "poetry": (("run",), frozenset(("-C", "--directory", "-P", "--project"))),
    "pipenv": (("run",), frozenset()),
    "pdm": (("run",), frozenset(("-p", "--project"))),
    "hatch": (("run",), frozenset(("-e", "--env"))),
    "rye": (("run",), frozenset()),
    "npx": ((), frozenset(("-p", "--package", "-c", "--call"))),
    "bunx": ((), frozenset(("-p", "--package"))),
    "pnpx": ((), frozenset()),
    "pnpm": (("exec", "dlx"), frozenset(("-C", "--dir", "--filter"))),
    "yarn": (("exec", "dlx", "run"), frozenset()),
    "npm": (("exec",), frozenset(("-c", "--call", "-w", "--workspace", "--package"))),
    "bundle": (("exec",), frozenset()),
    "mise": (("exec", "x"), frozenset(("-C", "--cd"))),
    "asdf": (("exec",), frozenset()),
    "direnv": (("exec",), frozenset()),
    "nix": (("develop", "shell"), frozenset(("-c", "--command", "--profile"))),
}
# git subcommands that are git's own (git never looks an alias up for these)
GIT_BUILTINS = frozenset("""
add am annotate apply archive backfill bisect blame branch bugreport bundle cat-file check-attr
check-ignore check-mailmap check-ref-format checkout checkout-index cherry cherry-pick citool
clean clone column commit commit-graph commit-tree config count-objects credential describe
diagnose diff diff-files diff-index diff-pairs diff-tree difftool fast-export fast-import fetch
fetch-pack filter-branch fmt-merge-msg for-each-ref for-each-repo format-patch fsck
fsmonitor--daemon gc get-tar-commit-id grep gui hash-object help hook http-backend index-pack
init init-db instaweb interpret-trailers last-modified log ls-files ls-remote ls-tree mailinfo
mailsplit maintenance merge merge-base merge-file merge-index merge-one-file merge-tree mktag
mktree multi-pack-index mv name-rev notes pack-objects pack-redundant pack-refs patch-id prune
prune-packed pull push range-diff read-tree rebase receive-pack reflog refs remote repack replace
replay repo request-pull rerere reset restore rev-list rev-parse revert rm send-email send-pack
shortlog show show-branch show-index show-ref sparse-checkout stage stash status stripspace
submodule switch symbolic-ref tag unpack-file unpack-objects update-index update-ref
update-server-info upload-archive upload-pack var verify-commit verify-pack verify-tag version
whatchanged worktree write-tree
""".split())
GIT_GLOBAL_VALUE = frozenset(("-C", "-c", "--git-dir", "--work-tree", "--namespace",
                              "--super-prefix", "--config-env", "--list-cmds", "--attr-source"))
# subcommands whose --no-verify skips a hook, and the options of each that take a value
VERIFY_SUBS: dict[str, frozenset[str]] = {
    "commit": frozenset(),  # handled on its own
    "push": frozenset(("--repo", "--receive-pack", "--exec", "-o", "--push-option")),
    "merge": frozenset(("-m", "-F", "-s", "-X", "--message", "--file", "--strategy",
                        "--strategy-option", "--into-name", "--cleanup")),
    "pull": frozenset(("-s", "-X", "--strategy", "--strategy-option", "--depth", "--upload-pack",
                       "--shallow-since", "--shallow-exclude", "--deepen", "-j", "--jobs",
                       "--recurse-submodules")),
    "rebase": frozenset(("-s", "-X", "--strategy", "--strategy-option", "--onto", "-x", "--exec",
                         "-C", "--whitespace", "--empty")),
    "am": frozenset(("--directory", "--exclude", "--include", "-p", "-C", "--patch-format",
                     "--resolvemsg", "--whitespace", "--quoted-cr", "--empty")),
    "cherry-pick": frozenset(("-m", "-s", "-X", "--mainline", "--strategy",
                              "--strategy-option", "--cleanup")),
    "revert": frozenset(("-m", "-s", "-X", "--mainline", "--strategy", "--strategy-option",
                         "--cleanup")),
}
COMMIT_LONG = ("all", "patch", "include", "only", "interactive", "message", "file",
               "reuse-message", "reedit-message", "fixup", "squash", "reset-author", "short",
               "branch", "porcelain", "long", "null", "template", "signoff", "no-signoff",
               "trailer", "no-verify", "verify", "allow-empty", "allow-empty-message", "cleanup",
               "edit", "no-edit", "amend", "no-amend", "no-post-rewrite", "untracked-files",
               "verbose", "no-verbose", "quiet", "dry-run", "status", "no-status", "gpg-sign",
               "no-gpg-sign", "pathspec-from-file", "pathspec-file-nul", "author", "date",
               "ahead-behind", "no-ahead-behind")
COMMIT_VALUE = frozenset(("message", "file", "reuse-message", "reedit-message", "fixup",
                          "squash", "author", "date", "template", "cleanup",
                          "pathspec-from-file", "trailer"))
COMMIT_SHORT_VALUE = "mFCct"  # the rest of the cluster, or the next word
COMMIT_SHORT_ATTACHED = "Su"  # only an attached value
COMMIT_BEYOND = frozenset(("all", "patch", "include", "only", "interactive",
                           "pathspec-from-file"))
# git config keys (lower case; "*" any subsection) an agent must not write: they decide
# which hooks run, which policy is trusted, or whether maintenance races the agents
GUARD_KEYS = ("core.hookspath", "include.path", "includeif.*.path", "guardrails.*",
              "gc.auto", "maintenance.auto", "maintenance.strategy")
# keys whose value is a command git runs (analysed as shell code)
COMMAND_KEYS = ("core.editor", "sequence.editor", "core.pager", "core.fsmonitor",
                "core.sshcommand", "pager.*", "diff.external", "diff.*.command",
                "diff.*.textconv", "filter.*.clean", "filter.*.smudge", "filter.*.process",
                "merge.*.driver", "credential.helper", "gpg.program", "sequence.editor")
EDITOR_VARS = ("GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "EDITOR", "VISUAL", "GIT_PAGER", "PAGER",
               "GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF")
# eval "$(tool …)": shell set-up tools whose output is theirs, not the agent's
EVAL_SAFE = frozenset(("ssh-agent", "direnv", "pyenv", "rbenv", "nodenv", "jenv", "goenv",
                       "plenv", "conda", "mamba", "micromamba", "brew", "starship", "zoxide",
                       "fnm", "mise", "rtx", "keychain", "dircolors", "opam", "gpg-agent",
                       "thefuck", "luarocks", "register-python-argcomplete", "kubectl", "gh",
                       "rustup", "dbus-launch", "resize", "tset", "atuin", "uv", "poetry",
                       "pip", "npm", "helm", "minikube", "docker-machine", "aws", "gcloud",
                       "nvm", "sdk", "asdf", "devbox", "flox", "nix", "ssh-agent.exe"))
# commands whose output cannot start with "-" (safe in an option position)
SAFE_OUTPUT = frozenset(("pwd", "date", "whoami", "hostname", "uuidgen", "mktemp", "nproc",
                         "basename", "dirname", "realpath", "readlink", "id", "uname", "wc"))
SAFE_GIT_OUTPUT = frozenset(("rev-parse", "branch", "symbolic-ref", "merge-base", "describe",
                             "rev-list", "write-tree", "commit-tree", "hash-object",
                             "show-ref", "for-each-ref", "stash", "worktree"))
MARKERS_SKIP = ("--no-verify", "hookspath", "husky=0", "pre_commit_allow_no_config",
                "skip=", "git-commit-verify", "--no-veri")
MARKERS_GUARD = (".git/hooks", "git-path hooks", ".git/config", "guardrails/session",
                 "pre-commit uninstall", "prek uninstall", "guardrails uninstall")
_COMMIT_N = re.compile(r"\bcommit\b[\"',\s]+(?:[^\"'\s]+[\"',\s]+)*?-[A-Za-z]*n\b")
DEV_FILES = ("/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero", "/dev/full",
             "/dev/random", "/dev/urandom")
_CHMOD_MODE = re.compile(r"[0-7]{1,4}|([ugoa]*([-+=]([rwxXst]*|[ugo]))+)(,[ugoa]*([-+=]"
                         r"([rwxXst]*|[ugo]))+)*")


def _key_matches(key: str, patterns: Iterable[str]) -> bool:
    """``key`` (section.sub.name, compared as git does: section and name case-insensitive)
    against ``section.*.name`` / ``section.*`` patterns."""
    parts = key.split(".")
    if len(parts) < 2:
        return False
    sec, name = parts[0].lower(), parts[-1].lower()
    sub = ".".join(parts[1:-1])
    for p in patterns:
        ps = p.split(".")
        if ps[0] != sec:
            continue
        if ps[-1] == "*" and len(ps) == 2:
            return True
        if len(ps) == 2 and not sub and ps[1] == name:
            return True
        if len(ps) == 3 and sub and ps[2] == name:
            return True
    return False


def _long_opt(name: str, options: Iterable[str]) -> Optional[str]:
    """git's parse-options: ``--no-verif`` is ``--no-verify`` (an unambiguous prefix)."""
    body = name[2:]
    opts = tuple(options)
    if body in opts:
        return body
    hits = [o for o in opts if o.startswith(body)]
    if len(hits) == 1 and body:
        return hits[0]
    if "no-verify".startswith(body) and len(body) >= len("no-veri"):
        return "no-verify"  # conservative where a newer git may have made it unambiguous
    return None


def _split_alias(value: str) -> list[str]:
    """git's split_cmdline: quotes and backslashes, no expansion."""
    out: list[str] = []
    cur: list[str] = []
    quote = ""
    have = False
    i = 0
    while i < len(value):
        c = value[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"' and i + 1 < len(value):
                i += 1
                cur.append(value[i])
            else:
                cur.append(c)
        elif c in "'\"":
            quote, have = c, True
        elif c == "\\" and i + 1 < len(value):
            i += 1
            cur.append(value[i])
            have = True
        elif c.isspace():
            if cur or have:
                out.append("".join(cur))
            cur, have = [], False
        else:
            cur.append(c)
        i += 1
    if cur or have:
        out.append("".join(cur))
    return out


def _shell_quote(s: str) -> str:
    return s if s and re.fullmatch(r"[\w@%+=:,./-]+", s) else "'" + s.replace("'", "'\\''") + "'"


def _read_text(path: str) -> Optional[str]:
    """A small regular file's text; None for anything else (never a FIFO or /dev/stdin, which
    would block or consume the hook's own input)."""
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > MAX_SCRIPT:
            return None
        with open(path, "rb") as f:
            data = f.read(MAX_SCRIPT + 1)
    except (OSError, ValueError):
        return None
    if len(data) > MAX_SCRIPT or b"\0" in data[:4096]:
        return None
    return data.decode("utf-8", errors="replace")


def parse_git_config(text: str) -> dict[str, list[str]]:
    """A git config file's ``key -> [values]`` (keys lower-cased but subsections; enough for
    core.hooksPath and aliases; includes are not followed)."""
    out: dict[str, list[str]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            m = re.match(r'\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*(.*)', line)
            if not m:
                continue
            sec = m.group(1)
            if m.group(2) is not None:
                section = f"{sec.lower()}.{m.group(2)}"
            elif "." in sec:
                head, _, sub = sec.partition(".")
                section = f"{head.lower()}.{sub.lower()}"
            else:
                section = sec.lower()
            line = m.group(3).strip()
            if not line:
                continue
        m = re.match(r"([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$", line)
        if not m or not section:
            continue
        raw = m.group(2)
        value = "true" if raw is None else _config_value(raw)
        out.setdefault(f"{section}.{m.group(1).lower()}", []).append(value)
    return out


def _config_value(raw: str) -> str:
    out, quote, i = [], False, 0
    while i < len(raw):
        c = raw[i]
        if c == '"':
            quote = not quote
        elif c == "\\" and i + 1 < len(raw):
            i += 1
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(raw[i], raw[i]))
        elif c in "#;" and not quote:
            break
        else:
            out.append(c)
        i += 1
    return "".join(out).strip()


class RepoInfo:
    """A repository found from a directory with file reads only (no git process)."""

    __slots__ = ("_guarded", "common_dir", "config", "git_dir", "hooks_dirs", "top")

    def __init__(self, top: str, git_dir: str, common_dir: str) -> None:
        self.top = top
        self.git_dir = git_dir
        self.common_dir = common_dir
        self._guarded: Optional[list[tuple[str, str]]] = None
        self.config: dict[str, list[str]] = {}
        for p in (os.path.join(common_dir, "config"), os.path.join(git_dir, "config.worktree"),
                  os.path.expanduser("~/.gitconfig"),
                  os.path.join(os.environ.get("XDG_CONFIG_HOME") or
                               os.path.expanduser("~/.config"), "git", "config")):
            text = _read_text(p)
            if text:
                for k, v in parse_git_config(text).items():
                    self.config.setdefault(k, []).extend(v)
        self.hooks_dirs = [os.path.join(common_dir, "hooks")]
        for raw in self.config.get("core.hookspath", []):
            self.hooks_dirs.append(os.path.normpath(os.path.join(top, os.path.expanduser(raw))))

    def guarded(self) -> list[tuple[str, str]]:
        """(directory, what it is) for the hooks directories and git's own directories, each
        as written and resolved (a symlinked .git or hooks directory)."""
        if self._guarded is None:
            out = []
            for d in self.hooks_dirs:
                out += [(d, "an installed git hook (the hooks directory)"),
                        (os.path.realpath(d), "an installed git hook (the hooks directory)")]
            for d in (self.git_dir, self.common_dir):
                out += [(d, "git's own directory"), (os.path.realpath(d), "git's own directory")]
            self._guarded = out
        return self._guarded

    def git_path(self, rel: str) -> str:
        head = rel.split("/", 1)[0]
        if head == "hooks":
            base = self.hooks_dirs[-1]
            return os.path.normpath(os.path.join(base, rel[len("hooks"):].lstrip("/")))
        common = head in ("config", "info", "objects", "refs", "packed-refs", "shallow",
                          "remotes", "branches", "worktrees", "lfs", "modules", "rr-cache",
                          "svn", "description", "common")
        return os.path.normpath(os.path.join(self.common_dir if common else self.git_dir, rel))


def find_repo(directory: str) -> Optional[RepoInfo]:
    d = os.path.abspath(directory)
    while True:
        dotgit = os.path.join(d, ".git")
        if os.path.isdir(dotgit):
            return RepoInfo(d, dotgit, dotgit)
        if os.path.isfile(dotgit):
            text = _read_text(dotgit) or ""
            if text.startswith("gitdir:"):
                gd = os.path.normpath(os.path.join(d, text[len("gitdir:"):].strip()))
                common = gd
                cd = _read_text(os.path.join(gd, "commondir"))
                if cd:
                    common = os.path.normpath(os.path.join(gd, cd.strip()))
                return RepoInfo(d, gd, common)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


# ----------------------------------------------------------------------------------------------
# The analysis
# ----------------------------------------------------------------------------------------------

def _rev_parse_output(rest: list[str], repo: Optional[RepoInfo]) -> str:
    """What ``git rev-parse REST`` prints: the git directory's paths (``.git`` when the
    repository is not known), otherwise something that cannot start with ``-``."""
    for j, a in enumerate(rest):
        if a in ("--git-dir", "--absolute-git-dir"):
            return repo.git_dir if repo else ".git"
        if a == "--git-common-dir":
            return repo.common_dir if repo else ".git"
        if a == "--show-toplevel":
            return repo.top if repo else _SAFE
        if a == "--git-path" and j + 1 < len(rest):
            rel = rest[j + 1]
            return repo.git_path(rel) if repo else os.path.join(".git", rel)
    return _SAFE


def _program_name(name: str) -> str:
    """The program a command word names: ``/usr/bin/git`` and ``git.exe`` are ``git``."""
    prog = os.path.basename(name)
    if prog.lower().endswith(".exe"):
        prog = prog[:-4]
    if prog.lower() == "git":
        prog = "git"
    return prog


class _Stdin:
    __slots__ = ("text", "what")

    def __init__(self, text: Optional[str], what: str) -> None:
        self.text = text  # None: not known
        self.what = what


class _Analyzer:
    def __init__(self, cwd: Optional[str]) -> None:
        self.base = os.path.abspath(cwd) if cwd else None
        self.found: dict[tuple[str, str], Reason] = {}
        self.a = Analysis()
        self.repos: dict[str, Optional[RepoInfo]] = {}
        self.finished = False  # `git guardrails finish` seen earlier in the command
        self.virtual: dict[str, str] = {}  # files this command writes with known content
        self.context: list[str] = []  # the sh -c / alias / rebase -x a reason was found in
        self._config_files: Optional[tuple[str, ...]] = None

    # -- results -----------------------------------------------------------------------------
    def add(self, rule: str, message: str) -> None:
        if self.context:
            message = f"{message} (in {self.context[-1]})"
        key = (rule, message)
        if key not in self.found:
            self.found[key] = Reason(rule, message)

    def result(self) -> Analysis:
        self.a.reasons = list(self.found.values())
        self.a.writes = list(dict.fromkeys(self.a.writes))
        self.a.unresolved_writes = list(dict.fromkeys(self.a.unresolved_writes))
        return self.a

    # -- scripts -----------------------------------------------------------------------------
    def script(self, text: str, sh: Shell, depth: int, what: str = "the command") -> None:
        if depth > MAX_DEPTH:
            self.add(UNRESOLVED, f"{what} nests shells, eval or aliases more than {MAX_DEPTH} "
                                 "deep: it cannot be checked before it runs")
            return
        lx = _Lexer(text)
        toks = lx.tokens()
        lx._heredocs()
        if lx.error:
            low = text.lower()
            hit = next((m for m in MARKERS_SKIP + MARKERS_GUARD if m in low), None)
            if hit:
                self.add(UNRESOLVED, f"{what} cannot be parsed ({lx.error}) and mentions "
                                     f"`{hit}`: it cannot be checked before it runs")
        if depth and what != "the command":
            self.context.append(what)
            try:
                self.run(toks, sh, depth)
            finally:
                self.context.pop()
        else:
            self.run(toks, sh, depth)

    def run(self, toks: list[Token], sh: Shell, depth: int) -> None:
        saved: list[Shell] = []
        items = structure(toks)
        out: Optional[_Stdin] = None
        for idx, cmd in enumerate(items):
            if cmd.kind == "push":
                saved.append(sh.copy())
                continue
            if cmd.kind == "pop":
                if saved:
                    old = saved.pop()
                    sh.cwd, sh.vars, sh.dirs = old.cwd, old.vars, old.dirs
                continue
            if cmd.kind == "subs":
                for w in cmd.words:
                    self.expand(w, sh, depth)
                continue
            if cmd.kind == "loopvar":
                name = cmd.words[0].static()
                if name:
                    sh.vars[name] = None
                continue
            words, stdin, outfile = self.simple(cmd, sh, depth, out if cmd.piped else None)
            nxt = items[idx + 1] if idx + 1 < len(items) else None
            piped = nxt is not None and nxt.piped
            out = None
            if words and (piped or outfile):
                out = self.output(words, stdin, sh)
                if outfile and out.text is not None:
                    self.virtual[outfile] = out.text

    # -- expansion ---------------------------------------------------------------------------
    def expand(self, w: Word, sh: Shell, depth: int, split: bool = True) -> list[EWord]:
        if len(w.parts) == 1 and w.parts[0][0] == LIT:
            return self._literal(w, split)  # the fast path
        if not w.parts:
            return [EWord("", w.raw)] if w.raw else []
        fields = _Fields(w.raw)
        cmdname: Optional[str] = None
        for k, (kind, data, quoted) in enumerate(w.parts):
            if kind == LIT:
                text = str(data)
                if k == 0 and not quoted and text.startswith("~"):
                    text = self._tilde(text)
                fields.literal(text, quoted)
                continue
            value: Optional[str] = None
            if kind == VAR:
                value = self._parameter(str(data), sh)
            elif kind == CMD:
                toks = data if isinstance(data, list) else []
                self.run(toks, sh.copy(), depth + 1)
                value = self.subst_value(toks, sh)
                if value is not None and value.startswith("\0cmd:"):
                    cmdname, value = value[5:], None  # $(which git): a command name
                    if len(w.parts) == 1:
                        return [EWord(None, w.raw, cmdname=cmdname)]
            elif kind == ARITH:
                value = _SAFE
            if value is None or value == _SAFE:
                fields.unknown(value == _SAFE)
            elif quoted or not split:
                fields.known(value)
            else:
                fields.split(value)
        return fields.done(split, cmdname)

    def _literal(self, w: Word, split: bool) -> list[EWord]:
        """A word of one literal part: brace expansion and ``~`` when it is unquoted."""
        text = str(w.parts[0][1])
        if not w.parts[0][2]:
            if "{" in text and split:
                return [_brace_word(chars, w.raw) for chars in
                        _brace([(c, False) for c in text])]
            if text.startswith("~"):
                text = self._tilde(text)
            return [EWord(text, w.raw, glob=_has_glob(text))]
        return [EWord(text, w.raw)]

    @staticmethod
    def _parameter(body: str, sh: Shell) -> Optional[str]:
        """``$NAME``'s value where the command set it earlier (``$PWD``, ``$HOME`` known)."""
        name = _param_name(body)
        if name is None:
            return None
        value = sh.vars.get(name)
        if name == "PWD" and value is None:
            value = sh.cwd
        if name == "HOME" and value is None:
            value = os.path.expanduser("~")
        return value





    @staticmethod
    def _tilde(text: str) -> str:
        if text == "~" or text.startswith("~/"):
            return os.path.expanduser("~") + text[1:]
        return text

    def subst_value(self, toks: list[Token], sh: Shell) -> Optional[str]:
        """What a ``$(…)`` prints, where that is known: git's own paths, ``pwd``, ``which X``
        (``"\\0cmd:X"``), or ``_SAFE`` for output that cannot start with ``-``."""
        items = [c for c in structure(toks) if c.kind == "simple"]
        if len(items) != 1 or items[0].piped:
            return None
        words = [w.static() for w in items[0].words]
        if not words or any(w is None for w in words):
            return None
        args: list[str] = [w for w in words if w is not None]
        prog = os.path.basename(args[0])
        if prog in ("which", "command", "type") and len(args) >= 2:
            name = args[-1]
            if prog == "which" or "-v" in args or "-P" in args or "-p" in args:
                return "\0cmd:" + os.path.basename(name)
            return None
        if prog == "pwd":
            return sh.cwd or _SAFE
        if prog in SAFE_OUTPUT:
            return _SAFE
        if prog != "git":
            return None
        return self._git_output(args, sh)

    def _git_output(self, args: list[str], sh: Shell) -> Optional[str]:
        """What ``git …`` prints, where :meth:`subst_value` can know it."""
        cwd = sh.cwd
        k = 1
        while k < len(args) and args[k].startswith("-"):
            if args[k] == "-C" and k + 1 < len(args):
                cwd = os.path.join(cwd, args[k + 1]) if cwd else None
                k += 2
            elif args[k] in GIT_GLOBAL_VALUE:
                k += 2
            else:
                k += 1
        if k >= len(args):
            return None
        sub, rest = args[k], args[k + 1:]
        repo = self.repo(cwd)
        if sub == "rev-parse":
            return _rev_parse_output(rest, repo)
        if sub == "config" and rest and rest[-1].lower() == "core.hookspath":
            return repo.hooks_dirs[-1] if repo else ".git/hooks"
        if sub in SAFE_GIT_OUTPUT:
            return _SAFE
        return None

    # -- files -------------------------------------------------------------------------------
    def repo(self, directory: Optional[str]) -> Optional[RepoInfo]:
        if directory is None or self.base is None:
            return None
        if directory not in self.repos:
            self.repos[directory] = find_repo(directory)
        return self.repos[directory]

    def path(self, value: str, sh: Shell) -> str:
        value = self._tilde(value)
        if os.path.isabs(value):
            return os.path.normpath(value)
        if sh.cwd:
            return os.path.normpath(os.path.join(sh.cwd, value))
        return os.path.normpath(value)

    def protected(self, p: str, sh: Shell) -> Optional[str]:
        """What ``p`` (absolute, or relative when the cwd is unknown) is, when it is a file the
        guard depends on: git's own directory, an installed hook, a git config file."""
        parts = p.replace("\\", "/").split("/")
        if ".git" in parts:
            k = parts.index(".git")
            return "an installed git hook" if parts[k + 1:k + 2] == ["hooks"] else \
                "git's own directory (.git)"
        if p in self.config_files() or os.path.basename(p) == "config.worktree":
            return "a git config file"
        repo = self.repo(sh.cwd)
        if repo is not None:
            real = os.path.realpath(p)
            for d, what in repo.guarded():
                if _within(p, d) or _within(real, d):
                    return what
        return None

    def config_files(self) -> tuple[str, ...]:
        if self._config_files is None:
            home = os.path.expanduser("~")
            xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
            self._config_files = (os.path.join(home, ".gitconfig"),
                                  os.path.join(xdg, "git", "config"), "/etc/gitconfig")
        return self._config_files

    def write(self, ew: EWord, sh: Shell, how: str) -> None:
        """``ew`` is created, changed, deleted or chmod-ed by ``how``."""
        if ew.value is not None and not ew.glob:
            if ew.value in ("", "-") or ew.value.startswith("/dev/fd/") or ew.value in DEV_FILES:
                return
            p = self.path(ew.value, sh)
            self.a.writes.append(p)
            what = self.protected(p, sh)
        else:
            self.a.unresolved_writes.append(ew.raw)
            prefix = ew.prefix
            if ew.glob and ew.value is not None:
                prefix = re.split(r"[*?\[]", ew.value, maxsplit=1)[0]
            what = None
            if "/" in prefix:
                what = self.protected(self.path(prefix.rsplit("/", 1)[0] or "/", sh) +
                                      "/x", sh)
        if what:
            self.add(DISABLES_GUARD, f"`{how} {ew.raw}` changes {what}: " + _WHY.get(
                what, "hooks, config and the guardrails session record live there") +
                "; leave it to the human")

    # -- one simple command ------------------------------------------------------------------
    def simple(self, cmd: Cmd, sh: Shell, depth: int, stdin: Optional[_Stdin]
               ) -> tuple[list[EWord], Optional[_Stdin], Optional[str]]:
        outfile: Optional[str] = None
        for r in cmd.redirs:
            stdin = self.redirect(r, sh, depth, stdin)
            if r.op in (">", ">|") and r.target.static():
                outfile = self.path(r.target.static() or "", sh)
        env: dict[str, EWord] = {}
        k = 0
        while k < len(cmd.words) and _is_assignment(cmd.words[k]):
            name, value = self.assignment(cmd.words[k], sh, depth)
            env[name] = value
            k += 1
        words: list[EWord] = []
        for w in cmd.words[k:]:
            words += self.expand(w, sh, depth)
        if not words:
            for name, value in env.items():
                sh.vars[name] = value.value
            self.env_reasons(env, "")
            return words, stdin, None
        self.env_reasons(env, words[0].raw)
        self.command(words, env, sh, depth, stdin)
        return words, stdin, outfile

    def assignment(self, w: Word, sh: Shell, depth: int) -> tuple[str, EWord]:
        first = str(w.parts[0][1])
        m = _ASSIGN.match(first)
        assert m is not None
        rest = Word()
        rest.parts = [(LIT, first[m.end():], False), *w.parts[1:]]
        rest.parts = [p for p in rest.parts if p[0] != LIT or p[1]]
        rest.raw = w.raw[m.end():]
        vals = self.expand(rest, sh, depth, split=False)
        value = vals[0] if vals else EWord("", "")
        array = bool(rest.parts) and not rest.parts[0][2] and str(rest.parts[0][1])[:1] == "("
        if array and value.value is not None:
            value = EWord(value.value.strip("()"), value.raw)  # an array: its words joined
        if m.group(2) and value.value is not None:
            old = sh.vars.get(m.group(1))
            value = EWord(None if old is None else old + value.value, w.raw)
        value.raw = w.raw
        return m.group(1), value

    def redirect(self, r: Redir, sh: Shell, depth: int,
                 stdin: Optional[_Stdin]) -> Optional[_Stdin]:
        op = r.op
        if op in ("<<", "<<-"):
            body = r.body or ""
            if r.expand:
                self.expand(_body_word(body, depth), sh, depth)
            return _Stdin(body, "a here-document")
        targets = self.expand(r.target, sh, depth, split=False)
        t = targets[0] if targets else EWord("", "")
        if op == "<<<":
            return _Stdin(None if t.value is None else t.value + "\n", "a here-string")
        if op in ("<", "<&"):
            if op == "<" and t.value is not None:
                p = self.path(t.value, sh)
                text = self.virtual.get(p)
                return _Stdin(text if text is not None else _read_text(p), t.raw)
            return stdin
        if op in (">&", "<&") and (t.value is None or t.value.isdigit() or t.value == "-"):
            if t.value is not None:
                return stdin
        self.write(t, sh, op)
        return stdin

    # -- environment assignments -------------------------------------------------------------
    def env_reasons(self, env: Mapping[str, EWord], prog: str) -> None:
        for name, ew in env.items():
            self._env_var(name, ew)

    def _env_var(self, name: str, ew: EWord) -> None:
        """One ``NAME=value`` in a command's environment: does it skip hooks, switch the
        guard off, or run code (an editor variable)?"""
        v = ew.value
        shown = ew.raw if "=" in ew.raw else f"{name}={ew.raw}"
        if name in ("SKIP", "PREK_SKIP"):
            self._skip_var(shown, v)
        elif (name == "HUSKY" and (v or "").strip() == "0") or (name in (
                "HUSKY_SKIP_HOOKS", "OVERCOMMIT_DISABLE", "LEFTHOOK_EXCLUDE",
                "LEFTHOOK_SKIP", "_PRE_COMMIT_SKIP_POST_CHECKOUT") and v != "0"):
            self.add(SKIPS_HOOKS, f"`{shown}` turns hooks off")
        elif name == "LEFTHOOK" and (v or "").strip().lower() in ("0", "false", "off", "no"):
            self.add(SKIPS_HOOKS, f"`{shown}` turns lefthook's hooks off")
        elif name == "PRE_COMMIT_ALLOW_NO_CONFIG" and v != "":
            self.add(SKIPS_HOOKS, f"`{shown}` lets the hooks pass without a configuration")
        elif name == "GUARDRAILS_BASE":
            self.add(DISABLES_GUARD, f"`{shown}` changes the branch the trusted policy is "
                                     "read from")
        elif name.startswith("GIT_CONFIG_KEY_") or name == "GIT_CONFIG_PARAMETERS":
            self._config_var(name, shown, v)
        elif name in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG") and v:
            text = None if v == "/dev/null" else _read_text(self._tilde(v))
            if text and "core.hookspath" in parse_git_config(text):
                self.add(SKIPS_HOOKS, f"`{shown}` reads a config that sets core.hooksPath")
        elif name in EDITOR_VARS and v:
            self.code(v, Shell(None), 1, f"`{name}`", shell=True)

    def _skip_var(self, shown: str, v: Optional[str]) -> None:
        """``SKIP=…`` / ``PREK_SKIP=…``: does it name one of the guardrails' hooks?"""
        if v is None:
            self.add(UNRESOLVED, f"`{shown}`: which hooks it skips cannot be read "
                                 "before the command runs")
            return
        from guardrails.skipped.attestation import HOOK_IDS

        names = [n.strip() for n in v.split(",") if n.strip()]
        ours = [n for n in names if n.rsplit(":", 1)[-1] in HOOK_IDS]
        projects = [n for n in names if "/" in n or n in (".", ":")]
        if ours or projects:
            self.add(SKIPS_HOOKS, f"`{shown}` skips the guardrails hook(s) "
                                  f"{', '.join(ours + projects)}")

    def _config_var(self, name: str, shown: str, v: Optional[str]) -> None:
        """``GIT_CONFIG_KEY_n`` / ``GIT_CONFIG_PARAMETERS``: does it override core.hooksPath?"""
        if v is None:
            self.add(UNRESOLVED, f"`{shown}`: which git setting it overrides cannot be "
                                 "read before the command runs")
        elif name == "GIT_CONFIG_PARAMETERS":
            if "hookspath" in v.lower():
                self.add(SKIPS_HOOKS, f"`{shown}` overrides core.hooksPath: git runs "
                                      "none of the installed hooks")
        elif v.strip().lower() == "core.hookspath":
            self.add(SKIPS_HOOKS, f"`{shown}` (GIT_CONFIG_COUNT/KEY/VALUE, how Gemini "
                                  "CLI disables hooks) overrides core.hooksPath: git "
                                  "runs none of the installed hooks")

    # -- dispatch ----------------------------------------------------------------------------
    def command(self, words: list[EWord], env: dict[str, EWord], sh: Shell, depth: int,
                stdin: Optional[_Stdin]) -> None:
        head = words[0]
        name = head.value if head.value is not None else head.cmdname
        if name is None:
            self.dynamic_command(words)
            return
        prog = _program_name(name)
        args = words[1:]
        alias = sh.vars.get("\0alias:" + prog) if head.value is not None else None
        if alias is not None and depth <= MAX_DEPTH:
            rest = " ".join(_shell_quote(a.value) if a.value is not None else a.raw
                            for a in args)
            self.script(f"{alias} {rest}", sh, depth + 1, f"the shell alias `{prog}`")
            return
        if prog == "alias":
            for a in args:
                name, eq, value = (a.value or "").partition("=")
                if eq and name:
                    sh.vars["\0alias:" + name] = value
            return
        if prog == "git":
            self.git(args, env, sh, depth, sh.cwd, head.raw)
        elif prog.startswith("git-") and prog != "git-guardrails":
            self.git([_ew(prog[4:]), *args], env, sh, depth, sh.cwd, "git")
        elif prog == "git-guardrails":
            self.guardrails(args, sh)
        elif prog in SHELLS:
            self.shell(prog, args, sh, depth, stdin)
        elif not self.builtin(prog, args, sh, depth, stdin):
            self.program(prog, name, words, env, sh, depth, stdin)

    def builtin(self, prog: str, args: list[EWord], sh: Shell, depth: int,
                stdin: Optional[_Stdin]) -> bool:
        """The shell builtins that run code or change the shell (``eval``, ``source``, ``cd``,
        ``export`` …, ``unset``, ``set --``); False when ``prog`` is none of them."""
        if prog == "eval":
            self.eval(args, sh, depth)
        elif prog in ("source", ".") and args and args[0].value in ("/dev/stdin", "-"):
            if stdin is not None and stdin.text is not None:
                self.script(stdin.text, sh, depth + 1, f"`{prog}` (from {stdin.what})")
            elif stdin is not None:
                self.add(UNRESOLVED, f"`{prog} {args[0].raw}` runs shell code read from "
                                     f"{stdin.what}, which cannot be read before it runs")
        elif prog in ("source", "."):
            if args:
                self.script_file(args[0], sh, depth, f"`{prog} {args[0].raw}`", source=True)
        elif prog in ("cd", "pushd", "popd", "chdir"):
            self.cd(prog, args, sh)
        elif prog in ("export", "declare", "typeset", "local", "readonly"):
            self.declare(prog, args, sh)
        elif prog == "unset":
            for a in args:
                if a.value:
                    sh.vars.pop(a.value, None)
        elif prog == "set" and args and args[0].value == "--":
            self.positional(sh, args[1:])
        else:
            return False
        return True

    def program(self, prog: str, name: str, words: list[EWord], env: dict[str, EWord],
                sh: Shell, depth: int, stdin: Optional[_Stdin]) -> None:
        """A program that runs other commands (wrappers, runners, xargs, find, interpreters),
        writes files, or manages hooks; a script by path (``./x.sh``)."""
        head, args = words[0], words[1:]
        if prog in WRAPPERS:
            self.wrapper(prog, args, env, sh, depth, stdin)
        elif prog in RUNNERS:
            self.runner(prog, args, env, sh, depth, stdin)
        elif prog == "xargs":
            self.xargs(args, env, sh, depth, stdin)
        elif prog == "find":
            self.find(args, env, sh, depth)
        elif prog in FILE_COMMANDS:
            self.file_command(prog, args, sh)
        elif prog in ("pre-commit", "prek", "lefthook", "husky", "overcommit"):
            self.hook_manager(prog, args)
        elif prog.rstrip("0123456789.") in INTERPRETERS or prog in ("python", "py"):
            self.interpreter(prog, args, sh, depth, stdin)
        elif prog in ("watch", "su", "nix-shell", "runuser", "script"):
            self.string_runner(prog, args, sh, depth)
        elif "/" in name:
            self.script_file(head, sh, depth, f"`{head.raw}`", executable=True, args=args)

    def dynamic_command(self, words: list[EWord]) -> None:
        rest = [w.value for w in words[1:] if w.value is not None]
        hook_sub = next((r for r in rest if r in VERIFY_SUBS or r == "config"), None)
        marker = next((r for r in rest if ("--no-verify".startswith(r) and len(r) > 8) or
                       "hookspath" in r.lower()), None)
        if hook_sub or marker:
            self.add(UNRESOLVED, f"`{words[0].raw} {' '.join(w.raw for w in words[1:])}`"[:160]
                     + f": the command `{words[0].raw}` cannot be read before it runs; "
                     "write `git` out")

    # -- shells, eval, scripts ---------------------------------------------------------------
    def shell(self, prog: str, args: list[EWord], sh: Shell, depth: int,
              stdin: Optional[_Stdin]) -> None:
        if prog == "busybox":
            if args and args[0].value in ("sh", "ash", "bash"):
                self.shell("sh", args[1:], sh, depth, stdin)
            else:
                self.command(args, {}, sh, depth, stdin) if args else None
            return
        c_flag = False
        k = 0
        while k < len(args):
            a = args[k]
            v = a.value
            if v is None:
                break
            if v == "--":
                k += 1
                break
            if v in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
                k += 2
                continue
            if v in ("-c", "--command") or (v.startswith("-") and not v.startswith("--") and
                                            "c" in v[1:]):
                c_flag = True
                k += 1
                continue
            if v.startswith(("-", "+")) and v not in ("-", "+"):
                k += 1
                continue
            break
        operands = args[k:]
        label = f"`{prog} -c`" if c_flag else f"`{prog}`"
        sub = Shell(sh.cwd, {"HOME": sh.vars.get("HOME")} if "HOME" in sh.vars else {})
        if c_flag:
            if not operands:
                return
            code = operands[0]
            self.positional(sub, operands[2:])  # operands[1] is $0
            if code.value is None:
                self.unreadable_code(code, label)
                return
            self.script(code.value, sub, depth + 1, label)
            return
        if operands and operands[0].value != "-":
            self.positional(sub, operands[1:])
            self.script_file(operands[0], sub, depth, f"`{prog} {operands[0].raw}`")
            return
        if stdin is None:
            return
        if stdin.text is None:
            self.add(UNRESOLVED, f"{label} runs shell code read from {stdin.what}, which "
                                 "cannot be read before it runs: save it to a file, read it, "
                                 "then run that file")
            return
        self.script(stdin.text, sub, depth + 1, f"{label} (from {stdin.what})")

    def unreadable_code(self, code: EWord, label: str) -> None:
        self.add(UNRESOLVED, f"{label} {code.raw}: the shell code cannot be read before it "
                             "runs (it may skip hooks); write it out literally")

    def positional(self, sh: Shell, args: list[EWord]) -> None:
        vals = [a.value for a in args]
        for n, v in enumerate(vals, 1):
            sh.vars[str(n)] = v
        joined = None if any(v is None for v in vals) else " ".join(v or "" for v in vals)
        sh.vars["@"] = sh.vars["*"] = joined
        sh.vars["#"] = str(len(vals))

    def eval(self, args: list[EWord], sh: Shell, depth: int) -> None:
        if not args:
            return
        if all(a.value is not None for a in args):
            self.script(" ".join(a.value or "" for a in args), sh, depth + 1, "`eval`")
            return
        for a in args:
            if a.value is None and not (a.cmdname or self._eval_safe(a)):
                self.unreadable_code(a, "`eval`")
                return

    def _eval_safe(self, a: EWord) -> bool:
        """``eval "$(ssh-agent -s)"``: the raw text names a shell set-up tool."""
        m = re.fullmatch(r"""(["']?)\$\(\s*(?:command\s+)?([\w./-]+)[^;&|`$()<>\n]*\)\1""", a.raw)
        return bool(m) and os.path.basename(m.group(2)) in EVAL_SAFE if m else False

    def script_file(self, ew: EWord, sh: Shell, depth: int, label: str, source: bool = False,
                    executable: bool = False, args: Optional[list[EWord]] = None) -> None:
        if ew.value is None:
            if ew.cmdname is None and not source:
                self.unreadable_code(ew, label)
            elif source and not self._eval_safe(ew):
                self.unreadable_code(ew, label)
            return
        p = self.path(ew.value, sh)
        text = self.virtual.get(p)
        if text is None and self.base is not None:
            text = _read_text(p)
        if text is None:
            return  # not there (yet): documented limit; git hooks and CI still apply
        if executable:
            first = text.split("\n", 1)[0]
            if first.startswith("#!") and not re.search(r"\b(ba|z|k|da|a|mk)?sh\b", first):
                if re.search(r"python|node|perl|ruby", first):
                    self.code(text, sh, depth + 1, label)
                return
        sub = sh if source else Shell(sh.cwd)
        if args is not None:
            self.positional(sub, args)
        self.script(text, sub, depth + 1, label)

    def code(self, text: str, sh: Shell, depth: int, label: str, shell: bool = False) -> None:
        """Code of another language (``python -c``), or a command string a setting holds:
        marker text, and as shell code where ``shell``."""
        low = text.lower()
        if shell and depth <= MAX_DEPTH:
            self.script(text, Shell(sh.cwd), depth + 1, label)
        hit = next((m for m in MARKERS_SKIP if m in low), None)
        if hit or _COMMIT_N.search(text):
            self.add(SKIPS_HOOKS, f"{label} runs code that mentions `{hit or 'commit -n'}`: it "
                                  "would run git with hooks skipped")
        hit = next((m for m in MARKERS_GUARD if m in low), None)
        if hit:
            self.add(DISABLES_GUARD, f"{label} runs code that touches `{hit}`")
        if "git" in low and "commit" in low:
            self.a.commits = True
            self.a.commit_dirs.append(sh.cwd or "")

    def interpreter(self, prog: str, args: list[EWord], sh: Shell, depth: int,
                    stdin: Optional[_Stdin]) -> None:
        label = f"`{prog}`"
        k = 0
        while k < len(args):
            v = args[k].value
            if v is None:
                break
            if v in ("-m",) and k + 1 < len(args):
                mod = args[k + 1].value or ""
                rest = args[k + 2:]
                if mod in ("pre_commit", "prek"):
                    self.hook_manager("pre-commit", rest)
                elif mod == "guardrails":
                    self.guardrails(rest, sh)
                return
            if v in ("-c", "-e", "-E", "-r", "--eval", "-p", "--print", "-x") or \
                    (prog.startswith(("perl", "ruby")) and re.fullmatch(r"-[a-zA-Z]*e", v)):
                if k + 1 < len(args):
                    self.inline_code(prog, args, k, sh, depth)
                return
            if v == "-" or not v.startswith("-"):
                if v != "-" and self.base is not None:
                    text = _read_text(self.path(v, sh))
                    if text is not None:
                        self.code(text, sh, depth, f"`{prog} {args[k].raw}`")
                    return
                break
            k += 1
        if stdin is not None and stdin.text is not None and (k >= len(args) or
                                                             args[k].value == "-"):
            self.code(stdin.text, sh, depth, f"{label} (from {stdin.what})")

    def inline_code(self, prog: str, args: list[EWord], k: int, sh: Shell, depth: int) -> None:
        """``python -c CODE``, ``perl -pi -e CODE FILE…`` (``args[k]`` is the option): the
        code, and for ``perl``/``ruby -i`` the files it edits in place."""
        code = args[k + 1]
        if code.value is None:
            self.code(code.raw, sh, depth, f"`{prog}`")
        else:
            self.code(code.value, sh, depth, f"`{prog}`")
        if prog.startswith(("perl", "ruby")) and any(
                re.fullmatch(r"-[a-zA-Z]*i\S*", a.value or "") for a in args[:k + 1]):
            for f in args[k + 2:]:
                if not (f.value or "").startswith("-"):
                    self.write(f, sh, f"{prog} -i")

    def string_runner(self, prog: str, args: list[EWord], sh: Shell, depth: int) -> None:
        """``su -c CMD``, ``nix-shell --run CMD``, ``watch CMD…``: a command string."""
        for k, a in enumerate(args):
            v = a.value or ""
            cluster = prog in ("su", "script", "runuser") and v.startswith("-") and \
                not v.startswith("--") and v.endswith("c")
            if (cluster or v in ("-c", "--command", "--run", "--session-command")) and \
                    k + 1 < len(args):
                code = args[k + 1]
                if code.value is None:
                    self.unreadable_code(code, f"`{prog}`")
                else:
                    self.script(code.value, Shell(sh.cwd), depth + 1, f"`{prog}`")
                return
        if prog == "watch":
            k = 0
            while k < len(args) and (args[k].value or "").startswith("-"):
                k += 2 if args[k].value in ("-n", "--interval", "-d") else 1
            rest = args[k:]
            if rest and all(a.value is not None for a in rest):
                self.script(" ".join(a.value or "" for a in rest), Shell(sh.cwd), depth + 1,
                            "`watch`")

    # -- builtins ----------------------------------------------------------------------------
    def cd(self, prog: str, args: list[EWord], sh: Shell) -> None:
        ops = [a for a in args if not (a.value or "x").startswith("-") or a.value == "-"]
        if prog == "popd":
            sh.cwd = sh.dirs.pop() if sh.dirs else None
            return
        if prog == "pushd":
            sh.dirs.append(sh.cwd)
        if not ops:
            sh.cwd = os.path.expanduser("~") if prog != "pushd" else sh.cwd
            return
        target = ops[0]
        if target.value is None or target.value == "-" or (sh.cwd is None and \
                self.base is not None):
            sh.cwd = None
            return
        sh.cwd = self.path(target.value, sh) if (sh.cwd or os.path.isabs(target.value)) else \
            os.path.normpath(target.value)

    def declare(self, prog: str, args: list[EWord], sh: Shell) -> None:
        env: dict[str, EWord] = {}
        for a in args:
            v = a.value
            if v is None:
                m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=", a.prefix)
                if m:
                    env[m.group(1)] = EWord(None, a.raw)
                continue
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=(.*)", v, re.DOTALL)
            if m:
                env[m.group(1)] = EWord(m.group(3), a.raw)
        for name, value in env.items():
            sh.vars[name] = value.value
            if prog == "export" or prog in ("declare", "typeset"):
                sh.exported[name] = value.value
        self.env_reasons(env, prog)

    # -- wrappers ----------------------------------------------------------------------------
    def wrapper(self, prog: str, args: list[EWord], env: dict[str, EWord], sh: Shell,
                depth: int, stdin: Optional[_Stdin]) -> None:
        env = dict(env)
        scanned = self._wrapper_options(prog, args, env, sh, depth)
        if scanned is None:
            return  # `env -S CODE` was analysed as a script; `command -v` runs nothing
        k, cwd = scanned
        if prog == "timeout" and k < len(args):
            k += 1  # the duration
        if prog in ("flock", "taskset", "chrt") and k < len(args):
            k += 1  # the lock file, the mask, the priority
        rest = args[k:]
        if prog == "flock" and rest and rest[0].value in ("-c", "--command"):
            self.string_runner("flock", rest, sh, depth)
            return
        if prog in ("env", "sudo", "doas"):  # NAME=value before the command
            while rest and rest[0].value is not None and _ASSIGN.match(rest[0].value):
                m = _ASSIGN.match(rest[0].value)
                assert m is not None
                env[m.group(1)] = EWord(rest[0].value[m.end():], rest[0].value)
                rest = rest[1:]
        if not rest:
            if prog == "env":
                self.env_reasons(env, "env")
            return
        if prog in ("env", "sudo", "doas"):
            self.env_reasons(env, prog)
        inner = sh if cwd == sh.cwd else Shell(cwd, sh.vars, sh.dirs, sh.exported)
        self.command(rest, env, inner, depth, stdin)

    def _wrapper_options(self, prog: str, args: list[EWord], env: dict[str, EWord],
                         sh: Shell, depth: int) -> Optional[tuple[int, Optional[str]]]:
        """Step over a wrapper's options (``env NAME=v -C DIR``, ``sudo -u U``, ``nice -5``):
        the index of the wrapped command and the directory it runs in; None when the wrapper
        runs no command of its own (``command -v``) or ran a string (``env -S``)."""
        with_value = WRAPPERS[prog]
        k = 0
        cwd = sh.cwd
        while k < len(args):
            v = args[k].value
            if v is None:
                break
            if v == "--":
                k += 1
                break
            if prog == "env" and _ASSIGN.match(v):
                m = _ASSIGN.match(v)
                assert m is not None
                env[m.group(1)] = EWord(v[m.end():], v)
                k += 1
                continue
            if (prog == "env" and v in ("-S", "--split-string")) or v.startswith("--split-string="):
                self._env_split_string(v, args, k, env, sh, depth)
                return None
            if not v.startswith("-") or v == "-":
                if prog == "env" and v == "-":
                    k += 1
                    continue
                break
            if prog == "command" and v in ("-v", "-V"):
                return None  # looks the name up, runs nothing
            if prog == "nice" and re.fullmatch(r"-\d+", v):
                k += 1
                continue
            name = v.split("=", 1)[0]
            if prog == "env" and name in ("-C", "--chdir"):
                d = v.split("=", 1)[1] if "=" in v else (args[k + 1].value if k + 1 < len(args)
                                                         else None)
                cwd = None if d is None else self.path(d, sh)
            if name in with_value and "=" not in v and not (len(v) > 2 and v[1] != "-" and
                                                             name != v):
                k += 2
            else:
                k += 1  # no value, or an attached one: -s9, -oL
        return k, cwd

    def _env_split_string(self, v: str, args: list[EWord], k: int, env: dict[str, EWord],
                          sh: Shell, depth: int) -> None:
        """``env -S 'CMD ARGS'`` (``args[k]`` is ``v``): the string is split and run."""
        code = v.partition("=")[2] if "=" in v else \
            (args[k + 1].value if k + 1 < len(args) else "")
        rest = args[k + (1 if "=" in v else 2):]
        self.env_reasons(env, "env")
        if code is None:
            self.unreadable_code(args[k + 1], "`env -S`")
            return
        self.script(code + " " + " ".join(_shell_quote(a.value or "") for a in rest),
                    sh.copy(), depth + 1, "`env -S`")

    def runner(self, prog: str, args: list[EWord], env: dict[str, EWord], sh: Shell,
               depth: int, stdin: Optional[_Stdin]) -> None:
        subs, with_value = RUNNERS[prog]
        k = 0
        if subs:
            while k < len(args) and (args[k].value or "").startswith("-"):
                k += 2 if args[k].value in with_value else 1
            if k >= len(args):
                return
            two = f"{args[k].value} {args[k + 1].value}" if k + 1 < len(args) else ""
            if two in subs:
                k += 2
            elif args[k].value in subs:
                k += 1
            else:
                return
        while k < len(args):
            v = args[k].value or ""
            if v == "--":
                k += 1
                break
            if not v.startswith("-"):
                break
            if prog in ("npx", "npm") and v in ("-c", "--call") and k + 1 < len(args):
                code = args[k + 1]
                if code.value is None:
                    self.unreadable_code(code, f"`{prog} -c`")
                else:
                    self.script(code.value, sh.copy(), depth + 1, f"`{prog} -c`")
                return
            if prog == "nix" and v in ("-c", "--command"):
                k += 1
                break
            k += 2 if v in with_value else 1
        if prog == "direnv" and k < len(args):
            k += 1  # the directory
        rest = args[k:]
        if rest:
            self.command(rest, env, sh, depth, stdin)

    def xargs(self, args: list[EWord], env: dict[str, EWord], sh: Shell, depth: int,
              stdin: Optional[_Stdin]) -> None:
        k, replace = 0, None
        while k < len(args):
            v = args[k].value
            if v is None or not v.startswith("-"):
                break
            if v == "--":
                k += 1
                break
            if v in ("-I", "--replace") and k + 1 < len(args):
                replace = args[k + 1].value or "{}"
                k += 2
                continue
            if v.startswith("-I") and len(v) > 2:
                replace = v[2:]
            elif v.startswith(("-i", "--replace=")):
                replace = v.split("=", 1)[1] if "=" in v else (v[2:] or "{}")
            elif v in ("-n", "-L", "-P", "-d", "-s", "-E", "-a", "--arg-file", "--delimiter",
                       "--max-args", "--max-lines", "--max-procs", "--max-chars", "--eof",
                       "--process-slot-var"):
                k += 2
                continue
            k += 1
        rest = args[k:] or [_ew("echo")]
        items = self.stdin_items(stdin)
        if replace is not None:
            out = []
            for a in rest:
                if a.value is not None and replace in a.value:
                    if a.value == replace:
                        out += items
                    else:
                        pre = a.value.split(replace, 1)[0]
                        out.append(EWord(None, a.raw, prefix=pre,
                                         safe=bool(pre) and not pre.startswith("-")))
                else:
                    out.append(a)
            rest = out
        else:
            rest = rest + items
        self.command(rest, env, sh, depth, None)

    def stdin_items(self, stdin: Optional[_Stdin]) -> list[EWord]:
        """xargs' arguments from its input: the words when the input is known text, else one
        word that cannot be read (a file name under a find root is at least not an option)."""
        if stdin is not None and stdin.text is not None:
            if stdin.what.startswith("\0root:"):
                return [EWord(None, f"(names under {stdin.what[6:]})",
                              prefix=stdin.what[6:] + "/", safe=True)]
            return [_ew(x) for x in stdin.text.split()][:64]
        return [EWord(None, "(xargs input)")]

    def find(self, args: list[EWord], env: dict[str, EWord], sh: Shell, depth: int) -> None:
        k = 0
        while k < len(args) and args[k].value in ("-H", "-L", "-P", "-D", "-O"):
            k += 2 if args[k].value == "-D" else 1
        roots = []
        while k < len(args) and (args[k].value or "x")[0] not in "-(!" :
            roots.append(args[k])
            k += 1
        if not roots:
            roots = [_ew(".")]
        placeholders = [EWord(None, "{}", prefix=(r.value or r.prefix).rstrip("/") + "/",
                              safe=True) for r in roots[:4]]
        while k < len(args):
            v = args[k].value
            if v == "-delete":
                for r in roots:
                    self.write(EWord(None, r.raw + "/…", prefix=(r.value or r.prefix)
                                     .rstrip("/") + "/"), sh, "find -delete")
            elif v in ("-fprint", "-fprint0", "-fprintf", "-fls") and k + 1 < len(args):
                self.write(args[k + 1], sh, f"find {v}")
            elif v in ("-exec", "-execdir", "-ok", "-okdir"):
                j = k + 1
                while j < len(args) and args[j].value not in (";", "+"):
                    j += 1
                inner = args[k + 1:j]
                for ph in placeholders:
                    cmd = [ph if a.value == "{}" else
                           (EWord(None, a.raw, prefix=(a.value or "").split("{}")[0],
                                  safe=True) if a.value and "{}" in a.value else a)
                           for a in inner]
                    if cmd:
                        self.command(cmd, env, sh, depth, None)
                k = j
            k += 1

    # -- file commands -----------------------------------------------------------------------
    def file_command(self, prog: str, args: list[EWord], sh: Shell) -> None:
        ops, opts = _file_operands(prog, args)
        how = prog
        targets: list[EWord] = []
        if prog in ("rm", "unlink", "rmdir", "shred", "trash", "trash-put", "touch", "truncate",
                    "tee"):
            targets = ops
        elif prog in ("chmod", "chown", "chgrp", "chattr", "setfacl"):
            how = f"{prog} {ops[0].raw}" if ops else prog
            targets = ops[1:] if not any(o.startswith("--reference") for o in opts) else ops
        elif prog in ("cp", "mv", "install", "ln", "rsync"):
            targets = self._copy_targets(prog, ops, opts, sh)
        elif prog == "sed":
            targets = _sed_in_place(ops, opts)
            how = "sed -i"
        elif prog == "dd":
            targets = [EWord(a.value[3:], a.raw) if a.value is not None else
                       EWord(None, a.raw, prefix=a.prefix[3:])
                       for a in ops if a.prefix.startswith("of=")]
        elif prog in ("curl", "wget"):
            targets = _download_targets(prog, opts)
        for t in targets:
            self.write(t, sh, how)

    def _copy_targets(self, prog: str, ops: list[EWord], opts: list[str],
                      sh: Shell) -> list[EWord]:
        """``cp``/``mv``/``install``/``ln``/``rsync``: the destination left to write; into a
        directory, each source's new path is written here (and ``mv``'s sources, which go)."""
        tdir = next((opts[j + 1] for j, o in enumerate(opts[:-1]) if o in ("-t",
                     "--target-directory")), None)
        tdir = tdir or next((o.split("=", 1)[1] for o in opts
                             if o.startswith("--target-directory=")), None)
        targets: list[EWord] = []
        if tdir is not None:
            targets = [EWord(os.path.join(tdir, os.path.basename(s.value)), s.raw)
                       if s.value is not None else EWord(None, s.raw, prefix=tdir + "/")
                       for s in ops]
            sources = ops
        elif len(ops) >= 2 or (prog == "ln" and ops):
            dest, sources = ops[-1], ops[:-1]
            if prog == "ln" and len(ops) == 1:
                dest, sources = _ew(os.path.basename(ops[0].value or "x")), []
            targets = self._into(prog, dest, sources, sh)
        else:
            sources = []
        if prog == "mv":
            for s in sources:
                self.write(s, sh, "mv")
        return targets

    def _into(self, prog: str, dest: EWord, sources: list[EWord], sh: Shell) -> list[EWord]:
        """``cp A B DIR``: when ``dest`` is an existing directory each source's path in it is
        written now and nothing is left; otherwise ``dest`` itself is the target."""
        isdir = dest.value is not None and os.path.isdir(self.path(dest.value, sh)) \
            and self.base is not None
        if not isdir or dest.value is None:
            return [dest]
        targets = [EWord(os.path.join(dest.value, os.path.basename(s.value)), s.raw)
                   if s.value is not None else EWord(None, s.raw, prefix=dest.value + "/")
                   for s in sources]
        for t in targets:
            t.raw = f"{' '.join(s.raw for s in sources)} {dest.raw}"
        for t in targets:
            self.write(t, sh, prog)
        return []

    # -- hook managers and guardrails ----------------------------------------------------------
    def hook_manager(self, prog: str, args: list[EWord]) -> None:
        vals = [a.value or "" for a in args]
        sub = next((v for v in vals if not v.startswith("-")), "")
        if sub == "uninstall" or (prog == "overcommit" and "--uninstall" in vals):
            self.add(DISABLES_GUARD, f"`{prog} uninstall` removes the installed git hooks")
        elif sub == "install" and prog in ("pre-commit", "prek"):
            for j, v in enumerate(vals):
                if v in ("-c", "--config") or v.startswith("--config="):
                    cfg = v.split("=", 1)[1] if "=" in v else (vals[j + 1] if j + 1 < len(vals)
                                                               else "")
                    if os.path.normpath(cfg) != ".pre-commit-config.yaml":
                        self.add(DISABLES_GUARD, f"`{prog} install --config {cfg}` installs "
                                                 "hooks that run another configuration")
                elif v == "--allow-missing-config":
                    self.add(DISABLES_GUARD, f"`{prog} install --allow-missing-config` "
                                             "installs hooks that pass without a configuration")
                elif v == "--skip" or v.startswith("--skip="):
                    self.add(SKIPS_HOOKS, f"`{prog} install --skip` bakes skipped hooks into "
                                          "the installed hook")

    def guardrails(self, args: list[EWord], sh: Shell) -> None:
        vals = [a.value for a in args]
        k = 0
        while k < len(vals) and (vals[k] or "").startswith("-"):
            k += 1
        if k >= len(vals):
            return
        sub, rest = vals[k], [v or "" for v in vals[k + 1:]]
        allow = any(v == "--allow" or v.startswith("--allow=") for v in rest)
        if sub == "uninstall":
            self.add(DISABLES_GUARD, "`git guardrails uninstall` removes the guardrails' git "
                                     "hooks")
        elif sub == "finish":
            self.finished = True
        elif sub == "start":
            if self.finished:
                self.add(DISABLES_GUARD, "`git guardrails finish` then `git guardrails start` "
                                         "ends the agent's session and starts another: a human "
                                         "starts sessions")
            if allow:
                self.add(DISABLES_GUARD, "`git guardrails start --allow …` lets the agent "
                                         "choose its own scope: a human starts sessions (or "
                                         "use a task of the trusted policy)")
        elif sub == "worktree" and rest[:1] == ["add"] and allow:
            self.add(DISABLES_GUARD, "`git guardrails worktree add … --allow …` starts a "
                                     "session whose scope the agent chose")
        elif sub == "worktree" and rest[:1] == ["remove"] and any(
                v in ("--force", "-f") for v in rest):
            self.add(DISABLES_GUARD, "`git guardrails worktree remove --force` ends a "
                                     "session's worktree whatever it holds")

    # -- pipes -------------------------------------------------------------------------------
    def output(self, words: list[EWord], stdin: Optional[_Stdin], sh: Shell) -> _Stdin:
        """What a command prints, where it is known (echo, printf, cat, find's roots)."""
        prog = os.path.basename(words[0].value or "") if words else ""
        args = words[1:]
        what = f"`{words[0].raw}`'s output" if words else "a pipe"
        if prog in ("echo", "printf", "cat") and any(a.value is None for a in args):
            return _Stdin(None, what)
        vals = [a.value or "" for a in args]
        if prog == "echo":
            esc = False
            while vals and re.fullmatch(r"-[neE]+", vals[0]):
                esc = esc or "e" in vals[0]
                vals = vals[1:]
            text = " ".join(vals)
            return _Stdin((_unescape(text) if esc else text) + "\n", what)
        if prog == "printf" and vals:
            return _Stdin(_printf(vals[0], vals[1:]), what)
        if prog == "cat":
            files = [v for v in vals if not v.startswith("-") or v == "-"]
            if not files:
                return stdin if stdin is not None else _Stdin(None, what)
            out = []
            for f in files:
                if f == "-":
                    if stdin is None or stdin.text is None:
                        return _Stdin(None, what)
                    out.append(stdin.text)
                    continue
                p = self.path(f, sh)
                known = self.virtual.get(p)
                if known is None and self.base is not None:
                    known = _read_text(p)
                if known is None:
                    return _Stdin(None, f"`cat {f}`")
                out.append(known)
            return _Stdin("".join(out), what)
        if prog in ("find", "ls", "fd"):
            root = next((v for v in vals if not v.startswith("-")), ".")
            return _Stdin("", "\0root:" + root.rstrip("/"))
        return _Stdin(None, what)

    # -- git ---------------------------------------------------------------------------------
    def git(self, args: list[EWord], env: Mapping[str, EWord], sh: Shell, depth: int,
            cwd: Optional[str], shown: str) -> None:
        start_cwd = cwd
        merged: dict[str, Optional[str]] = dict(sh.exported)
        merged.update({k: v.value for k, v in env.items()})
        overrides = _env_config_overrides(merged)
        scanned = self._git_globals(args, merged, overrides, sh, depth, cwd)
        if scanned is None:
            return
        k, cwd = scanned
        if k >= len(args):
            return
        sub, rest = str(args[k].value), args[k + 1:]
        if sub not in GIT_BUILTINS and sub != "guardrails":
            known, alias = self._git_alias_value(sub, overrides, cwd)
            if known:
                self.git_alias(sub, alias, args[:k], rest, env, sh, depth, start_cwd, cwd)
                return
        if _git_stages(sub, rest):
            self.a.stages = True
        self.git_subcommand(sub, rest, sh, depth, cwd)

    def _git_globals(self, args: list[EWord], merged: Mapping[str, Optional[str]],
                     overrides: dict[str, Optional[str]], sh: Shell, depth: int,
                     cwd: Optional[str]) -> Optional[tuple[int, Optional[str]]]:
        """Step over git's global options (``-c``, ``--config-env``, ``-C`` …), noting the
        settings they override: the subcommand's index and the directory git runs in; None
        when nothing more is to be checked (an option not readable, ``--version`` …)."""
        k = 0
        while k < len(args):
            a = args[k]
            v = a.value
            if v is None:
                self.add(UNRESOLVED, f"`git {a.raw} …`: a git option or subcommand that cannot "
                                     "be read before the command runs (it may skip hooks)")
                return None
            if v in ("-c", "--config-env") or v.startswith("--config-env="):
                k = self._git_config_option(v, args, k, merged, overrides, sh, depth, cwd)
                continue
            if v == "-C":
                d = args[k + 1] if k + 1 < len(args) else _ew(".")
                if d.value is None:
                    cwd = None
                elif os.path.isabs(d.value) or cwd is not None:
                    cwd = self.path(d.value, Shell(cwd))
                elif self.base is None:
                    cwd = os.path.normpath(d.value)
                k += 2
                continue
            if v in GIT_GLOBAL_VALUE:
                k += 2
                continue
            if v.startswith("-"):
                if v in ("--version", "-v", "--help", "-h", "--exec-path", "--html-path",
                         "--man-path", "--info-path") or v.startswith("--list-cmds="):
                    return None
                k += 1
                continue
            break
        return k, cwd

    def _git_config_option(self, v: str, args: list[EWord], k: int,
                           merged: Mapping[str, Optional[str]],
                           overrides: dict[str, Optional[str]], sh: Shell, depth: int,
                           cwd: Optional[str]) -> int:
        """``git -c KEY=VALUE`` / ``--config-env=KEY=ENVVAR`` at ``args[k]``: the setting's
        effect, and the index after the option."""
        if v.startswith("--config-env="):
            item, k = _ew(v[len("--config-env="):]), k + 1
        else:
            item, k = (args[k + 1] if k + 1 < len(args) else _ew("")), k + 2
        if item.value is None:
            self.add(UNRESOLVED, f"`git {v} {item.raw}`: which setting it overrides "
                                 "cannot be read before the command runs")
            return k
        key, eq, val = item.value.partition("=")
        value: Optional[str]
        if v == "-c":
            value, label = (val if eq else "true"), f"git -c {item.raw}"
        else:
            value = merged.get(val, sh.vars.get(val))
            label = f"git --config-env={item.value}"
        overrides[key.strip().lower()] = value
        self.config_effect(key.strip(), value, label, sh, depth, cwd, inline=True)
        return k

    def _git_alias_value(self, sub: str, overrides: Mapping[str, Optional[str]],
                         cwd: Optional[str]) -> tuple[bool, Optional[str]]:
        """Whether ``git SUB`` is an alias (set by ``-c`` or in the repository's config) and
        its value (None: set from a value that cannot be read)."""
        alias_key = "alias." + sub.lower()
        if alias_key in overrides:
            return True, overrides[alias_key]
        repo = self.repo(cwd)
        if repo is not None and repo.config.get(alias_key):
            return True, repo.config[alias_key][-1]
        return False, None

    def git_subcommand(self, sub: str, rest: list[EWord], sh: Shell, depth: int,
                       cwd: Optional[str]) -> None:
        """The git subcommands that run hooks, write commits or run code."""
        if sub == "guardrails":
            self.guardrails(rest, sh)
        elif sub == "commit":
            self.git_commit(rest, sh, cwd)
        elif sub in VERIFY_SUBS:
            self.git_verify(sub, rest, sh, depth, cwd)
        elif sub == "config":
            self.git_config(rest, sh, depth, cwd)
        elif sub in ("commit-tree", "fast-import"):
            self.add(SKIPS_HOOKS, f"`git {sub}` writes commits without running any hook: "
                                  "commit with `git commit`")
        elif sub == "submodule":
            vals = [a.value for a in rest]
            if "foreach" in vals:
                j = vals.index("foreach") + 1
                while j < len(vals) and (vals[j] or "").startswith("-"):
                    j += 1
                code = rest[j:]
                if any(a.value is None for a in code):
                    self.unreadable_code(code[0], "`git submodule foreach`")
                elif code:
                    self.script(" ".join(a.value or "" for a in code), Shell(None), depth + 1,
                                "`git submodule foreach`")
        elif sub == "bisect" and rest and rest[0].value == "run" and len(rest) > 1:
            self.command(rest[1:], {}, Shell(cwd, dict(sh.vars)), depth + 1, None)

    def git_alias(self, sub: str, alias: Optional[str], before: list[EWord],
                  rest: list[EWord], env: Mapping[str, EWord], sh: Shell, depth: int,
                  start_cwd: Optional[str], cwd: Optional[str]) -> None:
        label = f"the git alias `{sub}`"
        if alias is None:
            self.add(UNRESOLVED, f"{label} is set from a value that cannot be read before the "
                                 "command runs")
            return
        if depth > MAX_DEPTH:
            self.add(UNRESOLVED, f"{label} expands more than {MAX_DEPTH} times")
            return
        if alias.startswith("!"):
            sub_sh = Shell(cwd)
            self.positional(sub_sh, rest)
            self.script(alias[1:] + ' "$@"', sub_sh, depth + 1, f"{label} (`{alias}`)")
            return
        words = [_ew(x) for x in _split_alias(alias)]
        self.context.append(f"{label} = `{alias}`")
        try:
            self.git(before + words + rest, env, sh, depth + 1, start_cwd, "git")
        finally:
            self.context.pop()

    def git_commit(self, rest: list[EWord], sh: Shell, cwd: Optional[str]) -> None:
        opts = _CommitOptions()
        after = False
        j = 0
        while j < len(rest):
            a = rest[j]
            v = a.value
            j += 1
            if after:
                opts.beyond = True
                continue
            if v is None:
                if not opts.dynamic(a):
                    self.unresolved_option("git commit", a)
                continue
            if a.glob and self.glob_may_be_option(v, sh):
                self.unresolved_option("git commit", a)
                continue
            if v == "--":
                after = True
            elif v.startswith("--"):
                j += opts.long(v)
            elif v.startswith("-") and len(v) > 1:
                j += opts.short(v)
            else:
                opts.beyond = True  # a pathspec
        if opts.no_verify and not opts.dry:
            self.add(SKIPS_HOOKS, f"`git commit {opts.no_verify}` skips the pre-commit and "
                                  "commit-msg hooks")
        if not opts.dry:
            self.a.commits = True
            self.a.commit_dirs.append(cwd or "")
            self.a.commits_beyond_index = self.a.commits_beyond_index or opts.beyond
            self.a.stages = self.a.stages or opts.beyond

    def unresolved_option(self, what: str, a: EWord) -> None:
        self.add(UNRESOLVED, f"`{what} … {a.raw}`: `{a.raw}` cannot be read before the command "
                             "runs and may expand to an option such as --no-verify; write the "
                             "options out (a message after -m, or paths after --, are fine)")

    def glob_may_be_option(self, pattern: str, sh: Shell) -> bool:
        """``git commit *`` where a file named ``--no-verify`` exists."""
        if "/" in pattern or pattern[:1] not in ("*", "?", "[", "-") or sh.cwd is None or \
                self.base is None:
            return False
        import fnmatch

        try:
            names = os.listdir(sh.cwd)
        except OSError:
            return False
        return any(n.startswith("-") and fnmatch.fnmatchcase(n, pattern) for n in names)

    def git_verify(self, sub: str, rest: list[EWord], sh: Shell, depth: int,
                   cwd: Optional[str]) -> None:
        values = VERIFY_SUBS[sub]
        no_verify: Optional[str] = None
        j = 0
        while j < len(rest):
            a = rest[j]
            v = a.value
            j += 1
            if v is None:
                if sub == "push" and not a.safe and not (
                        a.prefix.startswith("--") and "=" in a.prefix and
                        not "--no-verify".startswith(a.prefix.split("=")[0])):
                    self.unresolved_option("git push", a)
                continue
            if v == "--":
                break
            if v.startswith("--"):
                name, eq, val = v.partition("=")
                if sub == "rebase" and name == "--exec":
                    code = _ew(val) if eq else (rest[j] if j < len(rest) else _ew(""))
                    j += 0 if eq else 1
                    self.exec_code(code, cwd, depth, "`git rebase --exec`")
                    continue
                if name in values and not eq:
                    j += 1
                    continue
                if "--no-verify".startswith(name) and len(name) >= len("--no-veri"):
                    no_verify = v
                elif "--verify".startswith(name) and len(name) >= len("--veri"):
                    no_verify = None
                continue
            if v.startswith("-") and len(v) > 1:
                j = self._verify_short(sub, v, rest, j, depth, cwd)
        if no_verify:
            self.add(SKIPS_HOOKS, f"`git {sub} {no_verify}` skips the "
                                  + ("pre-push hook" if sub == "push" else f"{sub} hooks"))

    def _verify_short(self, sub: str, v: str, rest: list[EWord], j: int, depth: int,
                      cwd: Optional[str]) -> int:
        """A short-option cluster of ``git push/merge/rebase …`` (``rest[j]`` follows it):
        the index after its value, and ``rebase -x CODE`` checked."""
        for n, ch in enumerate(v[1:]):
            if "-" + ch in VERIFY_SUBS[sub]:
                attached = v[n + 2:]
                if not attached:
                    code = rest[j] if j < len(rest) else _ew("")
                    j += 1
                else:
                    code = _ew(attached)
                if sub == "rebase" and ch == "x":
                    self.exec_code(code, cwd, depth, "`git rebase -x`")
                break
        return j

    def exec_code(self, code: EWord, cwd: Optional[str], depth: int, label: str) -> None:
        if code.value is None:
            self.unreadable_code(code, label)
        else:
            self.script(code.value, Shell(cwd), depth + 1, label)

    def git_config(self, rest: list[EWord], sh: Shell, depth: int, cwd: Optional[str]) -> None:
        action, positional, target = _config_command(rest)
        shown = "git config " + " ".join(a.raw for a in rest)
        shown = shown if len(shown) < 100 else shown[:97] + "…"
        if action in ("get", "list"):
            return
        if action == "edit":
            self.add(DISABLES_GUARD, f"`{shown}` opens a git config file in an editor: what it "
                                     "writes (core.hooksPath …) cannot be checked")
            return
        if not positional:
            return
        key = positional[0].value
        if key is None:
            self.add(UNRESOLVED, f"`{shown}`: which setting it changes cannot be read before "
                                 "the command runs")
            return
        if action in ("rename-section", "remove-section"):
            sec = key.split(".")[0].lower()
            if sec in ("core", "include", "guardrails", "gc", "maintenance", "alias") or \
                    sec.startswith("includeif"):
                self.add(DISABLES_GUARD, f"`{shown}` removes the [{key}] section, which holds "
                                         "settings the guard depends on")
            return
        what = "unsets" if action == "unset" else "writes"
        if _key_matches(key, GUARD_KEYS):
            self.add(DISABLES_GUARD, f"`{shown}` {what} {key}, which decides which hooks run, "
                                     "which policy is trusted or when maintenance runs"
                                     + (f" (in {target})" if target else ""))
            return
        if action == "unset":
            return
        value = positional[1] if len(positional) > 1 else _ew("")
        self.config_effect(key, value.value, f"`{shown}`", sh, depth, cwd, inline=False)

    def config_effect(self, key: str, value: Optional[str], label: str, sh: Shell, depth: int,
                      cwd: Optional[str], inline: bool) -> None:
        low = key.lower()
        if not label.startswith("`"):
            label = f"`{label}`"
        if low == "core.hookspath":
            self.add(SKIPS_HOOKS, f"{label} points core.hooksPath elsewhere: git runs none of "
                                  "the installed hooks")
        elif inline and _key_matches(key, ("guardrails.*",)):
            self.add(DISABLES_GUARD, f"{label} overrides the guardrails' own settings for the "
                                     "hooks this git runs")
        elif inline and _key_matches(key, ("include.path", "includeif.*.path")):
            text = _read_text(self.path(value, Shell(cwd))) if value else None
            if value is None or (text is not None and "core.hookspath" in
                                 parse_git_config(text)):
                self.add(SKIPS_HOOKS, f"{label} includes a config file that may set "
                                      "core.hooksPath")
        elif low.startswith("alias.") and not inline:
            if value is None:
                self.add(UNRESOLVED, f"{label} defines an alias whose value cannot be read "
                                     "before the command runs")
                return
            child = _Analyzer(self.base)
            if value.startswith("!"):
                child.script(value[1:], Shell(cwd), depth + 1, f"the alias {key}")
            else:
                child.git([_ew(x) for x in _split_alias(value)], {}, Shell(cwd), depth + 1, cwd,
                          "git")
            for r in child.found.values():
                if r.rule != UNRESOLVED:
                    self.add(r.rule, f"{label} defines an alias that would: {r.message}")
        elif _key_matches(key, COMMAND_KEYS) and value:
            self.code(value, Shell(cwd), depth, f"{label} (a command git runs)", shell=True)


FILE_COMMANDS: dict[str, frozenset[str]] = {
    "rm": frozenset(), "unlink": frozenset(), "rmdir": frozenset(), "trash": frozenset(),
    "trash-put": frozenset(), "tee": frozenset(),
    "shred": frozenset(("-n", "-s", "--iterations", "--size")),
    "touch": frozenset(("-d", "-t", "-r", "--date", "--reference")),
    "truncate": frozenset(("-s", "-r", "--size", "--reference")),
    "chmod": frozenset(), "chown": frozenset(("--from",)), "chgrp": frozenset(),
    "chattr": frozenset(("-v", "-p")),
    "setfacl": frozenset(("-m", "-x", "-M", "-X", "--modify", "--remove", "--set",
                          "--set-file")),
    "cp": frozenset(("-t", "--target-directory", "-S", "--suffix")),
    "mv": frozenset(("-t", "--target-directory", "-S", "--suffix")),
    "install": frozenset(("-t", "-m", "-o", "-g", "-S", "--mode", "--owner", "--group",
                          "--target-directory", "--suffix")),
    "ln": frozenset(("-t", "-S", "--target-directory", "--suffix")),
    "rsync": frozenset(("-e", "--rsh", "--exclude", "--include", "--filter", "-f")),
    "sed": frozenset(("-e", "-f", "--expression", "--file", "-l", "--line-length")),
    "dd": frozenset(),
    "curl": frozenset(("-o", "--output", "-d", "-H", "-X", "-u", "-A", "-e", "-F", "--data",
                       "--header", "--request", "--user", "-b", "-c", "-T", "-w", "-m",
                       "--max-time", "--retry", "--connect-timeout", "--data-raw",
                       "--data-binary", "--user-agent", "--referer", "--form", "--cookie",
                       "--cookie-jar", "--upload-file", "--write-out", "-x", "--proxy")),
    "wget": frozenset(("-O", "--output-document", "-o", "--output-file", "-P",
                       "--directory-prefix", "-U", "--user-agent", "--header")),
}


class _CommitOptions:
    """What ``git commit``'s options say: the option that skips the hooks (``-n``,
    ``--no-verify``, as written; a later ``--verify`` undoes it), ``--dry-run``, and whether
    the commit takes content beyond the index (``-a``, ``--only``, ``-p``, pathspecs)."""

    __slots__ = ("beyond", "dry", "no_verify")

    def __init__(self) -> None:
        self.no_verify: Optional[str] = None
        self.dry = False
        self.beyond = False

    def long(self, v: str) -> int:
        """``--name[=value]``: how many words after it are its value (0 or 1)."""
        name, eq, _ = v.partition("=")
        opt = _long_opt(name, COMMIT_LONG)
        if opt == "no-verify":
            self.no_verify = v
        elif opt == "verify":
            self.no_verify = None
        elif opt == "dry-run":
            self.dry = True
        elif opt in COMMIT_BEYOND:
            self.beyond = True
        return 1 if opt in COMMIT_VALUE and not eq else 0

    def short(self, v: str) -> int:
        """A cluster of short options (``-anm``): how many words after it are a value."""
        for n, ch in enumerate(v[1:]):
            if ch == "n":
                self.no_verify = v
            elif ch in "aiop":
                self.beyond = True
            elif ch in COMMIT_SHORT_VALUE:
                return 1 if n == len(v) - 2 else 0
            elif ch in COMMIT_SHORT_ATTACHED:
                break
        return 0

    def dynamic(self, a: EWord) -> bool:
        """A word not known before the command runs: False when it could be an option that
        matters (``$ARGS``, ``-$X``), True when it cannot (a safe word, a value)."""
        if a.safe:
            self.beyond = True
            return True
        if a.prefix.startswith("--") and "=" in a.prefix:
            return _long_opt(a.prefix.split("=", 1)[0], COMMIT_LONG) in COMMIT_VALUE
        if a.prefix.startswith("-") and len(a.prefix) > 1 and not a.prefix.startswith("--"):
            for ch in a.prefix[1:]:
                if ch == "n":
                    self.no_verify = a.raw
                if ch in COMMIT_SHORT_VALUE or ch in COMMIT_SHORT_ATTACHED:
                    return True  # the rest is the option's value (-m$MSG)
        return False


_CONFIG_ACTIONS = ("list", "get", "set", "unset", "rename-section", "remove-section", "edit")
_CONFIG_LEGACY = {"--get": "get", "--get-all": "get", "--get-regexp": "get",
                  "--get-urlmatch": "get", "--get-color": "get", "--get-colorbool": "get",
                  "-l": "list", "--list": "list", "-e": "edit", "--edit": "edit",
                  "--add": "set", "--replace-all": "set", "--unset": "unset",
                  "--unset-all": "unset", "--rename-section": "rename-section",
                  "--remove-section": "remove-section"}


def _config_command(rest: list[EWord]) -> tuple[str, list[EWord], str]:
    """``git config REST`` in either syntax (``git config set K V``, ``git config --unset
    K``): the action (get, list, set, unset, edit, rename-/remove-section), the operands,
    and the file it writes (``-f FILE``; "" for the repository's)."""
    action = ""
    positional: list[EWord] = []
    target = ""
    j = 0
    if rest and rest[0].value in _CONFIG_ACTIONS:
        action, j = str(rest[0].value), 1
    while j < len(rest):
        a = rest[j]
        v = a.value
        j += 1
        if v is None or not v.startswith("-") or v == "-":
            positional.append(a)
            continue
        name, eq, val = v.partition("=")
        if name in ("-f", "--file", "--blob", "--type", "--default", "--comment", "--value",
                    "--url") and not eq:
            if name in ("-f", "--file") and j < len(rest):
                target = rest[j].raw
            j += 1
            continue
        if name in ("-f", "--file"):
            target = val
        if name in _CONFIG_LEGACY and not action:
            action = _CONFIG_LEGACY[name]
    if not action:
        action = "set" if len(positional) >= 2 else "get"
    return action, positional, target


def _env_config_overrides(merged: Mapping[str, Optional[str]]) -> dict[str, Optional[str]]:
    """The settings ``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n`` in git's environment set."""
    overrides: dict[str, Optional[str]] = {}
    for name, kv in merged.items():
        if name.startswith("GIT_CONFIG_KEY_") and kv:
            overrides[kv.strip().lower()] = merged.get("GIT_CONFIG_VALUE_" + name[15:], "")
    return overrides


def _git_stages(sub: str, rest: list[EWord]) -> bool:
    """Whether ``git SUB REST`` changes the index."""
    return sub in ("add", "stage", "rm", "mv", "update-index", "read-tree", "reset") or (
        sub == "apply" and any(a.value in ("--cached", "--index") for a in rest)) or (
        sub == "restore" and any(a.value in ("--staged", "-S") for a in rest))


def _file_operands(prog: str, args: list[EWord]) -> tuple[list[EWord], list[str]]:
    """A file command's operands and its options (each option's value after it)."""
    ops: list[EWord] = []
    opts: list[str] = []
    k, after = 0, False
    with_value = FILE_COMMANDS[prog]
    while k < len(args):
        a = args[k]
        v = a.value
        if after or v is None or not v.startswith("-") or v == "-":
            ops.append(a)
        elif v == "--":
            after = True
        elif prog in ("chmod",) and _CHMOD_MODE.fullmatch(v) and not any(o for o in ops):
            ops.append(a)  # chmod -x FILE: the mode, not an option
        else:
            opts.append(v)
            if v in with_value or (v.split("=")[0] in with_value and "=" not in v):
                if k + 1 < len(args):
                    opts.append(args[k + 1].value or "")
                k += 1
        k += 1
    return ops, opts


def _sed_in_place(ops: list[EWord], opts: list[str]) -> list[EWord]:
    """The files ``sed -i`` edits (none without ``-i``)."""
    inplace = any(o.startswith(("-i", "--in-place")) or
                  (o.startswith("-") and not o.startswith("--") and "i" in o[1:])
                  for o in opts)
    if not inplace:
        return []
    script_given = any(o in ("-e", "-f", "--expression", "--file") or
                       o.startswith(("--expression=", "--file=")) for o in opts)
    if ops and ops[0].value == "" and not script_given:
        return ops[2:]  # BSD: sed -i '' SCRIPT FILE
    return ops if script_given else ops[1:]


def _download_targets(prog: str, opts: list[str]) -> list[EWord]:
    """The files ``curl -o`` / ``wget -O`` write."""
    targets: list[EWord] = []
    for j, o in enumerate(opts):
        if o in ("-o", "--output", "-O", "--output-document") and j + 1 < len(opts) and \
                not (prog == "curl" and o == "-O"):
            targets.append(_ew(opts[j + 1]))
        elif o.startswith(("--output=", "--output-document=")):
            targets.append(_ew(o.split("=", 1)[1]))
    return targets


_WHY = {
    "an installed git hook": "the guard runs from there",
    "an installed git hook (the hooks directory)": "the guard runs from there",
    "a git config file": "it can set core.hooksPath or aliases that skip hooks",
}


def _within(p: str, d: str) -> bool:
    d = d.rstrip("/") or "/"
    return p == d or p.startswith(d + "/") or d == "/"


def _unescape(text: str) -> str:
    return re.sub(r"\\([nt\\])", lambda m: {"n": "\n", "t": "\t", "\\": "\\"}[m.group(1)], text)


def _printf(fmt: str, args: list[str]) -> str:
    """printf's output for ``%s``/``%b``/``%d`` formats (enough to read a piped script)."""
    out: list[str] = []
    args = list(args)
    for _ in range(64):
        used = False

        def conv(m: re.Match[str]) -> str:
            nonlocal used
            if m.group() == "%%":
                return "%"
            used = True
            return args.pop(0) if args else ""

        out.append(_unescape(re.sub(r"%%|%[-+ #0-9.]*[sbdiqcxXouf]", conv, fmt)))
        if not args or not used:
            break
    return "".join(out)


def _analyze(command: str, cwd: Optional[str] = None) -> Analysis:
    an = _Analyzer(cwd)
    an.script(command, Shell(an.base), 0)
    return an.result()


def analyze(command: str, cwd: Optional[str] = None) -> Analysis:
    """Everything the agent hooks need to know about one shell command line (see the top of
    this module). Never raises: an internal error blocks the command (fail closed)."""
    try:
        return _analyze(command, cwd)
    except Exception as e:
        return Analysis([Reason(UNRESOLVED, f"the command could not be analysed "
                                            f"({type(e).__name__}: {e}); blocked to be safe")])


def simple_commands(command: str) -> Iterator[list[str]]:
    """The top-level simple commands of ``command`` as word lists (quotes removed; a word with
    an expansion as written). For older callers: :func:`analyze` sees much more (``sh -c``,
    substitutions, aliases). ValueError when the command cannot be parsed."""
    lx = _Lexer(command)
    toks = lx.tokens()
    lx._heredocs()
    if lx.error:
        raise ValueError(lx.error)
    for cmd in structure(toks):
        if cmd.kind == "simple" and cmd.words:
            yield [v if (v := w.static()) is not None else w.raw for w in cmd.words]


def reasons(command: str) -> list[str]:
    """The messages of :func:`analyze`'s reasons (empty: the command may run)."""
    return [r.message for r in analyze(command).reasons]


def alias_reasons(value: str) -> list[str]:
    """Why the git alias ``value`` (``commit --no-verify``, ``!git push -n …``) skips hooks
    or disables the guard when it is run; what only its arguments could decide is left out."""
    an = _Analyzer(None)
    try:
        if value.startswith("!"):
            an.script(value[1:], Shell(None), 1, "the alias")
        else:
            an.git([_ew(x) for x in _split_alias(value)], {}, Shell(None), 1, None, "git")
    except Exception:
        return ["the alias could not be analysed"]
    return [r.message for r in an.found.values() if r.rule != UNRESOLVED]


def git_reasons(args: list[str]) -> list[str]:
    """Why ``git <args>`` (the words after ``git``, already split) skips hooks or disables
    the guard; empty when it does not."""
    an = _Analyzer(None)
    try:
        an.git([_ew(a) for a in args], {}, Shell(None), 0, None, "git")
    except Exception:
        return ["the git command could not be analysed"]
    return [r.message for r in an.found.values()]
