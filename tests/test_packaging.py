"""The wheel carries every package and the themes."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_directory_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "imkit_tui").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_wheel_ships_the_themes_inside_the_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("imkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for theme in ("dark", "light"):
        assert f"imkit_tui/themes/{theme}.toml" in names
    assert "imkit_tui/py.typed" in names
    assert "imkit_tui/server/app.py" in names and "imkit_tui/core/client.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "imkit = imkit_tui.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
