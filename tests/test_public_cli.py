"""`imkit public` against `imkit serve` as processes: make an account with a menu, a
menu past the limits refused, an article posted to the follower, the followers and the
accounts listed, update and delete."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.public_frames import PublicAccountInfo, PublicFollow
from tests.processes import imkit, start_server
from tests.test_api_cli import _api_line
from tests.wire import WireClient


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.communicate(timeout=15)


async def test_imkit_public_makes_an_account_and_posts_to_its_followers(tmp_path: Path) -> None:
    data = tmp_path / "server"
    process, url = start_server(data)
    try:
        api = ("--api", _api_line(process), "--data", str(data))
        menu = json.dumps([{"id": "latest", "name": "Latest"}])
        made = imkit(tmp_path, "public", "create", "news", "imkit news", "--menu", menu,
                     "--description", "Releases", *api)  # fmt: skip
        assert made.returncode == 0, made.stderr
        too_many = tmp_path / "menu.json"
        too_many.write_text(json.dumps([{"id": f"i{n}", "name": f"I{n}"} for n in range(4)]))
        refused = imkit(tmp_path, "public", "menu", "news", f"@{too_many}", *api)
        assert refused.returncode == 1 and "at most 3" in refused.stderr

        token = json.loads(imkit(tmp_path, "admin", "user/getToken", "userId=alice", *api).stdout)
        alice = await WireClient.login(url, token["token"])
        try:
            followed = await alice.request(PublicFollow(account="news", type=7))
            assert isinstance(followed, PublicAccountInfo)
            assert [item.name for item in followed.account.menu] == ["Latest"]
            story = tmp_path / "story.txt"
            story.write_text("The whole story.")
            posted = imkit(tmp_path, "public", "post", "news", "--title", "imkit 1.0",
                           "--digest", "What is new", "--text", f"@{story}", *api)  # fmt: skip
            assert posted.returncode == 0, posted.stderr
            assert posted.stdout.strip().endswith("to 1 followers")
            push = await alice.next_push()
            assert push.message.conv == ConvRef(type=7, target="news")
            (article,) = push.message.content["articles"]
            assert article == {
                "title": "imkit 1.0",
                "digest": "What is new",
                "content": "The whole story.",
            }
        finally:
            await alice.close()

        followers = imkit(tmp_path, "public", "followers", "news", *api)
        assert (followers.returncode, followers.stdout) == (0, "alice\n")
        listed = imkit(tmp_path, "public", "list", *api)
        assert listed.stdout == "news\t7\timkit news\tReleases\n"
        updated = imkit(tmp_path, "public", "update", "news", "--accepts-text", *api)
        assert updated.returncode == 0, updated.stderr
        shown = json.loads(imkit(tmp_path, "public", "list", "--json", *api).stdout)
        assert shown["publicServices"][0]["acceptsText"] == 1
        assert shown["publicServices"][0]["name"] == "imkit news"  # kept
        bad = imkit(tmp_path, "public", "post", "news", *api)
        assert bad.returncode == 2 and "--title" in bad.stderr
        assert imkit(tmp_path, "public", "delete", "news", *api).returncode == 0
        assert imkit(tmp_path, "public", "list", *api).stdout == ""
        gone = imkit(tmp_path, "public", "delete", "news", *api)
        assert gone.returncode == 1 and "no such" in gone.stderr
    finally:
        _stop(process)


def test_the_accounts_of_a_file_are_made_at_start_and_a_bad_file_is_refused(
    tmp_path: Path,
) -> None:
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(
        '[[account]]\nid = "desk"\nname = "Help desk"\ntype = 8\naccepts_text = true\n'
        'menu = [{ id = "hours", name = "Hours" },'
        ' { name = "More", kind = "group", items = [{ id = "faq", name = "FAQ" }] }]\n'
    )
    data = tmp_path / "server"
    process, _ = start_server(data, 0, "--public-accounts", str(accounts))
    try:
        api = ("--api", _api_line(process), "--data", str(data))
        listed = json.loads(imkit(tmp_path, "public", "list", "--json", *api).stdout)
        (desk,) = listed["publicServices"]
        assert (desk["publicServiceId"], desk["type"], desk["acceptsText"]) == ("desk", 8, 1)
        assert [item["name"] for item in desk["menu"]] == ["Hours", "More"]
    finally:
        _stop(process)
    items = ", ".join(f'{{ id = "i{n}", name = "I{n}" }}' for n in range(4))
    accounts.write_text(f'[[account]]\nid = "desk"\nname = "Desk"\nmenu = [{items}]\n')
    refused = imkit(tmp_path, "serve", "--port", "0", "--data", str(data),
                    "--public-accounts", str(accounts), timeout=30)  # fmt: skip
    assert refused.returncode == 2 and "at most 3" in refused.stderr
    missing = imkit(tmp_path, "serve", "--port", "0", "--data", str(data),
                    "--public-accounts", str(tmp_path / "none.toml"), timeout=30)  # fmt: skip
    assert missing.returncode == 2 and "cannot read" in missing.stderr
