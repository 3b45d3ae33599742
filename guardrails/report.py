"""Render findings: text for people, json for programs. The only module that prints."""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import IO, Any, Optional

from guardrails.findings import ERROR, Finding

FORMATS = ("text", "json")


def _color(stream: IO[str]) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def printable(s: str) -> str:
    """One line whatever a file name holds: control characters as ``\\n``, ``\\t`` or
    ``\\xNN``, bytes that are not UTF-8 (surrogate escapes) as ``\\xNN``."""
    if s.isprintable():
        return s
    out = []
    for ch in s:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif o < 32 or o == 127:
            out.append(f"\\x{o:02x}")
        else:
            out.append(ch)
    return "".join(out)


def shell_quote(path: str) -> str:
    """``path`` as one shell word that bash turns back into the same bytes: ``shlex.quote``,
    or ``$'…'`` for names with control characters or bytes that are not UTF-8."""
    import shlex

    if path.isprintable() and not any(0xDC80 <= ord(c) <= 0xDCFF for c in path):
        return shlex.quote(path)
    raw = os.fsencode(path)
    body = "".join(chr(b) if 32 <= b < 127 and chr(b) not in "\\'" else f"\\x{b:02x}"
                   for b in raw)
    return f"$'{body}'"


def text(findings: Sequence[Finding], meta: dict[str, Any], color: bool = False) -> str:
    red, yellow, dim, reset = ("\033[31m", "\033[33m", "\033[2m", "\033[0m") if color else \
        ("", "", "", "")
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    where = ", ".join(f"{k}: {v}" for k, v in meta.items() if v)
    lines = []
    for f in findings:
        c = red if f.severity == ERROR else yellow
        commit = f"{f.commit[:12]} " if f.commit else ""
        lines.append(f"{c}{f.severity}[{f.rule}]{reset} {commit}{printable(f.message)}")
        if f.hint:
            lines.append(f"  {dim}fix:{reset} {printable(f.hint)}")
    if findings:
        lines.append(f"guardrails: {errors} error(s), {warnings} warning(s)"
                     + (f" ({where})" if where else ""))
    return "\n".join(lines) + ("\n" if lines else "")


def as_json(findings: Sequence[Finding], meta: dict[str, Any]) -> str:
    errors = sum(f.severity == ERROR for f in findings)
    doc = {
        **meta,
        "findings": [f.to_dict() for f in findings],
        "summary": {"errors": errors, "warnings": len(findings) - errors},
    }
    return json.dumps(doc, indent=2) + "\n"


def render(findings: Sequence[Finding], fmt: str, meta: dict[str, Any],
           stream: Optional[IO[str]] = None) -> str:
    if fmt == "json":
        return as_json(findings, meta)
    return text(findings, meta, color=_color(stream or sys.stdout))


def write(s: str, stream: Optional[IO[str]] = None) -> None:
    """Print, showing undecodable bytes of file names as \\x escapes instead of crashing."""
    stream = stream or sys.stdout
    stream.flush()
    buf = getattr(stream, "buffer", None)
    if buf is not None:
        buf.write(s.encode("utf-8", errors="backslashreplace"))
        buf.flush()
    else:
        stream.write(s.encode("utf-8", errors="backslashreplace").decode("utf-8"))
