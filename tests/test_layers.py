"""The layers hold: every import points down the stack, no module sits outside a layer, and no import circles.

The stack, from the bottom: ``workbench.core`` → ``workbench.data`` → ``workbench.analysis`` | ``workbench.repos``
(side by side, neither imports the other) → ``workbench.features`` → ``workbench.export`` → ``cxweb`` (the Dash app
and its pages) → ``workbench.cli`` (the composition root that starts it all). Pages talk to the domain only through
features (and core's vocabulary, export's figures); no module of ``workbench`` but the CLI reaches Dash or the web app.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"workbench.core": 0, "workbench.data": 1, "workbench.analysis": 2, "workbench.repos": 2,
          "workbench.features": 3, "workbench.export": 4, "cxweb": 5, "workbench.cli": 6}
SIBLINGS_APART = {("workbench.analysis", "workbench.repos"), ("workbench.repos", "workbench.analysis")}
WEB_MAY_USE = {"workbench.core", "workbench.features", "workbench.export", "cxweb"}
WEB_FRAMEWORKS = {"dash", "dash_bootstrap_components", "dash_cytoscape", "dash_ag_grid", "flask", "werkzeug"}


def modules() -> dict[str, Path]:
    """Every module of the two packages, by dotted name."""
    found = {}
    for package in ("workbench", "cxweb"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "versions" in parts or parts[-1] == "env":  # Alembic's scripts are run by Alembic, not imported
                continue
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules ``name`` imports (function-local ones included, type-hint-only ones not), resolved to known names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                   for inner in ast.walk(node)}  # imports for type hints only: no dependency at run time
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{alias.name}" for alias in node.names] + [module]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target in known:
                found.add(target)
                break
            if target.split(".")[0] in WEB_FRAMEWORKS:
                found.add(target.split(".")[0])
                break
    found.discard(name)
    return found


def layer(name: str) -> str | None:
    """The layer a module belongs to, or None for a package root that holds no code."""
    return max((prefix for prefix in LAYERS if name == prefix or name.startswith(prefix + ".")), key=len, default=None)


def graph() -> dict[str, set[str]]:
    """Module → the modules it imports."""
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def test_every_module_sits_in_a_layer():
    loose = [name for name in modules() if layer(name) is None and name not in ("workbench", "cxweb")]
    assert loose == [], f"modules outside every layer: {loose}"


def test_the_package_roots_hold_no_code():
    for package in ("workbench", "cxweb"):
        tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
        assert all(isinstance(node, ast.Expr) for node in tree.body), f"{package}/__init__.py holds code"


def violations(edges: dict[str, set[str]]) -> list[str]:
    """Every import that points up the stack, across the analysis/repos divide, or out of the web layer's reach."""
    wrong = []
    for name, targets in edges.items():
        here = layer(name)
        for target in sorted(targets):
            if target in WEB_FRAMEWORKS:
                if here not in ("cxweb", "workbench.cli"):
                    wrong.append(f"{name} -> {target} (a web framework outside the web layer)")
                continue
            there = layer(target)
            if there is None:
                continue
            if LAYERS[there] > LAYERS[here]:
                wrong.append(f"{name} -> {target} (up from {here} to {there})")
            elif (here, there) in SIBLINGS_APART:
                wrong.append(f"{name} -> {target} ({here} and {there} stay apart)")
            elif here == "cxweb" and there not in WEB_MAY_USE:
                wrong.append(f"{name} -> {target} (pages call features, not {there})")
    return wrong


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in edges:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_every_import_points_down_the_stack():
    assert violations(graph()) == []


def test_no_import_circles():
    assert circles(graph()) == []


def test_the_checks_catch_what_they_should():
    """The rules themselves, on a made-up graph: an upward import, a sibling import, a page past features, a circle."""
    edges = {"workbench.data.store": {"workbench.analysis.drivers"}, "workbench.repos.alerts": {"workbench.analysis.breaks"},
             "cxweb.pages.heatmap": {"workbench.data.query", "dash"}, "workbench.analysis.breaks": {"dash"},
             "workbench.core.a": {"workbench.core.b"}, "workbench.core.b": {"workbench.core.a"}}
    assert violations(edges) == [
        "workbench.data.store -> workbench.analysis.drivers (up from workbench.data to workbench.analysis)",
        "workbench.repos.alerts -> workbench.analysis.breaks (workbench.repos and workbench.analysis stay apart)",
        "cxweb.pages.heatmap -> workbench.data.query (pages call features, not workbench.data)",
        "workbench.analysis.breaks -> dash (a web framework outside the web layer)",
    ]
    assert circles(edges) == [["workbench.core.a", "workbench.core.b"]]
