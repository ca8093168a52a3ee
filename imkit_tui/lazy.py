"""A package's public names loaded from their modules on first use.

As Textual's ``widgets/__init__.__getattr__`` does: the package imports nothing up
front, and each name is imported the first time it is looked up, then kept in the
package. Start-up loads only what its first frame needs.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_names(package: str, names: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for `package`: `names` maps each public name to the
    module that defines it."""

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
