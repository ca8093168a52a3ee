"""The lazy packages: every public name listed alike in all three places, and loadable."""

from __future__ import annotations

import ast
import importlib
import sys
import types
from pathlib import Path

import pytest

import imkit_tui
from imkit_tui.lazy import LazyNamesError, lazy_names

ROOT = Path(imkit_tui.__file__).parent


def lazy_packages() -> list[str]:
    """Every package of imkit_tui whose __init__ builds its __getattr__ with lazy_names."""
    found = []
    for init in sorted(ROOT.rglob("__init__.py")):
        if "lazy_names(" in init.read_text(encoding="utf-8"):
            parts = init.parent.relative_to(ROOT.parent).parts
            found.append(".".join(parts))
    return found


def type_checking_imports(package: str) -> set[str]:
    """The names an __init__ imports under `if TYPE_CHECKING:`."""
    init = ROOT.parent.joinpath(*package.split("."), "__init__.py")
    names: set[str] = set()
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom | ast.Import):
                    names |= {alias.asname or alias.name for alias in statement.names}
    return names


def test_the_lazy_packages_are_found() -> None:
    packages = lazy_packages()
    for expected in ("imkit_tui.core", "imkit_tui.protocol", "imkit_tui.ui.screens"):
        assert expected in packages


@pytest.mark.parametrize("package", lazy_packages())
def test_all_names_what_type_checking_imports_and_each_loads(package: str) -> None:
    module = importlib.import_module(package)
    exported = set(module.__all__)
    assert exported == type_checking_imports(package)
    for name in sorted(exported):
        assert getattr(module, name) is not None, name
    with pytest.raises(AttributeError):
        _ = module.no_such_name


def test_a_table_that_differs_from_all_fails_the_import() -> None:
    package = types.ModuleType("lazy_example")
    package.__all__ = ["join", "split"]
    sys.modules[package.__name__] = package
    try:
        with pytest.raises(LazyNamesError, match=r"only in the table \['basename'\].*\['split'\]"):
            lazy_names(package.__name__, {"join": "os.path", "basename": "os.path"})
        lookup = lazy_names(package.__name__, {"join": "os.path", "split": "os.path"})
        assert lookup("split") is __import__("os.path").path.split
        assert package.split is lookup("split")  # kept in the package
    finally:
        del sys.modules[package.__name__]


def test_a_package_without_all_fails_the_import() -> None:
    package = types.ModuleType("lazy_without_all")
    sys.modules[package.__name__] = package
    try:
        with pytest.raises(LazyNamesError):
            lazy_names(package.__name__, {"join": "os.path"})
    finally:
        del sys.modules[package.__name__]
