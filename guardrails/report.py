"""Render findings: text for people, json for programs, github workflow commands, SARIF 2.1.0
for code scanning, markdown for a pull-request comment. The only module that prints."""
from __future__ import annotations

import json
import os
import sys
from json.encoder import encode_basestring_ascii as _escape_json

from guardrails.findings import ERROR, Finding, git_quoted, is_utf8, printable, show_path

TYPE_CHECKING = False  # typing is not imported at run time (hook start-up); mypy reads it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import IO, Any, Optional

FORMATS = ("text", "json", "github", "sarif", "markdown")


def _color(stream: IO[str]) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


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
        "findings": [_json_finding(f) for f in findings],
        "summary": {"errors": errors, "warnings": len(findings) - errors},
    }
    return dumps(doc) + "\n"


def _json_finding(f: Finding) -> dict[str, Any]:
    """A finding for JSON: a name that is not UTF-8 as git C-quotes it (valid JSON text, no
    lone surrogates), with its raw bytes beside it (``path_bytes``, base64) so nothing is lost."""
    d = f.to_dict()
    if f.path is not None and not is_utf8(f.path):
        import base64

        d["path"] = git_quoted(f.path)
        d["path_bytes"] = base64.b64encode(os.fsencode(f.path)).decode()
    for key in ("message", "hint"):
        if not is_utf8(d[key]):
            d[key] = printable(d[key])
    return d


class _Unusual(Exception):
    pass


def dumps(doc: Any) -> str:
    """``json.dumps(doc, indent=2)``, the same text. With ``indent`` json runs its pure-Python
    encoder (a third of a second for a 10,000-commit report); this escapes strings with json's
    C function and lays out dicts, lists and scalars itself. Anything else: json.dumps."""
    try:
        return _encode(doc, "\n")
    except _Unusual:
        return json.dumps(doc, indent=2)


_INFINITE = {float("inf"): "Infinity", float("-inf"): "-Infinity"}


def _encode(o: Any, pad: str) -> str:
    t = type(o)
    if t is str:
        return _escape_json(o)
    if t is dict:
        if not o:
            return "{}"
        inner = pad + "  "
        items = []
        for k, v in o.items():
            if type(k) is not str:
                raise _Unusual
            tv = type(v)  # the common scalars inline: most of a report's values
            value = _escape_json(v) if tv is str else "null" if v is None else \
                _encode(v, inner)
            items.append(f"{inner}{_escape_json(k)}: {value}")
        return "{" + ",".join(items) + pad + "}"
    if t is list or t is tuple:
        if not o:
            return "[]"
        inner = pad + "  "
        return "[" + ",".join([inner + _encode(v, inner) for v in o]) + pad + "]"
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if t is int:
        return int.__repr__(o)
    if t is float:  # json's own spelling (status has times)
        return float.__repr__(o) if o == o and o not in _INFINITE else _INFINITE.get(o, "NaN")
    raise _Unusual


def color_for(stream: IO[str]) -> bool:
    """Colour on a terminal, unless NO_COLOR or TERM=dumb."""
    return _color(stream)


def render(findings: Sequence[Finding], fmt: str, meta: dict[str, Any],
           stream: Optional[IO[str]] = None,
           commits: Optional[Sequence[dict[str, Any]]] = None) -> str:
    """``findings`` in ``fmt``. ``commits`` (dicts with oid, subject, agent, attestation …),
    when given, groups text and markdown by commit and becomes json's ``commits`` array."""
    if fmt == "json":
        return as_json(findings, meta if commits is None else {**meta, "commits": list(commits)})
    if fmt == "github":
        return github(findings, meta)
    if fmt == "sarif":
        return sarif(findings, meta, commits)
    if fmt == "markdown":
        return markdown(findings, meta, commits)
    color = _color(stream or sys.stdout)
    if commits is not None:
        return grouped_text(findings, meta, commits, color=color)
    return text(findings, meta, color=color)


def _verdict(findings: Sequence[Finding]) -> tuple[int, int]:
    errors = sum(f.severity == ERROR for f in findings)
    return errors, len(findings) - errors


def _header(meta: dict[str, Any], ncommits: int) -> str:
    """One line: where the policy came from and what was checked."""
    parts = [f"policy: {meta.get('policy') or 'none'}"]
    if meta.get("base"):
        mb = str(meta.get("merge_base") or "")[:12]
        parts.append(f"base: {meta['base']}" + (f" (merge-base {mb})" if mb else ""))
    if meta.get("head") or meta.get("branch"):
        head = str(meta.get("head") or "")[:12]
        parts.append(f"head: {meta.get('branch') or '(unknown branch)'}"
                     + (f" {head}" if head else ""))
    parts.append(f"task: {meta.get('task') or 'none'}")
    if meta.get("range"):
        parts.append(f"range: {meta['range']}")
    parts.append(f"{ncommits} commit(s)")
    if meta.get("attestation_verified") is False:
        parts.append("attestation trailers: not verified (no attest check installed)")
    return " · ".join(parts)


def grouped_text(findings: Sequence[Finding], meta: dict[str, Any],
                 commits: Sequence[dict[str, Any]], color: bool = False) -> str:
    """Text grouped by commit (newest first, as ``git log``), branch-level findings first."""
    red, yellow, green, dim, bold, reset = (
        ("\033[31m", "\033[33m", "\033[32m", "\033[2m", "\033[1m", "\033[0m") if color
        else ("",) * 6)
    lines = [f"{dim}{_header(meta, len(commits))}{reset}"]

    def emit(f: Finding, indent: str) -> None:
        c = red if f.severity == ERROR else yellow
        lines.append(f"{indent}{c}{f.severity}[{f.rule}]{reset} {printable(f.message)}")
        if f.hint:
            lines.append(f"{indent}  {dim}fix:{reset} {printable(f.hint)}")

    known = {c["oid"] for c in commits}
    for f in findings:
        if f.commit not in known:
            emit(f, "")
    by_commit: dict[str, list[Finding]] = {}
    for f in findings:
        if f.commit in known:
            by_commit.setdefault(str(f.commit), []).append(f)
    for c in commits:
        fs = by_commit.get(c["oid"], [])
        if not fs:
            continue
        who = f" ({c['agent']})" if c.get("agent") else ""
        subject = printable(c["subject"])
        lines.append(f"{bold}commit {c['oid'][:12]}{reset} {subject}{dim}{who}{reset}")
        for f in fs:
            emit(f, "  ")
    errors, warnings = _verdict(findings)
    mark = (red + "FAIL" if errors else green + "ok") + reset
    lines.append(f"guardrails: {mark}: {errors} error(s), {warnings} warning(s) in "
                 f"{len(commits)} commit(s) (policy: {meta.get('policy') or 'none'})")
    return "\n".join(lines) + "\n"


# --- GitHub Actions workflow commands -----------------------------------------------------------

def gh_data(s: str) -> str:
    """Escape a workflow command's message (actions/toolkit escapeData)."""
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(s: str) -> str:
    """Escape a workflow command's property value (actions/toolkit escapeProperty)."""
    return gh_data(s).replace(":", "%3A").replace(",", "%2C")


def github(findings: Sequence[Finding], meta: dict[str, Any]) -> str:
    """``::error file=…,line=…,title=…::message`` per finding, then a ``::notice`` verdict."""
    lines = []
    for f in findings:
        props = []
        # a name that is not UTF-8 cannot be a file= property (it would match no file): the
        # annotation then names it, C-quoted as git does, in its message
        if f.path and is_utf8(f.path):
            props.append(f"file={gh_property(f.path)}")
            if f.line:
                props.append(f"line={f.line}")
        title = f"guardrails {f.rule}" + (f" ({f.commit[:7]})" if f.commit else "")
        props.append(f"title={gh_property(title)}")
        named = f"{git_quoted(f.path)}: " if f.path and not is_utf8(f.path) else ""
        body = named + f.message + (f"\nfix: {f.hint}" if f.hint else "") + \
            f"\npolicy: {f.policy or meta.get('policy') or 'none'}"
        level = "error" if f.severity == ERROR else "warning"
        lines.append(f"::{level} {','.join(props)}::{gh_data(body)}")
    errors, warnings = _verdict(findings)
    verdict = f"{errors} error(s), {warnings} warning(s); policy: {meta.get('policy') or 'none'}"
    lines.append(f"::notice title=git-guardrails::{gh_data(verdict)}")
    return "\n".join(lines) + "\n"


def append_step_summary(md: str, env: Optional[dict[str, str]] = None) -> Optional[str]:
    """Append ``md`` to the file ``$GITHUB_STEP_SUMMARY`` names, if set; return its path."""
    target = (env if env is not None else os.environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    with open(target, "a", encoding="utf-8", errors="backslashreplace") as fh:
        fh.write(md if md.endswith("\n") else md + "\n")
    return target


# --- SARIF 2.1.0 ----------------------------------------------------------------------------------

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES_URI = "https://github.com/git-guardrails/git-guardrails/blob/main/docs/rules.md"


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("git-guardrails")
    except Exception:  # pragma: no cover - not installed
        return "0"


def sarif(findings: Sequence[Finding], meta: dict[str, Any],
          commits: Optional[Sequence[dict[str, Any]]] = None) -> str:
    """SARIF 2.1.0: the rule catalogue (guardrails.rules) as ``tool.driver.rules``, one result
    per finding. A finding without a path is located at the policy file, where its fix is."""
    import hashlib
    from urllib.parse import quote

    from guardrails.rules import RULES

    ids = list(RULES)
    ids += sorted({f.rule for f in findings} - set(RULES))
    index = {rid: n for n, rid in enumerate(ids)}
    rules = []
    for rid in ids:
        r = RULES.get(rid)
        summary = r.summary if r else rid
        level = (r.severity if r else ERROR)
        rules.append({
            "id": rid,
            "name": "".join(w.capitalize() for w in rid.split("-")),
            "shortDescription": {"text": summary},
            "fullDescription": {"text": summary},
            "helpUri": f"{RULES_URI}#{rid}",
            "defaultConfiguration": {"level": "error" if level == ERROR else "warning"},
        })
    results = []
    for f in findings:
        path = f.path or ".guardrails.toml"
        region = {"startLine": f.line or 1}
        fp = hashlib.sha256("\0".join((f.rule, f.path or "", f.commit or "", f.message))
                            .encode("utf-8", "surrogateescape")).hexdigest()
        results.append({
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": "error" if f.severity == ERROR else "warning",
            "message": {"text": f.message + (f" Fix: {f.hint}" if f.hint else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {
                    "uri": quote(path.encode("utf-8", "surrogateescape"), safe="/"),
                    "uriBaseId": "%SRCROOT%"},
                "region": region,
            }}],
            "partialFingerprints": {"guardrailsFinding/v1": fp},
            "properties": {"commit": f.commit, "hint": f.hint, "path": f.path,
                           "policy": f.policy or meta.get("policy")},
        })
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "git-guardrails", "version": _version(),
            "informationUri": "https://github.com/git-guardrails/git-guardrails",
            "rules": rules,
        }},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {**meta, **({"commits": list(commits)} if commits is not None else {})},
    }
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2) + "\n"


# --- markdown (a pull-request comment) ---------------------------------------------------------

def md_cell(s: str) -> str:
    """Text safe inside a markdown table cell."""
    return (s.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
            .replace("\r", "").replace("\n", "<br>"))


def md_code(s: str) -> str:
    """Inline code that survives backticks in ``s``."""
    ticks = "`"
    while ticks in s:
        ticks += "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def markdown(findings: Sequence[Finding], meta: dict[str, Any],
             commits: Optional[Sequence[dict[str, Any]]] = None) -> str:
    errors, warnings = _verdict(findings)
    icon = "❌" if errors else ("⚠️" if warnings else "✅")
    out = [f"### {icon} git-guardrails: {errors} error(s), {warnings} warning(s)", ""]
    out.append(md_cell(_header(meta, len(commits) if commits is not None else 0))
               .replace("policy: " + str(meta.get("policy") or "none"),
                        "policy: " + md_code(str(meta.get("policy") or "none"))))
    out.append("")
    if findings:
        out += ["| | rule | commit | path | finding | fix |", "|---|---|---|---|---|---|"]
        for f in findings:
            sev = "❌" if f.severity == ERROR else "⚠️"
            out.append("| " + " | ".join((
                sev, md_code(f.rule), md_code(f.commit[:7]) if f.commit else "",
                md_code(show_path(f.path)).replace("|", "\\|") if f.path else "",
                md_cell(f.message),
                md_cell(f.hint))) + " |")
        out.append("")
    if commits:
        bad = {f.commit for f in findings if f.severity == ERROR}
        out += ["<details><summary>Commits</summary>", ""]
        for c in commits:
            mark = "❌" if c["oid"] in bad else "✅"
            extra = []
            if c.get("agent"):
                extra.append(f"agent: {c['agent']}")
            if c.get("attestation") and c["attestation"] != "-":
                extra.append(f"attestation: {c['attestation']}")
            tail = f" — {md_cell(', '.join(extra))}" if extra else ""
            out.append(f"- {mark} {md_code(c['oid'][:7])} {md_cell(c['subject'])}{tail}")
        out += ["", "</details>", ""]
    return "\n".join(out) + "\n"


# --- review (git-guardrails review) ------------------------------------------------------------

def _diffstat(rows: Sequence[dict[str, Any]], width: int = 40) -> list[str]:
    """``git diff --stat``-like lines from ``{path, old_path, added, removed}`` rows."""
    if not rows:
        return []
    names = [(f"{show_path(r['old_path'])} => {show_path(r['path'])}"
              if r.get("old_path") and r["status"] == "R" else show_path(r["path"]))
             for r in rows]
    w = min(max(len(n) for n in names), 60)
    most = max((r["added"] or 0) + (r["removed"] or 0) for r in rows) or 1
    digits = len(str(max((r["added"] or 0) + (r["removed"] or 0) for r in rows)))
    out = []
    for n, r in zip(names, rows):
        if r["added"] is None:
            out.append(f" {n:<{w}} | Bin")
            continue
        total = r["added"] + r["removed"]
        scale = min(1.0, width / most)
        plus = round(r["added"] * scale) or (1 if r["added"] else 0)
        minus = round(r["removed"] * scale) or (1 if r["removed"] else 0)
        out.append(f" {n:<{w}} | {total:>{digits}} {'+' * plus}{'-' * minus}")
    added = sum(r["added"] or 0 for r in rows)
    removed = sum(r["removed"] or 0 for r in rows)
    out.append(f" {len(rows)} file(s) changed, {added} insertion(s)(+), "
               f"{removed} deletion(s)(-)")
    return out


def review_text(data: dict[str, Any], findings: Sequence[Finding], color: bool = False) -> str:
    red, yellow, green, dim, bold, reset = (
        ("\033[31m", "\033[33m", "\033[32m", "\033[2m", "\033[1m", "\033[0m") if color
        else ("",) * 6)
    commits = data["commits"]
    out = [f"{bold}review{reset} {_header(data, len(commits))}", ""]
    out.append(f"{bold}$ {data['log_command']}{reset}")
    att_color = {"present": green, "missing": red, "mismatch": red}
    for c in commits:
        att = c["attestation"]
        a = f"{att_color.get(att, dim)}{att}{reset}" if att != "-" else f"{dim}-{reset}"
        who = c["agent"] or ("agent (task branch)" if c["agent_commit"] else "human")
        if c["merge"]:
            who += ", merge"
        out.append(f"{c['oid'][:12]} {c['subject']}  {dim}[{who}; attestation: {reset}{a}"
                   f"{dim}]{reset}")
    if not commits:
        out.append(f"{dim}(no commits: the branch adds nothing to its base){reset}")
    out.append("")
    if data["diffstat"]:
        out.append(f"{bold}$ {data['diff_command']} --stat{reset}")
        out += _diffstat(data["diffstat"])
        out.append("")
    errors, warnings = _verdict(findings)
    out.append(f"{bold}findings{reset}: {errors} error(s), {warnings} warning(s)")
    if findings:
        body = grouped_text(findings, data, commits, color=color).splitlines()[1:-1]
        out += ["  " + line for line in body]
    out.append("")
    if data["outside_scope"] or data["by_the_way"]:
        out.append(f"{bold}changes outside the area asked for{reset}")
        if data["outside_scope"]:
            out.append(f"  outside task {data['task']}'s scope:" if data.get("task") else
                       "  no task covers this branch, so nothing here was asked for:")
            w = max(len(show_path(r["path"])) for r in data["outside_scope"])
            out += [f"    {yellow}{show_path(r['path']):<{w}}{reset}  {dim}{r['command']}{reset}"
                    for r in data["outside_scope"]]
        if data["by_the_way"]:
            out.append("  touched by the way (dependencies, CI, hook and build config):")
            w = max(len(show_path(r["path"])) + len(r["kind"]) + 3 for r in data["by_the_way"])
            out += [f"    {yellow}{show_path(r['path']) + ' (' + r['kind'] + ')':<{w}}{reset}  "
                    f"{dim}{r['command']}{reset}" for r in data["by_the_way"]]
        out.append("")
    out.append(f"read the whole diff before merging: {bold}{data['diff_command']}{reset}")
    return "\n".join(out) + "\n"


def review_markdown(data: dict[str, Any], findings: Sequence[Finding]) -> str:
    out = [f"## Review of {md_code(str(data.get('branch') or data['head'][:12]))}", ""]
    out.append(markdown(findings, data, data["commits"]).rstrip("\n"))
    out += ["", f"**{md_code(data['log_command'])}**", "", "| commit | subject | agent | "
            "attestation |", "|---|---|---|---|"]
    for c in data["commits"]:
        who = c["agent"] or ("agent (task branch)" if c["agent_commit"] else "human")
        out.append(f"| {md_code(c['oid'][:7])} | {md_cell(c['subject'])} | {md_cell(who)} | "
                   f"{c['attestation']} |")
    if data["diffstat"]:
        out += ["", f"**{md_code(data['diff_command'] + ' --stat')}**", "", "```"]
        out += _diffstat(data["diffstat"])
        out.append("```")
    if data["outside_scope"] or data["by_the_way"]:
        out += ["", "**Changes outside the area asked for**", ""]
        for r in data["outside_scope"]:
            out.append(f"- {md_code(show_path(r['path']))} — outside the task's scope: "
                       f"{md_code(r['command'])}")
        for r in data["by_the_way"]:
            out.append(f"- {md_code(show_path(r['path']))} — {r['kind']}: "
                       f"{md_code(r['command'])}")
    return "\n".join(out) + "\n"


def echo_err(message: str) -> None:
    """``click.echo(message, err=True)`` without importing click (~25 ms) unless the message
    holds an escape sequence, which click strips off a stream that is not a terminal."""
    if "\x1b" in message:
        import click

        click.echo(message, err=True)
        return
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


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
