"""Every on-disk record guardrails keeps, read and written in one place.

The records (session, checked tree, journal, maintenance, last finding, tip, lock) live in git
dirs that the agent can write, so each is untrusted input:

- :func:`read` returns a validated object or None (no file), or raises :class:`StateError`: the
  file is not a regular file, too big, not UTF-8, not JSON, nested too deep, another version, or
  a field is of the wrong type or out of range. A StateError is a GuardrailsError (exit 2) and
  carries a rule id (``state-invalid``) and the command that repairs it (:meth:`finding`); it is
  never a traceback and never a wrong value handed on.
- A :class:`Schema` names the record's version and validates every field with small
  validators (:func:`oid`, :func:`refname`, :func:`branch`, :func:`text`, :func:`number` …):
  object ids are ``[0-9a-f]{40,64}``, ref names pass git's ``check-ref-format`` rules, numbers
  are finite and in range, strings carry no control characters, depth and size are bounded.
- :func:`write` validates what it writes against the same schema and replaces the file
  atomically (a temp file in the same directory, fsync, rename, fsync of the directory): a
  reader sees the old record or the new one, a full disk leaves the old one in place.
- :func:`append_line` adds one JSON line to a log under an flock on it (the journal);
  :func:`read_lines` yields its valid lines and skips torn or invalid ones.
- :func:`hold` is the one flock in the common git dir that serialises guardrails' writes to
  shared state (worktree add, session start/finish, gc); callers that change shared records
  hold it. The kernel drops an flock when its holder dies, so a killed holder never leaves it
  stuck; the file records who holds it for the message a waiter prints.

Hook start-up: this module imports json, os and time only (fcntl when locking).
"""
from __future__ import annotations

import json
import math
import os
import sys
import time

from guardrails.errors import GuardrailsError

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from contextlib import AbstractContextManager
    from typing import Any, Optional

    Validator = Callable[[Any], Any]

DEFAULT_TIMEOUT = 60.0
MAX_BYTES = 1 << 20  # a record: 1 MiB
MAX_DEPTH = 32  # JSON nesting
MAX_LINE = 1 << 16  # a journal line


class Invalid(ValueError):
    """A value that does not fit its schema (the message names the field)."""


class StateError(GuardrailsError):
    """A state file that cannot be used as it is; ``fix`` repairs it."""

    def __init__(self, path: str, problem: str, fix: str = "", what: str = "") -> None:
        from guardrails.findings import printable, shell_path

        self.path = path
        self.problem = problem
        shown = printable(path)
        super().__init__(f"the {what} record {shown} cannot be read: {problem}" if what else
                         f"{shown}: {problem}", fix or f"rm -rf -- {shell_path(path)}")

    def finding(self, severity: str = "error") -> Any:
        from guardrails.findings import Finding

        return Finding("state-invalid", self.message, self.fix, severity=severity,
                       path=self.path)


# --- validators ------------------------------------------------------------------------------

# Checked with str methods, not regexes: every hook reads a record, and compiling these cost
# each one ~0.5 ms (tests/test_state.py compares them with the regexes they replace).
_HEX = "0123456789abcdef"
# a character no text field holds: C0 and C1 controls, DEL, the line and paragraph separators,
# lone surrogates
CONTROL = frozenset([*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0)), "\u2028", "\u2029"])
# a character no ref name holds (git check-ref-format): controls, space, DEL, ~^:?*[\\
_REF_CHARS = frozenset([*map(chr, range(0x21)), *"\x7f~^:?*[\\"])


def _is_hex_oid(v: str) -> bool:
    """40 or 64 lower-case hex digits."""
    return len(v) in (40, 64) and not v.strip(_HEX)


def has_control(v: str) -> bool:
    """Whether ``v`` holds a control character (C0, DEL, C1), U+2028/U+2029 or a lone
    surrogate: what the records never hold in text."""
    if v.isprintable():  # none of them is printable: the usual case, in C
        return False
    return not CONTROL.isdisjoint(v) or any("\ud800" <= c <= "\udfff" for c in v)


def _ref_bad(name: str) -> bool:
    """What git check-ref-format refuses in a name with a slash: a bad character, ``..``,
    ``@{``, ``//``, a component starting with ``.`` or ending in ``.lock``, a leading or
    trailing ``/``, a trailing ``.``."""
    return (not _REF_CHARS.isdisjoint(name) or ".." in name or "@{" in name or "//" in name
            or "/." in name or ".lock/" in name or name.endswith((".lock", "/", "."))
            or name.startswith((".", "/")))


def is_oid(v: Any) -> bool:
    return isinstance(v, str) and _is_hex_oid(v)


def oid(v: Any) -> str:
    if not isinstance(v, str) or not _is_hex_oid(v):
        raise Invalid("not an object id (40 or 64 hex digits)")
    return v


def refname(v: Any) -> str:
    """A full ref name (``refs/heads/x``) or ``HEAD``, by git's check-ref-format rules."""
    if not isinstance(v, str):
        raise Invalid("not a valid ref name")
    if v == "HEAD":
        return v
    if not v.startswith("refs/") or not ref_ok(v):
        raise Invalid("not a valid ref name")
    return v


def ref_ok(name: str) -> bool:
    """``git check-ref-format`` (without --allow-onelevel) in Python: no git process per read."""
    return (0 < len(name) <= 1024 and name != "@" and "/" in name
            and not _ref_bad(name) and not name.startswith("-"))


def branch(v: Any) -> str:
    """A short branch name: ``check-ref-format --branch`` (no leading ``-``, no ``HEAD``)."""
    if not isinstance(v, str) or v == "HEAD" or v.startswith("-") or \
            not ref_ok("refs/heads/" + v):
        raise Invalid("not a valid branch name")
    return v


def revision(v: Any) -> str:
    """A branch name or an object id given as a base: never an option, never odd bytes."""
    if isinstance(v, str) and _is_hex_oid(v):
        return v
    return branch(v)


def text(limit: int = 4096) -> Validator:
    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise Invalid("not a string")
        if len(v) > limit:
            raise Invalid(f"longer than {limit} characters")
        if has_control(v):
            raise Invalid("holds control characters")
        return v
    return check


def path_text(v: Any) -> str:
    """An absolute path: no NUL, no newline (paths of worktrees the record names)."""
    if not isinstance(v, str) or not v.startswith("/") or len(v) > 4096 or has_control(v):
        raise Invalid("not an absolute path without control characters")
    return v


def rel_path(v: Any) -> str:
    """A path relative to the top level, as git lists it (any byte but NUL)."""
    if not isinstance(v, str) or not v or len(v) > 4096 or "\0" in v or v.startswith("/"):
        raise Invalid("not a relative path")
    return v


def number(lo: float = 0.0, hi: float = 1e12) -> Validator:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                or not lo <= v <= hi:
            raise Invalid(f"not a number from {lo:g} to {hi:g}")
        return v
    return check


def integer(lo: int = 0, hi: int = 1 << 62) -> Validator:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise Invalid(f"not an integer from {lo} to {hi}")
        return v
    return check


def boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise Invalid("not true or false")
    return v


def one_of(*values: Any) -> Validator:
    def check(v: Any) -> Any:
        if v not in values or isinstance(v, bool) != isinstance(values[0], bool):
            raise Invalid("not one of " + ", ".join(map(repr, values)))
        return v
    return check


def optional(inner: Validator) -> Validator:
    def check(v: Any) -> Any:
        return None if v is None else inner(v)
    return check


def list_of(inner: Validator, limit: int = 10_000) -> Validator:
    def check(v: Any) -> list[Any]:
        if not isinstance(v, list):
            raise Invalid("not a list")
        if len(v) > limit:
            raise Invalid(f"more than {limit} items")
        out = []
        for i, item in enumerate(v):
            try:
                out.append(inner(item))
            except Invalid as e:
                raise Invalid(f"item {i}: {e}") from None
        return out
    return check


def map_of(key: Validator, value: Validator, limit: int = 100_000) -> Validator:
    def check(v: Any) -> dict[Any, Any]:
        if not isinstance(v, dict):
            raise Invalid("not an object")
        if len(v) > limit:
            raise Invalid(f"more than {limit} entries")
        out = {}
        for k, item in v.items():
            try:
                out[key(k)] = value(item)
            except Invalid as e:
                raise Invalid(f"entry {_show(k)}: {e}") from None
        return out
    return check


def anything(v: Any) -> Any:
    """Any JSON value (bounded by the reader's depth and size limits)."""
    return v


def _show(v: Any) -> str:
    from guardrails.findings import printable

    return repr(printable(str(v))[:60])


class Schema:
    """A record's version and its fields: name -> (validator, default). A field without a
    default is required; ``extra``: unknown fields are kept (True) or refused (False).
    ``versioned``: the record carries ``"version": version`` (a record written before versions
    existed, without the key, reads as this version)."""

    def __init__(self, name: str, version: int, fields: Mapping[str, tuple[Validator, Any]],
                 extra: bool = False, versioned: bool = True) -> None:
        self.name = name
        self.version = version
        self.fields = dict(fields)
        self.extra = extra
        self.versioned = versioned

    def validate(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise Invalid("not a JSON object")
        if self.versioned:
            v = data.get("version", self.version)
            if v != self.version or isinstance(v, bool):
                raise Invalid(f"version {_show(v)}, this git-guardrails reads {self.version}")
        out: dict[str, Any] = {}
        for key, (check, default) in self.fields.items():
            if key not in data:
                if default is REQUIRED:
                    raise Invalid(f"`{key}` is missing")
                out[key] = default() if callable(default) else default
                continue
            try:
                out[key] = check(data[key])
            except Invalid as e:
                raise Invalid(f"`{key}`: {e}") from None
        unknown = [k for k in data if k not in self.fields and k != "version"]
        if unknown and not self.extra:
            raise Invalid(f"unknown field {_show(unknown[0])}")
        for k in unknown:
            out[k] = data[k]
        if self.versioned:
            out["version"] = self.version
        return out


REQUIRED: Any = object()


# --- reading ---------------------------------------------------------------------------------

def _depth_ok(raw: bytes, limit: int) -> bool:
    """Whether the JSON text nests at most ``limit`` deep (brackets inside strings do not
    count). Free when the text has few brackets, one pass over it otherwise."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return True
    depth = 0
    in_string = escaped = False
    for c in raw:
        if in_string:
            if escaped:
                escaped = False
            elif c == 92:  # backslash
                escaped = True
            elif c == 34:
                in_string = False
        elif c == 34:
            in_string = True
        elif c in (91, 123):
            depth += 1
            if depth > limit:
                return False
        elif c in (93, 125):
            depth -= 1
    return True


def _no_constant(name: str) -> Any:
    raise Invalid(f"{name} is not a number JSON allows")


def loads(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """JSON from bytes: strict UTF-8, no NaN/Infinity, bounded depth; Invalid otherwise."""
    if not _depth_ok(raw, max_depth):
        raise Invalid(f"nested deeper than {max_depth} levels")
    try:
        textual = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid(f"not UTF-8 (byte {e.start})") from None
    try:
        return json.loads(textual, parse_constant=_no_constant)
    except RecursionError:
        raise Invalid("nested too deep") from None
    except ValueError as e:  # json.JSONDecodeError, and Invalid from parse_constant
        raise Invalid(f"not JSON: {e}") from None


def read_bytes(path: str, max_bytes: int = MAX_BYTES, fix: str = "") -> Optional[bytes]:
    """A regular file's bytes, or None when there is no file; StateError for anything else
    (a directory, a fifo, too big). Never blocks on a fifo."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise StateError(path, "a directory stands where a file belongs", fix) from None
    except NotADirectoryError:
        return None  # a file where its directory belongs: there is no record
    try:
        import stat

        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise StateError(path, "a directory stands where a file belongs"
                             if stat.S_ISDIR(st.st_mode) else "not a regular file", fix)
        if st.st_size > max_bytes:
            raise StateError(path, f"{st.st_size} bytes, more than a record holds ({max_bytes})",
                             fix)
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise StateError(path, f"more than {max_bytes} bytes", fix)
        return data
    finally:
        os.close(fd)


def read(path: str, schema: Schema, fix: str = "", max_bytes: int = MAX_BYTES
         ) -> Optional[dict[str, Any]]:
    """The record at ``path`` validated by ``schema``; None when there is none. StateError
    (with ``fix``, by default the ``rm`` of the file) when it cannot be used."""
    try:
        raw = read_bytes(path, max_bytes, fix)
    except StateError as e:
        raise StateError(path, e.problem, fix, schema.name) from None
    if raw is None:
        return None
    try:
        return schema.validate(loads(raw))
    except Invalid as e:
        raise StateError(path, str(e), fix, schema.name) from None


def read_lines(path: str, schema: Schema, max_line: int = MAX_LINE) -> Iterator[dict[str, Any]]:
    """The valid records of a JSON-lines log (oldest first); torn, oversized or invalid lines
    (a crashed writer, an agent's edit) are skipped. A directory in place of the log:
    StateError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        return
    except IsADirectoryError:
        raise StateError(path, "a directory stands where a file belongs") from None
    import stat

    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StateError(path, "a directory stands where a file belongs" if os.path.isdir(path)
                         else "not a regular file")
    with os.fdopen(fd, "rb") as f:
        while True:
            line = f.readline(max_line + 1)
            if not line:
                return
            if len(line) > max_line:
                while line and not line.endswith(b"\n"):  # skip the rest of it
                    line = f.readline(max_line + 1)
                continue
            try:
                yield schema.validate(loads(line))
            except Invalid:
                continue


# --- writing ---------------------------------------------------------------------------------

def _mkstemp(directory: str) -> tuple[int, str]:
    """``tempfile.mkstemp(prefix=".tmp.", dir=directory)`` without importing tempfile, which
    pulls in shutil, random and hashlib (~5 ms of every commit-time hook that writes a record):
    a new file, mode 0600, created exclusively."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_NOFOLLOW", 0)
    for n in range(10000):
        tmp = os.path.join(directory, f".tmp.{os.getpid()}.{time.time_ns():x}.{n}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no temporary file name available in {directory}")


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, indent=1, sort_keys=True, allow_nan=False).encode() + b"\n"


def write_bytes(path: str, data: bytes, durable: bool = True) -> str:
    """Replace ``path`` with ``data`` atomically (temp + fsync + rename + fsync of the dir).
    On any failure (a full disk) the old file is left as it was and the temp file removed."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = _mkstemp(directory)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError) and e.filename is None:
            # os.write/fsync name no file: the message and its fix must say which (ENOSPC)
            raise OSError(e.errno, e.strerror, path) from e
        raise
    if durable:
        try:
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
    return path


def write(path: str, obj: Mapping[str, Any], schema: Schema, durable: bool = True) -> str:
    """Validate ``obj`` against ``schema`` (a wrong value is a bug of ours: ValueError) and
    write it atomically; returns the path."""
    try:
        data = schema.validate(dict(obj))
    except Invalid as e:
        raise ValueError(f"refusing to write an invalid {schema.name} record: {e}") from None
    return write_bytes(path, dumps(data), durable)


def remove(path: str) -> bool:
    """Delete a record, or whatever stands in its place (a directory: it is ours, inside
    guardrails' own folder). False when there was nothing."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except (IsADirectoryError, PermissionError):
        if not os.path.isdir(path) or os.path.islink(path):
            raise
        import shutil

        shutil.rmtree(path)
    return True


def append_line(path: str, entries: Iterable[Mapping[str, Any]], schema: Schema,
                max_size: int = 1 << 20, rotated: str = "") -> None:
    """Append one JSON line per entry in a single ``write`` under an flock on the log, so
    lines from parallel processes never interleave; when the log would pass ``max_size`` it is
    renamed to ``rotated`` first (once, whoever gets the lock first)."""
    import fcntl

    lines = b""
    for e in entries:
        try:
            schema.validate(dict(e))  # written as given: defaults are the reader's
        except Invalid as err:
            raise ValueError(f"refusing to journal an invalid {schema.name} entry: {err}") \
                from None
        lines += json.dumps(dict(e), sort_keys=True, allow_nan=False).encode() + b"\n"
    if not lines:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if rotated and os.fstat(fd).st_size + len(lines) > max_size:
            # still the file at `path`? (another process may have rotated it while we waited)
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                os.replace(path, rotated)
            os.close(fd)
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            lines = b"\n" + lines  # a torn line from a crashed writer: start afresh
        try:
            done = os.write(fd, lines)
        except OSError as e:  # a full disk: nothing was appended
            raise OSError(e.errno, e.strerror, path) from e
        if done < len(lines):  # part of the lines (the disk filled up): cut back to the start
            os.ftruncate(fd, size)
            import errno

            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
    finally:
        os.close(fd)  # drops the flock


# --- the lock --------------------------------------------------------------------------------

LOCK = Schema("lock", 1, {
    "pid": (integer(1, 1 << 31), REQUIRED),
    "what": (text(1000), ""),
    "since": (number(), REQUIRED),
}, versioned=False)


def lock_path(common_dir: str, name: str = "guardrails") -> str:
    return os.path.join(common_dir, "guardrails", f"{name}.lock")


def holder(path: str) -> str:
    """Who holds (or last held) the lock, for messages."""
    try:
        info = read(path, LOCK)
    except (StateError, OSError):
        info = None
    if info is None:
        return "an unknown process"
    return f"pid {info['pid']} ({info['what']}) for {time.time() - info['since']:.0f}s"


def lock_timeout(default: float = DEFAULT_TIMEOUT) -> float:
    """GUARDRAILS_LOCK_WAIT (seconds), finite and from 0 to a day; exit 2 otherwise."""
    raw = os.environ.get("GUARDRAILS_LOCK_WAIT")
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= 86400:
        from guardrails.findings import printable

        raise GuardrailsError(
            f"GUARDRAILS_LOCK_WAIT={printable(raw)!r} is not a number of seconds from 0 to "
            "86400", "unset GUARDRAILS_LOCK_WAIT   (or set it to e.g. 30)")
    return value


_held: dict[str, int] = {}


def hold(common_dir: str, what: str, name: str = "guardrails",
         timeout: Optional[float] = None) -> AbstractContextManager[None]:
    """Hold the lock for the duration of the ``with`` block, waiting up to ``timeout`` s
    (default: GUARDRAILS_LOCK_WAIT or 60). Re-entrant within a process."""
    import contextlib  # here: no hook takes the lock, and contextlib costs each one ~0.5 ms

    return contextlib.contextmanager(_hold)(common_dir, what, name, timeout)


def _hold(common_dir: str, what: str, name: str, timeout: Optional[float]) -> Iterator[None]:
    import fcntl

    path = lock_path(common_dir, name)
    key = os.path.realpath(path)
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    timeout = lock_timeout() if timeout is None else timeout
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except IsADirectoryError:
        from guardrails.findings import shell_path

        raise StateError(path, "a directory stands where the lock file belongs",
                         f"rm -rf -- {shell_path(path)}") from None
    try:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise GuardrailsError(
                        f"timed out after {timeout:.0f}s waiting for {path}, held by "
                        f"{holder(path)}",
                        "wait for that command to finish and try again "
                        "(the lock is released when its holder exits)",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        info = {"pid": os.getpid(), "what": (what or " ".join(sys.argv))[:1000],
                "since": time.time()}
        from guardrails.findings import printable

        info["what"] = printable(str(info["what"]))[:1000]
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
        except OSError as e:  # a full disk: say which file, hold nothing
            fcntl.flock(fd, fcntl.LOCK_UN)
            raise OSError(e.errno, e.strerror, path) from e
        _held[key] = 1
        try:
            yield
        finally:
            _held.pop(key, None)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
