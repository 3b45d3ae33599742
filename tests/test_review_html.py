"""`git guardrails review --format html`: one self-contained page, checked as text and in a
real headless browser (Debian's chromium): what it rendered (--dump-dom) and a screenshot kept
as a test artifact (under $GUARDRAILS_ARTIFACTS when set, else the test's tmp dir)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import add_worktree, commit_all, make_repo, write

CLAUDE = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
ODD = [b"src/auth/a<b>&c.py", b"src/auth/q'uo\"te.py", b"docs/caf\xe9.md",
       b"docs/<script>alert(1)</script>.md"]


def gg(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git-guardrails", *args], cwd=cwd, capture_output=True, check=False)


def review_page(tmp: Path) -> tuple[Path, str, dict[str, str]]:
    """agent/auth: an attested-looking in-scope commit, one that strays (odd names included,
    one of them not UTF-8) and touches requirements.txt, a subject with markup in it."""
    repo = make_repo(tmp / "repo")
    wt = add_worktree(repo, tmp / "wt", "agent/auth")
    ids = {}
    write(wt, "src/auth/token.py", "def token():\n    return 1\n")
    ids["ok"] = commit_all(wt, "auth: add token" + CLAUDE)
    for name in ODD:
        write(wt, name, "x\n")
    write(wt, "requirements.txt", "requests==2.32.3\n")
    ids["stray"] = commit_all(wt, 'tidy <b>&amp; "things"</b> by the way' + CLAUDE)
    proc = gg(repo, "review", "agent/auth", "--format", "html")
    assert proc.returncode == 1, proc.stderr  # errors: outside the task, no attestation
    assert proc.stderr == b""
    page = tmp / "review.html"
    page.write_bytes(proc.stdout)
    return page, proc.stdout.decode("utf-8"), ids  # valid UTF-8, whatever the names hold


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_page_is_self_contained_and_escaped(tmp_path: Path) -> None:
    _, html, ids = review_page(tmp_path)
    p = Tags()
    p.feed(html)
    names = [t for t, _ in p.tags]
    assert "script" not in names and "img" not in names and "link" not in names
    assert not [a for _, a in p.tags if {"src", "href"} & set(a)]
    assert "url(" not in html and "@import" not in html and "http://" not in html
    assert "default-src 'none'" in html
    text = "".join(p.text)
    # the odd names are text, exactly as git quotes them
    for shown in ("src/auth/a<b>&c.py", "src/auth/q'uo\"te.py", '"docs/caf\\xe9.md"',
                  "docs/<script>alert(1)</script>.md"):
        assert shown in text, shown
    assert 'tidy <b>&amp; "things"</b> by the way' in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ids["stray"][:12] in text and ids["ok"][:12] in text
    assert "scope-outside-allow" in text and "attest-missing" in text
    assert "requirements.txt" in text and "dependencies" in text


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def artifacts(tmp: Path) -> Path:
    where = os.environ.get("GUARDRAILS_ARTIFACTS")
    out = Path(where) if where else tmp / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    assert exe is not None
    profile = tmp / f"chromium-profile-{len(list(tmp.glob('chromium-profile-*')))}"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}"]
    return subprocess.run([exe, *flags, *args], capture_output=True, text=True, check=False,
                          timeout=120, env={**os.environ, "HOME": str(tmp)})


@pytest.mark.skipif(chromium() is None,
                    reason="no chromium on PATH (Debian: apt-get install -y chromium)")
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    page, _, ids = review_page(tmp_path)
    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    out = dom.stdout
    # rendered: the sections, each commit, the findings and the highlighted rows
    for heading in ("Log", "Diffstat", "Findings: ", "Changes outside the area asked for"):
        assert f">{heading}" in out, heading
    assert ids["stray"][:12] in out and ids["ok"][:12] in out
    # highlighted: the two docs/ names and requirements.txt, outside task auth's src/auth/**
    rows = re.findall(r'<tr class="outside"><td class="path mono">([^<]*(?:<(?!/td)[^<]*)*)</td>',
                      out)
    assert len(rows) == 3, rows
    assert '<tr class="outside"><td class="path mono">src/auth/' not in out
    assert "src/auth/token.py" in out
    # the names stayed text: no element came out of them
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "a&lt;b&gt;&amp;c.py" in out and "tidy &lt;b&gt;&amp;amp; \"things\"&lt;/b&gt;" in out
    assert re.search(r'class="badge missing">missing<', out)

    shot = artifacts(tmp_path) / "review.png"
    proc = run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,900",
                        "--hide-scrollbars", page.as_uri())
    assert proc.returncode == 0, proc.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 900)
    assert len(data) > 20_000  # a page of text and colour, not a blank one
