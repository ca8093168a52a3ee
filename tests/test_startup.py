"""Start-up: plain `imkit` loads only what its first frame needs, and the embedded
server's own clients reach it in-process, with no network at all."""

from __future__ import annotations

import contextlib
import io
import os
import pty
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import imkit_tui.commands as commands_package
from imkit_tui.cli import COMMANDS, build_parser, parse
from imkit_tui.core import ConnectionState, IMClient, peek_conversations
from imkit_tui.core.store import Coverage, LocalStore
from imkit_tui.paths import Paths
from imkit_tui.protocol import ConvRef, MessageRecord
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from tests.conftest import FAST_BACKOFF, until_client

# ---------------------------------------------------------------------- cheap imports


def _modules_loaded_by(argv: list[str], prefixes: tuple[str, ...], extra: str = "") -> set[str]:
    """The modules starting with `prefixes` that a fresh Python has loaded once it parsed
    `argv` as `imkit` does (after running the line `extra`)."""
    script = (
        "import sys\n"
        "from imkit_tui.cli import parse\n"
        f"{extra}\n"
        f"parse({argv!r})\n"
        f"print(' '.join(m for m in sys.modules if m.startswith({prefixes!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return set(result.stdout.split())


def test_plain_imkit_imports_no_subcommand_and_no_server() -> None:
    prefixes = ("imkit_tui.commands.", "imkit_tui.server", "websockets")
    loaded = _modules_loaded_by([], prefixes, extra="import imkit_tui.commands.app")
    # The app itself, what it shares with the commands, and the embedded host (whose
    # server loads only once the first frame is out).
    assert loaded == {
        "imkit_tui.commands.app",
        "imkit_tui.commands.app_options",
        "imkit_tui.commands.common",
        "imkit_tui.commands.embedded",
    }


def test_the_dialogs_load_when_first_used() -> None:
    dialogs = ("imkit_tui.ui.screens.prompts", "imkit_tui.ui.screens.new_chat")
    loaded = _modules_loaded_by([], dialogs, extra="import imkit_tui.commands.app")
    assert loaded == set()
    extra = "import imkit_tui.commands.app\nfrom imkit_tui.ui import screens\nscreens.NewChatScreen"
    assert _modules_loaded_by([], dialogs, extra=extra) == set(dialogs)


def test_a_command_never_loads_the_ui() -> None:
    loaded = _modules_loaded_by(["send", "--to", "bob", "hi"], ("textual", "imkit_tui.ui"))
    assert loaded == set()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_command_is_built_when_named(name: str) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as ended:
        parse([name, "--help"])
    assert ended.value.code == 0
    assert out.getvalue().startswith(f"usage: imkit {name} ")


def test_help_lists_every_command_with_its_line_and_nothing_else() -> None:
    listed = build_parser().format_help()
    for name, (_, helptext) in COMMANDS.items():
        assert name in listed and helptext.split()[0] in listed


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_named_command_is_built_with_only_the_names_the_table_lists(name: str) -> None:
    module = COMMANDS[name][0]
    for stand_ins in (True, False):
        parser = build_parser(name, stand_ins=COMMANDS if stand_ins else ())
        (subparsers,) = (action for action in parser._actions if action.dest == "command")
        built = {other for other, (of, _) in COMMANDS.items() if of == module}
        assert set(subparsers.choices or ()) == (set(COMMANDS) if stand_ins else built)
        for other, sub in (subparsers.choices or {}).items():
            assert sub.add_help == (other in built), other  # stand-ins have no --help


def test_a_module_registering_a_command_the_table_lacks_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(COMMANDS, "unblock")
    with pytest.raises(RuntimeError, match=r"missing from cli\.COMMANDS: \['unblock'\]"):
        build_parser("block")  # privacy.py registers unblock beside block


def test_help_and_an_unknown_command_list_every_command_from_plain_arguments() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        parse(["-v", "--help"])
    assert out.getvalue() == build_parser().format_help()
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit):
        parse(["-v", "bogus"])
    assert "invalid choice: 'bogus'" in err.getvalue()
    assert all(f"'{name}'" in err.getvalue() for name in COMMANDS)
    assert parse(["-v", "--home", "/tmp/x"]).command is None
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit):
        parse(["--home"])
    assert "argument --home: expected one argument" in err.getvalue()


def test_an_unknown_option_is_reported_with_the_innermost_command_usage() -> None:
    for argv, usage in (
        (["--nope"], "usage: imkit "),
        (["send", "--to", "bob", "hi", "--nope"], "usage: imkit send "),
        (["group", "create", "team", "--nope"], "usage: imkit group create "),
    ):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as ended:
            parse(argv)
        assert ended.value.code == 2
        assert err.getvalue().startswith(usage), argv
        assert "unrecognized arguments: --nope" in err.getvalue()


def test_every_module_that_registers_commands_is_in_the_table() -> None:
    commands = Path(commands_package.__file__).parent
    registering = {
        path.stem for path in commands.glob("*.py") if "\ndef add_parser(" in path.read_text()
    }
    assert registering == {module for module, _ in COMMANDS.values()}


# ---------------------------------------------------------------------- the first frame

#: What the first frame is drawn without: the client core, its store and its events, the
#: connection and the msgspec codec of the wire, the server, websockets, the message
#: catalogue's types, forwarding and the plugins. Each loads once the first frame is out.
NOT_BEFORE_THE_FIRST_FRAME = frozenset(
    {
        "imkit_tui.core.client",
        "imkit_tui.core.store",
        "imkit_tui.core.events",
        "imkit_tui.core.connection",
        "imkit_tui.core.forward",
        "imkit_tui.plugins",
        "imkit_tui.protocol.codec",
        "imkit_tui.messages._registry",
        "imkit_tui.server.app",
        "websockets",
    }
)

_AT_THE_FIRST_FRAME = textwrap.dedent(
    """
    import os, sys
    import imkit_tui.ui.screens.main as main

    def first_frame():
        with open(os.environ["MODULES_FILE"], "w") as out:
            out.write(" ".join(sys.modules))
        os._exit(0)

    main.report_ready = first_frame
    from imkit_tui.cli import main as imkit
    sys.exit(imkit(sys.argv[1:]))
    """
)


def _modules_at_first_frame(argv: list[str], home: Path) -> set[str]:
    """The modules loaded when `imkit argv` (on a terminal, on `home`) has drawn its
    first frame."""
    listing = home.parent / "modules.txt"
    _run_on_terminal(["-c", _AT_THE_FIRST_FRAME, *argv], home, MODULES_FILE=str(listing))
    assert listing.exists(), "imkit never drew its first frame"
    return set(listing.read_text().split())


def test_the_embedded_app_draws_its_first_frame_without_the_core(tmp_path: Path) -> None:
    loaded = _modules_at_first_frame(["--user", "me"], tmp_path / "home")
    assert "imkit_tui.ui.screens.main" in loaded
    assert loaded & NOT_BEFORE_THE_FIRST_FRAME == set()


async def test_an_app_on_a_server_draws_its_stored_list_without_the_core(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    server = "ws://127.0.0.1:9"  # nothing answers there
    path = Paths.resolve(home).account_store(server, "me")
    store = await LocalStore.open(path, "me")
    try:
        conv = ConvRef.private("bob")
        record = MessageRecord(
            uid="u1", conv=conv, seq=1, sender="bob", object_name="RC:TxtMsg",
            content={"content": "hi"}, cmid="c1", sent_at=1_700_000_000_000,
        )  # fmt: skip
        await store.messages.add_received(conv, [record], Coverage(1, 1, 1))
    finally:
        await store.close()
    assert [row.ref for row in peek_conversations(path, 10)] == [conv]
    token = issue_token(b"0" * 32, "me")
    loaded = _modules_at_first_frame(["--server", server, "--token", token], home)
    assert "imkit_tui.core.first_look" in loaded
    assert loaded & NOT_BEFORE_THE_FIRST_FRAME == set()


def test_a_store_the_client_cannot_open_ends_the_app_with_a_clear_message(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    server = "ws://127.0.0.1:9"
    path = Paths.resolve(home).account_store(server, "me")
    path.parent.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(path)) as newer:  # as a newer imkit left it
        newer.execute("PRAGMA user_version = 999")
    token = issue_token(b"0" * 32, "me")
    argv = ["-m", "imkit_tui", "--server", server, "--token", token]
    code, output = _run_on_terminal(argv, home)
    assert code == 1
    assert "imkit: cannot open the local store: database schema version 999" in output
    assert "Traceback" not in output


def _run_on_terminal(argv: list[str], home: Path, **extra_env: str) -> tuple[int, str]:
    """Run `python argv` on a terminal (the terminal is not asked about graphics), on
    `home`, until it ends: its exit code and all it wrote."""
    env = dict(os.environ, IMKIT_HOME=str(home), IMKIT_GRAPHICS="none", TERM="xterm-256color")
    env.update(extra_env)
    env.pop("IMKIT_READY_FILE", None)
    leader, follower = pty.openpty()
    os.set_blocking(leader, False)
    process = subprocess.Popen(
        [sys.executable, *argv], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    output = b""
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(BlockingIOError):
                output += os.read(leader, 65536)
            time.sleep(0.01)
        with contextlib.suppress(OSError):
            output += os.read(leader, 65536)
    finally:
        process.kill()
        process.wait()
        os.close(leader)
    return process.returncode, output.decode(errors="replace")


# ---------------------------------------------------------------------- in-process transport


async def test_clients_talk_to_a_server_that_listens_on_no_port(tmp_path: Path) -> None:
    server = IMServer(ServerConfig(data_dir=tmp_path / "server", port=0))
    await server.start(listen=False)
    secret = load_or_create_secret(tmp_path / "server")

    def client(user: str) -> IMClient:
        return IMClient(
            server_url="ws://in-process",
            token=issue_token(secret, user),
            store_path=tmp_path / user / "store.db",
            backoff=FAST_BACKOFF,
            opener=server.connect_in_process,
        )

    alice, bob = client("alice"), client("bob")
    try:
        assert not server.listening
        for each in (alice, bob):
            await each.start()
            await each.wait_synced(timeout=10)
        sent = await alice.send_text(ConvRef.private("bob"), "over a socket pair")
        await alice.wait_sent([sent.id], timeout=10)

        async def bob_has_it() -> bool:
            history = await bob.history.load(ConvRef.private("alice"))
            return [m.content["content"] for m in history] == ["over a socket pair"]

        await until_client(bob, bob_has_it)
        await server.stop()  # the in-process connections are closed like TCP ones

        async def alice_lost_it() -> bool:
            return alice.state == ConnectionState.RECONNECTING

        await until_client(alice, alice_lost_it)
    finally:
        await alice.close()
        await bob.close()
        await server.stop()
