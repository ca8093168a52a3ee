"""Client commands take the server and token from config.toml when the flags are absent."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cluster
from tests.processes import imkit


def _configure(home: Path, text: str) -> Path:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    return config


def test_server_and_token_come_from_the_config_file(cluster: Cluster, tmp_path: Path) -> None:
    home = tmp_path / "kay"
    _configure(home, f'server = "{cluster.url}"\ntoken = "{cluster.token("cfg-kay")}"\n')
    sent = imkit(home, "send", "--to", "cfg-lou", "from the config")
    assert sent.returncode == 0, sent.stderr
    shown = imkit(home, "history", "--with", "cfg-lou")
    assert shown.returncode == 0 and "cfg-kay: from the config" in shown.stdout, shown.stderr


def test_flags_override_the_config_file(cluster: Cluster, tmp_path: Path) -> None:
    home = tmp_path / "mo"
    _configure(home, f'server = "ws://127.0.0.1:1"\ntoken = "{cluster.token("cfg-nia")}"\n')
    mo = cluster.token("cfg-mo")
    sent = imkit(home, "send", "--server", cluster.url, "--token", mo, "--to", "cfg-nia", "hi")
    assert sent.returncode == 0, sent.stderr
    shown = imkit(home, "history", "--server", cluster.url, "--with", "cfg-mo")
    assert shown.returncode == 0 and "cfg-mo: hi" in shown.stdout, shown.stderr


def test_a_missing_server_or_token_names_both_places(cluster: Cluster, tmp_path: Path) -> None:
    home = tmp_path / "ola"
    config = _configure(home, "")
    no_server = imkit(home, "send", "--to", "x", "hi")
    assert no_server.returncode == 2
    assert "--server" in no_server.stderr and str(config) in no_server.stderr
    no_token = imkit(home, "history", "--server", cluster.url, "--with", "x")
    assert no_token.returncode == 2
    assert "--token" in no_token.stderr and str(config) in no_token.stderr


def test_an_unknown_config_key_is_named_with_its_file(cluster: Cluster, tmp_path: Path) -> None:
    home = tmp_path / "pia"
    token = cluster.token("cfg-pia")
    config = _configure(home, f'servr = "{cluster.url}"\ntoken = "{token}"\n')
    shown = imkit(home, "history", "--server", cluster.url, "--with", "x", "--offline")
    assert shown.returncode == 0, shown.stderr
    assert "servr" in shown.stderr and str(config) in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1
    bad = _configure(home, 'server = "http://example.com"\n')
    app = imkit(home, timeout=30)
    assert app.returncode == 2 and str(bad) in app.stderr and "ws://" in app.stderr
