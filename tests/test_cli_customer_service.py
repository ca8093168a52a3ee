"""`imkit cs agent` and `imkit serve`'s [customer_service] table, as real processes: an
agent serves a customer from the terminal (take, reply, end)."""

from __future__ import annotations

import asyncio
import queue
import subprocess
import threading
from pathlib import Path

from imkit_tui import messages
from imkit_tui.protocol import SendAck
from tests.cs_helpers import CONFIG, FAQ_TEXT, Inbox
from tests.processes import IMKIT, env_for, imkit, start_server, token
from tests.wire import WireClient


class Lines:
    """A process's standard output, line by line, waited for with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout
        threading.Thread(target=lambda: [self._lines.put(x) for x in stdout], daemon=True).start()

    async def until(self, part: str, timeout: float = 20.0) -> str:
        """The first line (from here on) that holds `part`."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    line = self._lines.get_nowait()
                except queue.Empty:
                    await asyncio.sleep(0.02)
                    continue
                if part in line:
                    return line


def _configured(tmp_path: Path) -> Path:
    data = tmp_path / "server"
    config = tmp_path / "server-home" / "config"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(CONFIG, encoding="utf-8")
    (config / "faq.toml").write_text(FAQ_TEXT, encoding="utf-8")
    return data


def _agent(url: str, key: str, home: Path) -> subprocess.Popen[str]:
    """`imkit cs agent` running, its three streams piped."""
    return subprocess.Popen(
        [*IMKIT, "cs", "agent", "--server", url, "--token", key],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(home),
    )


async def test_an_agent_serves_a_customer_from_the_terminal(tmp_path: Path) -> None:
    data = _configured(tmp_path)
    server, url = start_server(data)
    agent: subprocess.Popen[str] | None = None
    try:
        agent = _agent(url, token(data, "carol"), tmp_path / "carol")
        out = Lines(agent)
        assert "serving imkit help as carol" in await out.until("serving")
        await out.until("desk: waiting nobody")
        assert agent.stdin is not None
        agent.stdin.write("take\nleft\n")
        agent.stdin.flush()
        await out.until("no messages left")  # after take was refused: nobody waits

        alice = Inbox(await WireClient.login(url, token(data, "alice")))
        await alice.send(messages.TEXT, {"content": "how do I send a file"})
        replies = [(await alice.push(messages.TEXT, 10)).message.content for _ in range(2)]
        assert replies[0]["content"].startswith("Hello!")  # the robot's welcome first
        assert replies[1]["content"] == "Press + in the composer and pick the file."
        await alice.send(messages.TEXT, {"content": "talk to a human"})
        assert "yours alice" in await out.until("yours alice")
        await alice.send(messages.TEXT, {"content": "the upload stops at 99%"})
        assert "alice: the upload stops at 99%" in await out.until("99%")

        agent.stdin.write("history alice\nreply alice try a smaller file\nbogus\n")
        agent.stdin.flush()
        assert "alice: how do I send a file" in await out.until("how do I send")
        await out.until("sent to alice")
        heard = await alice.push(messages.TEXT, 10)
        while heard.message.sender != "carol":
            heard = await alice.push(messages.TEXT, 10)
        assert heard.message.content["content"] == "try a smaller file"

        agent.stdin.write("end alice\n")
        agent.stdin.flush()
        await out.until("yours nobody")
        assert (await alice.push(messages.CS_PULL_EVALUATION, 10)).message.content["msgId"]
        assert isinstance(await alice.send(messages.CS_EVALUATION, {"source": 3}), SendAck)
        agent.stdin.write("quit\n")
        agent.stdin.flush()
        assert agent.wait(20) == 0
        assert agent.stderr is not None
        errors = agent.stderr.read()
        assert "refused: nobody is waiting" in errors and "not a command: 'bogus'" in errors
        await alice.wire.close()
    finally:
        if agent is not None and agent.poll() is None:
            agent.kill()
        server.terminate()
        server.wait(20)


async def test_a_user_who_is_not_an_agent_is_told_so(tmp_path: Path) -> None:
    data = _configured(tmp_path)
    server, url = start_server(data)
    try:
        args = ("cs", "agent", "--server", url, "--token", token(data, "alice"))
        result = await asyncio.to_thread(imkit, tmp_path / "alice", *args, stdin="")
        assert result.returncode == 1
        assert "you are not an agent of kefu" in result.stderr
    finally:
        server.terminate()
        server.wait(20)


async def test_a_bad_customer_service_table_stops_imkit_serve_saying_why(tmp_path: Path) -> None:
    home = tmp_path / "server-home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        '[customer_service]\nid = "kefu"\nfaq = "missing.toml"\n', encoding="utf-8"
    )
    args = ("serve", "--port", "0", "--data", str(tmp_path / "server"))
    result = await asyncio.to_thread(imkit, home, *args, timeout=60)
    assert result.returncode == 2
    assert "bad server setting: cannot read the FAQ" in result.stderr
    assert "missing.toml" in result.stderr
