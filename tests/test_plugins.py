"""Plugins: discovery through entry points, failures reported and skipped, and the
example plugin installed for real: it sends, renders and survives a restart."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

from imkit_tui import messages, plugins
from imkit_tui.config import UiState
from imkit_tui.core import IMClient
from imkit_tui.messages import _registry as message_registry
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.bubbles import registered
from imkit_tui.ui.bubbles import registry as bubble_registry
from imkit_tui.ui.themes import load_themes
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import FAST_BACKOFF, ServerHandle
from tests.processes import IMKIT, env_for

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "imkit-card"
CARD = "Example:Card"


def _entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=plugins.GROUP)


@pytest.fixture
def clean_registries() -> Iterator[None]:
    """Whatever a test registers is forgotten after it (and so is the loader's report,
    which the app turns into warnings)."""
    types = dict(message_registry._REGISTRY)
    bubbles = dict(bubble_registry._BUBBLES)
    report = copy.deepcopy(plugins._report)
    yield
    plugins._report = report
    message_registry._REGISTRY.clear()
    message_registry._REGISTRY.update(types)
    bubble_registry._BUBBLES.clear()
    bubble_registry._BUBBLES.update(bubbles)


@pytest.fixture(scope="module")
def card_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example plugin installed (pip, no dependencies) into a folder on sys.path."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=build,
    )
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(target))
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in [n for n in sys.modules if n == "imkit_card" or n.startswith("imkit_card.")]:
            del sys.modules[name]


def test_builtin_bubbles_come_through_the_entry_point_group() -> None:
    found = plugins.discover()
    assert found[0].name == plugins.BUILTIN
    installed = {ep.name: ep.value for ep in entry_points(group=plugins.GROUP)}
    assert installed.get(plugins.BUILTIN) == "imkit_tui.ui.bubbles.builtin:setup"
    report = plugins.load_plugins()
    assert plugins.BUILTIN in report.loaded
    assert registered()[messages.TEXT].__name__ == "TextBubble"


def test_a_broken_plugin_is_reported_and_skipped(clean_registries: None) -> None:
    report = plugins.load_plugins(
        [
            _entry("missing", "no_such_module_for_imkit:setup"),
            _entry("raises", "tests.plugin_samples:explode"),
            _entry("not-callable", "tests.plugin_samples:NOT_CALLABLE"),
            _entry("clash", "tests.plugin_samples:clash_with_text"),
            _entry("good", "tests.plugin_samples:register_poll"),
        ]
    )
    reasons = {f.name: f.reason for f in report.failures}
    assert reasons["missing"].startswith("ModuleNotFoundError")
    assert reasons["raises"] == "RuntimeError: the plugin exploded"
    assert "not callable" in reasons["not-callable"]
    assert "already registered" in reasons["clash"]
    assert "good" in report.loaded
    assert messages.is_known("Sample:Poll")
    assert messages.summarize("Sample:Poll", {"question": "Lunch?"}) == "[Poll] Lunch?"
    # The text bubble was not replaced by the plugin that did not ask to replace it.
    assert registered()[messages.TEXT].__name__ == "TextBubble"


def test_a_fresh_process_finds_the_installed_plugin(card_plugin: Path) -> None:
    code = "from imkit_tui.plugins import load_plugins; print(json.dumps(load_plugins().loaded))"
    env = {**env_for(card_plugin.parent / "home"), "PYTHONPATH": str(card_plugin)}
    result = subprocess.run(
        [sys.executable, "-c", f"import json; {code}"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["builtin", "card"]


def _app(client: IMClient, tmp_path: Path) -> IMKitApp:
    return IMKitApp(client, themes=load_themes(), state=UiState(tmp_path / "ui-state.json"))


async def _open_bubbles(app: IMKitApp, pilot: object) -> list[str]:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    for _ in range(200):
        await pilot.pause(0.02)
        if app.screen.query(ChatView):
            break
    else:
        await pilot.press("enter")
    for _ in range(200):
        views = app.screen.query(ChatView)
        if views and views.first().shown:
            break
        await pilot.pause(0.02)
    return [type(bubble).__name__ for bubble in app.screen.query_one(ChatView).bubbles()]


async def test_the_example_plugin_sends_renders_and_survives_a_restart(
    card_plugin: Path, clean_registries: None, server_handle: ServerHandle, tmp_path: Path
) -> None:
    (card,) = [ep for ep in entry_points(group=plugins.GROUP) if ep.name == "card"]
    report = plugins.load_plugins([card])
    assert "card" in report.loaded and not [f for f in report.failures if f.name == "card"]
    content = {"name": "Carol Chen", "title": "Designer", "company": "Acme", "email": "c@a.example"}

    # Sent from the command line, as a script would, by a process without the plugin.
    # (asyncio's subprocess: the server runs on this very loop.)
    process = await asyncio.create_subprocess_exec(
        *IMKIT,
        "send",
        "--server",
        server_handle.url,
        "--token",
        server_handle.token("alice"),
        "--to",
        "bob",
        "--type",
        CARD,
        "--content",
        json.dumps(content),
        stderr=asyncio.subprocess.PIPE,
        env=env_for(tmp_path / "alice"),
    )
    async with asyncio.timeout(60):
        _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()

    store = tmp_path / "bob" / "store.db"
    for run in range(2):  # the second run is a restart on the same store
        client = IMClient(
            server_url=server_handle.url,
            token=server_handle.token("bob"),
            store_path=store,
            backoff=FAST_BACKOFF,
        )
        await client.start()
        await client.wait_synced(timeout=10)
        (row,) = await client.conversations()
        assert row.preview == "[Card] Carol Chen"
        app = _app(client, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("enter")
            names = await _open_bubbles(app, pilot)
            assert "CardBubble" in names, f"run {run}: {names}"
            (bubble,) = [
                b
                for b in app.screen.query_one(ChatView).bubbles()
                if type(b).__name__ == "CardBubble"
            ]
            assert "Carol Chen" in str(bubble.render_body())
        await client.close()


def test_card_bubble_refuses_a_card_without_a_name(
    card_plugin: Path, clean_registries: None
) -> None:
    import imkit_card

    from imkit_tui.core import Direction, Message, SendStatus
    from imkit_tui.ui.bubbles import UnsupportedBubble, bubble_for

    plugins.load_plugins([_entry("card", "imkit_card:setup")])
    message = Message(
        id=1,
        conv=ConvRef.private("bob"),
        seq=1,
        uid="u",
        cmid="c",
        sender="bob",
        object_name=imkit_card.CARD,
        content={"name": 7},
        sent_at=0,
        direction=Direction.RECEIVED,
        status=SendStatus.RECEIVED,
    )
    assert isinstance(bubble_for(message, me="alice"), UnsupportedBubble)
