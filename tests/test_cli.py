"""The `imkit` command line, run as real processes against a real server process."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from imkit_tui.core import IMClient
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.protocol.tokens import verify_token
from imkit_tui.server.auth import load_or_create_secret
from tests.conftest import Cluster
from tests.processes import IMKIT, env_for, history, imkit


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = imkit(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("serve", "token", "send", "history", "tail"):
        assert command in result.stdout
    send_help = imkit(tmp_path, "send", "--help").stdout
    assert "--timeout" in send_help and "--key" in send_help


def test_the_installed_command_runs(tmp_path: Path) -> None:
    beside_python = Path(sys.executable).parent / "imkit"
    path = str(beside_python) if beside_python.exists() else shutil.which("imkit")
    assert path is not None, "pip install . must install the `imkit` command"
    result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("imkit ")


def test_token_is_signed_with_the_secret_in_the_data_dir(cluster: Cluster) -> None:
    claims = verify_token(load_or_create_secret(cluster.data), cluster.token("zoe"))
    assert claims.user_id == "zoe" and claims.expires_at == claims.issued_at + 30 * 24 * 3600
    bad = imkit(cluster.data.parent, "token", "x" * 65, "--data", str(cluster.data))
    assert bad.returncode != 0 and "64" in bad.stderr and "Traceback" not in bad.stderr


def test_send_then_history_json_has_the_documented_fields(cluster: Cluster, tmp_path: Path) -> None:
    alice, bob = cluster.token("cli-alice"), cluster.token("cli-bob")
    sent = imkit(tmp_path / "a", "send", "--server", cluster.url, "--token", alice,
                 "--to", "cli-bob", "hello 你好")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    lines = imkit(tmp_path / "a", "send", "--server", cluster.url, "--token", alice,
                  "--to", "cli-bob", "-", stdin="one\n\ntwo\nthree\n")  # fmt: skip
    assert lines.returncode == 0, lines.stderr
    before = time.time() * 1000
    messages = history(tmp_path / "b", cluster.url, bob, "cli-alice")
    assert [m["content"]["content"] for m in messages] == ["hello 你好", "one", "two", "three"]
    first = messages[0]
    assert first["seq"] == 1 and first["sender"] == "cli-alice" and first["type"] == "RC:TxtMsg"
    assert isinstance(first["uid"], str) and first["uid"]
    assert isinstance(first["sent_at"], int) and before - 60_000 < first["sent_at"] <= before
    limited = imkit(tmp_path / "b", "history", "--server", cluster.url, "--token", bob,
                    "--with", "cli-alice", "--json", "--limit", "2")  # fmt: skip
    assert [json.loads(x)["seq"] for x in limited.stdout.splitlines()] == [3, 4]
    offline = imkit(tmp_path / "b", "history", "--server", cluster.url, "--token", bob,
                    "--with", "cli-alice", "--offline")  # fmt: skip
    assert offline.returncode == 0 and offline.stdout.count("cli-alice: ") == 4
    plain = imkit(tmp_path / "b", "history", "--server", cluster.url, "--token", bob,
                  "--with", "cli-alice")  # fmt: skip
    assert "cli-alice: hello 你好" in plain.stdout.splitlines()[0]


def test_refused_tokens_exit_3_with_a_clear_message(cluster: Cluster, tmp_path: Path) -> None:
    good = cluster.token("cli-carol")
    for bad in (good[:-3] + "abc", "not-a-token"):
        result = imkit(tmp_path, "send", "--server", cluster.url, "--token", bad,
                       "--to", "x", "hi", timeout=30)  # fmt: skip
        assert result.returncode == 3, result.stderr
        assert "token" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_server_times_out_and_keeps_the_message(
    cluster: Cluster, tmp_path: Path
) -> None:
    alice = cluster.token("cli-dora")
    result = imkit(tmp_path, "send", "--server", "ws://127.0.0.1:1", "--token", alice,
                   "--to", "cli-erin", "later", "--timeout", "1")  # fmt: skip
    assert result.returncode == 4 and "stay queued" in result.stderr


def test_tail_prints_messages_as_they_arrive(cluster: Cluster, tmp_path: Path) -> None:
    fay, gus = cluster.token("cli-fay"), cluster.token("cli-gus")
    # Synced once first, so tail prints the message however early it comes (a store's
    # very first sync is old history, not printed).
    assert history(tmp_path / "gus", cluster.url, gus, "cli-fay") == []
    tail = subprocess.Popen(
        [*IMKIT, "tail", "--server", cluster.url, "--token", gus, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path / "gus"),
    )
    try:
        sent = imkit(tmp_path / "fay", "send", "--server", cluster.url, "--token", fay,
                     "--to", "cli-gus", "are you there?")  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert tail.stdout is not None
        line = json.loads(tail.stdout.readline())
        assert line["content"] == {"content": "are you there?"} and line["sender"] == "cli-fay"
    finally:
        tail.terminate()
        assert tail.wait(10) == 0


def test_a_corrupt_config_or_missing_token_stops_the_app_with_a_clear_line(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('server = "ws://127.0.0.1:1"\ntoken = [not toml')
    result = imkit(tmp_path, timeout=30)
    assert result.returncode == 2 and "config.toml is not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr
    config.write_text("notifications = 3\n")
    result = imkit(tmp_path, timeout=30)
    assert result.returncode == 2 and "'notifications' must be a bool" in result.stderr
    config.write_text("")
    result = imkit(tmp_path, "--server", "ws://127.0.0.1:1", timeout=30)
    assert result.returncode == 2 and "--server needs --token" in result.stderr
    result = imkit(tmp_path, "--server", "ws://127.0.0.1:1", "--token", "garbage", timeout=30)
    assert result.returncode == 3 and "token is not valid" in result.stderr


def test_send_any_type_as_json_and_a_file(cluster: Cluster, tmp_path: Path) -> None:
    alice, uma = cluster.token("alice"), cluster.token("uma")
    base = ["send", "--server", cluster.url, "--token", alice, "--to", "uma"]
    location = {"latitude": 31.2304, "longitude": 121.4737, "poi": "People's Square"}
    sent = imkit(tmp_path / "a", *base, "--type", "RC:LBSMsg", "--content", json.dumps(location))
    assert sent.returncode == 0, sent.stderr
    unknown = imkit(tmp_path / "a", *base, "--type", "Acme:Poll", "--content", '{"q": "lunch?"}')
    assert unknown.returncode == 0, unknown.stderr
    notes = tmp_path / "notes.txt"
    notes.write_text("minutes of the meeting\n")
    sent_file = imkit(tmp_path / "a", *base, "--file", str(notes))
    assert sent_file.returncode == 0, sent_file.stderr

    received = history(tmp_path / "u", cluster.url, uma, "alice")
    kinds = [(m["type"], m["content"]) for m in received[-3:]]
    assert kinds[0] == ("RC:LBSMsg", location)
    assert kinds[1] == ("Acme:Poll", {"q": "lunch?"})
    assert kinds[2][0] == "RC:FileMsg" and kinds[2][1]["name"] == "notes.txt"
    assert kinds[2][1]["fileUrl"].startswith("imkit-media:") and "localPath" not in kinds[2][1]


def test_send_refuses_bad_json_and_files_with_a_clear_line(
    cluster: Cluster, tmp_path: Path
) -> None:
    base = ["send", "--server", cluster.url, "--token", cluster.token("alice"), "--to", "uma"]
    cases = [
        (["--type", "RC:TxtMsg", "--content", "{not json"], "not valid JSON"),
        (["--type", "RC:TxtMsg", "--content", "[1, 2]"], "must be a JSON object"),
        (["--content", "{}"], "--content needs --type"),
        (["hello", "--file", "x.txt"], "exactly one of"),
        (["--file", str(tmp_path / "missing.png")], "No such file"),
        (["--file", __file__, "--as", "image"], "is not an image"),
        (["--type", "RC:TypSts", "--content", "{}"], "status message"),
    ]
    for extra, expected in cases:
        result = imkit(tmp_path, *base, *extra)
        assert result.returncode == 2, (extra, result.stderr)
        assert expected in result.stderr, (extra, result.stderr)
        assert "Traceback" not in result.stderr


def test_recall_delete_and_clear_from_the_command_line(cluster: Cluster, tmp_path: Path) -> None:
    vic, wes = cluster.token("vic"), cluster.token("wes")
    url = cluster.url
    as_vic = ["--server", url, "--token", vic, "--with", "wes"]
    as_wes = ["--server", url, "--token", wes, "--with", "vic"]
    for text in ("first", "second", "third"):
        sent = imkit(tmp_path / "v", "send", "--server", url, "--token", vic, "--to", "wes", text)
        assert sent.returncode == 0, sent.stderr
    mine = history(tmp_path / "v", url, vic, "wes")
    first, second, third = (m["uid"] for m in mine)

    recalled = imkit(tmp_path / "v", "recall", *as_vic, first)
    assert recalled.returncode == 0, recalled.stderr
    seen = history(tmp_path / "w", url, wes, "vic")
    assert seen[0]["type"] == "RC:RcNtf" and "first" not in json.dumps(seen[0])

    refused = imkit(
        tmp_path / "w", "recall", "--server", url, "--token", wes, "--with", "vic", second
    )
    assert refused.returncode == 2 and "own" in refused.stderr
    missing = imkit(
        tmp_path / "w", "delete", "--server", url, "--token", wes, "--with", "vic", "nope"
    )
    assert missing.returncode == 2 and "no message nope" in missing.stderr

    deleted = imkit(
        tmp_path / "w", "delete", "--server", url, "--token", wes, "--with", "vic", second
    )
    assert deleted.returncode == 0, deleted.stderr
    fresh = history(tmp_path / "w2", url, wes, "vic")  # a new device syncs from scratch
    assert [m["type"] for m in fresh if m["uid"] in (second, third)] == ["RC:TxtMsg"]
    cleared = imkit(tmp_path / "w", "clear", *as_wes)
    assert cleared.returncode == 0, cleared.stderr
    assert history(tmp_path / "w3", url, wes, "vic") == []
    assert len(history(tmp_path / "v", url, vic, "wes")) >= 3  # vic keeps the conversation


def test_group_commands(cluster: Cluster, tmp_path: Path) -> None:
    def group(user: str, *args: str) -> subprocess.CompletedProcess[str]:
        auth = ["--server", cluster.url, "--token", cluster.token(user)]
        return imkit(tmp_path / user, "group", args[0], *auth, *args[1:])

    made = group("gia", "create", "crew", "hal", "ivy", "--name", "The Crew", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) == {
        "group": "crew",
        "name": "The Crew",
        "owner": "gia",
        "members": ["gia", "hal", "ivy"],
        "muted": [],
        "all_muted": False,
        "speakers": [],
        "invited": [],
    }
    assert group("hal", "invite", "crew", "jon").returncode == 0
    refused = group("hal", "kick", "crew", "ivy")
    assert refused.returncode == 1 and "owner" in refused.stderr
    assert group("gia", "rename", "crew", "Crew 2").returncode == 0
    assert group("ivy", "quit", "crew").returncode == 0
    listed = group("jon", "members", "crew")
    assert listed.returncode == 0 and listed.stdout.startswith("Crew 2 (crew), owner gia")
    assert "3 members: gia, hal, jon" in listed.stdout
    muted = group("gia", "mute", "crew", "hal")
    assert muted.returncode == 0 and "muted: hal" in muted.stdout
    everyone = group("gia", "mute", "crew")
    assert everyone.returncode == 0 and "muted: everyone but the owner" in everyone.stdout
    still = group("gia", "unmute", "crew", "hal")  # hal, but everyone stays muted
    assert still.returncode == 0 and "muted: everyone but the owner" in still.stdout
    allowed = group("gia", "allow-speak", "crew", "jon")
    assert allowed.returncode == 0 and "may speak while all are muted: jon" in allowed.stdout
    not_owner = group("jon", "disallow-speak", "crew", "jon")
    assert not_owner.returncode == 1 and "owner" in not_owner.stderr
    assert "may speak" not in group("gia", "disallow-speak", "crew", "jon").stdout
    lifted = group("gia", "unmute", "crew")
    assert lifted.returncode == 0 and "muted:" not in lifted.stdout
    assert group("gia", "dismiss", "crew").returncode == 0
    gone = group("hal", "members", "crew")
    assert gone.returncode == 1 and "22406" in gone.stderr


def test_an_app_syncs_its_users_groups(cluster: Cluster, tmp_path: Path) -> None:
    def sync(*args: str) -> subprocess.CompletedProcess[str]:
        return imkit(tmp_path / "app", "group", "sync", "--server", cluster.url, *args)

    made = sync("--data", str(cluster.data), "kim", "book-club=Book Club", "chess", "--json")
    assert made.returncode == 0, made.stderr
    first, second = (json.loads(line) for line in made.stdout.splitlines())
    assert (first["group"], first["name"], first["owner"]) == ("book-club", "Book Club", "kim")
    assert second["members"] == ["kim"] and second["name"] == "chess"
    joined = sync("--data", str(cluster.data), "lee", "book-club=Readers")
    assert joined.returncode == 0, joined.stderr
    assert "Readers (book-club), owner kim" in joined.stdout
    assert "2 members: kim, lee" in joined.stdout
    # Without the app secret there is nothing to sync with; a user cannot sync.
    missing = sync("--data", str(tmp_path / "nowhere"), "lee", "chess")
    assert missing.returncode != 0 and "app secret" in missing.stderr
    auth = ["--server", cluster.url, "--token", cluster.token("lee")]
    as_user = imkit(tmp_path / "lee", "group", "members", *auth, "book-club")
    assert as_user.returncode == 0 and "Readers" in as_user.stdout


def test_a_targeted_group_message_from_the_command_line(cluster: Cluster, tmp_path: Path) -> None:
    def run(user: str, *args: str) -> subprocess.CompletedProcess[str]:
        auth = ["--server", cluster.url, "--token", cluster.token(user)]
        return imkit(tmp_path / user, args[0], *auth, *args[1:])

    auth = ["--server", cluster.url, "--token", cluster.token("ned")]
    made = imkit(tmp_path / "ned", "group", "create", *auth, "trio", "oli", "pam")
    assert made.returncode == 0, made.stderr
    sent = run("ned", "send", "--group", "trio", "--only", "oli", "for oli")
    assert sent.returncode == 0, sent.stderr
    assert run("ned", "send", "--group", "trio", "for both").returncode == 0
    oli = run("oli", "history", "--group", "trio", "--json")
    pam = run("pam", "history", "--group", "trio", "--json")
    assert oli.returncode == 0 and pam.returncode == 0, (oli.stderr, pam.stderr)
    oli_texts = [json.loads(line)["content"].get("content") for line in oli.stdout.splitlines()]
    pam_seqs = [json.loads(line)["seq"] for line in pam.stdout.splitlines()]
    assert "for oli" in oli_texts and "for both" in oli_texts
    assert "for oli" not in pam.stdout and pam_seqs == list(range(1, len(pam_seqs) + 1))
    wrong = run("ned", "send", "--to", "oli", "--only", "pam", "x")
    assert wrong.returncode == 2 and "--only goes with --group" in wrong.stderr


async def _mentions_of(url: str, token_: str, store: Path) -> tuple[int, list[object]]:
    """How many unread mentions a user has in the group, and the mentionedInfo of each
    message there, read from a real client's store after its sync."""
    group = ConvRef(type=ConversationType.GROUP, target="mention-crew")
    async with IMClient(server_url=url, token=token_, store_path=store) as client:
        await client.wait_synced(timeout=20)
        row = await client.conversation(group)
        infos = [m.content.get("mentionedInfo") for m in await client.messages(group)]
        return (row.mentions if row else -1), [i for i in infos if i is not None]


def test_send_to_a_group_with_mentions(cluster: Cluster, tmp_path: Path) -> None:
    def run(user: str, command: str, *args: str) -> subprocess.CompletedProcess[str]:
        auth = ["--server", cluster.url, "--token", cluster.token(user)]
        return imkit(tmp_path / user, *command.split(), *auth, *args)

    assert run("ken", "group create", "mention-crew", "lea", "max").returncode == 0
    one = run("ken", "send", "--group", "mention-crew", "--mention", "lea", "hi @lea")
    assert one.returncode == 0, one.stderr
    everyone = run("ken", "send", "--group", "mention-crew", "--mention-all", "@all standup")
    assert everyone.returncode == 0, everyone.stderr
    private = run("ken", "send", "--to", "lea", "--mention", "lea", "psst")
    assert private.returncode == 2 and "--group" in private.stderr

    lea = asyncio.run(_mentions_of(cluster.url, cluster.token("lea"), tmp_path / "lea.db"))
    assert lea == (
        2,
        [{"type": 2, "userIdList": ["lea"]}, {"type": 1, "userIdList": []}],
    )
    max_ = asyncio.run(_mentions_of(cluster.url, cluster.token("max"), tmp_path / "max.db"))
    assert max_[0] == 1
