"""The rule catalogue, its documentation and its use stay in step."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from guardrails.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rules.md"


def documented_ids() -> list[str]:
    """Rule ids in docs/rules.md: the first cell of each table row, in backquotes."""
    ids = []
    for line in DOC.read_text().splitlines():
        m = re.match(r"^\|\s*`([a-z0-9-]+)`\s*\|", line)
        if m:
            ids.append(m.group(1))
    return ids


def used_ids() -> dict[str, list[str]]:
    """Every rule id passed to Finding(...) under guardrails/ (first argument or rule=), with
    where it is used. A rule passed as a variable is not a literal: it is reported as such."""
    used: dict[str, list[str]] = {}
    for path in sorted((ROOT / "guardrails").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if "Finding" not in (getattr(node.func, "id", None), getattr(node.func, "attr", None)):
                continue
            args = list(node.args[:1]) + [k.value for k in node.keywords if k.arg == "rule"]
            for arg in args:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    used.setdefault(arg.value, []).append(where)
                else:
                    used.setdefault(f"<not a literal: {ast.unparse(arg)}>", []).append(where)
    return used


def test_rules_table_equals_docs() -> None:
    doc = documented_ids()
    assert len(doc) == len(set(doc)), "a rule is documented twice"
    assert sorted(doc) == sorted(RULES)


def test_every_finding_uses_a_catalogued_rule() -> None:
    used = used_ids()
    assert used, "no Finding(...) found under guardrails/: the scan is broken"
    unknown = {rule: where for rule, where in used.items() if rule not in RULES}
    assert unknown == {}


def test_rule_entries_are_well_formed() -> None:
    for rid, rule in RULES.items():
        assert rule.id == rid
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rid)
        assert rule.severity in ("error", "warning")
        assert rule.summary.endswith(".")
    doc = DOC.read_text()
    for rid, rule in RULES.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{rid}` |"))
        assert f"| {rule.severity} |" in row, rid
