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


def _core_classes() -> list[tuple[str, ast.ClassDef]]:
    found: list[tuple[str, ast.ClassDef]] = []
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(path.name, n) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    return found


def test_the_client_core_is_composed_not_mixed() -> None:
    """No class of the client core inherits from two classes (features are services
    built with a context, the store is per-table objects), and none restates a host
    under TYPE_CHECKING."""
    mixed = [
        f"{name}:{cls.name}"
        for name, cls in _core_classes()
        if len([b for b in cls.bases if ast.unparse(b) not in ("Protocol", "Generic")]) > 1
    ]
    stubs = [
        f"{name}:{cls.name}"
        for name, cls in _core_classes()
        for node in cls.body
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
    ]
    assert mixed == [] and stubs == []
