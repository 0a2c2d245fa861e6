"""Static checks of the code's user-facing text: translated on use (never at import) and never left out of gettext."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSLATORS = {"_", "gettext", "ngettext", "pgettext"}
# Components whose text arguments a reader sees: Dash's html/dcc/bootstrap/grid/graph and plotly's figure objects.
UI_MODULES = {"html", "dbc", "dcc", "dag", "cyto", "go"}
TEXT_KEYWORDS = {
    *("children", "label", "title", "placeholder", "header", "tooltip", "text", "name", "message", "labels"),
    *("help", "description", "epilog"),  # the CLI's argparse texts
}
# Plain functions whose text arguments a reader sees: the CLI's output and argparse's own error exit.
TEXT_FUNCTIONS = {"print", "error", "exit"}
# Exceptions that are a programmer's error, never shown to a user as a message.
INTERNAL_ERRORS = {"TypeError", "AssertionError", "NotImplementedError", "KeyError", "AttributeError", "RuntimeError"}
_MARKUP = re.compile(r"%\{[^}]*\}|\{[^}]*\}|<[^>]*>|&[a-z]+;")
_WORD = re.compile(r"[A-Za-z]{2,}")


def sources() -> list[Path]:
    """Every module whose text can reach a user."""
    return sorted([*ROOT.glob("workbench/**/*.py"), *ROOT.glob("cxweb/**/*.py"), ROOT / "app.py"])


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _is_translation(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATORS


def import_time_translations(tree: ast.AST) -> Iterator[ast.Call]:
    """``_()`` calls that run when the module is imported (module or class level, defaults, decorators): their
    text would be frozen in the language of whoever imported first."""

    def visit(node: ast.AST, deferred: bool) -> Iterator[ast.Call]:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for early in [*node.decorator_list, *node.args.defaults, *[d for d in node.args.kw_defaults if d]]:
                yield from visit(early, deferred)
            for statement in node.body:
                yield from visit(statement, True)
            return
        if isinstance(node, ast.Lambda):
            yield from visit(node.body, True)
            return
        if not deferred and _is_translation(node):
            yield node  # type: ignore[misc]
        for child in ast.iter_child_nodes(node):
            yield from visit(child, deferred)

    yield from visit(tree, False)


def _reads_as_text(node: ast.AST) -> bool:
    """A literal (or an f-string's literal parts) with words in it once markup and placeholders are taken out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(_WORD.search(_MARKUP.sub("", node.value)))
    if isinstance(node, ast.JoinedStr):
        return any(_reads_as_text(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _reads_as_text(node.left) or _reads_as_text(node.right)
    return False


def _owner(call: ast.Call) -> str | None:
    func = call.func
    while isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name):
            return func.value.id
        func = func.value
    return None


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def bypasses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Text a reader sees that does not go through gettext: a component's text argument or a raised message."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (_owner(node) in UI_MODULES or _name(node) in TEXT_FUNCTIONS):
            texts = [*node.args, *(k.value for k in node.keywords if k.arg in TEXT_KEYWORDS)]
        elif isinstance(node, ast.Call) and _name(node) in {"add_argument", "add_parser", "ArgumentParser"}:
            texts = [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        else:
            texts = []
        if texts:
            for text in texts:
                candidates = text.elts if isinstance(text, (ast.List, ast.Tuple)) else [text]
                for candidate in candidates:
                    if _reads_as_text(candidate):
                        yield candidate.lineno, ast.unparse(candidate)[:70]
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            name = node.exc.func.id if isinstance(node.exc.func, ast.Name) else getattr(node.exc.func, "attr", "")
            if name not in INTERNAL_ERRORS and _reads_as_text(node.exc.args[0]):
                yield node.lineno, ast.unparse(node.exc.args[0])[:70]
