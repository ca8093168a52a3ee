"""The layering of DESIGN.md and the house style, checked on every run."""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "imkit_tui"
MAX_LINES = 600


def test_import_contracts_hold() -> None:
    """protocol/messages at the bottom; core, server and ui never reach across."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_no_module_is_too_long_to_read() -> None:
    too_long = {
        str(path.relative_to(ROOT)): count
        for path in PACKAGE.rglob("*.py")
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these modules (over {MAX_LINES} lines): {too_long}"


def _public_without_docstring(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    missing = [] if ast.get_docstring(tree) else [f"{path.name}: module"]

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = child.name
                public = not name.startswith("_")
                if public and ast.get_docstring(child) is None:
                    missing.append(f"{path.relative_to(ROOT)}: {prefix}{name}")
                if isinstance(child, ast.ClassDef) and public:
                    visit(child, f"{prefix}{name}.")

    visit(tree, "")
    return missing


def test_every_public_class_and_function_has_a_docstring() -> None:
    missing = [
        entry for path in sorted(PACKAGE.rglob("*.py")) for entry in _public_without_docstring(path)
    ]
    assert not missing, "missing docstrings:\n" + "\n".join(missing)


def test_starting_the_app_leaves_bubbles_pictures_and_sound_for_later() -> None:
    """The first frame needs the list, not the bubbles (they come with the plugins, after
    that frame) nor Pillow and mutagen (loaded when a file is first sent or shown), nor
    the Server API's HTTP library nor the push library (the server's path only)."""
    import subprocess
    import sys

    probe = (
        "import sys, imkit_tui.cli, imkit_tui.ui.app;"
        "print(sorted(m for m in ('imkit_tui.ui.bubbles', 'PIL', 'mutagen', 'aiohttp',"
        " 'apprise', 'imkit_tui.server.api', 'imkit_tui.server.hooks.hub')"
        " if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert loaded == "[]", f"imported at start-up: {loaded}"


def _classes() -> list[tuple[str, ast.ClassDef]]:
    found: list[tuple[str, ast.ClassDef]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = str(path.relative_to(PACKAGE))
        found += [(name, n) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    return found


def _is_plain_base(base: ast.expr) -> bool:
    text = ast.unparse(base)
    return text != "Protocol" and text != "Generic" and not text.startswith("Generic[")


def test_the_house_is_composed_not_mixed() -> None:
    """No class of the package inherits from two classes (the client's features are
    services built with a context, the stores are per-table objects, the server's
    requests are handlers in a table, the main screen is made of controllers), and
    none restates a host under TYPE_CHECKING."""
    classes = _classes()
    mixed = [
        f"{name}:{cls.name}"
        for name, cls in classes
        if len([b for b in cls.bases if _is_plain_base(b)]) > 1
    ]
    stubs = [
        f"{name}:{cls.name}"
        for name, cls in classes
        for node in cls.body
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
    ]
    assert mixed == [] and stubs == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_in_a_circle() -> None:
    """At run time no module of the package imports itself through others. (Type-only
    imports under TYPE_CHECKING may point back, as the bubble's private helpers do.)"""
    import grimp

    built = grimp.build_graph("imkit_tui", exclude_type_checking_imports=True)
    graph = {m: set(built.find_modules_directly_imported_by(m)) for m in built.modules}
    assert _cycles(graph) == []
