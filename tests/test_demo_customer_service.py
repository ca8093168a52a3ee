"""The demo workspace's customer service: the embedded server's robot answers questions
about imkit; a [customer_service] table in the config file replaces the demo's."""

from __future__ import annotations

from pathlib import Path

import pytest

from imkit_tui.commands.common import CommandError
from imkit_tui.commands.demo_cs import DEMO_ACCOUNT, IMKIT_FAQ
from imkit_tui.commands.embedded import EmbeddedHost
from imkit_tui.core.customer_service import service_conv
from imkit_tui.paths import Paths
from tests.conftest import until_client
from tests.cs_helpers import FAQ_TEXT


async def _texts(host: EmbeddedHost, account: str) -> list[str]:
    assert host.client is not None
    page = await host.client.messages(service_conv(account))
    return [str(m.content.get("content", "")) for m in page]


async def test_the_demo_robot_answers_questions_about_imkit(tmp_path: Path) -> None:
    host = EmbeddedHost(Paths.resolve(tmp_path / "home"), "me")
    try:
        client = await host.start()
        await client.wait_synced(timeout=30)
        info = await client.customer_service.info()
        assert (info.account, info.name) == (DEMO_ACCOUNT, "imkit help")
        await client.customer_service.open(DEMO_ACCOUNT)
        await client.send_text(service_conv(DEMO_ACCOUNT), "how can I change the colour theme")
        theme = IMKIT_FAQ.answer("theme")
        assert theme is not None and "palette" in theme

        async def answered() -> bool:
            return theme in await _texts(host, DEMO_ACCOUNT)

        await until_client(client, answered)
        # Nobody serves the demo: asking for a person offers to leave a message.
        await client.customer_service.ask_human(DEMO_ACCOUNT)

        async def offered() -> bool:
            return (await client.customer_service.state(DEMO_ACCOUNT)).leave_message

        await until_client(client, offered)
    finally:
        await host.stop()


async def test_the_config_file_replaces_the_demo_account(tmp_path: Path) -> None:
    paths = Paths.resolve(tmp_path / "home")
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    (paths.config_file.parent / "faq.toml").write_text(FAQ_TEXT, encoding="utf-8")
    paths.config_file.write_text('[customer_service]\nid = "helpdesk"\nfaq = "faq.toml"\n')
    host = EmbeddedHost(paths, "me")
    try:
        client = await host.start()
        await client.wait_synced(timeout=30)
        assert (await client.customer_service.info()).account == "helpdesk"
    finally:
        await host.stop()
    paths.config_file.write_text('[customer_service]\nid = "helpdesk"\nfaq = "none.toml"\n')
    broken = EmbeddedHost(paths, "me")
    with pytest.raises(CommandError, match="bad customer_service setting: cannot read the FAQ"):
        await broken.start()
    await broken.stop()
