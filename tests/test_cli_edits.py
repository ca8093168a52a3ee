"""`imkit recall`, `delete` and `clear` in a group, against a real server process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Cluster
from tests.processes import imkit


def _group_history(cluster: Cluster, home: Path, user: str) -> list[dict[str, Any]]:
    result = imkit(home, "history", "--server", cluster.url, "--token", cluster.token(user),
                   "--group", "edit-crew", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_recall_delete_and_clear_in_a_group(cluster: Cluster, tmp_path: Path) -> None:
    def run(user: str, *args: str) -> Any:
        auth = ["--server", cluster.url, "--token", cluster.token(user)]
        return imkit(tmp_path / user, *args, *auth)

    assert run("ed-ria", "group", "create", "edit-crew", "ed-sam").returncode == 0
    for text in ("one", "two", "three"):
        assert run("ed-ria", "send", "--group", "edit-crew", text).returncode == 0
    sent = [m for m in _group_history(cluster, tmp_path / "ed-ria", "ed-ria")
            if m["type"] == "RC:TxtMsg"]  # fmt: skip
    one, two, three = (m["uid"] for m in sent)

    recalled = run("ed-ria", "recall", "--group", "edit-crew", one)
    assert recalled.returncode == 0, recalled.stderr
    seen = _group_history(cluster, tmp_path / "sam1", "ed-sam")
    texts = [m["content"].get("content") for m in seen]
    assert "one" not in texts and "two" in texts and "RC:RcNtf" in [m["type"] for m in seen]

    deleted = run("ed-sam", "delete", "--group", "edit-crew", two)
    assert deleted.returncode == 0, deleted.stderr
    fresh = _group_history(cluster, tmp_path / "sam2", "ed-sam")
    assert [m["content"].get("content") for m in fresh if m["type"] == "RC:TxtMsg"] == ["three"]

    cleared = run("ed-sam", "clear", "--group", "edit-crew")
    assert cleared.returncode == 0, cleared.stderr
    assert _group_history(cluster, tmp_path / "sam3", "ed-sam") == []
    kept = _group_history(cluster, tmp_path / "ria2", "ed-ria")
    assert three in [m["uid"] for m in kept]  # ria keeps the group's history


def test_with_and_group_are_one_or_the_other(tmp_path: Path) -> None:
    for command in ("recall", "delete", "clear"):
        uid = [] if command == "clear" else ["u1"]
        both = imkit(tmp_path, command, "--with", "a", "--group", "g", *uid)
        assert both.returncode == 2 and "not allowed with" in both.stderr, both.stderr
        neither = imkit(tmp_path, command, *uid)
        assert neither.returncode == 2 and "--with" in neither.stderr, neither.stderr
        assert "--group" in neither.stderr
