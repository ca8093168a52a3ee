"""Several addresses of one service: the client stays on a working node, moves to the
next at once when it goes away, and waits its backoff only after a whole round failed."""

from __future__ import annotations

import pytest

from imkit_tui.config import ConfigError, check_server_url
from imkit_tui.core.server_list import ServerList, split_servers


def test_one_address_never_moves_and_always_backs_off() -> None:
    servers = ServerList("ws://a:1")
    assert servers.current == "ws://a:1" and not servers.several
    assert servers.lost() is False and servers.current == "ws://a:1"


def test_a_lost_node_moves_to_the_next_at_once_until_a_round_failed() -> None:
    servers = ServerList("ws://a:1, ws://b:2,ws://c:3")
    assert servers.urls == ["ws://a:1", "ws://b:2", "ws://c:3"]
    assert servers.lost() is True and servers.current == "ws://b:2"
    assert servers.lost() is True and servers.current == "ws://c:3"
    assert servers.lost() is False and servers.current == "ws://a:1"  # backoff, then a
    assert servers.lost() is True and servers.current == "ws://b:2"  # a new round
    servers.connected()
    assert servers.lost() is True and servers.current == "ws://c:3"


def test_replacing_the_addresses_starts_at_the_first() -> None:
    servers = ServerList("ws://a:1,ws://b:2")
    servers.lost()
    servers.replace("ws://z:9")
    assert servers.current == "ws://z:9" and servers.urls == ["ws://z:9"]


def test_a_server_spec_lists_nodes_and_each_must_be_a_websocket_url() -> None:
    assert split_servers("ws://a:1,,ws://b:2 ") == ["ws://a:1", "ws://b:2"]
    assert check_server_url("ws://a:1,wss://b:2") == "ws://a:1,wss://b:2"
    with pytest.raises(ConfigError, match="http://b"):
        check_server_url("ws://a:1,http://b:2")
