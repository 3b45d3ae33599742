"""No import cycles in ``guardrails/`` and ``hooks/``: data flows one way (CONTRIBUTING.md).

The graph is read statically with ``ast`` (nothing is imported, so the test is fast): every
``import`` and ``from … import`` anywhere in a module — at module level and inside functions
alike, since a function-level import is a dependency all the same, only a later one. ``from
guardrails.x import y`` is an edge to ``guardrails.x.y`` when ``y`` is a submodule, else to
``guardrails.x``. Imports under ``if TYPE_CHECKING:`` are left out: they never run (mypy reads
them; annotations are strings under ``from __future__ import annotations``). An import of a
submodule is not counted as an import of its parent packages either: a package's
``__init__`` is a module of its own, and its imports are read like any other's.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (folder, the package name it is installed as)
PACKAGES = ((ROOT / "guardrails", "guardrails"), (ROOT / "hooks", "guardrails_hooks"))

# Cycles still accepted, each as the sorted modules of one strongly connected component, with
# why. Keep it empty: a cycle means two modules should be one, or a third should hold what both
# need (as guardrails.git.patchlog holds the range's patch log for attestation, bypass,
# changes and context).
ALLOWED: dict[tuple[str, ...], str] = {}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder, name in PACKAGES:
        for path in sorted(folder.rglob("*.py")):
            parts = [name, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import that can run."""
    out: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for stmt in node.orelse:
                visit(stmt)
            return
        if isinstance(node, ast.Import):
            out.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                up = here[:len(here) - node.level + 1]
                base = ".".join([*up, *([base] if base else [])])
            out.append((base, [alias.name for alias in node.names]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def graph() -> dict[str, set[str]]:
    mods = _modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for target, names in _imports(tree, mod, path.name == "__init__.py"):
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in mods]
            if subs:
                edges[mod].update(subs)
            if target in mods and (not names or len(subs) < len(names)):
                edges[mod].add(target)
        edges[mod].discard(mod)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[tuple[str, ...]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges[nxt]))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(tuple(sorted(comp)))
    return out


def _path(edges: dict[str, set[str]], comp: tuple[str, ...]) -> list[str]:
    """One cycle through the component's first module, for the failure message."""
    start = comp[0]
    members = set(comp)
    seen = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for nxt in sorted(edges[node] & members):
            if nxt == start:
                return [*seen[node], start]
            if nxt not in seen:
                seen[nxt] = [*seen[node], nxt]
                todo.append(nxt)
    return list(comp)


def test_the_graph_is_read() -> None:
    """The reader sees what it must, or the test below could pass on an empty graph: module-
    and function-level imports, ``from pkg import submodule``, and TYPE_CHECKING left out."""
    edges = graph()
    assert len(edges) > 80
    assert "guardrails.git" in edges["guardrails.scope.changes"]  # from guardrails import git
    # function-level: bypass imports shellcmd inside line_reasons
    assert "guardrails.skipped.shellcmd" in edges["guardrails.checks.bypass"]
    # TYPE_CHECKING only: bypass names Context in annotations
    assert "guardrails.context" not in edges["guardrails.checks.bypass"]
    assert "guardrails.review.judge" in edges["guardrails.commands.ci"]
    tree = ast.parse("from . import a\nfrom .b import c\nif TYPE_CHECKING:\n    import x\n"
                     "def f():\n    import y.z\n")
    assert _imports(tree, "p.q.m", False) == [("p.q", ["a"]), ("p.q.b", ["c"]), ("y.z", [])]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [("a", "b", "c")]


def test_no_import_cycles() -> None:
    edges = graph()
    found = [c for c in cycles(edges) if c not in ALLOWED]
    assert not found, "import cycles:\n" + "\n".join(
        " -> ".join(_path(edges, c)) for c in found)
    stale = [c for c in ALLOWED if c not in cycles(edges)]
    assert not stale, f"no longer cycles, drop them from ALLOWED: {stale}"


def test_patchlog_depends_only_on_git() -> None:
    """The range's patch log (git log -p | git patch-id) knows git and nothing else: the bypass
    scanner is handed to it by the caller."""
    edges = graph()
    assert edges["guardrails.git.patchlog"] <= {"guardrails.git", "guardrails.errors",
                                                "guardrails.records"}
