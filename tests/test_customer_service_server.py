"""Customer service on the real server: the robot answers from its FAQ and hands over,
agents are assigned least-loaded first and take from the queue, sessions end and are
rated, and a customer leaves a message when nobody is online."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    CsAgentState,
    ErrorCode,
    ErrorFrame,
    PullReply,
    PullRequest,
    SendAck,
    SendMessage,
)
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.budgets import Budget, FrameBudgets
from imkit_tui.server.customer_service.desk import HUMAN_STATUS, QUEUED_STATUS, ROBOT_STATUS
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.hooks.setup import start_hooks
from tests.backend import running_backend
from tests.conftest import running_server
from tests.cs_helpers import ACCOUNT, CS_CONV, Inbox, server_overrides


def seen_by_agent(customer: str) -> ConvRef:
    """How an agent sees `customer`'s conversation."""
    return ConvRef(type=ConversationType.CUSTOMER_SERVICE, target=customer)


async def test_robot_answers_from_the_faq_then_hands_over_to_an_agent(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", **server_overrides()) as handle:
        alice = Inbox(await handle.login("alice"))
        carol = Inbox(await handle.login("carol"))
        assert isinstance(await alice.send(messages.CS_HANDSHAKE, {}), SendAck)
        shake = await alice.push(messages.CS_HANDSHAKE_RESPONSE)
        assert shake.message.content["pid"] == ACCOUNT
        assert shake.message.conv == ConvRef(type=5, target=ACCOUNT)
        update = await alice.push(messages.CS_UPDATE)
        assert update.message.content["serviceStatus"] == ROBOT_STATUS
        welcome = await alice.push(messages.TEXT)
        assert welcome.message.sender == ACCOUNT and welcome.message.seq == 1

        ack = await alice.send(messages.TEXT, {"content": "how can I attach a file"})
        assert isinstance(ack, SendAck) and ack.seq == 2
        answer = await alice.push(messages.TEXT)
        assert answer.message.content["content"] == "Press + in the composer and pick the file."

        await alice.send(messages.TEXT, {"content": "what is the weather"})
        unknown = await alice.push(messages.TEXT)
        assert "talk to a human" in unknown.message.content["content"]

        await alice.send(messages.TEXT, {"content": "I want to talk to a human please"})
        assert (await alice.push(messages.CS_UPDATE)).message.content[
            "serviceStatus"
        ] == QUEUED_STATUS
        served = (await alice.push(messages.CS_UPDATE)).message.content
        assert served["serviceStatus"] == HUMAN_STATUS and served["agent"] == "carol"
        seated = await carol.push(messages.INFO_NTF)
        assert seated.message.conv == seen_by_agent("alice")

        # The agent reads everything before they came: the robot's exchange too.
        page = await carol.wire.request(PullRequest(conv=seen_by_agent("alice"), after_seq=0))
        assert isinstance(page, PullReply)
        texts = [m.content.get("content") for m in page.messages]
        assert "how can I attach a file" in texts and texts[0] == welcome.message.content["content"]

        await alice.send(messages.TEXT, {"content": "my upload fails"})
        got = await carol.push(messages.TEXT)
        assert got.message.content["content"] == "my upload fails"
        assert got.message.conv == seen_by_agent("alice")
        reply = await carol.send(messages.TEXT, {"content": "which file?"}, seen_by_agent("alice"))
        assert isinstance(reply, SendAck)
        heard = await alice.push(messages.TEXT)
        assert heard.message.sender == "carol" and heard.message.conv == ConvRef(5, ACCOUNT)


async def test_two_agents_least_loaded_first_then_the_queue_in_order(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", **server_overrides(max_per_agent=1)) as handle:
        carol = Inbox(await handle.login("carol"))
        dave = Inbox(await handle.login("dave"))
        customers = {name: Inbox(await handle.login(name)) for name in ("u1", "u2", "u3", "u4")}
        for name, inbox in customers.items():
            assert isinstance(await inbox.send(messages.CS_CHANGE_MODE, {}), SendAck)
            changed = await inbox.push(messages.CS_CHANGE_MODE_RESPONSE)
            assert changed.message.content["status"] == 1, name
        assert (await customers["u1"].push(messages.CS_UPDATE)).message.content["sid"]
        view = await carol.agent("view")
        assert isinstance(view, CsAgentState)
        assert view.mine == ["u1"] and view.waiting == ["u3", "u4"]
        assert (await dave.agent("view")).mine == ["u2"]  # type: ignore[union-attr]

        # Ending frees carol: the queue's head comes to her, the next still waits.
        ended = await carol.agent("end", "u1")
        assert isinstance(ended, CsAgentState) and ended.mine == ["u3"]
        assert ended.waiting == ["u4"]
        # An agent may take past their load: dave takes u4.
        took = await dave.agent("take")
        assert isinstance(took, CsAgentState) and took.mine == ["u2", "u4"] and not took.waiting
        refused = await dave.agent("take")
        assert isinstance(refused, ErrorFrame) and "nobody is waiting" in refused.message


async def test_least_loaded_agent_gets_the_next_customer(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", **server_overrides()) as handle:
        carol = Inbox(await handle.login("carol"))
        dave = Inbox(await handle.login("dave"))
        for name in ("u1", "u2", "u3"):
            inbox = Inbox(await handle.login(name))
            await inbox.send(messages.CS_CHANGE_MODE, {})
            await inbox.push(messages.CS_CHANGE_MODE_RESPONSE)
        # u1 to carol (first on a tie), u2 to dave (fewer), u3 to carol (tie again).
        assert (await carol.agent("view")).mine == ["u1", "u3"]  # type: ignore[union-attr]
        assert (await dave.agent("view")).mine == ["u2"]  # type: ignore[union-attr]


async def test_an_ended_session_is_rated_once_and_the_rating_is_stored(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", **server_overrides()) as handle:
        carol = Inbox(await handle.login("carol"))
        alice = Inbox(await handle.login("alice"))
        too_soon = await alice.send(messages.CS_EVALUATION, {"source": 5})
        assert isinstance(too_soon, ErrorFrame)
        await alice.send(messages.CS_CHANGE_MODE, {})
        await carol.push(messages.INFO_NTF)
        assert isinstance(await carol.agent("end", "alice"), CsAgentState)
        end = await alice.push(messages.CS_END)
        asked = await alice.push(messages.CS_PULL_EVALUATION)
        assert asked.message.content["msgId"] == end.message.content["sid"]
        bad = await alice.send(messages.CS_EVALUATION, {"source": 9})
        assert isinstance(bad, ErrorFrame) and "1 to 5" in bad.message
        rated = await alice.send(messages.CS_EVALUATION, {"source": 4, "suggest": "quick"})
        assert isinstance(rated, SendAck) and rated.seq == 0
        again = await alice.send(messages.CS_EVALUATION, {"source": 1})
        assert isinstance(again, ErrorFrame)
        store = handle.server.require_store()  # type: ignore[union-attr]
        ratings = await store.customer_service.ratings()
        assert ratings == [(end.message.content["sid"], "alice", "carol", 4, "quick")]
        # After the end, carol may no longer write to alice.
        late = await carol.send(messages.TEXT, {"content": "hi"}, seen_by_agent("alice"))
        assert isinstance(late, ErrorFrame)


async def test_nobody_online_asks_to_leave_a_message_kept_for_the_agents(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", **server_overrides()) as handle:
        alice = Inbox(await handle.login("alice"))
        await alice.send(messages.CS_CHANGE_MODE, {})
        refused = await alice.push(messages.CS_CHANGE_MODE_RESPONSE)
        assert refused.message.content["status"] == 0
        await alice.push(messages.CS_PULL_LEAVE_MESSAGE)
        empty = await alice.send(messages.CS_LEAVE_MESSAGE, {"dataSet": {"text": "  "}})
        assert isinstance(empty, ErrorFrame)
        left = {"dataSet": {"name": "Alice", "text": "call me back"}}
        assert isinstance(await alice.send(messages.CS_LEAVE_MESSAGE, left), SendAck)
        carol = Inbox(await handle.login("carol"))
        state = await carol.agent("left")
        assert isinstance(state, CsAgentState)
        assert [(m.customer, m.fields) for m in state.left] == [("alice", left["dataSet"])]


async def test_human_first_goes_straight_to_an_agent(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", **server_overrides(mode="human")) as handle:
        carol = Inbox(await handle.login("carol"))
        alice = Inbox(await handle.login("alice"))
        await alice.send(messages.CS_HANDSHAKE, {})
        statuses = [
            (await alice.push(messages.CS_UPDATE)).message.content["serviceStatus"]
            for _ in range(2)
        ]
        assert statuses == [QUEUED_STATUS, HUMAN_STATUS]
        pushed = await carol.agent_push()
        while pushed.mine != ["alice"]:  # the push after she was seated
            pushed = await carol.agent_push()
        assert not pushed.waiting


@pytest.mark.parametrize("who", ["alice", "carol"])
async def test_refusals_are_clear_and_change_nothing(tmp_path: Path, who: str) -> None:
    async with running_server(tmp_path / "s", **server_overrides()) as handle:
        user = Inbox(await handle.login(who))
        if who == "alice":
            not_agent = await user.agent("view")
            assert isinstance(not_agent, ErrorFrame) and "not an agent" in not_agent.message
            wrong = await user.send(messages.TEXT, {"content": "hi"}, ConvRef(5, "nobody"))
            assert isinstance(wrong, ErrorFrame) and "no customer service" in wrong.message
            forged = await user.send(messages.CS_END, {})
            assert isinstance(forged, ErrorFrame)
        else:
            stranger = await user.send(messages.TEXT, {"content": "hi"}, seen_by_agent("bob"))
            assert isinstance(stranger, ErrorFrame) and "not your customer" in stranger.message
            not_mine = await user.agent("end", "bob")
            assert isinstance(not_mine, ErrorFrame)


async def test_a_server_without_customer_service_says_so(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s") as handle:
        alice = Inbox(await handle.login("alice"))
        answer = await alice.send(messages.CS_HANDSHAKE, {})
        assert isinstance(answer, ErrorFrame) and "no customer service" in answer.message


async def test_an_agents_desk_requests_have_a_budget(tmp_path: Path) -> None:
    budgets = FrameBudgets(customer_service=Budget(0.001, 3))
    overrides = {**server_overrides(), "budgets": budgets}
    async with running_server(tmp_path / "s", **overrides) as handle:
        carol = Inbox(await handle.login("carol"))
        answers = [await carol.agent("view") for _ in range(5)]
        assert [isinstance(a, CsAgentState) for a in answers] == [True] * 3 + [False] * 2
        limited = answers[-1]
        assert isinstance(limited, ErrorFrame) and limited.code == ErrorCode.RATE_LIMITED


async def test_customer_service_messages_are_routed_like_the_others(
    tmp_path: Path, store_kind: str
) -> None:
    data = tmp_path / "s"
    async with running_server(data, **server_overrides()) as handle:
        assert handle.server is not None
        secret = load_or_create(data, environ={}).app_secret
        async with running_backend(secret) as backend:
            settings = HooksConfig(
                routing_url=backend.at("/route"), routing_conversations=("customer_service",)
            )
            hooks = await start_hooks(handle.server, settings)
            try:
                alice = Inbox(await handle.login("alice"))
                await alice.send(messages.TEXT, {"content": "how do I recall"})
                await alice.push(messages.TEXT)  # the robot's welcome
                await backend.until(lambda: len(backend.got) == 3)
                forms = [r.form for r in backend.got]
                assert {f["channelType"] for f in forms} == {"CUSTOMER_SERVICE"}
                asked = next(f for f in forms if f["fromUserId"] == "alice")
                assert asked["toUserId"] == ACCOUNT
                answers = [json.loads(f["content"])["content"] for f in forms if f is not asked]
                assert "Select it and press x within two minutes." in answers
            finally:
                await hooks.stop()


async def test_anyone_learns_the_service_and_whether_they_are_its_agent(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", **server_overrides()) as handle:
        alice = Inbox(await handle.login("alice"))
        carol = Inbox(await handle.login("carol"))
        told = await alice.agent("info")
        assert isinstance(told, CsAgentState)
        assert (told.account, told.name, told.agent) == (ACCOUNT, "imkit help", False)
        agent = await carol.agent("info")
        assert isinstance(agent, CsAgentState) and agent.agent and agent.online == ["carol"]
    async with running_server(tmp_path / "none") as handle:
        none = await Inbox(await handle.login("alice")).agent("info")
        assert isinstance(none, CsAgentState) and none.account == ""


async def test_a_retried_question_is_acked_again_and_answered_once(tmp_path: Path) -> None:
    async with running_server(tmp_path / "s", **server_overrides()) as handle:
        alice = Inbox(await handle.login("alice"))
        question = SendMessage(
            id=1, conv=CS_CONV, object_name=messages.TEXT,
            content={"content": "how do I recall"}, cmid="same-question",
        )  # fmt: skip
        await alice.wire.send_frame(question)
        first = await alice.answer(1)
        await alice.push(messages.TEXT)  # the welcome
        await alice.push(messages.TEXT)  # the answer
        question.id = 2
        await alice.wire.send_frame(question)
        again = await alice.answer(2)
        assert isinstance(first, SendAck) and isinstance(again, SendAck)
        assert (again.uid, again.seq) == (first.uid, first.seq)
        with pytest.raises(TimeoutError):
            await alice.push(messages.TEXT, timeout=0.5)  # no second answer
