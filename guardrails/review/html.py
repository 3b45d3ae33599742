"""``git-guardrails review --format html``: the review ritual as one self-contained page.

The log with each commit's agent and attestation, the diffstat with the changes outside the
area asked for highlighted, every finding with its fix, and the commands that show each diff.
No external resource of any kind (no script, font, image or stylesheet to fetch; a
Content-Security-Policy of ``default-src 'none'`` says so to the browser), so the page can be
attached to a CI run, mailed or opened offline. Every text comes from git and is escaped:
file names are shown as git quotes them (``"caf\\xe9"`` for bytes that are not UTF-8) and
then HTML-escaped, so ``<``, ``&`` and quotes in names, subjects and messages stay text.
"""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from guardrails.findings import ERROR, Finding, printable, show_path

if TYPE_CHECKING:
    from collections.abc import Sequence

CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#fff; --soft:#f6f8fa;
  --red:#cf222e; --red-bg:#ffebe9; --green:#1a7f37; --green-bg:#dafbe1; --yellow:#9a6700;
  --yellow-bg:#fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; color: var(--fg); background: var(--bg);
  font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
code, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas,
  monospace; font-size: 12.5px; }
.meta { color: var(--muted); margin: 0 0 8px; }
.meta code { color: var(--fg); }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600;
  margin-right: 8px; }
.verdict.fail { background: var(--red-bg); color: var(--red); }
.verdict.ok { background: var(--green-bg); color: var(--green); }
.verdict.warn { background: var(--yellow-bg); color: var(--yellow); }
.cmd { background: var(--soft); border: 1px solid var(--line); border-radius: 6px;
  padding: 4px 8px; display: inline-block; margin: 2px 0 8px; white-space: pre-wrap;
  word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .03em; }
td.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px;
  font-weight: 600; white-space: nowrap; }
.badge.present { background: var(--green-bg); color: var(--green); }
.badge.missing, .badge.mismatch, .badge.error { background: var(--red-bg); color: var(--red); }
.badge.warning, .badge.outside, .badge.kind { background: var(--yellow-bg); color: var(--yellow); }
.badge.none { color: var(--muted); }
.badge.agent { background: #ddf4ff; color: #0969da; }
.badge.human { background: var(--soft); color: var(--muted); }
tr.bad td:first-child { box-shadow: inset 3px 0 var(--red); }
tr.outside { background: var(--yellow-bg); }
tr.outside td.path { font-weight: 600; }
.bar { display: inline-block; height: 9px; vertical-align: middle; }
.bar.add { background: var(--green); }
.bar.del { background: var(--red); }
.plus { color: var(--green); }
.minus { color: var(--red); }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--yellow);
  border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.finding.error { border-left-color: var(--red); }
.finding .what { margin: 2px 0; }
.finding .fix { color: var(--muted); margin: 2px 0 0; }
.finding .fix code { color: var(--fg); white-space: pre-wrap; word-break: break-all; }
.empty { color: var(--muted); font-style: italic; }
ul.outside { padding-left: 20px; }
ul.outside li { margin: 4px 0; }
footer { margin-top: 32px; color: var(--muted); }
"""


def _t(s: Any) -> str:
    """Text from git or a message, escaped for HTML (control characters and bytes that are
    not UTF-8 shown as escapes first, as the text report shows them)."""
    return escape(printable(str(s)), quote=True)


def _path(p: str) -> str:
    return escape(show_path(p), quote=True)


def _code(s: str, cls: str = "") -> str:
    return f'<code class="{cls}">{_t(s)}</code>' if cls else f"<code>{_t(s)}</code>"


def _who(c: dict[str, Any]) -> str:
    if c.get("agent"):
        who = f'<span class="badge agent">{_t(c["agent"])}</span>'
    elif c.get("agent_commit"):
        who = '<span class="badge agent">agent (task branch)</span>'
    else:
        who = '<span class="badge human">human</span>'
    return who + (' <span class="badge human">merge</span>' if c.get("merge") else "")


def _attestation(value: str) -> str:
    cls = value if value in ("present", "missing", "mismatch") else "none"
    return f'<span class="badge {cls}">{_t(value)}</span>'


def _header(data: dict[str, Any], findings: Sequence[Finding]) -> list[str]:
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    verdict = ("fail", f"FAIL: {errors} error(s), {warnings} warning(s)") if errors else \
        ("warn", f"ok: {warnings} warning(s)") if warnings else ("ok", "ok: no findings")
    name = data.get("branch") or str(data.get("head") or "")[:12]
    meta = [f"policy {_code(data.get('policy') or 'none')}"]
    if data.get("base"):
        meta.append(f"base {_code(data['base'])} (merge-base "
                    f"{_code(str(data.get('merge_base') or '')[:12])})")
    meta.append(f"head {_code(str(data.get('head') or '')[:12])}")
    meta.append(f"task {_code(data.get('task') or 'none')}")
    meta.append(f"{len(data['commits'])} commit(s)")
    if data.get("attestation_verified") is False:
        meta.append("attestation trailers: not verified")
    return [f"<h1>Review of {_code(name)}</h1>",
            f'<p class="meta"><span class="verdict {verdict[0]}">{_t(verdict[1])}</span>'
            + " · ".join(meta) + "</p>"]


def _log(data: dict[str, Any], findings: Sequence[Finding]) -> list[str]:
    out = ['<h2 id="log">Log</h2>', f'<div class="cmd mono">$ {_t(data["log_command"])}</div>']
    if not data["commits"]:
        return [*out, '<p class="empty">no commits: the branch adds nothing to its base</p>']
    bad = {f.commit for f in findings if f.severity == ERROR and f.commit}
    count: dict[str, int] = {}
    for f in findings:
        if f.commit:
            count[f.commit] = count.get(f.commit, 0) + 1
    out += ["<table><thead><tr><th>commit</th><th>subject</th><th>author</th><th>agent</th>"
            "<th>attestation</th><th>findings</th></tr></thead><tbody>"]
    for c in data["commits"]:
        cls = ' class="bad"' if c["oid"] in bad else ""
        n = count.get(c["oid"], 0)
        out.append(f"<tr{cls}><td>{_code(c['oid'][:12])}</td><td>{_t(c['subject'])}</td>"
                   f"<td>{_t(c['author'])}</td><td>{_who(c)}</td>"
                   f"<td>{_attestation(c['attestation'])}</td>"
                   f'<td class="num">{n or ""}</td></tr>')
    out.append("</tbody></table>")
    return out


def _diffstat(data: dict[str, Any]) -> list[str]:
    rows = data["diffstat"]
    out = ['<h2 id="diffstat">Diffstat</h2>',
           f'<div class="cmd mono">$ {_t(data["diff_command"])} --stat</div>']
    if not rows:
        return [*out, '<p class="empty">no changes</p>']
    outside = {r["path"] for r in data["outside_scope"]}
    kinds = {r["path"]: r["kind"] for r in data["by_the_way"]}
    most = max(((r["added"] or 0) + (r["removed"] or 0) for r in rows), default=0) or 1
    out.append("<table><thead><tr><th>path</th><th>status</th><th>+</th><th>-</th><th></th>"
               "<th>area</th></tr></thead><tbody>")
    for r in rows:
        name = _path(r["path"])
        if r.get("old_path") and r["status"] in ("R", "C"):
            name = f"{_path(r['old_path'])} → {name}"
        paths = {r["path"], r.get("old_path")}
        out_of_area = bool(paths & outside)
        tags = []
        if out_of_area:
            tags.append('<span class="badge outside">outside the task</span>')
        for p in (r["path"], r.get("old_path")):
            if p in kinds:
                tags.append(f'<span class="badge kind">{_t(kinds[p])}</span>')
        if r["added"] is None:
            nums = '<td class="num">Bin</td><td class="num"></td><td></td>'
        else:
            width = 160
            add = round(r["added"] * width / most)
            rem = round(r["removed"] * width / most)
            nums = (f'<td class="num plus">{r["added"]}</td>'
                    f'<td class="num minus">{r["removed"]}</td>'
                    f'<td><span class="bar add" style="width:{add}px"></span>'
                    f'<span class="bar del" style="width:{rem}px"></span></td>')
        cls = ' class="outside"' if out_of_area else ""
        out.append(f'<tr{cls}><td class="path mono">{name}</td><td>{_t(r["status"])}</td>'
                   f"{nums}<td>{' '.join(tags)}</td></tr>")
    added = sum(r["added"] or 0 for r in rows)
    removed = sum(r["removed"] or 0 for r in rows)
    out.append(f"</tbody></table><p class=\"meta\">{len(rows)} file(s) changed, "
               f'<span class="plus">{added} insertion(s)(+)</span>, '
               f'<span class="minus">{removed} deletion(s)(-)</span></p>')
    return out


def _findings(findings: Sequence[Finding]) -> list[str]:
    errors = sum(f.severity == ERROR for f in findings)
    out = [f'<h2 id="findings">Findings: {errors} error(s), {len(findings) - errors} '
           "warning(s)</h2>"]
    if not findings:
        return [*out, '<p class="empty">none</p>']
    for f in findings:
        where = []
        if f.commit:
            where.append(_code(f.commit[:12]))
        if f.path:
            where.append(f'<code>{_path(f.path)}</code>' + (f":{f.line}" if f.line else ""))
        out.append(f'<div class="finding {escape(f.severity)}">'
                   f'<div class="what"><span class="badge {escape(f.severity)}">'
                   f"{escape(f.severity)}</span> <code>{escape(f.rule)}</code> "
                   f"{' '.join(where)}</div>"
                   f'<div class="what">{_t(f.message)}</div>'
                   + (f'<div class="fix">fix: <code>{_t(f.hint)}</code></div>' if f.hint else "")
                   + "</div>")
    return out


def _outside(data: dict[str, Any]) -> list[str]:
    out = ['<h2 id="outside">Changes outside the area asked for</h2>']
    if not data["outside_scope"] and not data["by_the_way"]:
        return [*out, '<p class="empty">none</p>']
    if data["outside_scope"]:
        intro = (f"outside task {_code(data['task'])}'s scope:" if data.get("task") else
                 "no task covers this branch, so nothing here was asked for:")
        out += [f"<p>{intro}</p>", '<ul class="outside">']
        out += [f'<li><code>{_path(r["path"])}</code> — <code class="cmd">{_t(r["command"])}'
                "</code></li>" for r in data["outside_scope"]]
        out.append("</ul>")
    if data["by_the_way"]:
        out += ["<p>touched by the way (dependencies, CI, hook and build config):</p>",
                '<ul class="outside">']
        out += [f'<li><code>{_path(r["path"])}</code> <span class="badge kind">'
                f'{_t(r["kind"])}</span> — <code class="cmd">{_t(r["command"])}</code></li>'
                for r in data["by_the_way"]]
        out.append("</ul>")
    return out


def review_html(data: dict[str, Any], findings: Sequence[Finding]) -> str:
    """The whole page for ``review_dict`` data and its findings."""
    title = f"git-guardrails review: {printable(str(data.get('branch') or data['head'][:12]))}"
    body = [*_header(data, findings), *_log(data, findings), *_diffstat(data),
            *_findings(findings), *_outside(data),
            f'<footer>read the whole diff before merging: <code class="cmd">'
            f'{_t(data["diff_command"])}</code></footer>']
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
    ]) + "\n"
