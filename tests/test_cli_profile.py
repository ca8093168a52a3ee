"""`imkit profile set` and `imkit profile show`, run as real processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.processes import imkit, start_server, token


def _json(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def test_profile_set_and_show(tmp_path: Path) -> None:
    data = tmp_path / "server"
    process, url = start_server(data)
    try:

        def run(user: str, *args: str) -> Any:
            home = tmp_path / user
            return imkit(home, "profile", *args, "--server", url, "--token", token(data, user))

        mine = _json(
            run("ann", "set", "--name", "Ann Lee", "--portrait", "https://x/a.png", "--json")
        )
        assert mine == {"ann": {"name": "Ann Lee", "portrait": "https://x/a.png"}}
        shown = run("ben", "show", "ann", "nobody")
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.splitlines() == [
            "ann: Ann Lee · https://x/a.png",
            "nobody: (no profile)",
        ]
        bad = run("ann", "set", "--portrait", "ftp://x/a.png")
        assert bad.returncode == 1 and "(33003)" in bad.stderr, bad.stderr
        assert run("ann", "set").returncode == 2  # nothing to set: usage
        assert _json(run("ann", "show", "--json"))["ann"]["name"] == "Ann Lee"  # unchanged
    finally:
        process.terminate()
        process.wait(10)


def test_help_lists_the_profile_command(tmp_path: Path) -> None:
    assert "profile" in imkit(tmp_path, "--help").stdout
    assert "--portrait" in imkit(tmp_path, "profile", "set", "--help").stdout
