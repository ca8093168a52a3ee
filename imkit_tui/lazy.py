"""A package's public names loaded from their modules on first use.

As Textual's ``widgets/__init__.__getattr__`` does: the package imports nothing up
front, and each name is imported the first time it is looked up, then kept in the
package. Start-up loads only what its first frame needs.

A lazy package lists each name three times: imported under ``TYPE_CHECKING`` (for type
checkers), in ``__all__``, and in the table given to :func:`lazy_names`.
:func:`lazy_names` ties the table to ``__all__`` when the package is imported, and
tests/test_lazy.py ties ``__all__`` to the ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


class LazyNamesError(ImportError):
    """A lazy package's table and its ``__all__`` do not name the same things."""


def lazy_names(package: str, names: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for `package`: `names` maps each public name to the
    module that defines it.

    Called from the package's ``__init__`` after its ``__all__``, which must list the
    same names.

    Raises:
        LazyNamesError: ``__all__`` is missing, or it and `names` differ.
    """
    exported = getattr(sys.modules[package], "__all__", None)
    if exported is None or set(exported) != set(names):
        missing = sorted(set(names) - set(exported or ()))
        extra = sorted(set(exported or ()) - set(names))
        raise LazyNamesError(
            f"{package}: __all__ and its lazy table differ: only in the table {missing}, "
            f"only in __all__ {extra}"
        )

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
